"""Langfuse trace exports: one trace per record, its observations and scores inside.

A record is a trace as Langfuse's API and UI export it: `id`, `timestamp`,
`name`, `input`, `output`, `userId`, `sessionId`, `tags`, `release`,
`metadata`, `latency` (seconds), `observations` (`type` GENERATION / SPAN /
EVENT / TOOL, `name`, `input`, `output`, `level` DEBUG / DEFAULT / WARNING /
ERROR, `statusMessage`, `startTime`, `endTime`, `parentObservationId`) and
`scores` (`name`, `value`, `stringValue`, `comment`). The file is JSON Lines,
a JSON array, or the API's `{"data": [...]}` page. From a trace:

- input/output: the trace's own, else the first/last GENERATION's;
- tool calls: TOOL observations (level ERROR = tool error), else the
  `tool_calls` of GENERATION outputs;
- error: a non-tool observation at level ERROR (its `statusMessage`);
- feedback: a score whose value is <= 0 or whose label reads negative;
- intent: `metadata.intent`, else a tag `intent:<name>`.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator, Mapping

from failgate.intake.traces.model import (
    UNKNOWN_INTENT, ReadStats, Trace, arguments_of, feedback_of, input_from, maybe_json, parse_time, text_of,
)

FORMAT = "langfuse"


def matches(record: Any) -> bool:
    return isinstance(record, Mapping) and "id" in record and ("observations" in record or "scores" in record)


def _calls_in(output: Any) -> list[dict[str, Any]]:
    output = maybe_json(output)
    found = []
    messages = output if isinstance(output, list) else [output]
    for message in messages:
        if not isinstance(message, Mapping):
            continue
        for call in message.get("tool_calls") or []:
            function = call.get("function", call) if isinstance(call, Mapping) else {}
            if isinstance(function, Mapping) and function.get("name"):
                found.append({"name": str(function["name"]), "arguments": arguments_of(function.get("arguments"))})
    return found


def _feedback(scores: Any) -> tuple[str | None, str | None]:
    verdict, comment = None, None
    for score in scores if isinstance(scores, list) else []:
        if not isinstance(score, Mapping):
            continue
        value = score.get("value") if score.get("value") is not None else score.get("stringValue")
        found, note = feedback_of({"value": value, "comment": score.get("comment")})
        if found == "negative":
            return found, note
        verdict, comment = verdict or found, comment or note
    return verdict, comment


def build(record: Mapping[str, Any], path: str, line: int) -> Trace | None:
    observations = sorted(
        (o for o in record.get("observations") or [] if isinstance(o, Mapping)),
        key=lambda o: str(o.get("startTime") or ""),
    )
    generations = [o for o in observations if o.get("type") == "GENERATION"]
    case_input = input_from(record.get("input"))
    if not case_input and generations:
        case_input = input_from(generations[0].get("input"))
    if not case_input:
        return None
    output = text_of(maybe_json(record.get("output")))
    if not output and generations:
        output = text_of(maybe_json(generations[-1].get("output")))
    tools = [o for o in observations if o.get("type") == "TOOL"]
    calls = [
        {"name": str(o.get("name") or "?"), "arguments": arguments_of(o.get("input")),
         **({"error": str(o.get("statusMessage") or "level ERROR")} if o.get("level") == "ERROR" else {})}
        for o in tools
    ] or [c for g in generations for c in _calls_in(g.get("output"))]
    errors = [o for o in observations if o.get("level") == "ERROR" and o.get("type") != "TOOL"]
    error = str(errors[0].get("statusMessage") or f"{errors[0].get('name', 'observation')}: level ERROR") if errors else None
    latency = record.get("latency")
    latency_ms = float(latency) * 1000 if isinstance(latency, (int, float)) and not isinstance(latency, bool) else None
    if latency_ms is None and observations:
        starts = [parse_time(o.get("startTime")) for o in observations]
        ends = [parse_time(o.get("endTime")) for o in observations]
        starts_ok, ends_ok = [s for s in starts if s], [e for e in ends if e]
        if starts_ok and ends_ok:
            latency_ms = (max(ends_ok) - min(starts_ok)).total_seconds() * 1000
    metadata = record.get("metadata") if isinstance(record.get("metadata"), Mapping) else {}
    tags = [str(t) for t in record.get("tags") or [] if isinstance(t, (str, int))]
    intent = metadata.get("intent") or next((t[7:] for t in tags if t.startswith("intent:")), None) or UNKNOWN_INTENT
    feedback, comment = _feedback(record.get("scores"))
    return Trace(
        trace_id=str(record["id"]), input=case_input, output=output, tool_calls=calls, latency_ms=latency_ms,
        error=error, feedback=feedback, feedback_comment=comment, intent=str(intent),
        timestamp=parse_time(record.get("timestamp")), tags=tuple(tags), where=f"{path}:{line}",
    )


def traces(records: Iterable[tuple[int, Any]], path: str, stats: ReadStats) -> Iterator[Trace]:
    for line, record in records:
        if not matches(record):
            stats.skip(path, line, "not a Langfuse trace (needs 'id' and 'observations' or 'scores')")
            continue
        trace = build(record, path, line)
        if trace is None:
            stats.skip(path, line, f"trace {record.get('id')}: no input found")
            continue
        yield trace
