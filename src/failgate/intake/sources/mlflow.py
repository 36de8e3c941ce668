"""MLflow tracing: the failed traces of an experiment, searched with MLflow's own filter syntax.

The failure filter and the window run in MLflow's query
(`POST /api/3.0/mlflow/traces/search`, its search-traces filter syntax, which
joins conditions with AND only, hence two searches): `trace.status = 'ERROR'`
for runs that ended in an error, and `span.status = 'ERROR'` for runs that
carried on past a failed tool call; each with `trace.timestamp_ms >= START`.
Pages follow `next_page_token`. Each trace found is fetched with its spans:
from the tracking store (`GET /api/3.0/mlflow/traces/get`) when its
`mlflow.trace.spansLocation` tag says they are there, else from the artifact
store through the server (`GET /ajax-api/2.0/mlflow/get-trace-artifact`,
what MLflow's own UI reads), which is where a client that writes artifacts
itself leaves them.

MLflow's spans are OTLP protobuf in JSON (snake_case keys, `mlflow.spanType`,
`mlflow.spanInputs`, `mlflow.spanOutputs`), not the GenAI conventions the
OTLP reader reads, so each trace becomes one record of failgate's own trace
format (`failgate.intake.traces.jsonl`), which then goes through that reader,
the redactor and the funnel like any file:

- input: the root span's inputs (a `messages` list, else the inputs as they are);
- output: the root span's outputs; tool calls: TOOL spans (name, inputs as
  arguments, the exception message as the error when the span failed);
- error: the root span's failure (its exception event's message, else the
  status message); latency: the trace's duration; intent: the trace's
  `intent` tag or metadata.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from failgate.intake.sources.http import SourceError, StoreClient
from failgate.intake.sources.model import Pull, PullRequest

FORMAT = "jsonl"
PAGE_LIMIT = 500  # MLflow's maximum max_results for a trace search
MAX_PAGES = 1000
FAILURE_FILTERS = ("trace.status = 'ERROR'", "span.status = 'ERROR'")


def any_value(value: Any) -> Any:
    """An OTLP AnyValue in protobuf JSON (either key spelling) -> Python."""
    if not isinstance(value, dict):
        return value
    for key, cast in (("string_value", str), ("stringValue", str), ("bool_value", bool), ("boolValue", bool)):
        if key in value:
            return cast(value[key])
    for key in ("int_value", "intValue"):
        if key in value:
            try:
                return int(value[key])
            except (TypeError, ValueError):
                return value[key]
    for key in ("double_value", "doubleValue"):
        if key in value:
            return float(value[key])
    for key in ("array_value", "arrayValue"):
        if key in value:
            return [any_value(v) for v in (value[key] or {}).get("values", [])]
    for key in ("kvlist_value", "kvlistValue"):
        if key in value:
            return attributes((value[key] or {}).get("values", []))
    return None


def attributes(items: Any) -> dict[str, Any]:
    if isinstance(items, dict):  # MLflow's own span JSON keeps attributes as a mapping of JSON strings
        return {str(k): _json(v) for k, v in items.items()}
    out: dict[str, Any] = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            out[item["key"]] = _json(any_value(item.get("value")))
    return out


def _json(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ('"', "{", "["):
        from failgate.dataset.jsonstrict import loads_or_none

        decoded = loads_or_none(value)  # the limits of every reader; not JSON after all: the text
        return value if decoded is None and value.strip() != "null" else decoded
    return value


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _failure(span: Mapping[str, Any]) -> str | None:
    status = _mapping(span.get("status"))
    if str(status.get("code", "")).upper() not in ("STATUS_CODE_ERROR", "ERROR", "2"):
        return None
    for event in span.get("events") or []:
        if isinstance(event, dict) and event.get("name") == "exception":
            attrs = attributes(event.get("attributes"))
            message = attrs.get("exception.message")
            kind = attrs.get("exception.type")
            if message:
                return f"{kind}: {message}" if kind else str(message)
    return str(status.get("message") or "error")


def record_of(trace: Mapping[str, Any]) -> dict[str, Any]:
    """One MLflow trace (`trace_info` + `spans`) as a failgate trace record."""
    info = _mapping(trace.get("trace_info"))
    spans = [s for s in trace.get("spans") or [] if isinstance(s, dict)]
    ids = {s.get("span_id") for s in spans}
    root = next((s for s in spans if not s.get("parent_span_id") or s.get("parent_span_id") not in ids), None)
    root_attrs = attributes(root.get("attributes")) if root else {}
    metadata = _mapping(info.get("trace_metadata"))
    tags = _mapping(info.get("tags"))
    inputs = root_attrs.get("mlflow.spanInputs", _json(metadata.get("mlflow.traceInputs")))
    outputs = root_attrs.get("mlflow.spanOutputs", _json(metadata.get("mlflow.traceOutputs")))
    calls = []
    for span in spans:
        attrs = attributes(span.get("attributes"))
        if attrs.get("mlflow.spanType") != "TOOL":
            continue
        arguments = attrs.get("mlflow.spanInputs")
        call: dict[str, Any] = {
            "name": str(span.get("name") or "?"),
            "arguments": arguments if isinstance(arguments, dict) else {"input": arguments},
        }
        why = _failure(span)
        if why:
            call["error"] = why
        calls.append(call)
    duration = str(info.get("execution_duration") or "")
    latency = None
    if duration.endswith("s"):
        try:
            latency = float(duration[:-1]) * 1000
        except ValueError:
            latency = None
    record: dict[str, Any] = {
        "trace_id": str(info.get("trace_id") or ""),
        "timestamp": info.get("request_time"),
        "input": inputs if inputs not in (None, "", {}) else info.get("request_preview") or "",
        "output": outputs if outputs is not None else "",
        "tool_calls": calls,
        "latency_ms": latency,
        "error": _failure(root) if root else None,
    }
    intent = tags.get("intent") or metadata.get("intent")
    if intent:
        record["intent"] = str(intent)
    return record


def _search(client: StoreClient, experiments: list[str], condition: str) -> Iterator[dict[str, Any]]:
    token: str | None = None
    for page in range(1, MAX_PAGES + 1):
        label = f"search {condition!r} page {page}"
        body: dict[str, Any] = {
            "locations": [
                {"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": e}} for e in experiments
            ],
            "filter": condition,
            "max_results": PAGE_LIMIT,
            "order_by": ["timestamp_ms DESC"],
        }
        if token:
            body["page_token"] = token
        answer = client.post("/api/3.0/mlflow/traces/search", body, page=label)
        traces = answer.get("traces", []) if isinstance(answer, dict) else None
        if not isinstance(traces, list):
            raise SourceError(f"source {client.source!r}, {label}: no `traces` list in the response")
        yield from (t for t in traces if isinstance(t, dict))
        token = answer.get("next_page_token")
        if not token or not traces:
            return


def pull(client: StoreClient, request: PullRequest) -> Pull:
    experiments = [e.strip() for e in (request.project or "0").split(",") if e.strip()]
    window = f" AND trace.timestamp_ms >= {int(request.since.timestamp() * 1000)}" if request.since is not None else ""
    extra = f" AND {request.filter}" if request.filter else ""
    found: dict[str, dict[str, Any]] = {}
    for condition in FAILURE_FILTERS:
        for info in _search(client, experiments, condition + window + extra):
            if isinstance(info.get("trace_id"), str):
                found.setdefault(info["trace_id"], info)
    ids = sorted(found)[: request.limit_traces] if request.limit_traces else sorted(found)
    records = [(f"trace {trace_id}", record_of(_trace(client, found[trace_id]))) for trace_id in ids]
    return Pull(FORMAT, records, queried=len(ids))


def _trace(client: StoreClient, info: dict[str, Any]) -> dict[str, Any]:
    trace_id = info["trace_id"]
    label = f"trace {trace_id}"
    tags = _mapping(info.get("tags"))
    if tags.get("mlflow.trace.spansLocation") == "TRACKING_STORE":
        answer = client.get("/api/3.0/mlflow/traces/get", {"trace_id": trace_id}, page=label)
        trace = answer.get("trace") if isinstance(answer, dict) else None
        if not isinstance(trace, dict) or not isinstance(trace.get("trace_info"), dict):
            raise SourceError(f"source {client.source!r}, {label}: no `trace` with `trace_info` in the response")
        return trace
    answer = client.get("/ajax-api/2.0/mlflow/get-trace-artifact", {"request_id": trace_id}, page=label)
    spans = answer.get("spans") if isinstance(answer, dict) else None
    if not isinstance(spans, list):
        raise SourceError(f"source {client.source!r}, {label}: no `spans` list in the trace data")
    return {"trace_info": info, "spans": spans}
