"""OpenTelemetry OTLP/JSON exports with the GenAI semantic conventions.

Records are OTLP export requests (`{"resourceSpans": [...]}`, one per line as
the collector's file exporter writes them) or, in one big pretty-printed
request, its `resourceSpans` items (see `stream.py`). Spans are grouped by
`traceId` into one run (`spans.Assembler`); span events that carry messages
(`gen_ai.content.prompt`/`.completion`, `gen_ai.client.inference.operation.details`,
the per-message `gen_ai.*.message` and `gen_ai.choice`) are folded into the
span's message attributes here. What the run's input, output and tool calls
are is read by `genai` through the conventions table (`conventions`); intent,
feedback and tags come from the `failgate.intent`, `failgate.feedback` and
`failgate.tags` attributes (span or resource).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from failgate.intake.traces import genai
from failgate.intake.traces.cassettes import from_spans
from failgate.intake.traces.model import ReadStats, Trace
from failgate.intake.traces.shapes import decoded
from failgate.intake.traces.spans import Assembler, Span

FORMAT = "otlp"


def matches(record: Any) -> bool:
    return isinstance(record, dict) and ("resourceSpans" in record or "scopeSpans" in record)


def any_value(value: Any) -> Any:
    """OTLP AnyValue -> Python (intValue arrives as a string in OTLP/JSON)."""
    if not isinstance(value, dict):
        return value
    if "stringValue" in value:
        return value["stringValue"]
    if "intValue" in value:
        try:
            return int(value["intValue"])
        except (TypeError, ValueError):
            return value["intValue"]
    if "doubleValue" in value:
        return float(value["doubleValue"])
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "arrayValue" in value:
        return [any_value(v) for v in (value["arrayValue"] or {}).get("values", [])]
    if "kvlistValue" in value:
        return attributes((value["kvlistValue"] or {}).get("values", []))
    if "bytesValue" in value:
        return value["bytesValue"]
    return None


def attributes(items: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            out[item["key"]] = any_value(item.get("value"))
    return out


def _hex_id(value: Any) -> str:
    text = str(value or "")
    if text and len(text) in (24, 12) and not all(c in "0123456789abcdefABCDEF" for c in text):
        try:  # some exporters write proto-JSON ids as base64
            return base64.b64decode(text).hex()
        except ValueError:
            return text
    return text.lower()


def _error(status: Any, attrs: Mapping[str, Any]) -> str | None:
    code = status.get("code") if isinstance(status, dict) else None
    failed = code in (2, "2", "STATUS_CODE_ERROR", "ERROR")
    if failed or attrs.get("error.type"):
        parts = [str(p) for p in (attrs.get("error.type"), (status or {}).get("message")) if p]
        return ": ".join(parts) or "error status"
    return None


# Span events that carry a run's messages: the deprecated per-call events
# (`gen_ai.content.prompt` / `.completion` with `gen_ai.prompt` / `gen_ai.completion`),
# the current `gen_ai.client.inference.operation.details` (the message attributes
# themselves), and the per-message events (`gen_ai.user.message` with `content`,
# `gen_ai.choice` with `message`).
EVENT_KEYS = (
    "gen_ai.prompt",
    "gen_ai.completion",
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
)


DECODED_ONCE = ("gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.prompt", "gen_ai.completion")


_MESSAGE_EVENTS = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}


def fold_events(attrs: dict[str, Any], events: list[dict[str, Any]]) -> None:
    """The span's messages from its events, in order: per-message events (`gen_ai.user.message`
    with `content`, `gen_ai.choice` with `message`; Strands and Semantic Kernel write these)
    become the request and response message lists, unless the span carries those already."""
    inputs, choices = [], []
    for event in events:
        for key in EVENT_KEYS:
            if key in event and key not in attrs:
                attrs[key] = event[key]
        role = _MESSAGE_EVENTS.get(str(event.get("name")))
        if role and event.get("content") is not None:
            message = {"role": str(event.get("role") or role), "content": decoded(event["content"])}
            if event.get("id"):
                message["id"] = event["id"]
            inputs.append(message)
        elif event.get("name") == "gen_ai.choice" and event.get("message") is not None:
            choices.append(decoded(event["message"]))
    if inputs and "gen_ai.input.messages" not in attrs and "gen_ai.prompt" not in attrs:
        attrs["gen_ai.input.messages"] = inputs
    if choices and "gen_ai.output.messages" not in attrs and "gen_ai.completion" not in attrs:
        attrs["gen_ai.output.messages"] = [
            c if isinstance(c, dict) and ("role" in c or "parts" in c) else {"role": "assistant", "content": c}
            for c in choices
        ]


def _nanos(value: Any) -> int | None:
    """`startTimeUnixNano` is a uint64, as a string in OTLP/JSON; anything else raises ValueError."""
    if value in (None, "", 0, "0"):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(value)
    return int(value)


def _spans(record: Mapping[str, Any], line: int, notes: list[str]) -> Iterator[Span]:
    groups = record.get("resourceSpans") if "resourceSpans" in record else [record]
    for group in groups if isinstance(groups, list) else []:
        if not isinstance(group, dict):
            continue
        resource = attributes((group.get("resource") or {}).get("attributes"))
        for scope in group.get("scopeSpans") or group.get("instrumentationLibrarySpans") or []:
            for raw in (scope or {}).get("spans") or [] if isinstance(scope, dict) else []:
                if not isinstance(raw, dict) or not raw.get("traceId"):
                    continue
                attrs = {**resource, **attributes(raw.get("attributes"))}
                events = [
                    {"name": e.get("name"), **attributes(e.get("attributes"))}
                    for e in raw.get("events") or []
                    if isinstance(e, dict)
                ]
                fold_events(attrs, events)
                for key in DECODED_ONCE:  # JSON carried as strings: decoded here once, not by every reader step
                    if isinstance(attrs.get(key), str):
                        attrs[key] = decoded(attrs[key])
                try:
                    start, end = _nanos(raw.get("startTimeUnixNano")), _nanos(raw.get("endTimeUnixNano"))
                except ValueError:
                    notes.append(
                        f"span {raw.get('spanId')!s}: its start/end time is not a number of nanoseconds "
                        f"({raw.get('startTimeUnixNano')!r}); read without its times"
                    )
                    start = end = None
                yield Span(
                    trace_id=_hex_id(raw["traceId"]),
                    span_id=_hex_id(raw.get("spanId")),
                    parent_id=_hex_id(raw.get("parentSpanId")) or None,
                    name=str(raw.get("name", "")),
                    start_ns=start,
                    end_ns=end,
                    error=_error(raw.get("status"), attrs),
                    attrs=attrs,
                    line=line,
                    events=events,
                )


def build(spans: list[Span], path: str) -> Trace | None:
    """One run from its spans, read by the conventions its spans use (`genai`)."""
    return genai.build(spans, path)


def explain_empty(record: Any) -> str | None:
    """Why an OTLP export gave no run: the span attributes it does carry."""
    if not isinstance(record, dict):
        return None
    spans = list(_spans(record, 0, []))
    if not spans:
        return "no spans with a traceId"
    keys = sorted({k for s in spans for k in s.attrs})[:10]
    tools = [str(s.attrs["gen_ai.tool.name"]) for s in spans if s.attrs.get("gen_ai.tool.name")]
    if tools and len(tools) == len(spans):
        return f"only tool spans ({', '.join(tools[:5])}): a tool call alone has no user input to replay"
    return (
        f"{len(spans)} span(s), none with GenAI (gen_ai.*), OpenInference or Vercel AI SDK (ai.*) messages; "
        f"attributes seen: {', '.join(keys) or 'none'}"
    )


def traces(records: Iterable[tuple[int, Any]], path: str, stats: ReadStats) -> Iterator[Trace]:
    assembler = Assembler(build, path, stats, interactions=from_spans)
    for line, record in records:
        if not matches(record):
            stats.skip(path, line, "not an OTLP export request (no resourceSpans/scopeSpans)")
            continue
        notes: list[str] = []
        spans = list(_spans(record, line, notes))
        for note in notes:
            stats.note(path, line, note)
        yield from assembler.add(spans)
    yield from assembler.finish()
