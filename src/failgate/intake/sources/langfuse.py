"""Langfuse's public API: the failed traces of a window, each with its observations and scores.

The failure filter runs in Langfuse's own queries (its public API reference:
observations, scores, traces):

1. `GET /api/public/observations?level=ERROR&fromStartTime=...`: the traces
   with an error-level observation;
2. `GET /api/public/v2/scores?name=N&fromTimestamp=...` for each user-feedback
   score name and each `[[intake.score_rules]]` score, the threshold pushed
   into the query (`operator` `<` / `>`, `value`) for a score rule;
3. `GET /api/public/traces/{id}` for each trace found: the trace object with
   its observations and scores, which the Langfuse reader reads as it reads a
   downloaded file.

List endpoints page with `page` / `limit` and answer `meta.totalPages`.
Keys: Basic auth, the public key as user and the secret key as password,
read from the environment variables the source names.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from typing import Any

from failgate.intake.sources.http import SourceError, StoreClient
from failgate.intake.sources.model import Pull, PullRequest

FORMAT = "langfuse"
PAGE_LIMIT = 100
MAX_PAGES = 1000  # 100,000 rows per query: a week of failures far beyond any review budget


def _iso(moment: _dt.datetime) -> str:
    return moment.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _pages(client: StoreClient, path: str, params: dict[str, Any], what: str) -> Iterator[dict[str, Any]]:
    for page in range(1, MAX_PAGES + 1):
        label = f"{what} page {page}"
        body = client.get(path, {**params, "page": page, "limit": PAGE_LIMIT}, page=label)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise SourceError(f"source {client.source!r}, {label} ({path}): no `data` list in the response")
        yield from (item for item in data if isinstance(item, dict))
        meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
        total = meta.get("totalPages")
        if not data or (isinstance(total, int) and page >= total):
            return


def pull(client: StoreClient, request: PullRequest) -> Pull:
    since = _iso(request.since) if request.since else None
    found: dict[str, str] = {}  # trace id -> why it was pulled (first reason)
    for obs in _pages(
        client, "/api/public/observations", {"level": "ERROR", "fromStartTime": since}, "error observations"
    ):
        if isinstance(obs.get("traceId"), str):
            found.setdefault(obs["traceId"], "error observation")
    queries: list[tuple[str, dict[str, Any]]] = [(name, {"name": name}) for name in request.feedback_scores]
    for name, direction, threshold in request.score_rules:
        queries.append((name, {"name": name, "operator": "<" if direction == "below" else ">", "value": threshold}))
    for name, params in queries:
        for score in _pages(client, "/api/public/v2/scores", {**params, "fromTimestamp": since}, f"scores {name!r}"):
            if isinstance(score.get("traceId"), str):
                found.setdefault(score["traceId"], f"score {name}")
    records: list[tuple[str, Any]] = []
    for index, trace_id in enumerate(sorted(found)):
        label = f"trace {trace_id}"
        body = client.get(f"/api/public/traces/{trace_id}", page=label)
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            raise SourceError(f"source {client.source!r}, {label}: not a trace object (no `id`)")
        records.append((label, body))
        if request.limit_traces and index + 1 >= request.limit_traces:
            break
    return Pull(FORMAT, records, queried=len(found))
