"""AgentOps' API output: a trace's spans with their attributes nested by dotted path.

`GET /v2/traces/{id}` (and the export AgentOps' instrumentation tests keep) answers
`{"trace_id", "spans": [{"span_id", "parent_span_id", "span_name", "span_type",
"status_code", "duration", "resource_attributes", "span_attributes": {"gen_ai": {...}}}]}`.
The nested attributes are the span's dotted ones (`gen_ai.completion.0.content`, the list
index written as a key `"0"`); flattened back, the span is read through the conventions table
like any other (`genai`): the `agentops` entry names `workflow.input` / `workflow.final_output`
as the run's input and output, and `agent.instructions` as the system prompt the root's plain
`gen_ai.prompt` repeats.

Streamed, the `spans` array's items arrive one by one without the trace id around them: spans
with no trace id of their own belong to the file's one trace.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from failgate.intake.traces import genai
from failgate.intake.traces.cassettes import from_spans
from failgate.intake.traces.model import ReadStats, Trace
from failgate.intake.traces.spans import Assembler, Span

FORMAT = "agentops"


def _is_span(record: Any) -> bool:
    return isinstance(record, dict) and isinstance(record.get("span_attributes"), dict) and "span_id" in record


def matches(record: Any) -> bool:
    if _is_span(record):
        return True
    spans = record.get("spans") if isinstance(record, dict) else None
    return isinstance(spans, list) and bool(spans) and _is_span(spans[0])


def _flat(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flat(item, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list) and value and all(isinstance(v, dict) and all(k.isdigit() for k in v) for v in value):
        for item in value:  # [{"0": {...}}, {"1": {...}}]: the index already written as a key
            _flat(item, prefix, out)
    else:
        out[prefix] = value


def _nanos(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _span(record: Mapping[str, Any], trace_id: str, line: int) -> Span:
    attrs: dict[str, Any] = {}
    if isinstance(record.get("resource_attributes"), dict):
        attrs.update(record["resource_attributes"])
    _flat(record["span_attributes"], "", attrs)
    if record.get("span_type"):
        attrs["agentops.span.kind"] = str(record["span_type"]).lower()
    start = _nanos(record.get("start_time"))
    duration = _nanos(record.get("duration"))
    status = str(record.get("status_code") or "").upper()
    error = (str(record.get("status_message") or "") or "error status") if status in ("ERROR", "2") else None
    span = Span(
        trace_id=str(record.get("trace_id") or trace_id),
        span_id=str(record.get("span_id") or ""),
        parent_id=str(record.get("parent_span_id") or "") or None,
        name=str(record.get("span_name") or ""),
        start_ns=start,
        end_ns=start + duration if start and duration else None,
        error=error,
        attrs=attrs,
        line=line,
    )
    if duration and not start:
        attrs["agentops.duration_ns"] = duration
    return span


def build(spans: list[Span], path: str) -> Trace | None:
    trace = genai.build_genai(spans, path)
    if trace is not None and trace.latency_ms is None:
        root = next((s for s in spans if s.is_root), None)
        duration = root.attrs.get("agentops.duration_ns") if root else None
        trace.latency_ms = duration / 1e6 if isinstance(duration, int) else None
    return trace


def traces(records: Iterable[tuple[int, Any]], path: str, stats: ReadStats) -> Iterator[Trace]:
    assembler = Assembler(build, path, stats, interactions=from_spans)
    for line, record in records:
        if _is_span(record):
            yield from assembler.add([_span(record, f"agentops:{path}", line)])
        elif matches(record):
            trace_id = str(record.get("trace_id") or f"agentops:{path}:{line}")
            yield from assembler.add([_span(s, trace_id, line) for s in record["spans"] if _is_span(s)])
        else:
            stats.skip(path, line, "not an AgentOps span (no span_id and span_attributes)")
    yield from assembler.finish()
