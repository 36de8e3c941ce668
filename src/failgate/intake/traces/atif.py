"""ATIF, the Agent Trajectory Interchange Format (Harbor's RFC 0001, v1.0-v1.5): one trajectory per record.

    {"schema_version": "ATIF-v1.4", "session_id": "...", "agent": {"name", "version"},
     "steps": [{"step_id": 1, "source": "user", "message": "..."},
               {"step_id": 2, "source": "agent", "message": "...", "reasoning_content": "...",
                "tool_calls": [{"tool_call_id", "function_name", "arguments"}],
                "observation": {"results": [{"source_call_id", "content"}]}}]}

Input: the user steps' messages, in order (system steps are instructions, never input).
Output: the last agent step's `message` that is not empty; `reasoning_content` is never the
answer. Tool calls: every agent step's `tool_calls`, with the `observation` result of the same
call id as its result (a result that reports an error, `{"status": "error"}`, fails the call).
ATIF records no error status of its own; `extra` is free-form and not read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from failgate.intake.traces.model import UNKNOWN_INTENT, ReadStats, Trace, parse_time
from failgate.intake.traces.shapes import arguments_of, decoded, text_of, tool_error_in

FORMAT = "atif"


def matches(record: Any) -> bool:
    return (
        isinstance(record, dict)
        and str(record.get("schema_version", "")).startswith("ATIF")
        and isinstance(record.get("steps"), list)
    )


def _results(step: Mapping[str, Any]) -> dict[str, Any]:
    observation = step.get("observation")
    results = observation.get("results") if isinstance(observation, dict) else None
    return {
        str(r.get("source_call_id")): r.get("content")
        for r in results or []
        if isinstance(r, dict) and r.get("source_call_id") is not None
    }


def build(record: Mapping[str, Any], path: str, line: int) -> Trace | None:
    steps = [s for s in record["steps"] if isinstance(s, dict)]
    users = [text_of(s.get("message")) for s in steps if s.get("source") == "user"]
    messages = [{"role": "user", "content": u} for u in users if u.strip()]
    if not messages:
        return None
    calls: list[dict[str, Any]] = []
    replay: list[dict[str, Any]] = []
    output = ""
    for step in steps:
        if step.get("source") != "agent":
            continue
        message = text_of(step.get("message"))
        results = _results(step)
        asked = [c for c in step.get("tool_calls") or [] if isinstance(c, dict) and c.get("function_name")]
        replay.append(
            {"kind": "model", "name": str(step.get("model_name") or ""), "output": message, "tool_calls": asked}
        )
        for call in asked:
            result = decoded(results.get(str(call.get("tool_call_id"))))
            entry: dict[str, Any] = {
                "name": str(call["function_name"]),
                "arguments": arguments_of(call.get("arguments")),
            }
            error = tool_error_in(result)
            if error:
                entry["error"] = error
            calls.append(entry)
            replay.append({"kind": "tool", **entry, "id": str(call.get("tool_call_id")), "result": result})
        if message.strip():
            output = message
    times = [t for t in (parse_time(s.get("timestamp")) for s in steps) if t]
    latency = (max(times) - min(times)).total_seconds() * 1000 if len(times) > 1 else None
    given = record.get("extra")
    extra: Mapping[str, Any] = given if isinstance(given, dict) else {}
    return Trace(
        trace_id=str(record.get("session_id") or f"{path}:{line}"),
        input={"messages": messages},
        output=output,
        tool_calls=calls,
        latency_ms=latency,
        intent=str(extra.get("intent") or UNKNOWN_INTENT),
        timestamp=min(times) if times else None,
        steps=replay,
        where=f"{path}:{line}",
    )


def traces(records: Iterable[tuple[int, Any]], path: str, stats: ReadStats) -> Iterator[Trace]:
    for line, record in records:
        if not matches(record):
            stats.skip(path, line, 'not an ATIF trajectory (needs "schema_version": "ATIF-v1.x" and "steps")')
            continue
        trace = build(record, path, line)
        if trace is None:
            stats.skip(path, line, f"trajectory {record.get('session_id')}: no user step with a message")
            continue
        yield trace
