"""Arize Phoenix's REST API: the spans of every trace that holds an error span in the window.

The failure filter runs in Phoenix's own query (`GET /v1/projects/{project}/spans`,
Phoenix 13.9 or later): `status_code=ERROR` with `start_time` at the window's
start finds the failed traces, then `trace_id=...` (a batch at a time) fetches
every span of them, because the reader needs a trace's root and tool spans to
rebuild the run, not only the span that failed. Both queries page with
`limit` and the `next_cursor` Phoenix returns.

The spans are in Phoenix's span API shape, which the OpenInference reader
reads as it reads an exported file. A Phoenix API key travels as a Bearer
token.
"""

from __future__ import annotations

import datetime as _dt
import urllib.parse
from collections.abc import Iterator
from typing import Any

from failgate.intake.sources.http import SourceError, StoreClient
from failgate.intake.sources.model import Pull, PullRequest

FORMAT = "openinference"
DEFAULT_PROJECT = "default"
PAGE_LIMIT = 500
TRACES_PER_QUERY = 20
MAX_PAGES = 1000


def _spans(
    client: StoreClient, project: str, params: list[tuple[str, Any]], what: str
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    path = f"/v1/projects/{urllib.parse.quote(project, safe='')}/spans"
    cursor: str | None = None
    for page in range(1, MAX_PAGES + 1):
        label = f"{what} page {page}"
        query = [*params, ("limit", PAGE_LIMIT)] + ([("cursor", cursor)] if cursor else [])
        body = client.get(path + "?" + urllib.parse.urlencode(query), page=label)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise SourceError(f"source {client.source!r}, {label} ({path}): no `data` list in the response")
        yield label, [span for span in data if isinstance(span, dict)]
        cursor = body.get("next_cursor")
        if not cursor or not data:
            return


def _trace_id(span: dict[str, Any]) -> str | None:
    context = span.get("context")
    value = context.get("trace_id") if isinstance(context, dict) else None
    return value if isinstance(value, str) else None


def pull(client: StoreClient, request: PullRequest) -> Pull:
    project = request.project or DEFAULT_PROJECT
    since = request.since.astimezone(_dt.timezone.utc).isoformat() if request.since else None
    window = [("start_time", since)] if since else []
    failed: dict[str, None] = {}
    for _, spans in _spans(client, project, [("status_code", "ERROR"), *window], "error spans"):
        for span in spans:
            trace_id = _trace_id(span)
            if trace_id:
                failed.setdefault(trace_id)
    ids = sorted(failed)
    if request.limit_traces:
        ids = ids[: request.limit_traces]
    records: list[tuple[str, Any]] = []
    for start in range(0, len(ids), TRACES_PER_QUERY):
        batch = ids[start : start + TRACES_PER_QUERY]
        what = f"spans of traces {start + 1}-{start + len(batch)}"
        for label, spans in _spans(client, project, [("trace_id", t) for t in batch], what):
            records.extend((label, span) for span in spans)
    return Pull(FORMAT, records, queried=len(ids))
