"""OpenTelemetry OTLP/JSON exports with the GenAI semantic conventions.

Records are OTLP export requests (`{"resourceSpans": [...]}`, one per line as
the collector's file exporter writes them) or, in one big pretty-printed
request, its `resourceSpans` items (see `stream.py`). Spans are grouped by
`traceId` into one run (`spans.Assembler`); from them:

- input: the user messages of `gen_ai.input.messages` (the span carrying the
  most user turns: the last call of a multi-turn run sees the whole
  conversation), else the deprecated `gen_ai.prompt` (a string, JSON, or the
  indexed `gen_ai.prompt.N.role/content` of older instrumentations);
- output: the agent span's `gen_ai.output.messages`, else the last inference
  span's, else the deprecated `gen_ai.completion`;
- tool calls: `execute_tool` spans (`gen_ai.tool.name`,
  `gen_ai.tool.call.arguments`; an error status or `error.type` is a tool
  error), else `tool_call` parts of the output messages;
- error: an error status or `error.type` on the root or an inference span;
- latency: the root span's duration; intent, feedback and tags from the
  `failgate.intent`, `failgate.feedback` and `failgate.tags` attributes
  (span or resource; `intent` and `app.intent` are accepted too).
`gen_ai.system` (deprecated for `gen_ai.provider.name`) is read only to tell
inference spans apart.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from failgate.intake.traces.model import UNKNOWN_INTENT, ReadStats, Trace, feedback_of, parse_time
from failgate.intake.traces.shapes import arguments_of, decoded, history_calls, reply_text, tool_calls_in, user_turns
from failgate.intake.traces.spans import Assembler, Span, duration_ms, indexed

FORMAT = "otlp"
INFERENCE_OPS = frozenset({"chat", "text_completion", "generate_content", "completion"})


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


def _event_messages(attrs: dict[str, Any], events: list[dict[str, Any]]) -> None:
    users, choices = [], []
    for event in events:
        for key in EVENT_KEYS:
            if key in event and key not in attrs:
                attrs[key] = event[key]
        if event.get("name") == "gen_ai.user.message" and event.get("content") is not None:
            users.append({"role": "user", "content": decoded(event["content"])})
        elif event.get("name") == "gen_ai.choice" and event.get("message") is not None:
            choices.append(decoded(event["message"]))
    if users and "gen_ai.input.messages" not in attrs and "gen_ai.prompt" not in attrs:
        attrs["gen_ai.input.messages"] = users
    if choices and "gen_ai.output.messages" not in attrs and "gen_ai.completion" not in attrs:
        attrs["gen_ai.output.messages"] = [
            c if isinstance(c, dict) else {"role": "assistant", "content": c} for c in choices
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
                _event_messages(attrs, events)
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


def _is_tool(span: Span) -> bool:
    """A tool run: by its operation, its name, or its tool attributes (some
    instrumentations set `gen_ai.tool.name` and no operation name)."""
    a = span.attrs
    op = a.get("gen_ai.operation.name")
    return (
        op == "execute_tool"
        or span.name.startswith("execute_tool")
        or (
            op is None
            and "gen_ai.tool.name" in a
            and not any(k in a for k in ("gen_ai.input.messages", "gen_ai.prompt"))
        )
    )


def _is_inference(span: Span) -> bool:
    a = span.attrs
    return (
        a.get("gen_ai.operation.name") in INFERENCE_OPS
        or any(
            k in a for k in ("gen_ai.input.messages", "gen_ai.prompt", "gen_ai.completion", "gen_ai.prompt.0.content")
        )
        or ("gen_ai.system" in a and not _is_tool(span))
    )


def _legacy(span: Span, key: str) -> Any:
    if key in span.attrs:
        return decoded(span.attrs[key])
    if f"{key}.0.content" not in span.attrs and f"{key}.0.role" not in span.attrs:
        return None  # the common case: skip the scan over every attribute
    items = indexed(span.attrs, key)  # gen_ai.prompt.0.role / .content
    return [{"role": i.get("role"), "content": i.get("content")} for i in items] if items else None


def _input(spans: list[Span]) -> dict[str, Any]:
    best: list[dict[str, str]] = []
    for span in spans:
        for value in (decoded(span.attrs.get("gen_ai.input.messages")), _legacy(span, "gen_ai.prompt")):
            if isinstance(value, str) and value:
                messages = [{"role": "user", "content": value}]
            else:
                messages = user_turns(value)
            if len(messages) > len(best):
                best = messages
    return {"messages": best} if best else {}


def _output_parts(value: Any) -> tuple[str, list[dict[str, Any]]]:
    """(reply text, tool calls) of `gen_ai.output.messages` or `gen_ai.completion` (text, JSON text,
    an object such as `{"text", "finish_reason"}`, or message parts)."""
    value = decoded(value)
    return reply_text(value), tool_calls_in(value)


def build(spans: list[Span], path: str) -> Trace | None:
    """One run from its spans, read by the conventions its spans use."""
    from failgate.intake.traces import openinference, vercel

    if any("openinference.span.kind" in s.attrs for s in spans):
        return openinference.build(spans, path)
    if any(vercel.is_vercel(s) for s in spans):
        return vercel.build(spans, path)
    return build_genai(spans, path)


def _history(spans: list[Span]) -> list[dict[str, Any]]:
    """Tool calls made earlier in the conversation: the assistant turns of the longest input."""
    best: list[dict[str, Any]] = []
    for span in spans:
        value = decoded(span.attrs.get("gen_ai.input.messages", span.attrs.get("gen_ai.prompt")))
        if isinstance(value, list) and len(value) > len(best):
            best = value
    return history_calls(best)


def _tool_arguments(span: Span) -> dict[str, Any]:
    for key in ("gen_ai.tool.call.arguments", "input.value", "input"):
        if key in span.attrs:
            return arguments_of(span.attrs[key])
    return {}


def build_genai(spans: list[Span], path: str) -> Trace | None:
    root = next((s for s in spans if s.is_root), spans[0])
    case_input = _input(spans)
    if not case_input:
        return None  # not an agent run (no GenAI content): nothing intake could replay
    output, part_calls = "", list[dict[str, Any]]()
    ordered = [root] + [s for s in reversed(spans) if _is_inference(s) and s is not root]
    for span in ordered:
        for key in ("gen_ai.output.messages", "gen_ai.completion"):
            value = span.attrs.get(key) if key in span.attrs else _legacy(span, key)
            if value is None:
                continue
            text, calls = _output_parts(value)
            part_calls = part_calls or calls
            if text and not output:
                output = text
    tools = [s for s in spans if _is_tool(s)]
    tool_calls = [
        {
            "name": str(s.attrs.get("gen_ai.tool.name") or s.name.removeprefix("execute_tool").strip() or "?"),
            "arguments": _tool_arguments(s),
            **({"error": s.error} if s.error else {}),
        }
        for s in tools
    ] or _history(spans) + part_calls
    error = root.error or next((s.error for s in spans if s.error and _is_inference(s)), None)
    look = [root] + [s for s in spans if s is not root]
    intent = next(
        (str(s.attrs[k]) for s in look for k in ("failgate.intent", "intent", "app.intent") if s.attrs.get(k)),
        UNKNOWN_INTENT,
    )
    feedback = next((s.attrs[k] for s in look for k in ("failgate.feedback", "user.feedback") if k in s.attrs), None)
    verdict, comment = feedback_of(decoded(feedback))
    tags = root.attrs.get("failgate.tags")
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
        intent=intent,
        timestamp=parse_time(start),
        tags=tuple(map(str, tags)) if isinstance(tags, list) else (),
        where=f"{path}:{root.line}",
    )


def explain_empty(record: Any) -> str | None:
    """Why an OTLP export gave no run: the span attributes it does carry."""
    if not isinstance(record, dict):
        return None
    spans = list(_spans(record, 0, []))
    if not spans:
        return "no spans with a traceId"
    keys = sorted({k for s in spans for k in s.attrs})[:10]
    return (
        f"{len(spans)} span(s), none with GenAI (gen_ai.*), OpenInference or Vercel AI SDK (ai.*) messages; "
        f"attributes seen: {', '.join(keys) or 'none'}"
    )


def traces(records: Iterable[tuple[int, Any]], path: str, stats: ReadStats) -> Iterator[Trace]:
    assembler = Assembler(build, path, stats)
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
