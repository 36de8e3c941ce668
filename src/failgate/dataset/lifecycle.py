"""The history events a case's own edits call for: `status_changed` and `remediated`.

history.jsonl is "every status change" (the manual's dataset contract), yet a
case is deprecated or moved to the watchlist by editing YAML, and a
remediation is added the same way. `fmt` (a fixer hook) records them:

- `status_changed` when a case's status (`active`, `deprecated`, or
  `watchlist` for a case in watchlist.yaml) differs from its status at the
  previous commit and history does not already record the new one;
- `remediated` for a remediation entry the previous commit did not have and
  no event records yet.

Only changes since the previous commit are recorded, never backfilled: a
dataset written before fmt recorded them keeps its history as it is.

Pure over parsed data; idempotent (a second run finds the events it wrote).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import Any

from failgate.dataset.events import new_event


def _entries(case: Mapping[str, Any]) -> list[dict[str, Any]]:
    value = case.get("remediation")
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


def _key(entry: Mapping[str, Any]) -> tuple[str, str]:
    return str(entry.get("date", "")), str(entry.get("change", ""))


def lifecycle_events(
    cases: Sequence[Mapping[str, Any]],
    watchlist: Sequence[Mapping[str, Any]],
    previous: Mapping[str, tuple[str, Mapping[str, Any]]] | None,
    recorded_status: Mapping[str, str | None],
    recorded_remediations: Mapping[str, set[tuple[str, str]]],
    actor: str,
    now: _dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """Events to append. `previous`: case id -> (status, case) at the previous commit (None: no
    commit yet, so nothing is known to have changed); `recorded_*`: what history.jsonl already says."""
    if previous is None:
        return []
    events: list[dict[str, Any]] = []
    for source, items in (("cases", cases), ("watchlist", watchlist)):
        for case in items:
            case_id = case.get("id")
            if not isinstance(case_id, str):
                continue
            status = "watchlist" if source == "watchlist" else str(case.get("status", "active"))
            before, earlier = previous.get(case_id, (None, {}))
            if before is not None and status != before and recorded_status.get(case_id) != status:
                detail: dict[str, Any] = {"from": before, "to": status}
                if status == "deprecated" and case.get("deprecated_reason"):
                    detail["reason"] = str(case["deprecated_reason"])
                events.append(new_event("status_changed", case_id, now=now, actor=actor, detail=detail))
            if case_id not in previous:
                continue  # a new case's remediation came with it (promote records the case itself)
            known = {_key(e) for e in _entries(earlier)} | recorded_remediations.get(case_id, set())
            for entry in _entries(case):
                if _key(entry) not in known:
                    known.add(_key(entry))
                    date, change = _key(entry)
                    events.append(
                        new_event("remediated", case_id, now=now, actor=actor, detail={"date": date, "change": change})
                    )
    return events


def statuses(
    cases: Sequence[Mapping[str, Any]], watchlist: Sequence[Mapping[str, Any]]
) -> dict[str, tuple[str, Mapping[str, Any]]]:
    """case id -> (status, case), a watchlist case's status being `watchlist`."""
    out: dict[str, tuple[str, Mapping[str, Any]]] = {}
    for case in cases:
        if isinstance(case.get("id"), str):
            out[case["id"]] = (str(case.get("status", "active")), case)
    for case in watchlist:
        if isinstance(case.get("id"), str):
            out[case["id"]] = ("watchlist", case)
    return out


def recorded(
    history_lines: Sequence[Mapping[str, Any]],
) -> tuple[dict[str, str | None], dict[str, set[tuple[str, str]]]]:
    """(last recorded status, recorded remediation keys) per case, from history events in order."""
    status: dict[str, str | None] = {}
    remediations: dict[str, set[tuple[str, str]]] = {}
    for event in history_lines:
        case_id, detail = event.get("case_id"), event.get("detail")
        if not isinstance(case_id, str) or not isinstance(detail, dict):
            continue
        if event.get("type") == "status_changed" and isinstance(detail.get("to"), str):
            status[case_id] = detail["to"]
        elif event.get("type") == "remediated":
            remediations.setdefault(case_id, set()).add(_key(detail))
    return status, remediations
