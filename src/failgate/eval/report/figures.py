"""The figures every format of an eval report shows alike: the per-failure-mode
matrix, the severity breakdown, the verdict line. Apart from the renderers'
dispatcher (`failgate.eval.report`) so that each renderer imports them without
importing the dispatcher back."""

from __future__ import annotations

import dataclasses

from failgate.dataset.model import SEVERITIES
from failgate.eval.runner import FAIL, PASS, SKIPPED, CaseResult, EvalResult


@dataclasses.dataclass(frozen=True)
class Row:
    name: str
    cases: int
    passed: int
    failed: int

    @property
    def pass_rate(self) -> float | None:
        return None if not self.cases else self.passed / self.cases

    def rate_text(self) -> str:
        rate = self.pass_rate
        return "-" if rate is None else f"{rate * 100:.1f}%"


def _row(name: str, results: list[CaseResult]) -> Row:
    passed = sum(c.outcome == PASS for c in results)
    failed = sum(c.outcome == FAIL for c in results)
    return Row(name, passed + failed, passed, failed)


def matrix(result: EvalResult) -> list[Row]:
    """One row per taxonomy mode (in taxonomy order, empty modes included),
    then any mode a case names outside the taxonomy, then the total. Gating
    cases only: watchlist cases never move these numbers."""
    gating = result.gating
    modes = list(result.taxonomy) + sorted({c.failure_mode for c in gating} - set(result.taxonomy))
    rows = [_row(mode, [c for c in gating if c.failure_mode == mode]) for mode in modes]
    rows.append(_row("total", gating))
    return rows


def severity_rows(result: EvalResult) -> list[Row]:
    gating = result.gating
    names = list(SEVERITIES) + sorted({c.severity for c in gating} - set(SEVERITIES))
    return [_row(s, [c for c in gating if c.severity == s]) for s in names]


def watch_failures(result: EvalResult) -> list[CaseResult]:
    return [c for c in result.cases if not c.gating and c.outcome == FAIL]


def skipped(result: EvalResult) -> list[CaseResult]:
    return [c for c in result.cases if c.outcome == SKIPPED]


def verdict(result: EvalResult) -> str:
    gating = result.gating
    failed = len(result.failed)
    if result.floor is not None:
        relation = ">=" if result.ok else "<"
        return (
            f"{'PASS' if result.ok else 'FAIL'}: pass rate {result.pass_rate * 100:.1f}% {relation} floor "
            f"{result.floor * 100:.1f}% ({failed} of {len(gating)} cases failed)"
        )
    if not failed:
        return f"PASS: all {len(gating)} gating cases passed"
    return f"FAIL: {failed} of {len(gating)} gating cases failed (the failure set gates at 100%)"
