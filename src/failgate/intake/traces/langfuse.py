"""Langfuse trace exports: one trace per record, its observations and scores inside.

Three shapes are read (JSON, JSON Lines, or a JSON array of them):

- the UI's trace download `{"trace": {...}, "observations": [...]}` (the
  observations may also sit inside `trace`);
- the public API's trace object (`GET /api/public/traces/{id}`): `id`,
  `timestamp`, `input`, `output`, `metadata`, `tags`, `latency` (seconds),
  `observations` (objects, or bare ids on a list page), `scores`;
- a list page `{"data": [trace, ...], "meta": {...}}` (its items stream).

Observations: `type` GENERATION / SPAN / EVENT / TOOL / AGENT / CHAIN ...,
`name`, `input`, `output`, `level` DEBUG / DEFAULT / WARNING / ERROR,
`statusMessage`, `startTime`, `endTime`, `parentObservationId`. Inputs,
outputs and `metadata` are often JSON-encoded strings (17 of 20 real traces):
they are decoded, and the message shapes of the framework that wrote them
are read by `shapes`.

- input: the user turns of the trace's input, else of the first observation
  that has any, else the trace's input as it is;
- output: the trace's output, else the last GENERATION's;
- tool calls: TOOL observations (level ERROR, or a result that reports an
  error, `{"status": "error", "message"}`, is a tool error), else the tool
  calls the GENERATION outputs asked for;
- error: a non-tool observation at level ERROR (its `statusMessage`);
- scores are kept as they are (`Trace.scores`); feedback is a score with a
  conventional feedback name and a human source (API, ANNOTATION); the
  intake rules add configured feedback names and score rules. Eval
  scores (source EVAL: toxicity, hallucination, where 0 is good) say nothing
  about whether the run failed;
- intent: `metadata.intent`, else a tag `intent:<name>`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from failgate.intake.traces.model import UNKNOWN_INTENT, ReadStats, Trace, feedback_from_scores, parse_time
from failgate.intake.traces.shapes import (
    arguments_of,
    decoded,
    input_from,
    reply_text,
    tool_calls_in,
    tool_error_in,
    user_turns,
)

FORMAT = "langfuse"
TOOL_NAME_PREFIXES = ("execute_tool ", "running tool: ", "tool: ")


def matches(record: Any) -> bool:
    if not isinstance(record, dict):
        return False
    if isinstance(record.get("trace"), dict) and ("observations" in record or "id" in record["trace"]):
        return True
    return "id" in record and ("observations" in record or "scores" in record)


def _unwrap(record: Mapping[str, Any]) -> tuple[Mapping[str, Any], list[Mapping[str, Any]], list[Any]]:
    """(trace, observations, scores) of any of the three shapes."""
    trace: Mapping[str, Any] = record["trace"] if isinstance(record.get("trace"), dict) else record
    observations = record.get("observations") if "trace" in record else None
    if not isinstance(observations, list) or not observations:
        observations = trace.get("observations")
    scores = trace.get("scores") or record.get("scores") or []
    found: list[Mapping[str, Any]] = (
        [o for o in observations if isinstance(o, dict)] if isinstance(observations, list) else []
    )
    return trace, found, scores if isinstance(scores, list) else []


def _tool_name(observation: Mapping[str, Any]) -> str:
    name = str(observation.get("name") or "?")
    for prefix in TOOL_NAME_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :].strip() or name
    return name


def _tool_call(observation: Mapping[str, Any]) -> dict[str, Any]:
    call = {"name": _tool_name(observation), "arguments": arguments_of(observation.get("input"))}
    if observation.get("level") == "ERROR":
        call["error"] = str(observation.get("statusMessage") or "level ERROR")
    else:
        reported = tool_error_in(observation.get("output"))  # level DEFAULT, but the result says it failed
        if reported:
            call["error"] = reported
    return call


def _scores(scores: list[Any]) -> list[dict[str, Any]]:
    kept = []
    for score in scores:
        if not isinstance(score, dict) or not isinstance(score.get("name"), str):
            continue
        value = score.get("value") if score.get("value") is not None else score.get("stringValue")
        kept.append(
            {
                "name": score["name"],
                "value": value,
                "source": str(score.get("source") or "").upper(),
                "comment": score.get("comment") if isinstance(score.get("comment"), str) else None,
            }
        )
    return kept


def _input(trace: Mapping[str, Any], observations: list[Mapping[str, Any]]) -> dict[str, Any]:
    own = decoded(trace.get("input"))
    if isinstance(own, str) and own.strip():
        return input_from(own)  # the run's own input, as the user typed it
    for value in [own] + [o.get("input") for o in observations]:
        turns = user_turns(value)
        if turns:
            return {"messages": turns}
    found = input_from(trace.get("input"))
    if found:
        return found
    return next((x for x in (input_from(o.get("input")) for o in observations) if x), {})


def build(record: Mapping[str, Any], path: str, line: int) -> Trace | None:
    from failgate.intake.traces.cassettes import from_observations

    trace, observations, scores = _unwrap(record)
    observations = sorted(observations, key=lambda o: str(o.get("startTime") or ""))
    generations = [o for o in observations if o.get("type") == "GENERATION"]
    case_input = _input(trace, observations)
    if not case_input:
        return None
    output = reply_text(trace.get("output"))
    for generation in reversed(generations):
        if output:
            break
        output = reply_text(generation.get("output"))
    tools = [o for o in observations if o.get("type") == "TOOL"]
    calls = [_tool_call(o) for o in tools] or [c for g in generations for c in tool_calls_in(g.get("output"))]
    errors = [o for o in observations if o.get("level") == "ERROR" and o.get("type") != "TOOL"]
    error = (
        str(errors[0].get("statusMessage") or f"{errors[0].get('name', 'observation')}: level ERROR")
        if errors
        else None
    )
    latency = trace.get("latency")
    latency_ms = float(latency) * 1000 if isinstance(latency, (int, float)) and not isinstance(latency, bool) else None
    if latency_ms is None and observations:
        starts = [s for s in (parse_time(o.get("startTime")) for o in observations) if s]
        ends = [e for e in (parse_time(o.get("endTime")) for o in observations) if e]
        if starts and ends:
            latency_ms = (max(ends) - min(starts)).total_seconds() * 1000
    metadata = decoded(trace.get("metadata"))
    metadata = metadata if isinstance(metadata, dict) else {}
    tags = [str(t) for t in trace.get("tags") or [] if isinstance(t, (str, int))]
    intent = metadata.get("intent") or next((t[7:] for t in tags if t.startswith("intent:")), None) or UNKNOWN_INTENT
    trace_id = trace.get("id") or (observations[0].get("traceId") if observations else None)
    if not trace_id:
        return None
    steps = [
        {"kind": "tool", **_tool_call(o), "result": decoded(o.get("output"))}
        if o.get("type") == "TOOL"
        else {
            "kind": "model",
            "name": str(o.get("name") or ""),
            "output": reply_text(o.get("output")),
            "tool_calls": tool_calls_in(o.get("output")),
        }
        for o in observations
        if o.get("type") in ("TOOL", "GENERATION")
    ]  # model turns and tool results in order, for replay
    kept = _scores(scores)
    feedback, comment = feedback_from_scores(kept)
    return Trace(
        trace_id=str(trace_id),
        input=case_input,
        output=output,
        tool_calls=calls,
        latency_ms=latency_ms,
        error=error,
        feedback=feedback,
        feedback_comment=comment,
        intent=str(intent),
        timestamp=parse_time(trace.get("timestamp")),
        tags=tuple(tags),
        scores=kept,
        steps=steps,
        where=f"{path}:{line}",
        interactions=from_observations(observations, _tool_call),
    )


def traces(records: Iterable[tuple[int, Any]], path: str, stats: ReadStats) -> Iterator[Trace]:
    for line, record in records:
        if not matches(record):
            stats.skip(
                path,
                line,
                "not a Langfuse trace (needs 'id' and 'observations' or 'scores', "
                'or the download\'s {"trace", "observations"})',
            )
            continue
        trace = build(record, path, line)
        if trace is None:
            stats.skip(path, line, f"trace {(record.get('trace') or record).get('id')}: no input found")
            continue
        yield trace
