"""The judge: a case's `expected` rules applied to an agent's response. Pure.

`expected` is a list of one-key mappings; every rule must hold. The rule
kinds are declared in `kinds.py` (name, value shape, parser, evaluator); their
semantics live with their code (`text.py`, `tools.py`, `structured.py`, `llm.py`,
`plugins.py`) and in the manual (docs/reference/rules.md). Entry points:

- `validate_rules(expected)` -> [(index, message)]: for `failgate validate`
  (an unknown or malformed rule is a commit-time error: docs/reference/rule-kinds.md).
- `judge_case(case, response, options)` -> [RuleResult]: one per rule.
- `case_fingerprint(case, options)` / `judge_fingerprint(cases, options)`:
  stable `sha256:` hashes of what decides pass/fail, recorded with results so
  that a baseline judged by a different judge is never compared silently.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from failgate.eval.judge import llm, text
from failgate.eval.judge.kinds import BY_NAME, RULE_NAMES, Judging
from failgate.eval.judge.llm import (
    NO_JUDGE_MODEL,  # noqa: E402,F401  (the gate recognises it)
    LLMSettings,
)
from failgate.eval.judge.options import JudgeOptions
from failgate.eval.judge.plugins import PluginJudge, Verdict
from failgate.eval.judge.response import Response, ResponseError, ToolCall, parse_response
from failgate.eval.judge.text import DEFAULT_REFUSAL_PATTERNS, RuleError

CASE_BUDGET_S = 5.0  # judge time per case (text rules; plugin judges keep their own)

# Bump when any rule's meaning changes: every recorded baseline then stops
# comparing silently against results judged by the new semantics.
RULES_VERSION = 1

__all__ = [
    "RULES_VERSION",
    "RULE_NAMES",
    "JudgeOptions",
    "RuleResult",
    "Response",
    "ResponseError",
    "ToolCall",
    "Verdict",
    "PluginJudge",
    "RuleError",
    "DEFAULT_REFUSAL_PATTERNS",
    "parse_response",
    "validate_rules",
    "judge_case",
    "case_fingerprint",
    "judge_fingerprint",
    "settings_fingerprint",
    "LLMSettings",
]


@dataclasses.dataclass(frozen=True)
class RuleResult:
    index: int  # position in `expected`, for pointing at the rule's line
    rule: str
    passed: bool
    expected: str
    got: str

    @property
    def message(self) -> str:
        return f"{self.rule}: expected {self.expected}; got {self.got}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "rule": self.rule,
            "passed": self.passed,
            "expected": self.expected,
            "got": self.got,
        }


def _split(index: int, rule: Any) -> tuple[str, Any]:
    if not isinstance(rule, Mapping) or len(rule) != 1:
        raise RuleError(f"rule {index + 1} must be a mapping with exactly one key (the rule name), got {rule!r}")
    ((name, value),) = rule.items()
    if name not in BY_NAME:
        raise RuleError(f"unknown rule {name!r}; known rules: {', '.join(RULE_NAMES)}")
    return str(name), value


def parse_rules(expected: Any, options: JudgeOptions = JudgeOptions()) -> list[tuple[str, Any]]:
    """[(name, parsed spec)]; RuleError names the first malformed rule."""
    if not isinstance(expected, list) or not expected:
        raise RuleError("expected must be a non-empty list of rules")
    parsed = []
    for index, rule in enumerate(expected):
        name, value = _split(index, rule)
        try:
            parsed.append((name, BY_NAME[name].parse(value, options)))
        except RuleError as exc:
            raise RuleError(f"rule {index + 1} ({name}): {exc}") from None
    return parsed


def validate_rules(expected: Any, options: JudgeOptions = JudgeOptions()) -> list[tuple[int, str]]:
    """Every malformed rule as (index in `expected`, message); [] when all are fine.

    Plugin judges are not imported here (validation must stay fast and
    offline); their `use` is only checked for shape.
    """
    if not isinstance(expected, list) or not expected:
        return [(-1, "expected must be a non-empty list of rules")]
    problems = []
    for index, rule in enumerate(expected):
        try:
            name, value = _split(index, rule)
            BY_NAME[name].parse(value, options)
        except RuleError as exc:
            problems.append((index, str(exc)))
    return problems


def _evaluate(
    name: str, spec: Any, case: Mapping[str, Any], response: Response, options: JudgeOptions, fresh: bool = False
) -> tuple[bool, str, str]:
    return BY_NAME[name].evaluate(spec, Judging(case, response, options, fresh))


def judge_case(
    case: Mapping[str, Any],
    response: Response,
    options: JudgeOptions = JudgeOptions(),
    *,
    fresh: bool = False,
    deferred: list[tuple[int, Callable[[], RuleResult]]] | None = None,
) -> list[RuleResult]:
    """Apply every rule of `case["expected"]`; all must pass for the case to pass.

    `fresh`: ask the judge model again instead of reading a cached verdict
    (the runner sets it for `repeat: N`, whose attempts must be independent).
    `deferred`: when given, llm_rubric rules are not asked here: each gets a
    failed placeholder and `(its position, a function returning its result)` is
    appended, so the runner can ask the judge model with its own concurrency
    (`max_concurrency`) once the agent calls (`jobs`) are done.

    A malformed `expected` yields one failed RuleResult named "expected" that
    says what is wrong (validate should have caught it at commit time).
    """
    try:
        parsed = parse_rules(case.get("expected"), options)
    except RuleError as exc:
        return [RuleResult(-1, "expected", False, "valid rules", str(exc))]
    results: list[RuleResult] = []
    # A pattern that backtracks without end must not hang eval and the gate:
    # each match has text.REGEX_BUDGET_S, the whole case CASE_BUDGET_S.
    deadline = time.monotonic() + CASE_BUDGET_S
    text.set_deadline(deadline)
    try:
        for index, (name, spec) in enumerate(parsed):
            if BY_NAME[name].remote and deferred is not None:

                def later(index: int = index, name: str = name, spec: Any = spec) -> RuleResult:
                    passed, expected, got = _evaluate(name, spec, case, response, options, fresh)
                    return RuleResult(index, name, bool(passed), expected, got)

                deferred.append((len(results), later))
                results.append(RuleResult(index, name, False, "a judge-model verdict", "not asked yet"))
                continue
            if time.monotonic() >= deadline:
                results.append(
                    RuleResult(
                        index,
                        name,
                        False,
                        "the rule to be judged",
                        f"timed out: the case's judge budget of {CASE_BUDGET_S:g} s was spent "
                        "by the rules before this one",
                    )
                )
                continue
            passed, expected, got = _evaluate(name, spec, case, response, options, fresh)
            results.append(RuleResult(index, name, bool(passed), expected, got))
    finally:
        text.set_deadline(None)
    return results


# -- fingerprints -------------------------------------------------------------
def _plugin_versions(expected: Any, options: JudgeOptions) -> dict[str, str]:
    versions = {}
    for rule in expected if isinstance(expected, list) else []:
        if isinstance(rule, Mapping) and isinstance(rule.get("judge"), Mapping):
            use = rule["judge"].get("use")
            if isinstance(use, str):
                try:
                    versions[use] = options.plugin(use).version
                except RuleError:
                    versions[use] = "unloadable"
    return versions


def _digest(payload: Any) -> str:
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(blob.encode("utf-8")).hexdigest()


def case_fingerprint(case: Mapping[str, Any], options: JudgeOptions = JudgeOptions()) -> str:
    """What decides this case's outcome besides the agent: rule vocabulary
    version, its `expected`, its repeat policy, plugin versions, and the judge
    settings its own rules read: refusal patterns only for a case with a
    `not_refused` rule (other cases hash the default patterns, whatever is
    configured, so that adding `extra_refusal_patterns` changes no other case's
    fingerprint), and the judge model's settings (model, base URL host, prompt
    template version, rubric, temperature, seed) only for a case that uses llm_rubric."""
    expected = case.get("expected")
    reads_refusal = isinstance(expected, list) and any(
        isinstance(rule, Mapping) and "not_refused" in rule for rule in expected
    )
    patterns = options.refusal_patterns if reads_refusal else DEFAULT_REFUSAL_PATTERNS
    payload = {
        "rules_version": RULES_VERSION,
        "expected": expected,
        "repeat": case.get("repeat"),
        "pass_if": case.get("pass_if"),
        "plugins": _plugin_versions(expected, options),
        "refusal_patterns": list(patterns),
    }
    judge_model = llm.fingerprint_part(expected, options.llm)
    if judge_model is not None:
        payload["llm"] = judge_model
    return _digest(payload)


def settings_fingerprint(options: JudgeOptions = JudgeOptions()) -> str:
    """The judge itself, apart from any case: rule vocabulary version, refusal
    patterns, judge model settings. A gold-set grading is recorded under it
    (`failgate judge-check --record`), and the gate accepts a judge change only
    when the gold set was graded under the new one."""
    return _digest(
        {
            "rules_version": RULES_VERSION,
            "refusal_patterns": list(options.refusal_patterns),
            "llm": options.llm.fingerprint(),
        }
    )


def judge_fingerprint(cases: Iterable[Mapping[str, Any]], options: JudgeOptions = JudgeOptions()) -> str:
    """One hash over the per-case fingerprints, keyed by case id (order-independent)."""
    return _digest({str(c.get("id")): case_fingerprint(c, options) for c in cases})
