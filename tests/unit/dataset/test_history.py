"""`dataset.history`: how regressions are counted (docs/reference/history-events.md, "Counting regressions")."""

from __future__ import annotations

import json
from typing import Any

from failgate.dataset.history import Regressions, fold_bytes, fold_events, regression_after, regression_counts

CASE = "AGTFAIL-0042"


def result(ident: str, outcome: str, case_id: str = CASE) -> dict[str, Any]:
    return {"id": ident, "ts": "2026-05-01T00:00:00Z", "case_id": case_id, "type": "result", "outcome": outcome}


def regressed(ident: str, after: Any = None, case_id: str = CASE) -> dict[str, Any]:
    detail: dict[str, Any] = {"from": "pass", "to": "fail", "reason": "nope"}
    if after is not None:
        detail["after"] = after
    return {"id": ident, "ts": "2026-05-09T00:00:00Z", "case_id": case_id, "type": "regressed", "detail": detail}


def both_counts(events: list[dict[str, Any]]) -> tuple[int, int]:
    """The one count, through the fold (fmt, eval --record) and through `regression_counts` (validate)."""
    entry = fold_events(events).get(CASE)
    return (entry.regressions if entry else 0), regression_counts(events).get(CASE, 0)


def test_the_same_regression_recorded_on_both_sides_of_a_merge_counts_once() -> None:
    # What the history driver writes when two branches recorded the same pass -> fail.
    merged = [
        result("P0", "pass"),
        result("FA", "fail"),
        regressed("RA", after="P0"),
        result("FB", "fail"),
        regressed("RB", after="P0"),
    ]
    assert both_counts(merged) == (1, 1)


def test_control_two_regressions_after_two_passes_count_two() -> None:
    events = [
        result("P0", "pass"),
        result("F1", "fail"),
        regressed("R1", after="P0"),
        result("P1", "pass"),
        result("F2", "fail"),
        regressed("R2", after="P1"),
    ]
    assert both_counts(events) == (2, 2)


def test_control_each_side_regressing_after_a_pass_of_its_own_counts_two() -> None:
    events = [
        result("F0", "fail"),
        result("PA", "pass"),
        result("FA", "fail"),
        regressed("RA", after="PA"),
        result("PB", "pass"),
        result("FB", "fail"),
        regressed("RB", after="PB"),
    ]
    assert both_counts(events) == (2, 2)


def test_control_events_without_the_field_count_once_each() -> None:
    # An old history: no `after`, so nothing says two events are one regression.
    old = [result("P0", "pass"), regressed("R1"), regressed("R2")]
    assert both_counts(old) == (2, 2)
    # Mixed: the old events each count, the named ones once per pass.
    mixed = [*old, regressed("R3", after="P9"), regressed("R4", after="P9")]
    assert both_counts(mixed) == (3, 3)


def test_an_after_that_is_not_an_id_counts_as_unnamed() -> None:
    for bad in ("", 7, ["P0"]):
        assert regression_after(regressed("R1", after=bad)) is None
    assert both_counts([regressed("R1", after=7), regressed("R2", after=7)]) == (2, 2)


def test_counts_are_per_case_and_other_events_do_not_count() -> None:
    events = [
        regressed("R1", after="P0"),
        regressed("R2", after="P0", case_id="AGTFAIL-0007"),
        {"id": "X1", "ts": "2026-05-09T00:00:00Z", "case_id": CASE, "type": "remediated", "detail": {"after": "P0"}},
    ]
    assert regression_counts(events) == {CASE: 1, "AGTFAIL-0007": 1}


def test_the_fold_remembers_the_last_pass_a_regression_would_follow() -> None:
    data = "".join(json.dumps(e) + "\n" for e in [result("P0", "pass"), result("F1", "fail"), result("P1", "pass")])
    entry = fold_bytes(data.encode()).get(CASE)
    assert entry is not None and entry.last_pass_id == "P1"


def test_a_tally_copy_is_independent() -> None:
    tally = Regressions()
    tally.add(regressed("R1", after="P0"))
    copy = tally.copy()
    copy.add(regressed("R2", after="P1"))
    copy.add(regressed("R3"))
    assert (tally.count, copy.count) == (1, 3)
