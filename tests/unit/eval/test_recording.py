"""`eval.recording`: a `regressed` event names the pass it follows, and the counts written to
cases.yaml are the history's regressions (docs/reference/history-events.md, "Counting regressions")."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from failgate.dataset.history import fold_events
from failgate.eval.recording import Stamp, plan_events, regressed_counts
from failgate.eval.runner import CaseResult

CASE = "AGTFAIL-0002"
JUDGE = "sha256:" + "ab" * 32
STAMP = Stamp(commit="c" * 40, dirty=False, actor="ci")
NOW = _dt.datetime(2026, 5, 12, 8, 0, tzinfo=_dt.timezone.utc)


def ran(outcome: str) -> CaseResult:
    return CaseResult(
        case_id=CASE,
        title="Case 2",
        failure_mode="hallucination",
        severity="P1",
        blast_radius="customer_visible",
        gating=True,
        source="cases",
        outcome=outcome,
        passes=1 if outcome == "pass" else 0,
        runs=1,
        required=1,
        reasons=[] if outcome == "pass" else ["missing 'ok 2'"],
        failed_rules=[],
        latency_ms=1.0,
        judge=JUDGE,
    )


def event(ident: str, kind: str, **fields: Any) -> dict[str, Any]:
    return {"id": ident, "ts": "2026-05-10T00:00:00Z", "case_id": CASE, "type": kind, "judge": JUDGE, **fields}


def test_a_regression_names_the_pass_it_follows() -> None:
    fold = fold_events([event("P0", "result", outcome="pass")])
    planned = plan_events(fold, [ran("fail")], STAMP, now=NOW)
    assert [e["type"] for e in planned] == ["result", "regressed"]
    assert planned[1]["detail"]["after"] == "P0"
    assert regressed_counts(fold, planned) == {CASE: 1}


def test_recording_after_a_merge_of_the_same_regression_counts_one_then_two() -> None:
    merged = [
        event("P0", "result", outcome="pass"),
        event("FA", "result", outcome="fail"),
        event("RA", "regressed", detail={"from": "pass", "to": "fail", "after": "P0"}),
        event("FB", "result", outcome="fail"),
        event("RB", "regressed", detail={"from": "pass", "to": "fail", "after": "P0"}),
    ]
    fold = fold_events(merged)
    # Still failing: nothing to record, and the count stays the one regression.
    assert plan_events(fold, [ran("fail")], STAMP, now=NOW) == []
    assert regressed_counts(fold, []) == {CASE: 1}
    # Control: it passes, then fails again: a second, different regression.
    fixed = [*merged, event("P1", "result", outcome="pass")]
    planned = plan_events(fold_events(fixed), [ran("fail")], STAMP, now=NOW)
    assert planned[1]["detail"]["after"] == "P1"
    assert regressed_counts(fold_events(fixed), planned) == {CASE: 2}


def test_control_an_old_history_without_the_field_counts_per_event() -> None:
    old = [
        event("P0", "result", outcome="pass"),
        event("R1", "regressed", detail={"from": "pass", "to": "fail"}),
        event("P1", "result", outcome="pass"),
        event("R2", "regressed", detail={"from": "pass", "to": "fail"}),
        event("P2", "result", outcome="pass"),
    ]
    fold = fold_events(old)
    planned = plan_events(fold, [ran("fail")], STAMP, now=NOW)
    assert regressed_counts(fold, planned) == {CASE: 3}
