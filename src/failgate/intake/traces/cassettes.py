"""A run's cassette from its trace: the tool and model interactions, in order, as replay needs them.

The trace exports teams already have hold what a recording would: each
inference span (OpenTelemetry GenAI, OpenInference) or GENERATION observation
(Langfuse) carries the messages sent and the answer, each tool span or TOOL
observation the call's arguments and its result or error. Built here for every
format the readers understand; the pipeline redacts it like the rest of the
trace, and `ingest` writes it beside the review file. An interaction a trace
records only partly (a tool span without its arguments) is kept as far as it
goes; the cassette schema is checked before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from failgate.intake.traces.shapes import arguments_of, decoded, reply_text, role_of, text_of, tool_calls_in
from failgate.intake.traces.spans import Span, indexed


def _message(raw: Any) -> dict[str, Any] | None:
    """A message as the replay compares it: role, text, and the tool calls it made."""
    if isinstance(raw, str):
        return {"role": "user", "content": raw}
    if not isinstance(raw, Mapping):
        return None
    role = role_of(raw) or str(raw.get("role") or "")
    content = raw.get("content", raw.get("parts"))
    message: dict[str, Any] = {"role": role, "content": text_of(content) if not isinstance(content, str) else content}
    calls = tool_calls_in(raw)
    if calls:
        message["tool_calls"] = calls
    return message


def _messages(value: Any) -> list[dict[str, Any]]:
    value = decoded(value)
    if isinstance(value, str):
        return [{"role": "user", "content": value}] if value else []
    if isinstance(value, Mapping):
        for key in ("messages", "input"):
            if isinstance(value.get(key), list):
                return _messages(value[key])
        one = _message(value)
        return [one] if one else []
    if isinstance(value, list):
        return [m for m in (_message(item) for item in value) if m]
    return []


def _model(messages: list[dict[str, Any]], output: Any, model: Any, usage: dict[str, Any]) -> dict[str, Any] | None:
    if not messages:
        return None
    request: dict[str, Any] = {"messages": messages}
    if isinstance(model, str) and model:
        request["model"] = model
    text = reply_text(output)
    response: dict[str, Any] = {"text": text or None, "tool_calls": tool_calls_in(output)}
    if usage:
        response["usage"] = usage
    return {"type": "model", "api": "generic", "request": request, "response": response}


def _tool(name: Any, arguments: Any, result: Any, error: str | None) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "tool", "name": str(name or "?"), "arguments": arguments_of(arguments)}
    if error:
        item["error"] = {"type": "Error", "message": str(error)}
    elif result is not None:
        item["result"] = decoded(result)
    return item


# -- OpenTelemetry GenAI and OpenInference spans ----------------------------------------------
def _openinference_messages(attrs: Mapping[str, Any], prefix: str) -> list[dict[str, Any]]:
    found = []
    for group in indexed(dict(attrs), prefix):
        parts = indexed(group, "message.contents")
        content = group.get("message.content")
        if content is None and parts:
            content = "".join(str(p.get("message_content.text") or "") for p in parts)
        message: dict[str, Any] = {"role": str(group.get("message.role") or ""), "content": content or ""}
        calls = [
            {"name": c.get("tool_call.function.name"), "arguments": arguments_of(c.get("tool_call.function.arguments"))}
            for c in indexed(group, "message.tool_calls")
            if c.get("tool_call.function.name")
        ]
        if calls:
            message["tool_calls"] = calls
        found.append(message)
    return found


def _vercel_interaction(span: Span) -> dict[str, Any] | None:
    """The AI SDK's provider calls (`ai.*.doGenerate`/`doStream`) and tool runs (`ai.toolCall`)."""
    from failgate.intake.traces.vercel import _is_tool, _requested_calls

    a = span.attrs
    if _is_tool(span):
        arguments = a.get("ai.toolCall.args", a.get("ai.toolCall.input"))
        result = a.get("ai.toolCall.result", a.get("ai.toolCall.output"))
        return _tool(a.get("ai.toolCall.name"), arguments, result, span.error)
    operation = str(a.get("ai.operationId") or span.name)
    if not operation.endswith((".doGenerate", ".doStream")):
        return None  # the outer generateText span repeats what its provider calls hold
    messages = _messages(a.get("ai.prompt.messages"))
    if not messages:
        return None
    text = a.get("ai.response.text")
    request: dict[str, Any] = {"messages": messages}
    if isinstance(a.get("ai.model.id"), str):
        request["model"] = a["ai.model.id"]
    response = {"text": text if isinstance(text, str) and text else None, "tool_calls": _requested_calls(span)}
    return {"type": "model", "api": "generic", "request": request, "response": response}


def _span_interaction(span: Span) -> dict[str, Any] | None:
    from failgate.intake.traces.genai import _is_model, _is_tool, _View
    from failgate.intake.traces.vercel import is_vercel

    a = span.attrs
    if is_vercel(span):
        return _vercel_interaction(span)
    kind = a.get("openinference.span.kind")
    if kind == "LLM":
        messages = _openinference_messages(a, "llm.input_messages") or _messages(a.get("input.value"))
        output: Any = _openinference_messages(a, "llm.output_messages") or a.get("output.value")
        usage = {k: a[f"llm.token_count.{k}"] for k in ("prompt", "completion") if f"llm.token_count.{k}" in a}
        return _model(messages, output, a.get("llm.model_name"), usage)
    if kind == "TOOL":
        return _tool(a.get("tool.name") or span.name, a.get("input.value"), a.get("output.value"), span.error)
    if kind is not None:
        return None
    view = _View(span)  # read through the table of conventions (intake.traces.conventions)
    if _is_tool(view):
        name = a.get("gen_ai.tool.name") or span.name.removeprefix("execute_tool").strip()
        arguments = a.get("gen_ai.tool.call.arguments", a.get("input.value"))
        return _tool(name, arguments, a.get("gen_ai.tool.call.result", a.get("output.value")), span.error)
    if _is_model(view):
        messages = _messages(view.messages("request_messages"))
        system = decoded(a.get("gen_ai.system_instructions"))
        if system:
            messages = [{"role": "system", "content": text_of(system)}, *messages]
        output = view.messages("response")
        usage = {k: a[f"gen_ai.usage.{k}"] for k in ("input_tokens", "output_tokens") if f"gen_ai.usage.{k}" in a}
        return _model(messages, output, a.get("gen_ai.request.model"), usage)
    return None


def from_spans(spans: Iterable[Span]) -> list[dict[str, Any]]:
    """The interactions of one trace's spans (already in start order)."""
    return valid([i for i in (_span_interaction(s) for s in spans) if i])


# -- Langfuse observations ----------------------------------------------------------------------
def from_observations(
    observations: Iterable[Mapping[str, Any]], tool_call: Callable[[Mapping[str, Any]], dict[str, Any]]
) -> list[dict[str, Any]]:
    """The interactions of a Langfuse trace's observations (already in start order); `tool_call` is
    the reader's own reading of a TOOL observation (name, arguments, error)."""

    found = []
    for observation in observations:
        if observation.get("type") == "GENERATION":
            raw_usage = observation.get("usage")
            usage: dict[str, Any] = dict(raw_usage) if isinstance(raw_usage, dict) else {}
            item = _model(
                _messages(observation.get("input")), decoded(observation.get("output")), observation.get("model"), usage
            )
        elif observation.get("type") == "TOOL":
            call = tool_call(observation)
            item = _tool(call["name"], call["arguments"], observation.get("output"), call.get("error"))
        else:
            item = None
        if item:
            found.append(item)
    return valid(found)


# -- failgate's own JSON lines ----------------------------------------------------------------
def from_record(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """`interactions` as a record holds them (cassette lines), else its tool calls that carry a result."""
    given = record.get("interactions")
    if isinstance(given, list):
        return valid([dict(i) for i in given if isinstance(i, Mapping)])
    calls = record.get("tool_calls")
    items = [
        _tool(c.get("name"), c.get("arguments"), c.get("result"), c.get("error"))
        for c in (calls if isinstance(calls, list) else [])
        if isinstance(c, Mapping) and ("result" in c or "error" in c)
    ]
    return valid(items)


def valid(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The interactions that are valid cassette lines; the rest of a partial trace is dropped."""
    from failgate.dataset.schemas import validator_for

    validator = validator_for("cassette")
    return [item for item in items if validator.is_valid(item)]
