"""failgate's own trace format: one JSON object per line.

    {"trace_id": "7f3a...", "timestamp": "2026-05-07T10:00:00Z", "intent": "refund_request",
     "input": {"messages": [{"role": "user", "content": "..."}]}, "output": "...",
     "tool_calls": [{"name": "issue_refund", "arguments": {...}, "error": "gateway timeout"}],
     "latency_ms": 812, "error": null, "feedback": {"score": -1, "comment": "..."}, "tags": ["web"]}

`trace_id` and `input` are required; `input` may also be a bare string (one
user message). Everything else is optional.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from failgate.intake.traces.model import UNKNOWN_INTENT, ReadStats, Trace, feedback_of, parse_time
from failgate.intake.traces.shapes import input_from, text_of

FORMAT = "jsonl"


def matches(record: Any) -> bool:
    return isinstance(record, dict) and "trace_id" in record and "input" in record


def _calls(value: Any) -> list[dict[str, Any]] | None:
    if value is None:
        return []
    if not isinstance(value, list):
        return None
    calls = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            return None
        call: dict[str, Any] = {"name": item["name"], "arguments": item.get("arguments") or {}}
        if item.get("error"):
            call["error"] = str(item["error"])
        calls.append(call)
    return calls


def traces(records: Iterable[tuple[int, Any]], path: str, stats: ReadStats) -> Iterator[Trace]:
    from failgate.intake.traces.cassettes import from_record

    for line, record in records:
        if not isinstance(record, dict):
            stats.skip(path, line, "a trace record must be a JSON object")
            continue
        trace_id = record.get("trace_id")
        if not isinstance(trace_id, (str, int)) or trace_id == "":
            stats.skip(path, line, "trace record without a trace_id")
            continue
        case_input = input_from(record.get("input"))
        if not case_input:
            stats.skip(path, line, f"trace {trace_id}: no usable 'input' (a string or {{\"messages\": [...]}})")
            continue
        calls = _calls(record.get("tool_calls"))
        if calls is None:
            stats.skip(path, line, f"trace {trace_id}: 'tool_calls' must be a list of {{name, arguments}}")
            continue
        latency = record.get("latency_ms")
        if latency is not None and (isinstance(latency, bool) or not isinstance(latency, (int, float))):
            stats.skip(path, line, f"trace {trace_id}: 'latency_ms' must be a number")
            continue
        feedback, comment = feedback_of(record.get("feedback"))
        error = record.get("error")
        turns = record.get("turns")
        tags = record.get("tags")
        yield Trace(
            trace_id=str(trace_id),
            input=case_input,
            output=text_of(record.get("output")),
            tool_calls=calls,
            latency_ms=float(latency) if latency is not None else None,
            error=(error if isinstance(error, str) else text_of(error) or str(error)) if error else None,
            feedback=feedback,
            feedback_comment=comment,
            intent=str(record.get("intent") or UNKNOWN_INTENT),
            timestamp=parse_time(record.get("timestamp")),
            tags=tuple(str(t) for t in tags) if isinstance(tags, list) else (),
            turns=[t for t in turns if isinstance(t, str)] if isinstance(turns, list) else [],
            where=f"{path}:{line}",
            interactions=from_record(record),
        )
