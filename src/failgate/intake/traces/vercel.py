"""Runs recorded by the Vercel AI SDK's telemetry (`experimental_telemetry`), over OTLP.

The SDK writes its own `ai.*` attributes (AI SDK docs, "Telemetry"):

- `ai.generateText` / `ai.streamText` / `ai.generateObject` (the call, usually
  the root): `ai.prompt` (JSON `{"system", "prompt", "messages"}`),
  `ai.response.text`, `ai.response.toolCalls` (JSON list of `{toolName,
  args | input}`);
- `ai.generateText.doGenerate` (each provider call): `ai.prompt.messages`
  (JSON list of messages whose `content` is text or `{type: "text", text}`
  parts), `ai.response.text`, `ai.response.toolCalls`;
- `ai.toolCall` (each tool run): `ai.toolCall.name`, `ai.toolCall.args`
  (`ai.toolCall.input` in SDK 5), `ai.toolCall.result` / `.output`; an error
  status is a tool error.

Input: the user turns of the call with the most of them; output: the root's
`ai.response.text`, else the last provider call's; tool calls: `ai.toolCall`
spans, else the `ai.response.toolCalls` the model asked for.
"""

from __future__ import annotations

from typing import Any

from failgate.intake.traces.conventions import BY_FAMILY
from failgate.intake.traces.model import UNKNOWN_INTENT, Trace, feedback_of, parse_time
from failgate.intake.traces.shapes import arguments_of, decoded, input_from, user_turns
from failgate.intake.traces.spans import Span, duration_ms

# Where the AI SDK keeps each fact: its entry of the conventions table.
_AI = BY_FAMILY["vercel-ai"]
RESPONSE = _AI.response[0]


def is_vercel(span: Span) -> bool:
    return any(k in span.attrs for k in _AI.marks)


def _is_tool(span: Span) -> bool:
    return any(k in span.attrs for k in _AI.tool_name) or any(span.attrs.get(k) == v for k, v in _AI.tool_kinds)


def _first(span: Span, keys: tuple[str, ...]) -> Any:
    return next((span.attrs[k] for k in keys if k in span.attrs), None)


def _input(spans: list[Span]) -> dict[str, Any]:
    best: list[dict[str, str]] = []
    for span in spans:
        for key in _AI.request_messages + _AI.run_input:
            if key not in span.attrs:
                continue
            value = decoded(span.attrs[key])
            turns = user_turns(value)
            if not turns and isinstance(value, dict) and isinstance(value.get("prompt"), str):
                turns = input_from(value["prompt"]).get("messages", [])
            if len(turns) > len(best):
                best = turns
    return {"messages": best} if best else {}


def _requested_calls(span: Span) -> list[dict[str, Any]]:
    found = decoded(span.attrs.get("ai.response.toolCalls"))
    calls = []
    for call in found if isinstance(found, list) else []:
        if isinstance(call, dict) and isinstance(call.get("toolName"), str):
            calls.append({"name": call["toolName"], "arguments": arguments_of(call.get("args", call.get("input")))})
    return calls


def build(spans: list[Span], path: str) -> Trace | None:
    root = next((s for s in spans if s.is_root), spans[0])
    case_input = _input(spans)
    if not case_input:
        return None
    calls_made = [s for s in spans if s is not root and not _is_tool(s) and RESPONSE in s.attrs]
    output = str(root.attrs.get(RESPONSE) or "")
    if not output and calls_made:
        output = str(calls_made[-1].attrs.get(RESPONSE) or "")
    tools = [s for s in spans if _is_tool(s)]
    tool_calls = (
        [
            {
                "name": str(_first(s, _AI.tool_name) or s.name),
                "arguments": arguments_of(_first(s, _AI.tool_arguments)),
                **({"error": s.error} if s.error else {}),
            }
            for s in tools
        ]
        or [c for s in calls_made for c in _requested_calls(s)]
        or _requested_calls(root)
    )
    error = root.error or next((s.error for s in spans if s.error and not _is_tool(s)), None)
    metadata_intent = root.attrs.get("ai.telemetry.metadata.intent") or root.attrs.get("failgate.intent")
    verdict, comment = feedback_of(decoded(root.attrs.get("ai.telemetry.metadata.feedback")))
    start = min((s.start_ns for s in spans if s.start_ns), default=None)
    return Trace(
        trace_id=root.trace_id,
        input=case_input,
        output=output,
        tool_calls=tool_calls,
        latency_ms=duration_ms(spans),
        error=error,
        feedback=verdict,
        feedback_comment=comment,
        intent=str(metadata_intent or UNKNOWN_INTENT),
        timestamp=parse_time(start),
        where=f"{path}:{root.line}",
    )
