"""The judge: a case's `expected` rules applied to an agent's response. Pure.

`expected` is a list of one-key mappings; every rule must hold. The rule
semantics live with their code (`text.py`, `tools.py`, `plugins.py`) and in
the README table. Entry points:

- `validate_rules(expected)` -> [(index, message)]: for `failgate validate`
  (an unknown or malformed rule is a commit-time error, DESIGN.md).
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

from failgate.eval.judge import llm, structured, text, tools
from failgate.eval.judge.llm import LLMSettings
from failgate.eval.judge.plugins import PluginJudge, Verdict, load_judge, run_judge
from failgate.eval.judge.response import Response, ResponseError, ToolCall, parse_response
from failgate.eval.judge.text import DEFAULT_REFUSAL_PATTERNS, RuleError

CASE_BUDGET_S = 5.0  # judge time per case (text rules; plugin judges keep their own)

# Bump when any rule's meaning changes: every recorded baseline then stops
# comparing silently against results judged by the new semantics.
RULES_VERSION = 1

__all__ = [
    "RULES_VERSION",
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
class JudgeOptions:
    """Judge settings from `[tool.failgate.judge]`; part of the fingerprint."""

    refusal_patterns: tuple[str, ...] = DEFAULT_REFUSAL_PATTERNS
    root: str | None = None  # put on sys.path before loading plugin judges
    llm: LLMSettings = LLMSettings()  # [tool.failgate.judge.llm], for llm_rubric
    cache_dir: str | None = None  # llm_rubric verdicts are cached here; None: no cache
    read_cache: bool = True  # False (--no-cache): ask the judge model again, and store the fresh verdict

    @classmethod
    def from_config(cls, section: Mapping[str, Any], root: str | None = None) -> JudgeOptions:
        from pathlib import Path

        from failgate.config import CACHE_DIR

        patterns = tuple(section.get("refusal_patterns", DEFAULT_REFUSAL_PATTERNS))
        patterns += tuple(section.get("extra_refusal_patterns", ()))
        llm_section = section.get("llm", {})
        settings = LLMSettings.from_config(llm_section if isinstance(llm_section, Mapping) else {})
        return cls(patterns, root, settings, str(Path(root) / CACHE_DIR) if root else None)

    def without_cache(self) -> JudgeOptions:
        return dataclasses.replace(self, read_cache=False)

    def compiled_refusal(self) -> tuple[Any, ...]:
        return _compiled(self.refusal_patterns)


_COMPILED: dict[tuple[str, ...], tuple[Any, ...]] = {}


def _compiled(patterns: tuple[str, ...]) -> tuple[Any, ...]:
    if patterns not in _COMPILED:
        _COMPILED[patterns] = text.compile_refusal(patterns)
    return _COMPILED[patterns]


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


# name -> parser(value, options) -> spec. One table so that an unknown name is
# caught in one place, at validate time and at eval time alike.
_PARSERS: dict[str, Callable[[Any, JudgeOptions], Any]] = {
    "contains": lambda v, o: text.parse_text("contains", v),
    "not_contains": lambda v, o: text.parse_text("not_contains", v),
    "regex": lambda v, o: text.parse_text("regex", v),
    "equals": lambda v, o: text.parse_text("equals", v),
    "tool_called": lambda v, o: tools.parse_call("tool_called", v, counts=True, bare_name=False),
    "tool_not_called": lambda v, o: tools.parse_call("tool_not_called", v, counts=False),
    "tool_order": lambda v, o: tools.parse_order(v),
    "max_latency_ms": lambda v, o: _parse_latency(v),
    "not_refused": lambda v, o: text.parse_refusal(v, o.compiled_refusal()),
    "judge": lambda v, o: _parse_plugin(v),
    "llm_rubric": lambda v, o: llm.parse_rubric(v),
    **{name: (lambda n: lambda v, o: structured.parse(n, v))(name) for name in structured.RULES},
}
RULE_NAMES = tuple(_PARSERS)


def _parse_latency(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RuleError(f"max_latency_ms needs a whole number of milliseconds >= 1, got {value!r}")
    return float(value)


def _parse_plugin(value: Any) -> tuple[str, dict[str, Any]]:
    if not isinstance(value, Mapping) or not isinstance(value.get("use"), str) or not value["use"]:
        raise RuleError(
            f"judge needs a mapping with 'use': \"package.module:function\" or an entry-point name, got {value!r}"
        )
    return value["use"], {k: v for k, v in value.items() if k != "use"}


def _split(index: int, rule: Any) -> tuple[str, Any]:
    if not isinstance(rule, Mapping) or len(rule) != 1:
        raise RuleError(f"rule {index + 1} must be a mapping with exactly one key (the rule name), got {rule!r}")
    ((name, value),) = rule.items()
    if name not in _PARSERS:
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
            parsed.append((name, _PARSERS[name](value, options)))
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
            _PARSERS[name](value, options)
        except RuleError as exc:
            problems.append((index, str(exc)))
    return problems


def _check_llm(
    spec: llm.RubricSpec, case: Mapping[str, Any], response: Response, options: JudgeOptions, fresh: bool
) -> tuple[bool, str, str]:
    rubric = spec.rubric if len(spec.rubric) <= 100 else spec.rubric[:97] + "..."
    expected = f"a judge-model pass on the rubric {rubric!r}"
    settings = options.llm
    if not settings.base_url or not settings.model:
        return False, expected, "no judge model configured: set base_url and model in [tool.failgate.judge.llm]"
    reply = llm.reply_text(spec, response)
    if reply is None:
        return False, expected, f"no reply to user turn {spec.turn} (the response has {len(response.turns)} turn(s))"
    from failgate.eval.judge.llm_transport import JudgeCallError, session_for

    body = llm.request_body(spec, case.get("input"), reply, settings)
    try:
        passed, reason = session_for(settings, options.cache_dir).verdict(body, fresh=fresh or not options.read_cache)
    except JudgeCallError as exc:
        return False, expected, f"judge call failed: {exc}"
    return passed, expected, f"judge: {reason}"


def _evaluate(
    name: str, spec: Any, case: Mapping[str, Any], response: Response, options: JudgeOptions, fresh: bool = False
) -> tuple[bool, str, str]:
    if name == "llm_rubric":
        return _check_llm(spec, case, response, options, fresh)
    if name in structured.RULES:
        return structured.check(name, spec, response)
    if name in ("contains", "not_contains", "regex", "equals"):
        return text.check_text(name, spec, response)
    if name == "tool_called":
        return tools.check_called(spec, response)
    if name == "tool_not_called":
        return tools.check_not_called(spec, response)
    if name == "tool_order":
        return tools.check_order(spec, response)
    if name == "max_latency_ms":
        expected = f"latency <= {spec:g} ms"
        got = f"{response.latency_ms:.0f} ms ({'reported by the agent' if response.latency_source == 'agent' else 'measured by failgate'})"
        return response.latency_ms <= spec, expected, got
    if name == "not_refused":
        return text.check_refusal(spec, response)
    use, plugin_options = spec
    expected = f"judge {use} to pass" + (
        f" {json.dumps(plugin_options, sort_keys=True, default=str)}" if plugin_options else ""
    )
    try:
        verdict = run_judge(load_judge(use, options.root), case, response, plugin_options)
    except RuleError as exc:
        return False, expected, str(exc)
    except (Exception, SystemExit) as exc:  # a plugin's bug (or its sys.exit) fails the case, never the run
        return False, expected, f"the judge raised {type(exc).__name__}: {exc}"
    return verdict.passed, expected, verdict.reason or ("ok" if verdict.passed else "failed (no reason given)")


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
    results = []
    # A pattern that backtracks without end must not hang eval and the gate:
    # each match has text.REGEX_BUDGET_S, the whole case CASE_BUDGET_S.
    deadline = time.monotonic() + CASE_BUDGET_S
    text.set_deadline(deadline)
    try:
        for index, (name, spec) in enumerate(parsed):
            if name == "llm_rubric" and deferred is not None:

                def later(index: int = index, spec: Any = spec) -> RuleResult:
                    passed, expected, got = _evaluate("llm_rubric", spec, case, response, options, fresh)
                    return RuleResult(index, "llm_rubric", bool(passed), expected, got)

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
                    versions[use] = load_judge(use, options.root).version
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
