"""The cases x commits timeline behind `failgate report --html`. Pure.

`history.jsonl` holds every recorded outcome of every case, each with the
commit it was judged at. This module turns it into the grid the page draws:

- columns: the commits that have `result` events, in the order they first
  appear in the file (the record's order: `eval --record` appends);
- one row per case (from `cases.yaml`, `watchlist.yaml`, the snapshots in
  `cases_removed.yaml`, or only the history), grouped by failure mode in
  taxonomy order, then severity, then id;
- a cell per (case, commit): the outcome recorded at that commit, or, where
  nothing was recorded (`eval --record` appends only changes), the last
  recorded outcome carried forward and marked as carried.

Cell states: `pass`, `fail`, `flip` (a fail recorded right after a pass: the
regression the gate blocks), `flaky` (both outcomes recorded at one commit,
flaky by definition, FIELD-NOTES "Flakiness vocabulary"), `removed` and
`deprecated` (from the column after the event that retired the case), `none`
(nothing known yet).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from failgate.dataset.history import tally as result_tally
from failgate.dataset.model import FAILURE_MODES_V1, SEVERITIES

PASS, FAIL, FLIP, FLAKY, REMOVED, DEPRECATED, NONE = "pass", "fail", "flip", "flaky", "removed", "deprecated", "none"
STATES = (PASS, FAIL, FLIP, FLAKY, REMOVED, DEPRECATED, NONE)
_PASSING = {PASS}
_JUDGED = {PASS, FAIL, FLIP, FLAKY}


@dataclasses.dataclass(frozen=True)
class Column:
    commit: str
    ts: str | None  # the first result recorded at it
    in_range: bool = False  # part of the range a gate page is about
    label: str | None = None  # e.g. "now": the gate's own run, not recorded


class Recorded(NamedTuple):
    """What one recorded result says, for the cell's tooltip. A tuple: a dense
    history makes 100,000 of them, and a frozen dataclass costs ~3x to build."""

    outcome: str
    ts: str | None
    judge: str | None
    actor: str | None
    tally: str | None = None  # "9/10" for a case run more than once


@dataclasses.dataclass
class Row:
    case_id: str
    title: str
    failure_mode: str
    severity: str
    status: str  # active | deprecated | watchlist | removed | unknown (only in the history)
    cells: list[str]  # one state per column
    carried: list[bool]  # True where nothing was recorded at that commit
    recorded: dict[int, list[Recorded]]  # column -> the results recorded there
    flips: int = 0
    focus: str | None = None  # on a gate page: "flip" / "fail" rows go first


@dataclasses.dataclass(frozen=True)
class SizePoint:
    ts: str | None
    active: int
    promoted: int
    removed: int
    deprecated: int


@dataclasses.dataclass
class Timeline:
    columns: list[Column]
    rows: list[Row]
    modes: list[str]
    mode_rates: dict[str, list[float | None]]  # failure mode -> pass rate at each column
    sizes: list[SizePoint]

    @property
    def cells(self) -> int:
        return len(self.columns) * len(self.rows)


def _definitions(
    cases: Sequence[Mapping[str, Any]], watchlist: Sequence[Mapping[str, Any]], removed: Sequence[Mapping[str, Any]]
) -> dict[str, tuple[Mapping[str, Any], str]]:
    found: dict[str, tuple[Mapping[str, Any], str]] = {}
    for entry in removed:
        snapshot = entry.get("case")
        if isinstance(entry.get("id"), str):
            found[entry["id"]] = (snapshot if isinstance(snapshot, dict) else {}, REMOVED)
    for case in watchlist:
        if isinstance(case.get("id"), str):
            found[case["id"]] = (case, "watchlist")
    for case in cases:
        if isinstance(case.get("id"), str):
            found[case["id"]] = (case, DEPRECATED if case.get("status") == DEPRECATED else "active")
    return found


def build_timeline(
    events: Iterable[Mapping[str, Any]],
    *,
    cases: Sequence[Mapping[str, Any]] = (),
    watchlist: Sequence[Mapping[str, Any]] = (),
    removed: Sequence[Mapping[str, Any]] = (),
    taxonomy: Sequence[str] = FAILURE_MODES_V1,
) -> Timeline:
    """One pass over the events (oldest first), then one over the grid."""
    columns: dict[str, int] = {}
    column_ts: list[str | None] = []
    recorded: dict[str, dict[int, list[Recorded]]] = {}
    retired: dict[str, list[tuple[int, str | None]]] = {}  # case -> [(from column, removed|deprecated|None)]
    order: list[str] = []
    sizes: list[SizePoint] = []
    promoted = removed_n = deprecated_n = 0
    statuses: dict[str, str] = {}
    promoted_ids: set[str] = set()
    first_point: dict[str, int] = {}  # case -> the first size point after history first names it
    last_ts: str | None = None

    def seen(case_id: str) -> dict[int, list[Recorded]]:
        cells = recorded.get(case_id)
        if cells is None:
            cells = recorded[case_id] = {}
            order.append(case_id)
            first_point[case_id] = len(sizes)
        return cells

    # The hot loop of a 100,000-line history: result lines first, few calls per line.
    for event in events:
        case_id = event.get("case_id")
        if not isinstance(case_id, str):
            continue
        kind, ts = event.get("type"), event.get("ts")
        if not isinstance(ts, str):
            ts = None
        last_ts = ts or last_ts
        cells = seen(case_id)
        outcome = event.get("outcome")
        if kind == "result" and (outcome == PASS or outcome == FAIL):
            commit = event.get("commit")
            if not isinstance(commit, str):
                commit = "(no commit)"
            index = columns.get(commit)
            if index is None:
                index = columns[commit] = len(columns)
                column_ts.append(ts)
            judge, actor = event.get("judge"), event.get("actor")
            attempts, passes = result_tally(event)
            entry = Recorded(
                outcome,
                ts,
                judge if isinstance(judge, str) else None,
                actor if isinstance(actor, str) else None,
                None if attempts is None else f"{passes}/{attempts}",
            )
            at = cells.get(index)
            if at is None:
                cells[index] = [entry]
            else:
                at.append(entry)
            continue
        after = len(columns)  # a retirement shows from the next recorded commit on
        before = statuses.get(case_id, "active")
        if kind == "promoted":
            promoted += 1
            promoted_ids.add(case_id)
        elif kind == "removed":
            retired.setdefault(case_id, []).append((after, REMOVED))
            removed_n += 1
            if before == DEPRECATED:
                deprecated_n -= 1
            statuses[case_id] = REMOVED
        elif kind == "status_changed":
            detail = event.get("detail")
            to = detail.get("to") if isinstance(detail, dict) else None
            if to == DEPRECATED and before != DEPRECATED:
                retired.setdefault(case_id, []).append((after, DEPRECATED))
                deprecated_n += 1
                statuses[case_id] = DEPRECATED
            elif to == "active" and before == DEPRECATED:
                retired.setdefault(case_id, []).append((after, None))
                deprecated_n -= 1
                statuses[case_id] = "active"
            else:
                continue
        else:
            continue
        sizes.append(SizePoint(ts, promoted - removed_n - deprecated_n, promoted, removed_n, deprecated_n))

    definitions = _definitions(cases, watchlist, removed)
    _count_hand_written(sizes, definitions, promoted_ids, first_point, last_ts)
    for case_id in definitions:
        seen(case_id)
    width = len(columns)
    rows = []
    for case_id in order:
        definition, status = definitions.get(case_id, ({}, "unknown"))
        row = Row(
            case_id,
            str(definition.get("title") or ""),
            str(definition.get("failure_mode") or "unknown"),
            str(definition.get("severity") or "-"),
            status,
            [NONE] * width,
            [True] * width,
            recorded.get(case_id, {}),
        )
        _fill(row, retired.get(case_id, []))
        rows.append(row)
    modes = list(taxonomy) + sorted({r.failure_mode for r in rows} - set(taxonomy))
    rows.sort(key=lambda r: _row_key(r, modes))
    commits = list(columns)
    timeline = Timeline([Column(c, column_ts[i]) for i, c in enumerate(commits)], rows, modes, {}, sizes)
    timeline.mode_rates = mode_rates(timeline)
    return timeline


def _count_hand_written(
    sizes: list[SizePoint],
    definitions: Mapping[str, tuple[Mapping[str, Any], str]],
    promoted_ids: set[str],
    first_point: Mapping[str, int],
    last_ts: str | None,
) -> None:
    """Cases written into cases.yaml by hand have no `promoted` event: they count from the first event that
    names them, or from the start when history never does (the chart showed 3 active of 11). Their removal
    and deprecation events were already counted. In place; one closing point gives the present size."""
    hand_written = [
        case_id for case_id, (_, status) in definitions.items() if status != "watchlist" and case_id not in promoted_ids
    ]
    if not hand_written:
        return
    last = sizes[-1] if sizes else SizePoint(last_ts, 0, 0, 0, 0)
    sizes.append(dataclasses.replace(last, ts=last_ts))
    for case_id in hand_written:
        for index in range(first_point.get(case_id, 0), len(sizes)):
            point = sizes[index]
            sizes[index] = dataclasses.replace(point, active=point.active + 1, promoted=point.promoted + 1)


def _row_key(row: Row, modes: list[str]) -> tuple[int, int, int, str]:
    focus = {FLIP: 0, FAIL: 1}.get(row.focus or "", 2)
    severity = SEVERITIES.index(row.severity) if row.severity in SEVERITIES else len(SEVERITIES)
    return focus, modes.index(row.failure_mode), severity, row.case_id


def _fill(row: Row, retirements: list[tuple[int, str | None]]) -> None:
    last: str | None = None  # last recorded outcome
    pending = iter(sorted(retirements, key=lambda item: item[0]))
    upcoming = next(pending, None)
    retired: str | None = None
    for index in range(len(row.cells)):
        while upcoming is not None and upcoming[0] <= index:
            retired = upcoming[1]
            upcoming = next(pending, None)
        results = row.recorded.get(index)
        if results:
            row.carried[index] = False
            outcome = results[0].outcome
            if len(results) > 1 and any(r.outcome != outcome for r in results):
                state = FLAKY
            elif outcome == FAIL and last == PASS:
                state = FLIP
                row.flips += 1
            else:
                state = outcome
            row.cells[index] = state
            last = results[-1].outcome
        elif retired is not None:
            row.cells[index] = retired
        elif last is not None:
            row.cells[index] = last
    # A case whose definition says it is gone is shown gone after its last result.
    if row.status in (REMOVED, DEPRECATED) and not retirements:
        for index in range(len(row.cells) - 1, -1, -1):
            if not row.carried[index]:
                break
            row.cells[index] = row.status


def mode_rates(timeline: Timeline) -> dict[str, list[float | None]]:
    """Per failure mode, at each column: the share of the mode's judged cases
    (recorded or carried; not retired, not yet known) whose state is a pass."""
    rates: dict[str, list[float | None]] = {}
    for mode in timeline.modes:
        rows = [r for r in timeline.rows if r.failure_mode == mode]
        series: list[float | None] = []
        for index in range(len(timeline.columns)):
            judged = passed = 0
            for row in rows:
                state = row.cells[index]
                if state in _JUDGED:
                    judged += 1
                    passed += state in _PASSING
            series.append(passed / judged if judged else None)
        rates[mode] = series
    return rates


def add_gate_run(
    timeline: Timeline, commit: str, outcomes: Mapping[str, Recorded], focus: Mapping[str, str], range_commits: set[str]
) -> None:
    """Append the gate's own run (not recorded in the history) as the last
    column, mark the columns of the range under test, and put the rows the
    gate is about first: flips, then other failures."""
    timeline.columns = [dataclasses.replace(c, in_range=c.commit in range_commits) for c in timeline.columns]
    timeline.columns.append(Column(commit, None, in_range=True, label="now"))
    known = {row.case_id for row in timeline.rows}
    for case_id in outcomes:
        if case_id not in known:
            timeline.rows.append(
                Row(
                    case_id,
                    "",
                    "unknown",
                    "-",
                    "unknown",
                    [NONE] * (len(timeline.columns) - 1),
                    [True] * (len(timeline.columns) - 1),
                    {},
                )
            )
    for row in timeline.rows:
        run = outcomes.get(row.case_id)
        outcome = run.outcome if run is not None else None
        previous = next((s for s in reversed(row.cells) if s in _JUDGED), None)
        if outcome is None:
            state = row.cells[-1] if row.cells and row.cells[-1] in (REMOVED, DEPRECATED) else NONE
        elif focus.get(row.case_id) == FLIP or (outcome == FAIL and previous == PASS):
            state = FLIP
        else:
            state = outcome if outcome in (PASS, FAIL) else NONE
        row.cells.append(state)
        row.carried.append(outcome is None)
        row.focus = focus.get(row.case_id)
        if run is not None and outcome in (PASS, FAIL):
            row.recorded = {**row.recorded, len(row.cells) - 1: [run]}
    timeline.modes += sorted({r.failure_mode for r in timeline.rows} - set(timeline.modes))
    timeline.rows.sort(key=lambda r: _row_key(r, timeline.modes))
    timeline.mode_rates = mode_rates(timeline)


def keep_last(timeline: Timeline, columns: int) -> int:
    """Keep only the newest `columns` columns (a page stays small and quick however
    long the history); returns how many older columns were dropped. The cells of
    the kept columns are unchanged: carried outcomes still come from the whole history."""
    drop = max(len(timeline.columns) - columns, 0)
    if not drop:
        return 0
    timeline.columns = timeline.columns[drop:]
    for row in timeline.rows:
        row.cells, row.carried = row.cells[drop:], row.carried[drop:]
        row.recorded = {col - drop: results for col, results in row.recorded.items() if col >= drop}
    timeline.mode_rates = {mode: series[drop:] for mode, series in timeline.mode_rates.items()}
    return drop
