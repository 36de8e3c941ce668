"""Tool-call rules: tool_called, tool_not_called, tool_order.

Semantics:

- Tool names compare exactly (case-sensitive).
- `args` is a subset match: every key written in the rule must be present in
  the call's arguments with a matching value; the call may carry more keys.
  Nested mappings match the same way (subset, recursively); lists match
  element by element with the same length (and subset matching for mappings
  inside them); scalars compare equal with their types: "8812" does not match
  8812 and true does not match 1, but 1 matches 1.0.
- `tool_called` counts the calls with that name whose arguments match `args`.
  `times: N` wants exactly N; `min`/`max` bound the count (inclusive); with
  none of them, at least one call is wanted.
- `tool_not_called` wants zero such calls (with `args`, zero calls with
  matching arguments: other calls of the tool are allowed).
- `tool_order` wants its tool names to appear as a subsequence of the calls,
  in order, other calls allowed before, between and after.
- `tool_called` is always a mapping (`{name: ...}`); `tool_not_called` may be
  a bare tool name (schemas/cases.schema.json).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from failgate.eval.judge.response import Response, ToolCall
from failgate.eval.judge.text import RuleError


@dataclasses.dataclass(frozen=True)
class CallSpec:
    name: str
    args: Mapping[str, Any] | None = None
    times: int | None = None
    min: int | None = None
    max: int | None = None

    def describe(self) -> str:
        text = self.name
        if self.args is not None:
            text += f" with args including {_render(self.args)}"
        return text


def _render(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _count(value: Any, key: str, rule: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RuleError(f"{rule}.{key} must be an integer >= 0, got {value!r}")
    return value


def parse_call(rule: str, value: Any, *, counts: bool, bare_name: bool = True) -> CallSpec:
    if bare_name and isinstance(value, str) and value.strip():
        return CallSpec(value)
    if not isinstance(value, Mapping):
        wanted = "a tool name or a mapping with 'name'" if bare_name else "a mapping with 'name'"
        raise RuleError(f"{rule} needs {wanted}, got {value!r}")
    allowed = {"name", "args"} | ({"times", "min", "max"} if counts else set())
    unknown = set(value) - allowed
    if unknown:
        raise RuleError(f"{rule} has unknown option(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
    name = value.get("name")
    if not isinstance(name, str) or not name:
        raise RuleError(f"{rule} needs 'name': a tool name, got {name!r}")
    args = value.get("args")
    if args is not None and not isinstance(args, Mapping):
        raise RuleError(f"{rule}.args must be a mapping of argument names to values, got {args!r}")
    spec = CallSpec(
        name,
        args,
        _count(value.get("times"), "times", rule),
        _count(value.get("min"), "min", rule),
        _count(value.get("max"), "max", rule),
    )
    if spec.times is not None and (spec.min is not None or spec.max is not None):
        raise RuleError(f"{rule}: use either 'times' or 'min'/'max', not both")
    if spec.min is not None and spec.max is not None and spec.min > spec.max:
        raise RuleError(f"{rule}: min ({spec.min}) is greater than max ({spec.max})")
    return spec


def parse_order(value: Any) -> tuple[CallSpec, ...]:
    if not isinstance(value, list) or not value:
        raise RuleError(f"tool_order needs a non-empty list of tool names, got {value!r}")
    if not all(isinstance(item, str) and item.strip() for item in value):
        raise RuleError(f"tool_order items must be tool names, got {value!r}")
    return tuple(CallSpec(item) for item in value)


def args_mismatch(expected: Any, actual: Any, path: str = "args") -> str | None:
    """None when `actual` matches `expected` as documented above, else where it differs."""
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return f"{path}: expected a mapping, got {_render(actual)}"
        for key, want in expected.items():
            if key not in actual:
                return f"{path}.{key} missing"
            problem = args_mismatch(want, actual[key], f"{path}.{key}")
            if problem:
                return problem
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return f"{path}: expected {_render(expected)}, got {_render(actual)}"
        for i, (want, got) in enumerate(zip(expected, actual)):
            problem = args_mismatch(want, got, f"{path}[{i}]")
            if problem:
                return problem
        return None
    same_kind = (isinstance(expected, bool) == isinstance(actual, bool)) and (
        type(expected) is type(actual) or (isinstance(expected, (int, float)) and isinstance(actual, (int, float)))
    )
    if same_kind and expected == actual:
        return None
    return f"{path}: expected {_render(expected)}, got {_render(actual)}"


def _matches(spec: CallSpec, call: ToolCall) -> bool:
    return call.name == spec.name and (spec.args is None or args_mismatch(spec.args, call.arguments) is None)


def _calls_text(calls: Sequence[ToolCall]) -> str:
    if not calls:
        return "no tool calls"
    return "calls: " + ", ".join(c.describe() for c in calls)


def _near_miss(spec: CallSpec, calls: Sequence[ToolCall]) -> str:
    same_name = [c for c in calls if c.name == spec.name]
    if spec.args is None or not same_name:
        return ""
    return f" ({spec.name} was called, but {args_mismatch(spec.args, same_name[0].arguments)})"


def check_called(spec: CallSpec, response: Response) -> tuple[bool, str, str]:
    count = sum(1 for c in response.tool_calls if _matches(spec, c))
    if spec.times is not None:
        bound, ok = f"exactly {spec.times} time(s)", count == spec.times
    elif spec.min is not None or spec.max is not None:
        low, high = spec.min or 0, spec.max
        bound = f"between {low} and {high} times" if high is not None else f"at least {low} time(s)"
        ok = count >= low and (high is None or count <= high)
    else:
        bound, ok = "at least once", count >= 1
    expected = f"{spec.describe()} called {bound}"
    got = f"{count} matching call(s); {_calls_text(response.tool_calls)}"
    if not ok and count == 0:
        got += _near_miss(spec, response.tool_calls)
    return ok, expected, got


def check_not_called(spec: CallSpec, response: Response) -> tuple[bool, str, str]:
    hits = [c for c in response.tool_calls if _matches(spec, c)]
    expected = f"{spec.describe()} never called"
    if not hits:
        return True, expected, "ok"
    return False, expected, f"{len(hits)} call(s): " + ", ".join(c.describe() for c in hits)


def check_order(specs: Sequence[CallSpec], response: Response) -> tuple[bool, str, str]:
    expected = "tool calls in order " + " -> ".join(s.describe() for s in specs) + " (others may be interleaved)"
    position = 0
    for call in response.tool_calls:
        if position < len(specs) and _matches(specs[position], call):
            position += 1
    if position == len(specs):
        return True, expected, "ok"
    names = " -> ".join(c.name for c in response.tool_calls) or "no tool calls"
    return False, expected, f"{names} (stopped before {specs[position].describe()})"
