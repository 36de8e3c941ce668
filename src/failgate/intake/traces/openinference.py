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

from failgate.intake.traces.cassettes import from_spans
from failgate.intake.traces.model import ReadStats, Trace, parse_time
from failgate.intake.traces.spans import Assembler, Span, flatten

FORMAT = "openinference"


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


def traces(records: Iterable[tuple[int, Any]], path: str, stats: ReadStats) -> Iterator[Trace]:
    from failgate.intake.traces import genai

    # Spans without OpenInference attributes (the OpenTelemetry SDK's span JSON, any-agent's
    # trace JSON) are read through the conventions table like OTLP spans.
    assembler = Assembler(genai.build, path, stats, interactions=from_spans)
    for line, record in records:
        for item in _named_lists(record) or [record]:
            span = _span(item, line) if isinstance(item, dict) else None
            if span is None:
                stats.skip(path, line, "not an OpenInference span (no context.trace_id)")
                continue
            yield from assembler.add([span])
    yield from assembler.finish()
