"""One run from OpenInference spans (Phoenix, Arize): the builder every span reader hands its
assembler when a trace's spans carry `openinference.span.kind` (`genai.build` dispatches).

Kept apart from the reader (`openinference`), which itself hands spans to `genai.build`: the
reader depends on the dispatcher, the dispatcher on this builder, and nothing depends back.
"""

from __future__ import annotations

from typing import Any

from failgate.intake.traces.conventions import BY_FAMILY
from failgate.intake.traces.model import UNKNOWN_INTENT, Trace, feedback_of, parse_time
from failgate.intake.traces.shapes import arguments_of, decoded, history_calls, input_from, reply_text, text_of
from failgate.intake.traces.spans import Span, duration_ms, indexed

_OI = BY_FAMILY["openinference"]
# Where OpenInference keeps each fact: its entry of the conventions table.
RUN_INPUT, RUN_OUTPUT = _OI.run_input[0], _OI.run_output[0]
REQUEST, RESPONSE = _OI.request_messages[0], _OI.response[0]
TOOL_NAME, TOOL_ARGUMENTS = _OI.tool_name[0], _OI.tool_arguments[0]


def _kind(span: Span) -> str:
    return str(span.attrs.get("openinference.span.kind", ""))


def _messages(span: Span, key: str) -> list[dict[str, Any]]:
    out = []
    for item in indexed(span.attrs, key):
        message = {k.removeprefix("message."): v for k, v in item.items()}
        if message.get("content") in (None, ""):  # the list form: contents.M.message_content.text
            parts = [
                p.get("message_content.text")
                for p in indexed(message, "contents")
                if p.get("message_content.type", "text") == "text"
            ]
            message["content"] = "\n".join(str(p) for p in parts if p)
        out.append(message)
    return out


def _input(root: Span, llms: list[Span]) -> dict[str, Any]:
    if RUN_INPUT in root.attrs and _kind(root) != "LLM":
        found = input_from(root.attrs[RUN_INPUT])
        if found:
            return found
    best: list[dict[str, str]] = []
    for span in llms:
        turns = [
            {"role": "user", "content": text_of(m.get("content"))}
            for m in _messages(span, REQUEST)
            if m.get("role") == "user" and m.get("content")
        ]
        if len(turns) > len(best):
            best = turns
    if best:
        return {"messages": best}
    return input_from(root.attrs.get(RUN_INPUT))


def _calls_from_llm(span: Span) -> list[dict[str, Any]]:
    calls = []
    for message in indexed(span.attrs, RESPONSE):
        for call in indexed({k.removeprefix("message."): v for k, v in message.items()}, "tool_calls"):
            name = call.get("tool_call.function.name")
            if name:
                calls.append({"name": str(name), "arguments": arguments_of(call.get("tool_call.function.arguments"))})
    return calls


def _llm_calls(llms: list[Span]) -> list[dict[str, Any]]:
    """Without TOOL spans: the calls of the conversation, i.e. the assistant turns in the
    longest LLM input (the last call sees all earlier ones), then what each LLM asked for."""
    if not llms:
        return []
    longest = max(llms, key=lambda s: len(indexed(s.attrs, REQUEST)))
    earlier = []
    for message in indexed(longest.attrs, REQUEST):
        message = {k.removeprefix("message."): v for k, v in message.items()}
        if message.get("role") == "assistant":
            for call in indexed(message, "tool_calls"):
                if call.get("tool_call.function.name"):
                    earlier.append(
                        {
                            "name": str(call["tool_call.function.name"]),
                            "arguments": arguments_of(call.get("tool_call.function.arguments")),
                        }
                    )
    if not earlier:  # no flattened messages: the request JSON in input.value (GenAI parts or OpenAI shape)
        earlier = history_calls(longest.attrs.get(RUN_INPUT))
    later = [c for s in llms[llms.index(longest) :] for c in _calls_from_llm(s)]
    return earlier + later or [c for s in llms for c in _calls_from_llm(s)]


def build(spans: list[Span], path: str) -> Trace | None:
    root = next((s for s in spans if s.is_root), spans[0])
    llms = [s for s in spans if _kind(s) == "LLM"]
    case_input = _input(root, llms)
    if not case_input:
        return None
    output = reply_text(root.attrs.get(RUN_OUTPUT))
    if not output:
        for span in reversed(llms):
            contents = [m.get("content") for m in _messages(span, RESPONSE) if m.get("content")]
            if contents:
                output = text_of(contents[-1])
                break
    tools = [s for s in spans if _kind(s) == "TOOL"]
    calls = [
        {
            "name": str(s.attrs.get(TOOL_NAME) or s.name),
            "arguments": arguments_of(s.attrs.get(TOOL_ARGUMENTS)),
            **({"error": s.error} if s.error else {}),
        }
        for s in tools
    ] or _llm_calls(llms)
    steps = _steps(spans)
    metadata = decoded(root.attrs.get("metadata"))
    metadata = metadata if isinstance(metadata, dict) else {}
    intent = metadata.get("intent") or root.attrs.get("failgate.intent") or UNKNOWN_INTENT
    feedback, comment = feedback_of(metadata.get("feedback", root.attrs.get("failgate.feedback")))
    tags = [v for k, v in root.attrs.items() if k.startswith("tag.tags")]
    tags = tags[0] if len(tags) == 1 and isinstance(tags[0], list) else tags
    error = root.error or next((s.error for s in llms if s.error), None)
    start = min((s.start_ns for s in spans if s.start_ns), default=None)
    return Trace(
        trace_id=root.trace_id,
        input=case_input,
        output=output,
        tool_calls=calls,
        latency_ms=duration_ms(spans),
        error=error,
        feedback=feedback,
        feedback_comment=comment,
        intent=str(intent),
        timestamp=parse_time(start),
        tags=tuple(str(t) for t in tags),
        steps=steps,
        where=f"{path}:{root.line}",
    )


def _steps(spans: list[Span]) -> list[dict[str, Any]]:
    """The model turns (LLM spans) and tool results (TOOL spans) in order, for replay."""
    steps: list[dict[str, Any]] = []
    for span in spans:
        if _kind(span) == "LLM":
            contents = [m.get("content") for m in _messages(span, RESPONSE) if m.get("content")]
            steps.append(
                {
                    "kind": "model",
                    "name": span.name,
                    "output": text_of(contents[-1]) if contents else "",
                    "tool_calls": _calls_from_llm(span),
                }
            )
        elif _kind(span) == "TOOL":
            step = {
                "kind": "tool",
                "name": str(span.attrs.get(TOOL_NAME) or span.name),
                "arguments": arguments_of(span.attrs.get(TOOL_ARGUMENTS)),
                "result": decoded(span.attrs.get(_OI.tool_result[0])),
            }
            if span.error:
                step["error"] = span.error
            steps.append(step)
    return steps
