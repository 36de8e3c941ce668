"""Rules over what a reply carries besides its text: retrieval, structure, usage. Pure.

- `retrieved_contains: kb-123` / `retrieved_not_contains: kb-999`: the
  response's `retrieved` list (what the agent's retriever returned) has / has
  not this item. An item is an id (a string without whitespace, or a
  mapping's `id`), matched exactly, or a text (a string with whitespace, or a
  mapping's `text`/`content`), matched as a substring. A response without
  `retrieved` fails `retrieved_contains` and says so (the retrieval_miss mode
  cannot be judged from a reply that does not report retrieval).
- `json_schema: {...}`: the final text parses as JSON and matches the
  draft-07 schema (jsonschema, already a dependency; a ``` fence around the
  JSON is not accepted: a structured-output contract means bare JSON). The
  schema is held to every rule's limits (`schema_rules`): no remote `$ref`,
  no `$ref` cycle, patterns under the regex time budget.
- `tool_args_schema: {name: ..., schema: {...}}`: every call of that tool has
  arguments matching the schema; no call at all fails.
- `max_tokens: N` / `max_cost_usd: X`: the response's `usage` reports at most
  that many tokens (`total_tokens`, else input + output) / that cost
  (`usage.cost_usd` or `cost_usd`). A response that reports no usage fails:
  a budget that cannot be read is not met.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from failgate.eval.judge.response import Response
from failgate.eval.judge.text import RuleError


def _validator(schema: Mapping[str, Any]) -> Any:
    from failgate.eval.judge.schema_rules import validator_for

    return validator_for(schema)


def parse(name: str, value: Any) -> Any:
    if name in ("retrieved_contains", "retrieved_not_contains"):
        if not isinstance(value, str) or not value:
            raise RuleError(f"{name} needs a non-empty string (a document id or a text), got {value!r}")
        return value
    if name == "json_schema":
        if not isinstance(value, Mapping):
            raise RuleError(f"json_schema needs a JSON Schema (a mapping), got {value!r}")
        _validator(value)
        return dict(value)
    if name == "tool_args_schema":
        if (
            not isinstance(value, Mapping)
            or set(value) != {"name", "schema"}
            or not isinstance(value["name"], str)
            or not value["name"]
            or not isinstance(value["schema"], Mapping)
        ):
            raise RuleError(f"tool_args_schema needs {{name: tool, schema: {{...}}}}, got {value!r}")
        _validator(value["schema"])
        return value["name"], dict(value["schema"])
    if name == "max_tokens":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise RuleError(f"max_tokens needs a whole number >= 1, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise RuleError(f"max_cost_usd needs a number > 0, got {value!r}")
    return float(value)


def _item_matches(item: Any, needle: str) -> bool:
    if isinstance(item, str):
        return item == needle if not any(c.isspace() for c in item) else needle in item
    if isinstance(item, Mapping):
        if item.get("id") == needle:
            return True
        text = item.get("text", item.get("content"))
        return isinstance(text, str) and needle in text
    return False


def _describe_retrieved(items: tuple[Any, ...]) -> str:
    names = [i if isinstance(i, str) else str(i.get("id", "?")) if isinstance(i, Mapping) else repr(i) for i in items]
    shown = ", ".join(n if len(n) <= 40 else n[:37] + "..." for n in names[:8])
    return f"retrieved [{shown}{', ...' if len(names) > 8 else ''}]"


def _first_errors(validator: Any, instance: Any) -> str:
    from failgate.eval.judge.schema_rules import first_error

    return first_error(validator, instance)


def tokens_used(usage: Mapping[str, Any]) -> float | None:
    def number(key: str) -> float | None:
        value = usage.get(key)
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    total = number("total_tokens")
    if total is not None:
        return total
    parts = [number("prompt_tokens") or number("input_tokens"), number("completion_tokens") or number("output_tokens")]
    return sum(p for p in parts if p is not None) if any(p is not None for p in parts) else None


def check(name: str, spec: Any, response: Response) -> tuple[bool, str, str]:
    if name in ("retrieved_contains", "retrieved_not_contains"):
        present = response.retrieved is not None
        hit = present and any(_item_matches(item, spec) for item in response.retrieved or ())
        got = _describe_retrieved(response.retrieved or ()) if present else "no 'retrieved' in the response"
        if name == "retrieved_contains":
            return bool(hit), f"{spec!r} among the retrieved items", got
        return present and not hit, f"{spec!r} not among the retrieved items", got
    if name == "json_schema":
        from failgate.dataset.jsonstrict import JsonLineError, loads_line

        try:
            document = loads_line(response.output, strict=False)  # the depth and integer limits of every reader
        except JsonLineError as exc:
            where = f" at column {exc.col}" if exc.col else ""
            return False, "the final text is JSON matching the schema", f"not JSON ({exc.message}{where})"
        problem = _first_errors(_validator(spec), document)
        return not problem, "the final text is JSON matching the schema", problem or "matches"
    if name == "tool_args_schema":
        tool, schema = spec
        calls = [c for c in response.tool_calls if c.name == tool]
        expected = f"every {tool} call's arguments match the schema"
        if not calls:
            return False, expected, f"no call to {tool}"
        for index, call in enumerate(calls, 1):
            problem = _first_errors(_validator(schema), dict(call.arguments))
            if problem:
                return False, expected, f"call {index} of {len(calls)}: {problem}"
        return True, expected, f"{len(calls)} call(s) match"
    usage = response.usage
    if name == "max_tokens":
        used = tokens_used(usage) if usage is not None else None
        if used is None:
            return False, f"at most {spec} tokens", "the response reports no token usage"
        return used <= spec, f"at most {spec} tokens", f"{used:g} tokens"
    cost = usage.get("cost_usd") if usage is not None else None
    if cost is None:
        cost = response.raw.get("cost_usd")
    if isinstance(cost, bool) or not isinstance(cost, (int, float)):
        return False, f"cost at most ${spec:g}", "the response reports no cost_usd"
    return cost <= spec, f"cost at most ${spec:g}", f"${cost:g}"
