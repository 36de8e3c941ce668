"""OpenInference span JSON, as Arize Phoenix exports it.

One span per record (JSON Lines, a JSON array, `{"data": [...]}`, or a
mapping of named span lists such as Phoenix's fixtures), in the
shape of Phoenix's span API: `context.trace_id`, `context.span_id`,
`parent_id`, `name`, `span_kind`, `start_time`, `end_time`, `status_code`
(OK / ERROR / UNSET), `status_message`, `attributes`. Attributes may be
nested (`{"llm": {"output_messages": [...]}}`) or flattened
(`llm.output_messages.0.message.tool_calls.0.tool_call.function.name`); both
are read as flat dotted keys. A dataframe export's `attributes.` column
prefix is accepted too. From the spans of one trace:

- input: the root span's `input.value` (text, or JSON with `messages`), else
  the user turns of the LLM span with the most `llm.input_messages`
  (`.message.content`, or the `.message.contents.M.message_content.text`
  list form); request parameters (model, temperature, max tokens) that ride
  in `input.value` never enter the input;
- output: the root span's `output.value` (an LLM root too: a single
  instrumented call is a run), else the last LLM span's last
  `llm.output_messages.N.message.content`;
- tool calls: TOOL spans (`tool.name`, arguments from `input.value`; ERROR
  status = tool error), else the LLM spans' `tool_calls.M.tool_call.function.*`.
  `tool.parameters` is the tool's JSON schema, never the call's arguments;
- intent and feedback from `metadata` (JSON) or `failgate.intent` /
  `failgate.feedback`; tags from `tag.tags`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from failgate.intake.traces.conventions import BY_FAMILY
from failgate.intake.traces.model import UNKNOWN_INTENT, ReadStats, Trace, feedback_of, parse_time
from failgate.intake.traces.shapes import arguments_of, decoded, history_calls, input_from, reply_text, text_of
from failgate.intake.traces.spans import Assembler, Span, duration_ms, flatten, indexed

FORMAT = "openinference"
# Where OpenInference keeps each fact: its entry of the conventions table.
_OI = BY_FAMILY["openinference"]
RUN_INPUT, RUN_OUTPUT = _OI.run_input[0], _OI.run_output[0]
REQUEST, RESPONSE = _OI.request_messages[0], _OI.response[0]
TOOL_NAME, TOOL_ARGUMENTS = _OI.tool_name[0], _OI.tool_arguments[0]


def _is_span(record: Any) -> bool:
    if not isinstance(record, dict):
        return False
    if isinstance(record.get("context"), dict) and "span_id" in record["context"]:
        return True
    if "context.span_id" in record or "span_kind" in record:
        return True
    attrs = record.get("attributes")
    return isinstance(attrs, dict) and ("openinference.span.kind" in attrs or "openinference" in attrs)


def _named_lists(record: Any) -> list[Any] | None:
    """The spans of `{"name": [span, ...], ...}` (a mapping of span lists), or None."""
    if not isinstance(record, dict) or not record:
        return None
    lists = list(record.values())
    if all(isinstance(v, list) and v and _is_span(v[0]) for v in lists):
        return [span for spans in lists for span in spans]
    return None


def matches(record: Any) -> bool:
    return _is_span(record) or _named_lists(record) is not None


def _ns(value: Any) -> int | None:
    moment = parse_time(value)
    return int(moment.timestamp() * 1e9) if moment else None


def _id(value: Any, width: int) -> str:
    """Span and trace ids: hex text, or the integers the OpenTelemetry SDK's `to_json()` writes."""
    if isinstance(value, int) and not isinstance(value, bool):
        return format(value, f"0{width}x")
    return str(value)


def _parent(record: Mapping[str, Any]) -> str | None:
    parent = record.get("parent_id")
    if parent in (None, "") and isinstance(record.get("parent"), dict):  # OpenTelemetry SDK span JSON
        parent = record["parent"].get("span_id")
    return _id(parent, 16) if parent not in (None, "") else None


def _span(record: Mapping[str, Any], line: int) -> Span | None:
    flat = flatten(dict(record))
    trace_id = flat.get("context.trace_id")
    if not trace_id:
        return None
    attrs: dict[str, Any] = {}
    resource = record.get("resource")
    if isinstance(resource, dict) and isinstance(resource.get("attributes"), dict):
        attrs.update(resource["attributes"])
    raw_attrs = record.get("attributes")
    if isinstance(raw_attrs, dict):
        attrs.update(flatten(dict(raw_attrs)))
    for key, value in flat.items():  # dataframe exports: "attributes.llm.model_name" columns
        if key.startswith("attributes.") and key[11:] not in attrs:
            attrs[key[11:]] = value
    kind = record.get("span_kind") or attrs.get("openinference.span.kind")
    if kind:
        attrs["openinference.span.kind"] = str(kind).upper()
    status = str(flat.get("status_code") or flat.get("status.status_code") or "").upper()
    message = flat.get("status_message") or flat.get("status.description") or ""
    error = None
    if status in ("ERROR", "STATUS_CODE_ERROR", "2"):
        error = str(message or attrs.get("exception.message") or "error status")
    events = [
        {"name": e.get("name"), **e["attributes"]} if isinstance(e.get("attributes"), dict) else {"name": e.get("name")}
        for e in record.get("events") or []
        if isinstance(e, dict)
    ]
    if "openinference.span.kind" not in attrs:
        from failgate.intake.traces.otlp import fold_events

        fold_events(attrs, events)
    return Span(
        trace_id=_id(trace_id, 32),
        span_id=_id(flat.get("context.span_id") or "", 16),
        parent_id=_parent(record),
        name=str(record.get("name", "")),
        start_ns=_ns(record.get("start_time")),
        end_ns=_ns(record.get("end_time")),
        error=error,
        attrs=attrs,
        line=line,
        events=events,
    )


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


def traces(records: Iterable[tuple[int, Any]], path: str, stats: ReadStats) -> Iterator[Trace]:
    from failgate.intake.traces import genai

    # Spans without OpenInference attributes (the OpenTelemetry SDK's span JSON, any-agent's
    # trace JSON) are read through the conventions table like OTLP spans.
    assembler = Assembler(genai.build, path, stats)
    for line, record in records:
        for item in _named_lists(record) or [record]:
            span = _span(item, line) if isinstance(item, dict) else None
            if span is None:
                stats.skip(path, line, "not an OpenInference span (no context.trace_id)")
                continue
            yield from assembler.add([span])
    yield from assembler.finish()
