"""Text rules: contains, not_contains, regex, equals, not_refused — and which text they read.

Semantics (docs/reference/rules.md repeats them as a table; the option
names are those of schemas/cases.schema.json):

- Case-sensitive by default; `case_sensitive: false` compares casefolded
  text (for `regex` it is the same as flag i).
- `regex` is Python `re` with `re.search` (anywhere in the text, not anchored);
  `flags` is a string of letters: i (IGNORECASE), m (MULTILINE), s (DOTALL), x (VERBOSE).
- `equals` compares with leading/trailing whitespace trimmed from both sides
  (a YAML block scalar ends in a newline).
- `turn` picks the text: `final` (default: the final answer) or `N`, the
  reply to the N-th user turn (1-based, `turns[N-1]` of the response). A rule
  aimed at a turn the response does not have fails and says so.
- `not_refused`: no refusal pattern (Python `re`, searched case-insensitively)
  matches the text. The patterns are `DEFAULT_REFUSAL_PATTERNS` unless
  `[tool.failgate.judge]` sets `refusal_patterns` (replace) or
  `extra_refusal_patterns` (add).
- Time budget: patterns are checked with Python `re` syntax (at validate time,
  no extra import) but matched with the `regex` package, whose `timeout=` stops
  a catastrophically backtracking pattern (`(a|aa)+$` on a long answer): a
  match that takes longer than `REGEX_BUDGET_S` (or what is left of the case's
  budget, `failgate.eval.judge.CASE_BUDGET_S`) fails its rule with "timed out".
  The built-in refusal patterns are the exception: fixed phrases whose match
  time is linear in the text, run with `re` (3-30x faster per search, and the
  ingest funnel searches every trace with all of them). The budget is for
  patterns a project writes.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections.abc import Mapping
from typing import Any

from failgate.eval.judge.response import Response

FLAG_LETTERS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}

# Phrases assistants use to decline. Matched case-insensitively with re.search
# against the targeted text; both straight and typographic apostrophes.
DEFAULT_REFUSAL_PATTERNS: tuple[str, ...] = (
    r"\bI(?:['’]m| am) (?:sorry|afraid),? (?:but )?I (?:can(?:['’]|no)t|won['’]t|am unable|['’]m unable)",
    r"\bI (?:can(?:['’]|no)t|won['’]t|will not|am unable to|['’]m unable to|am not able to|['’]m not able to)"
    r" (?:help|assist|do that|provide|comply|process|complete|share|answer|support)",
    r"\bI must (?:decline|refuse)",
    r"\bI(?:['’]m| am) not (?:allowed|permitted|authori[sz]ed) to",
    r"\bas an AI\b",
    r"\bagainst (?:my|our) (?:policy|policies|guidelines)\b",
    r"\bunable to (?:help|assist) with (?:that|this)\b",
)


REGEX_BUDGET_S = 1.0  # per pattern match; docs/reference/rules.md


class RuleError(ValueError):
    """The rule itself is malformed (a dataset problem, not an agent failure)."""


class MatchTimeout(Exception):
    """A pattern ran out of its time budget on this text."""


_BUDGET = threading.local()  # the deadline of the case being judged (set by judge_case)


def set_deadline(deadline: float | None) -> None:
    _BUDGET.deadline = deadline


def _budget() -> float:
    deadline = getattr(_BUDGET, "deadline", None)
    if deadline is None:
        return REGEX_BUDGET_S
    return max(0.0, min(REGEX_BUDGET_S, deadline - time.monotonic()))


_TIMED: dict[tuple[str, int], Any] = {}


def search(pattern: re.Pattern[str], text: str) -> Any:
    """`pattern.search(text)` within the time budget; MatchTimeout when it runs out."""
    key = (pattern.pattern, pattern.flags)
    if key in _LINEAR:
        return pattern.search(text)
    if key not in _TIMED:
        import regex  # the field's standard for a regex with a timeout; only eval needs it

        try:
            _TIMED[key] = regex.compile(pattern.pattern, pattern.flags & ~re.UNICODE | regex.VERSION0)
        except (regex.error, ValueError):  # pragma: no cover - a pattern only `re` accepts: no budget
            _TIMED[key] = None
    timed = _TIMED[key]
    if timed is None:  # pragma: no cover
        return pattern.search(text)
    budget = _budget()
    try:
        return timed.search(text, timeout=budget)
    except TimeoutError:
        raise MatchTimeout(
            f"timed out: /{pattern.pattern}/ did not finish within {budget:g} s on a "
            f"{len(text)}-character text (a pattern that backtracks catastrophically?)"
        ) from None


def _short(text: str, limit: int = 160) -> str:
    one_line = text.replace("\n", "\\n")
    return repr(one_line if len(one_line) <= limit else one_line[: limit - 3] + "...")


@dataclasses.dataclass(frozen=True)
class TextSpec:
    values: tuple[str, ...]
    ignore_case: bool = False
    turn: str | int = "final"
    flags: int = 0
    strip: bool = True  # equals: trim surrounding whitespace (always, per the schema)
    patterns: tuple[re.Pattern[str], ...] = ()


def _parse_turn(value: Any) -> str | int:
    if value == "final":
        return "final"
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    raise RuleError(f"turn must be 'final' or a user-turn number >= 1, got {value!r}")


def parse_text(rule: str, value: Any) -> TextSpec:
    allowed = {"value", "case_sensitive", "turn"} | ({"flags"} if rule == "regex" else set())
    if isinstance(value, Mapping):
        unknown = set(value) - allowed
        if unknown:
            raise RuleError(f"{rule} has unknown option(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
        if "value" not in value:
            raise RuleError(f"{rule} needs a 'value'")
        options = value
        value = value["value"]
    else:
        options = {}
    if not isinstance(value, str) or (rule != "equals" and not value):
        raise RuleError(f"{rule} needs a non-empty string, got {value!r}")
    case_sensitive = options.get("case_sensitive", True)
    if not isinstance(case_sensitive, bool):
        raise RuleError(f"{rule}.case_sensitive must be true or false, got {case_sensitive!r}")
    flags = 0
    letters = options.get("flags", "")
    if not isinstance(letters, str) or set(letters) - set(FLAG_LETTERS):
        raise RuleError(f"{rule}.flags must be letters from 'imsx', got {letters!r}")
    for letter in letters:
        flags |= FLAG_LETTERS[letter]
    if not case_sensitive:
        flags |= re.IGNORECASE
    patterns: tuple[re.Pattern[str], ...] = ()
    if rule == "regex":
        try:
            patterns = (re.compile(value, flags),)
        except re.error as exc:
            raise RuleError(f"regex {value!r} is invalid: {exc}") from None
    return TextSpec((value,), not case_sensitive, _parse_turn(options.get("turn", "final")), flags, True, patterns)


def targets(response: Response, turn: str | int) -> tuple[list[tuple[str, str]], str | None]:
    """The (label, text) pairs a rule reads, or an explanation why there are none."""
    if turn == "final":
        return [("final answer", response.output)], None
    assert isinstance(turn, int)
    if not response.turns:
        return [], f"the response has no 'turns' (the rule targets turn {turn})"
    if turn > len(response.turns):
        return [], f"the response has {len(response.turns)} turn(s), no turn {turn}"
    return [(f"turn {turn}", response.turns[turn - 1])], None


def _fold(text: str, spec: TextSpec) -> str:
    return text.casefold() if spec.ignore_case else text


def check_one(rule: str, spec: TextSpec, text: str) -> str | None:
    """None when `text` satisfies the rule, else what was wrong with it."""
    if rule == "contains":
        missing = [v for v in spec.values if _fold(v, spec) not in _fold(text, spec)]
        return f"{_short(text)} lacks {', '.join(map(repr, missing))}" if missing else None
    if rule == "not_contains":
        for value in spec.values:
            at = _fold(text, spec).find(_fold(value, spec))
            if at >= 0:
                start = max(0, at - 40)
                return f"{value!r} at char {at}: {_short(text[start : at + len(value) + 40])}"
        return None
    if rule == "regex":
        try:
            missing = [p.pattern for p in spec.patterns if not search(p, text)]
        except MatchTimeout as exc:
            return str(exc)
        return f"no match in {_short(text)}" if missing else None
    if rule == "equals":
        want, got = spec.values[0], text
        if spec.strip:
            want, got = want.strip(), got.strip()
        return None if _fold(want, spec) == _fold(got, spec) else _short(text)
    raise AssertionError(rule)  # pragma: no cover


def describe_expected(rule: str, spec: TextSpec) -> str:
    values = " and ".join(repr(v) for v in spec.values)
    where = "the final answer" if spec.turn == "final" else f"turn {spec.turn}"
    case = " (ignoring case)" if spec.ignore_case else ""
    if rule == "contains":
        return f"{where} to contain {values}{case}"
    if rule == "not_contains":
        return f"{where} not to contain {' or '.join(repr(v) for v in spec.values)}{case}"
    if rule == "regex":
        flags = f" with flags {spec.flags:#x}" if spec.flags else ""
        return f"{where} to match /{'/ and /'.join(spec.values)}/{flags}"
    return f"{where} to equal {values}{case} (surrounding whitespace trimmed)"


def check_text(rule: str, spec: TextSpec, response: Response) -> tuple[bool, str, str]:
    found, why_none = targets(response, spec.turn)
    expected = describe_expected(rule, spec)
    if why_none:
        return False, expected, why_none
    problems = [(label, check_one(rule, spec, text)) for label, text in found]
    bad = [(label, p) for label, p in problems if p is not None]
    if not bad:
        return True, expected, "ok"
    return False, expected, "; ".join(f"{label}: {p}" for label, p in bad)


# -- refusal ------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class RefusalSpec:
    patterns: tuple[re.Pattern[str], ...]
    turn: str | int = "final"


def compile_refusal(patterns: tuple[str, ...] | list[str]) -> tuple[re.Pattern[str], ...]:
    try:
        return tuple(re.compile(p, re.IGNORECASE) for p in patterns)
    except re.error as exc:
        raise RuleError(f"refusal pattern {exc.pattern!r} is invalid: {exc}") from None


# The built-in refusal patterns, as compiled: literal phrases, alternations of literals
# and optional single words, with no repeat over anything that can match in more than
# one way, so `re` cannot backtrack catastrophically on them and `search` runs them
# without the time budget. Every pattern a project writes keeps the budget (one
# identical to a built-in pattern is that pattern, and as safe).
_LINEAR: frozenset[tuple[str, int]] = frozenset((p.pattern, p.flags) for p in compile_refusal(DEFAULT_REFUSAL_PATTERNS))


def parse_refusal(value: Any, defaults: tuple[re.Pattern[str], ...]) -> RefusalSpec:
    """`not_refused: true` (the final answer) or `{turn: N}`."""
    if value is True:
        return RefusalSpec(defaults)
    if isinstance(value, Mapping) and set(value) == {"turn"}:
        return RefusalSpec(defaults, _parse_turn(value["turn"]))
    raise RuleError(f"not_refused must be true or {{turn: N}}, got {value!r} (to require a refusal, use a regex rule)")


def check_refusal(spec: RefusalSpec, response: Response) -> tuple[bool, str, str]:
    found, why_none = targets(response, spec.turn)
    where = "the final answer" if spec.turn == "final" else f"turn {spec.turn}"
    expected = f"{where} not to be a refusal ({len(spec.patterns)} refusal patterns)"
    if why_none:
        return False, expected, why_none
    hits = []
    for label, text in found:
        for pattern in spec.patterns:
            try:
                match = search(pattern, text)
            except MatchTimeout as exc:
                return False, expected, f"{label}: refusal pattern {exc}"
            if match:
                hits.append(f"{label} matched refusal pattern /{pattern.pattern}/ at {match.group(0)!r}")
                break
    return not hits, expected, "ok" if not hits else "; ".join(hits)
