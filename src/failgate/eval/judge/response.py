"""What an agent answers, checked and normalised once before any rule sees it.

docs/reference/agent-protocol.md: a response carries at least the final text, the tool calls (name +
arguments), per-turn outputs for multi-turn input, and latency. An agent that
answers something else fails its case with a reason that says which field is
wrong; it is never coerced into a pass.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any


class ResponseError(ValueError):
    """The agent's answer does not have the response shape."""


@dataclasses.dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: Mapping[str, Any]

    def describe(self) -> str:
        return f"{self.name}({_short(self.arguments)})"


@dataclasses.dataclass(frozen=True)
class Response:
    output: str  # the final answer (see `parse_response` for how it is chosen)
    tool_calls: tuple[ToolCall, ...] = ()
    turns: tuple[str, ...] = ()  # one reply per user turn, for multi-turn input
    latency_ms: float = 0.0
    latency_source: str = "measured"  # "agent" when the agent reported it
    raw: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    retrieved: tuple[Any, ...] | None = None  # ids/texts the agent retrieved; None: not reported
    usage: Mapping[str, Any] | None = None  # token counts / cost_usd, when reported

    def as_dict(self) -> dict[str, Any]:
        """The plain mapping handed to plugin judges."""
        return {
            "output": self.output,
            "tool_calls": [{"name": c.name, "arguments": dict(c.arguments)} for c in self.tool_calls],
            "turns": list(self.turns),
            "latency_ms": self.latency_ms,
            "retrieved": None if self.retrieved is None else list(self.retrieved),
            "usage": None if self.usage is None else dict(self.usage),
            "raw": dict(self.raw),
        }


def _short(value: Any, limit: int = 120) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _tool_call(index: int, item: Any) -> ToolCall:
    where = f"tool_calls[{index}]"
    if not isinstance(item, Mapping):
        raise ResponseError(f"{where} must be a mapping with 'name' and 'arguments', got {_short(item)}")
    name = item.get("name")
    if not isinstance(name, str) or not name:
        raise ResponseError(f"{where}.name must be a non-empty string, got {_short(name)}")
    arguments = item.get("arguments", {})
    if isinstance(arguments, str):
        # Chat-completion APIs hand arguments over as a JSON string; decode it
        # so that `args` rules compare values, not text.
        from failgate.dataset.jsonstrict import JsonLineError, loads_line

        try:
            arguments = loads_line(arguments, strict=False) if arguments.strip() else {}
        except JsonLineError as exc:
            raise ResponseError(f"{where}.arguments is a string that is not JSON we read: {exc}") from None
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, Mapping):
        raise ResponseError(f"{where}.arguments must be a mapping, got {_short(arguments)}")
    return ToolCall(name, dict(arguments))


def parse_response(raw: Any, measured_ms: float) -> Response:
    """Check an agent's answer and build a Response.

    - A bare string is taken as `{"output": string}` (convenient for simple callables).
    - `output`: the final answer. When absent (or null) and `turns` is given,
      the final answer is the last turn's reply. Neither present is an error.
    - `tool_calls`: a list of `{name, arguments}`; `arguments` may be a JSON string.
    - `turns`: a list of strings, one reply per user turn.
    - `latency_ms`: a number >= 0 reported by the agent; else failgate's own
      wall-clock measurement of the call is used.
    - `retrieved`: a list of ids (strings) or `{id, text}` mappings, for the
      retrieval rules; `usage`: a mapping (`total_tokens`, `cost_usd`, ...).
    Other keys are kept in `raw` for plugin judges.
    """
    if isinstance(raw, str):
        raw = {"output": raw}
    if not isinstance(raw, Mapping):
        raise ResponseError(f'response must be a mapping like {{"output": ...}}, got {_short(raw)}')
    turns_raw = raw.get("turns", [])
    if turns_raw is None:
        turns_raw = []
    if not isinstance(turns_raw, list) or not all(isinstance(t, str) for t in turns_raw):
        raise ResponseError(f"'turns' must be a list of strings, got {_short(turns_raw)}")
    output = raw.get("output")
    if output is None:
        if not turns_raw:
            raise ResponseError(f"response has neither 'output' nor 'turns': {_short(raw)}")
        output = turns_raw[-1]
    if not isinstance(output, str):
        raise ResponseError(f"'output' must be a string, got {_short(output)}")
    calls_raw = raw.get("tool_calls", [])
    if calls_raw is None:
        calls_raw = []
    if not isinstance(calls_raw, list):
        raise ResponseError(f"'tool_calls' must be a list, got {_short(calls_raw)}")
    calls = tuple(_tool_call(i, item) for i, item in enumerate(calls_raw))
    reported = raw.get("latency_ms")
    if reported is not None and (not _is_number(reported) or reported < 0):
        raise ResponseError(f"'latency_ms' must be a number >= 0, got {_short(reported)}")
    if reported is None:
        latency, source = float(measured_ms), "measured"
    else:
        latency, source = float(reported), "agent"
    retrieved = raw.get("retrieved")
    if retrieved is not None and (
        not isinstance(retrieved, list) or not all(isinstance(i, (str, Mapping)) for i in retrieved)
    ):
        raise ResponseError(f"'retrieved' must be a list of ids or {{id, text}} mappings, got {_short(retrieved)}")
    usage = raw.get("usage")
    if usage is not None and not isinstance(usage, Mapping):
        raise ResponseError(f"'usage' must be a mapping (total_tokens, cost_usd, ...), got {_short(usage)}")
    return Response(
        output,
        calls,
        tuple(turns_raw),
        latency,
        source,
        dict(raw),
        None if retrieved is None else tuple(retrieved),
        None if usage is None else dict(usage),
    )
