"""Fold `history.jsonl` into one summary per case, in one pass. Pure.

The gate's baseline (each case's last recorded outcome at the merge-base),
`eval --record` (what changed since the last record) and `report` (flip rate,
prune candidates) all read the same fold, so they cannot disagree about what
the history says.

Vocabulary (FIELD-NOTES, "Flakiness vocabulary"): a *flip* is a pass->fail or
fail->pass change between consecutive recorded results of a case; flip rate =
flips / (runs - 1); two different outcomes recorded at the same commit are a
*same-commit disagreement*, flaky by definition.

Regressions (docs/reference/history-events.md, "Counting regressions"): a `regressed`
event names, in `detail.after`, the `pass` result it follows. Two events naming the same
pass are one regression recorded twice (on both sides of a merge: each side ran
`eval --record` after the same agent change, so `cases.yaml` is byte-identical on both
and git keeps it, count 1, while the history driver keeps both events, which it must:
each side's history stays a subsequence of the merged one). `regression_count` is the
one definition every reader uses: distinct `after`s, plus one per event without the
field (written before it existed, each its own regression).

Parsing: a 100,000-line history is 12-30 MB; `orjson.loads` per line (0.13 s
for 100k lines, faster than one call over the lines joined into an array)
skipping what is not a JSON object (validate reports those; a fold must not
die on them). The gate needs only each case's *last* result, so
`fold_latest` reads the lines backwards and stops once every case it asks
about has one: its cost follows the number of cases, not the history's length.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from failgate.dataset.events import usable_event
from failgate.dataset.jsonstrict import loads_or_none

try:  # optional: 3-4x faster on large histories (FIELD-NOTES, pygit2 timings)
    from orjson import loads as _orjson_loads

    def _loads(line: bytes) -> Any:
        try:
            return _orjson_loads(line)
        except ValueError:  # orjson's own depth limit and bad lines alike
            return None
except ImportError:  # pragma: no cover
    # A fold skips what it cannot read (validate reports it): a line too deep
    # for the stdlib parser is skipped too, never a RecursionError.
    _loads = loads_or_none

PASS, FAIL = "pass", "fail"


def regression_after(event: Mapping[str, Any]) -> str | None:
    """The id of the `pass` result a `regressed` event follows (`detail.after`), or None
    for an event written before the field existed."""
    detail = event.get("detail")
    after = detail.get("after") if isinstance(detail, dict) else None
    return after if isinstance(after, str) and after else None


@dataclasses.dataclass
class Regressions:
    """One case's regressions, as `regressed_count` must count them: a regression is
    identified by the pass it follows, so the same one recorded on both sides of a
    merge counts once; an event without `detail.after` counts once by itself."""

    after: set[str] = dataclasses.field(default_factory=set)
    unnamed: int = 0

    def add(self, event: Mapping[str, Any]) -> None:
        after = regression_after(event)
        if after is None:
            self.unnamed += 1
        else:
            self.after.add(after)

    @property
    def count(self) -> int:
        return len(self.after) + self.unnamed

    def copy(self) -> Regressions:
        return Regressions(set(self.after), self.unnamed)


def regression_counts(
    events: Iterable[Mapping[str, Any]], start: Mapping[str, Regressions] | None = None
) -> dict[str, int]:
    """Each case's number of regressions in these events (`Regressions`), counted on from
    `start` (the tallies a fold already holds; left as they are); cases without one are left out."""
    tallies = {case_id: tally.copy() for case_id, tally in (start or {}).items()}
    for event in events:
        case_id = event.get("case_id")
        if event.get("type") == "regressed" and isinstance(case_id, str):
            tallies.setdefault(case_id, Regressions()).add(event)
    return {case_id: tally.count for case_id, tally in tallies.items() if tally.count}


@dataclasses.dataclass
class CaseHistory:
    """Everything the history says about one case."""

    case_id: str
    promoted_at: str | None = None
    removed_at: str | None = None
    status: str | None = None  # the `to` of the last status_changed event
    runs: int = 0  # recorded `result` events
    last_outcome: str | None = None
    last_judge: str | None = None
    last_attempts: int | None = None  # k/N of the last result, for a case run more than once
    last_passes: int | None = None
    last_commit: str | None = None
    last_result_at: str | None = None
    last_pass_at: str | None = None
    last_pass_id: str | None = None  # the event a regression after it names (`Regressions`)
    last_fail_at: str | None = None
    last_pass_commit: str | None = None
    last_fail_commit: str | None = None
    flips: int = 0
    regressed: Regressions = dataclasses.field(default_factory=Regressions)
    last_regressed_at: str | None = None
    remediations: int = 0
    last_remediated_at: str | None = None
    recurrences: int = 0
    outcomes: list[str] = dataclasses.field(default_factory=list)  # result outcomes, in order
    result_times: list[str | None] = dataclasses.field(default_factory=list)  # ts of each outcome
    remediated_times: list[str] = dataclasses.field(default_factory=list)
    disagreements: set[str] = dataclasses.field(default_factory=set)  # commits with both outcomes
    _by_commit: dict[str, str] = dataclasses.field(default_factory=dict, repr=False)  # commit -> first outcome

    @property
    def regressions(self) -> int:
        """What regressed_count must equal (`Regressions`)."""
        return self.regressed.count

    @property
    def flip_rate(self) -> float | None:
        return None if self.runs < 2 else self.flips / (self.runs - 1)


@dataclasses.dataclass
class HistoryFold:
    cases: dict[str, CaseHistory]
    events: int  # events folded
    skipped: int  # lines that were not JSON objects

    def get(self, case_id: str) -> CaseHistory | None:
        return self.cases.get(case_id)


def parse_events(data: bytes) -> tuple[list[dict[str, Any]], int]:
    """The JSON objects of a JSONL blob, in order, and how many lines were skipped."""
    lines = [line for line in _lf(data).split(b"\n") if line.strip()]
    events: list[dict[str, Any]] = []
    skipped = 0
    for line in lines:
        value = _loads(line)
        if usable_event(value):
            events.append(value)
        else:
            skipped += 1  # not an object, or a key of the wrong type: validate reports it
    return events, skipped


def fold_events(events: Iterable[dict[str, Any]], skipped: int = 0) -> HistoryFold:
    """One pass over the events, oldest first (file order is the record's order)."""
    cases: dict[str, CaseHistory] = {}
    count = 0
    for event in events:
        if not usable_event(event):
            skipped += 1
            continue
        count += 1
        case_id = event.get("case_id")
        if not isinstance(case_id, str):
            continue  # taxonomy_changed and malformed lines belong to no case
        entry = cases.get(case_id)
        if entry is None:
            entry = cases[case_id] = CaseHistory(case_id)
        kind = event.get("type")
        ts = event.get("ts") if isinstance(event.get("ts"), str) else None
        if kind == "result":
            outcome = event.get("outcome")
            if outcome not in (PASS, FAIL):
                continue
            commit = event.get("commit") if isinstance(event.get("commit"), str) else None
            if entry.last_outcome is not None and entry.last_outcome != outcome:
                entry.flips += 1
            entry.runs += 1
            entry.outcomes.append(outcome)
            entry.result_times.append(ts)
            entry.last_outcome = outcome
            entry.last_judge = event.get("judge") if isinstance(event.get("judge"), str) else None
            entry.last_attempts, entry.last_passes = tally(event)
            entry.last_commit = commit
            entry.last_result_at = ts
            if outcome == PASS:
                entry.last_pass_at, entry.last_pass_commit = ts, commit
                entry.last_pass_id = event.get("id")
            else:
                entry.last_fail_at, entry.last_fail_commit = ts, commit
            if commit is not None:
                first = entry._by_commit.setdefault(commit, outcome)
                if first != outcome:
                    entry.disagreements.add(commit)
        elif kind == "regressed":
            entry.regressed.add(event)
            entry.last_regressed_at = ts
            # A regression is a failure even where no result line came with it.
            if ts is not None and (entry.last_fail_at is None or ts > entry.last_fail_at):
                entry.last_fail_at = ts
        elif kind == "promoted":
            entry.promoted_at = entry.promoted_at or ts
        elif kind == "removed":
            entry.removed_at = ts
        elif kind == "status_changed":
            detail = event.get("detail")
            if isinstance(detail, dict) and isinstance(detail.get("to"), str):
                entry.status = detail["to"]
        elif kind == "remediated":
            entry.remediations += 1
            entry.last_remediated_at = ts
            if ts is not None:
                entry.remediated_times.append(ts)
        elif kind == "recurrence":
            entry.recurrences += 1
    return HistoryFold(cases, count, skipped)


def tally(event: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """(attempts, passes) of a result event of a case run more than once; (None, None) when the
    event carries no consistent k/N (a deterministic case, or a hand-edited line)."""
    attempts, passes = event.get("attempts"), event.get("passes")
    if (
        isinstance(attempts, int)
        and isinstance(passes, int)
        and not isinstance(attempts, bool)
        and not isinstance(passes, bool)
        and 0 <= passes <= attempts
        and attempts >= 1
    ):
        return attempts, passes
    return None, None


def _lf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n") if b"\r" in data else data


def fold_latest(data: bytes | None, wanted: Iterable[str]) -> HistoryFold:
    """Each wanted case's last result (outcome, judge, commit; and its last pass
    when that is the last result), reading backwards and stopping early.

    What the gate's baseline needs, without folding 100,000 lines: the usual
    history ends with every case's latest result within its last few hundred
    lines. Counters (runs, flips, regressions) are not filled in: use
    `fold_bytes` for those.
    """
    missing = set(wanted)
    cases: dict[str, CaseHistory] = {}
    count = skipped = 0
    if not data or not missing:
        return HistoryFold(cases, 0, 0)
    data = _lf(data)
    end = len(data)
    while end > 0 and missing:
        start = data.rfind(b"\n", 0, end - 1) + 1 if end > 1 else 0
        line = data[start:end].strip()
        end = start
        if not line or (b'"result"' not in line and b"\\" not in line):
            continue  # only result lines decide; skip the JSON parse (an escape could spell "result")
        event = _loads(line)
        if not usable_event(event):
            skipped += 1
            continue
        count += 1
        if event.get("type") != "result" or event.get("case_id") not in missing:
            continue
        outcome = event.get("outcome")
        if outcome not in (PASS, FAIL):
            continue
        case_id = event["case_id"]
        missing.discard(case_id)
        commit = event.get("commit") if isinstance(event.get("commit"), str) else None
        ts = event.get("ts") if isinstance(event.get("ts"), str) else None
        entry = cases[case_id] = CaseHistory(
            case_id, runs=1, last_outcome=outcome, last_commit=commit, last_result_at=ts, outcomes=[outcome]
        )
        entry.last_judge = event.get("judge") if isinstance(event.get("judge"), str) else None
        entry.last_attempts, entry.last_passes = tally(event)
        if outcome == PASS:
            entry.last_pass_at, entry.last_pass_commit = ts, commit
            entry.last_pass_id = event.get("id")
        else:
            entry.last_fail_at, entry.last_fail_commit = ts, commit
    return HistoryFold(cases, count, skipped)


def fold_bytes(data: bytes | None) -> HistoryFold:
    if not data:
        return HistoryFold({}, 0, 0)
    events, skipped = parse_events(data)
    return fold_events(events, skipped)


def range_events(base: bytes | None, now: bytes | None) -> list[dict[str, Any]]:
    """The events `now` added to `base` (two versions of history.jsonl)."""
    return split_range(base, now)[1]


def split_range(base: bytes | None, now: bytes | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(events at the base, events added since) for two versions of the file;
    the first list is empty when `now` merely appended (it is not needed then).

    The usual case appends, so the base's bytes are a prefix of now's and only
    the tail needs parsing. After a merge brought lines in from elsewhere the
    new events are those whose id the base does not have.
    """
    base, now = _lf(base or b""), _lf(now or b"")
    if now.startswith(base) and (not base or base.endswith(b"\n")):
        added, _ = parse_events(now[len(base) :])
        return [], added  # the base's own events are not needed: `fold_latest` reads them
    base_events, _ = parse_events(base)
    seen = {e.get("id") for e in base_events}
    now_events, _ = parse_events(now)
    return base_events, [e for e in now_events if e.get("id") not in seen]
