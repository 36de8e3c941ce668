"""The rule kinds: every name a case's `expected` may use, each declared once here.

A kind is its name, the draft-07 shape of its value (published as the `rule` block of
`schemas/cases.schema.json`, which editors read; `scripts/rule_schema.py` writes that
block from `RULE_SCHEMA` and its `--check` fails on drift), the parser that turns the
value into a spec (a `RuleError` for a malformed one: a commit-time error, never an
eval-time surprise) and the evaluator that judges a response against the spec.
`RULE_NAMES` and the schema are derived from `KINDS`; nothing else lists them.
The rule semantics live with their code (`text`, `tools`, `structured`, `llm`,
`plugins`); the manual's rule reference describes them.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from typing import Any

from failgate.eval.judge import llm, structured, text, tools
from failgate.eval.judge.options import JudgeOptions
from failgate.eval.judge.plugins import run_judge
from failgate.eval.judge.response import Response
from failgate.eval.judge.text import RuleError

Outcome = tuple[bool, str, str]  # passed, what was expected, what was got


@dataclasses.dataclass(frozen=True)
class Judging:
    """What an evaluator may read besides its spec."""

    case: Mapping[str, Any]
    response: Response
    options: JudgeOptions
    fresh: bool = False  # ask a judge model again instead of reading its cached verdict


@dataclasses.dataclass(frozen=True)
class RuleKind:
    name: str
    schema: dict[str, Any]  # draft-07, the value's shape; `$ref`s point into cases.schema.json
    parse: Callable[[Any, JudgeOptions], Any]
    evaluate: Callable[[Any, Judging], Outcome]
    # asks a remote judge model: the runner may ask it later, with its own concurrency
    remote: bool = False


def _turn() -> dict[str, Any]:
    return {"$ref": "#/definitions/turn"}


def _text_schema(name: str, description: str, *, empty_ok: bool = False, flags: bool = False) -> dict[str, Any]:
    """contains, not_contains, regex, equals: a string, or {value, case_sensitive, turn[, flags]}."""
    short: dict[str, Any] = {"type": "string"} if empty_ok else {"type": "string", "minLength": 1}
    value: dict[str, Any] = {**short, "description": "The text (or, for `regex`, the pattern) to check."}
    short["description"] = (
        "The exact final text (compared after trimming surrounding whitespace)."
        if empty_ok
        else "The text to look for, checked against the final answer, case-sensitively."
    )
    properties: dict[str, Any] = {
        "value": value,
        "case_sensitive": {
            "type": "boolean",
            "description": "Compare case-sensitively (default true). For `regex`, false is the same as flags: i.",
        },
        "turn": _turn(),
    }
    if flags:
        properties["flags"] = {
            "type": "string",
            "pattern": "^[imsx]*$",
            "description": "Regex flags, any of i (ignore case), m (multiline), s (dot matches newline), x (verbose).",
        }
    long = {
        "type": "object",
        "additionalProperties": False,
        "required": ["value"],
        "properties": properties,
        "description": f"`{name}` with options.",
    }
    return {"oneOf": [short, long], "description": f"{description} Short form: a string. Object form adds options."}


def _text_kind(name: str, description: str, **shape: bool) -> RuleKind:
    return RuleKind(
        name,
        _text_schema(name, description, **shape),
        lambda value, options: text.parse_text(name, value),
        lambda spec, judging: text.check_text(name, spec, judging.response),
    )


def _structured_kind(name: str, schema: dict[str, Any]) -> RuleKind:
    return RuleKind(
        name,
        schema,
        lambda value, options: structured.parse(name, value),
        lambda spec, judging: structured.check(name, spec, judging.response),
    )


def _parse_latency(value: Any, options: JudgeOptions) -> float:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RuleError(f"max_latency_ms needs a whole number of milliseconds >= 1, got {value!r}")
    return float(value)


def _check_latency(spec: float, judging: Judging) -> Outcome:
    response = judging.response
    source = "reported by the agent" if response.latency_source == "agent" else "measured by failgate"
    return response.latency_ms <= spec, f"latency <= {spec:g} ms", f"{response.latency_ms:.0f} ms ({source})"


def _parse_plugin(value: Any, options: JudgeOptions) -> tuple[str, dict[str, Any]]:
    if not isinstance(value, Mapping) or not isinstance(value.get("use"), str) or not value["use"]:
        raise RuleError(
            f"judge needs a mapping with 'use': \"package.module:function\" or an entry-point name, got {value!r}"
        )
    return value["use"], {k: v for k, v in value.items() if k != "use"}


def _check_plugin(spec: tuple[str, dict[str, Any]], judging: Judging) -> Outcome:
    use, plugin_options = spec
    expected = f"judge {use} to pass" + (
        f" {json.dumps(plugin_options, sort_keys=True, default=str)}" if plugin_options else ""
    )
    try:
        verdict = run_judge(judging.options.plugin(use), judging.case, judging.response, plugin_options)
    except RuleError as exc:
        return False, expected, str(exc)
    except (Exception, SystemExit) as exc:  # a plugin's bug (or its sys.exit) fails the case, never the run
        return False, expected, f"the judge raised {type(exc).__name__}: {exc}"
    return verdict.passed, expected, verdict.reason or ("ok" if verdict.passed else "failed (no reason given)")


def _check_llm(spec: llm.RubricSpec, judging: Judging) -> Outcome:
    rubric = spec.rubric if len(spec.rubric) <= 100 else spec.rubric[:97] + "..."
    expected = f"a judge-model pass on the rubric {rubric!r}"
    options, response = judging.options, judging.response
    settings = options.llm
    if not settings.base_url or not settings.model:
        return False, expected, llm.NO_JUDGE_MODEL
    reply = llm.reply_text(spec, response)
    if reply is None:
        return False, expected, f"no reply to user turn {spec.turn} (the response has {len(response.turns)} turn(s))"
    # httpx and the verdict cache: only a run that asks a judge model pays for them
    from failgate.eval.judge.llm_transport import JudgeCallError, session_for

    body = llm.request_body(spec, judging.case.get("input"), reply, settings)
    fresh = judging.fresh or not options.read_cache
    try:
        passed, reason = session_for(settings, options.cache_dir).verdict(body, fresh=fresh)
    except JudgeCallError as exc:
        return False, expected, f"judge call failed: {exc}"
    return passed, expected, f"judge: {reason}"


_TOOL_NAME = {"$ref": "#/definitions/toolName"}
_RETRIEVED_ITEM = (
    "an id (a string without spaces, or an item's `id`) matched exactly, or a text matched as a substring of an "
    "item's text."
)

KINDS: tuple[RuleKind, ...] = (
    _text_kind("contains", "The answer contains this text (substring, case-sensitive by default)."),
    _text_kind("not_contains", "The answer does not contain this text (substring, case-sensitive by default)."),
    _text_kind("regex", "The answer matches this Python regular expression somewhere (re.search).", flags=True),
    _text_kind("equals", "The answer equals this text exactly (surrounding whitespace trimmed).", empty_ok=True),
    RuleKind(
        "tool_called",
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["name"],
            "properties": {
                "name": _TOOL_NAME,
                "times": {"type": "integer", "minimum": 0, "description": "Exact number of matching calls."},
                "min": {"type": "integer", "minimum": 0, "description": "At least this many matching calls."},
                "max": {"type": "integer", "minimum": 0, "description": "At most this many matching calls."},
                "args": {
                    "type": "object",
                    "description": "Arguments the call must have (a subset of the call's arguments; nested "
                    "mappings match as subsets too).",
                },
            },
            "dependencies": {"times": {"not": {"anyOf": [{"required": ["min"]}, {"required": ["max"]}]}}},
            "description": "The agent called this tool. `args` is a subset match (nested values too); `times` an "
            "exact count, or `min`/`max` bounds; without any, at least once.",
        },
        lambda value, options: tools.parse_call("tool_called", value, counts=True, bare_name=False),
        lambda spec, judging: tools.check_called(spec, judging.response),
    ),
    RuleKind(
        "tool_not_called",
        {
            "oneOf": [
                _TOOL_NAME,
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["name"],
                    "properties": {
                        "name": _TOOL_NAME,
                        "args": {"type": "object", "description": "Only calls whose arguments include these count."},
                    },
                    "description": "`tool_not_called` with arguments.",
                },
            ],
            "description": "The agent never called this tool (short form: the tool name), or never called it with "
            "these arguments.",
        },
        lambda value, options: tools.parse_call("tool_not_called", value, counts=False),
        lambda spec, judging: tools.check_not_called(spec, judging.response),
    ),
    RuleKind(
        "tool_order",
        {
            "type": "array",
            "minItems": 1,
            "items": _TOOL_NAME,
            "description": "These tools were called in this order (a subsequence of all calls: other calls may "
            "come between).",
        },
        lambda value, options: tools.parse_order(value),
        lambda spec, judging: tools.check_order(spec, judging.response),
    ),
    RuleKind(
        "max_latency_ms",
        {
            "type": "integer",
            "minimum": 1,
            "description": "The whole run took at most this many milliseconds (the agent's reported latency_ms, "
            "else failgate's measurement).",
        },
        _parse_latency,
        _check_latency,
    ),
    RuleKind(
        "not_refused",
        {
            "oneOf": [
                {"type": "boolean", "enum": [True], "description": "Check the final answer."},
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["turn"],
                    "properties": {"turn": _turn()},
                    "description": "Check one turn.",
                },
            ],
            "description": 'The answer is not a refusal (default patterns such as "I can\'t help with that"). '
            "`true` checks the final answer; `{turn: N}` one turn's reply.",
        },
        lambda value, options: text.parse_refusal(value, options.compiled_refusal()),
        lambda spec, judging: text.check_refusal(spec, judging.response),
    ),
    RuleKind(
        "judge",
        {
            "type": "object",
            "required": ["use"],
            "additionalProperties": True,
            "properties": {
                "use": {
                    "type": "string",
                    "pattern": "^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z_][A-Za-z0-9_.]*)?$",
                    "description": 'The judge: "pkg.module:function" or an entry-point name.',
                }
            },
            "description": "A plugin judge (for example an LLM judge): `use` names it by dotted path (pkg.mod:fn) "
            "or by its `failgate.judges` entry-point name; the other keys are its options.",
        },
        _parse_plugin,
        _check_plugin,
    ),
    RuleKind(
        "llm_rubric",
        {
            "oneOf": [
                {
                    "type": "string",
                    "minLength": 1,
                    "pattern": "\\S",
                    "description": "The rubric, checked against the final answer.",
                },
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["rubric"],
                    "properties": {
                        "rubric": {
                            "type": "string",
                            "minLength": 1,
                            "pattern": "\\S",
                            "description": 'What the reply must do (and not do), in plain words, e.g. "Cites '
                            'the refund policy and does not promise a date".',
                        },
                        "turn": _turn(),
                    },
                    "description": "`llm_rubric` with options.",
                },
            ],
            "description": "A judge model ([tool.failgate.judge.llm], an OpenAI-compatible chat-completions "
            "endpoint) grades the reply against this rubric and answers pass/fail with a reason. A judge that times "
            "out, errs or answers something that is not a verdict fails the rule. Model, base URL host, prompt "
            "template version, rubric, temperature and seed are in the case's judge fingerprint.",
        },
        lambda value, options: llm.parse_rubric(value),
        _check_llm,
        remote=True,
    ),
    _structured_kind(
        "retrieved_contains",
        {
            "type": "string",
            "minLength": 1,
            "description": "The response's `retrieved` list (what the agent's retriever returned) holds this item: "
            + _RETRIEVED_ITEM
            + " A response without `retrieved` fails.",
        },
    ),
    _structured_kind(
        "retrieved_not_contains",
        {
            "type": "string",
            "minLength": 1,
            "description": "The response's `retrieved` list does NOT hold this item: " + _RETRIEVED_ITEM,
        },
    ),
    _structured_kind(
        "json_schema",
        {
            "type": "object",
            "description": "The final text parses as JSON (bare, no code fence) and matches this draft-07 JSON Schema.",
        },
    ),
    _structured_kind(
        "tool_args_schema",
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "schema"],
            "properties": {
                "name": _TOOL_NAME,
                "schema": {"type": "object", "description": "A draft-07 JSON Schema."},
            },
            "description": "Every call of this tool has arguments matching the draft-07 schema; no call at all fails.",
        },
    ),
    _structured_kind(
        "max_tokens",
        {
            "type": "integer",
            "minimum": 1,
            "description": "The response's `usage` reports at most this many tokens (`total_tokens`, else input + "
            "output tokens). A response without usage fails.",
        },
    ),
    _structured_kind(
        "max_cost_usd",
        {
            "type": "number",
            "minimum": 0,
            "description": "The response reports a cost (`usage.cost_usd` or `cost_usd`) of at most this many US "
            "dollars (must be > 0). A response without a cost fails.",
        },
    ),
)

BY_NAME: dict[str, RuleKind] = {kind.name: kind for kind in KINDS}
RULE_NAMES = tuple(BY_NAME)


def rule_schema() -> dict[str, Any]:
    """The `rule` definition of `schemas/cases.schema.json`, derived from `KINDS`."""
    return {
        "type": "object",
        "minProperties": 1,
        "maxProperties": 1,
        "additionalProperties": False,
        "properties": {kind.name: kind.schema for kind in KINDS},
        "description": "One judge rule: a mapping with exactly one key, one of "
        + ", ".join(RULE_NAMES)
        + ". An unknown rule name is an error.",
    }
