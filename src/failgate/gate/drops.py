"""The reliability rule of the gate: a stochastic case that got significantly worse is a flip. Pure.

A case run more than once passes k of N. Its own floor (`pass_if`) still fails it outright; on top of
that, the gate compares k/N now with the base's own recorded k/N for the same case (the last `result`
event at the merge-base, which no branch can rewrite) by a one-sided Fisher exact test, and splits
the error budget `[tool.failgate.gate] alpha` (read from the base) across the stochastic cases of the
run by Holm. A rejected case is a flip: `9/10 at base -> 4/10 now (p = 0.029)` (the reference,
"Stochastic cases").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from failgate.dataset.history import HistoryFold, tally
from failgate.eval.attempts import Reliability
from failgate.eval.reliability import Record, drop_p_value, holm, settled
from failgate.eval.runner import FAIL, SKIPPED, CaseResult
from failgate.gate.decisions import ResultDisagreement, last_results


@dataclasses.dataclass(frozen=True)
class Comparison:
    case: CaseResult
    base: Record
    p_value: float
    dropped: bool

    @property
    def text(self) -> str:
        now = Record(self.case.passes, self.case.runs).text
        spent = (
            f", stopped after {self.case.runs} of {self.case.max_runs}" if self.case.runs < self.case.max_runs else ""
        )
        return f"{self.base.text} at base \u2192 {now} now (p = {self.p_value:.3g}{spent})"


def base_records(baseline: HistoryFold) -> dict[str, Record]:
    """Each case's last recorded k/N at the base, where its last result carries one."""
    return {
        case_id: Record(entry.last_passes, entry.last_attempts)
        for case_id, entry in baseline.cases.items()
        if entry.last_attempts is not None and entry.last_passes is not None
    }


def reliability_plan(baseline: HistoryFold, stochastic_ids: Iterable[str], alpha: float) -> Reliability:
    """What the runner needs to stop a `repeat: {min, max}` case early: the base's records of the
    stochastic cases about to run and the size of the family the budget is split across."""
    records = base_records(baseline)
    compared = {case_id: records[case_id] for case_id in stochastic_ids if case_id in records}
    return Reliability(compared, alpha, max(1, len(compared)))


def compare(results: Iterable[CaseResult], reliability: Reliability) -> list[Comparison]:
    """Every stochastic case that ran, has a base record and did not fail its own floor, with its
    verdict under Holm at `reliability.alpha`."""
    candidates: list[tuple[CaseResult, Record]] = []
    for case in results:
        base = reliability.baseline.get(case.case_id)
        if base is None or not case.stochastic or case.outcome == SKIPPED:
            continue
        candidates.append((case, base))
    family = max(1, reliability.family, len(candidates))
    p_values: dict[str, float] = {}
    for case, base in candidates:
        verdict = settled(base, case.passes, case.runs, max(case.max_runs, case.runs), reliability.alpha, family)
        p_values[case.case_id] = verdict[1] if verdict else drop_p_value(base.passes, base.runs, case.passes, case.runs)
    rejected = holm(p_values, reliability.alpha)
    return [
        Comparison(case, base, p_values[case.case_id], case.case_id in rejected and case.outcome != FAIL)
        for case, base in candidates
    ]


def mark_drops(cases: list[CaseResult], comparisons: Iterable[Comparison]) -> list[CaseResult]:
    """The results with each dropped case failed, its reason first, so that every report (matrix,
    JSON, JUnit, Markdown, HTML) counts it as the flip it is."""
    dropped: Mapping[str, Comparison] = {c.case.case_id: c for c in comparisons if c.dropped}
    return [
        dataclasses.replace(
            case, outcome=FAIL, reasons=[f"reliability dropped: {dropped[case.case_id].text}", *case.reasons]
        )
        if case.case_id in dropped
        else case
        for case in cases
    ]


def deflated_records(
    range_events: Iterable[Mapping[str, object]], results: Iterable[CaseResult], alpha: float
) -> list[ResultDisagreement]:
    """Result events the range added for a stochastic case whose k/N the gate's own run contradicts.

    Merged, the range's last record becomes the next branch's base: a record that understates the
    case's pass rate (or leaves the tally out) would let a later drop pass unseen. The same test
    the rule uses, in the other direction: is the record significantly below the gate's own run?"""
    last = last_results(range_events)
    found = []
    for case in results:
        latest = last.get(case.case_id)
        if latest is None or not case.stochastic or case.outcome == SKIPPED:
            continue
        event = latest
        attempts, passes = tally(event)
        own = Record(case.passes, case.runs).text
        if attempts is None or passes is None:
            recorded = "a result without attempts and passes"
        elif drop_p_value(case.passes, case.runs, passes, attempts) <= alpha:
            recorded = f"{passes}/{attempts}"
        else:
            continue
        judge = event.get("judge")
        found.append(
            ResultDisagreement(
                case.case_id,
                recorded,
                judge if isinstance(judge, str) else None,
                event.get("commit") if isinstance(event.get("commit"), str) else None,  # type: ignore[arg-type]
                event.get("actor") if isinstance(event.get("actor"), str) else None,  # type: ignore[arg-type]
                own,
                case.judge,
            )
        )
    return found
