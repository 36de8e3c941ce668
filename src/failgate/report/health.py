"""Dataset health for `failgate report`. Pure: parsed cases + the history fold in, a report out.

What it looks for (manual: docs/reference/report.md, "Dataset health report"):
- cases per failure mode and severity;
- the size band: under 60 active cases the set is too thin to trust, over 200
  "dedupe is broken or the failure set is being used as the eval set";
- one intent above 30 % of the active cases: the set over-represents one flow;
- `regressed_count > 1`: structurally fragile, worth an architectural fix;
- prune candidates: active cases with no failure in 9 months (last failure =
  the newest of its discovery date and recorded failures);
- active cases without a remediation entry;
- per case, the flip rate (flips / (recorded runs - 1)) and same-commit
  disagreements, so a steady regression (pass, pass, fail, fail) reads
  differently from a flaky case (pass, fail, pass, fail) that belongs on the
  watchlist. `eval --record` appends only changes, so recorded outcomes
  alternate by construction and the flip rate alone cannot tell the two
  apart. What can: a steady regression recovers because someone fixed it (a
  `remediation` entry of the case, or a `remediated` event, dated between the
  failure and the recovery); a flaky case recovers by itself. So a case is
  called flaky when it recovered without a recorded fix twice or more, or
  when one commit was recorded with both outcomes (flaky by definition).
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import Any

from failgate.dataset.history import HistoryFold
from failgate.dataset.model import FAILURE_MODES_V1, SEVERITIES

SIZE_MIN, SIZE_MAX = 60, 200
INTENT_SHARE_MAX = 0.30
PRUNE_AFTER_DAYS = 274  # 9 months
FLAKY_RECOVERIES = 2  # unexplained fail -> pass recoveries that make a case flaky


@dataclasses.dataclass(frozen=True)
class Flakiness:
    case_id: str
    runs: int
    flips: int
    flip_rate: float | None
    disagreements: int
    outcomes: str  # "P P F F", for people
    unexplained_recoveries: int = 0  # fail -> pass with no fix recorded in between

    @property
    def verdict(self) -> str:
        if self.disagreements:
            return (
                "flaky (different outcomes at one commit): give it `repeat` and `pass_if`, quarantine it for a while "
                "(`failgate decide ID --quarantine --until DATE`), move it to the watchlist or make it deterministic"
            )
        if self.unexplained_recoveries >= FLAKY_RECOVERIES:
            return (
                f"flaky (recovered {self.unexplained_recoveries} times without a recorded fix): "
                "give it `repeat` and `pass_if`, quarantine it for a while, move it to the watchlist or make it "
                "deterministic"
            )
        if self.flips:
            return "steady (changes stick)"
        return "stable"


def unexplained_recoveries(entry: Any, case: Mapping[str, Any]) -> int:
    """fail -> pass transitions with no remediation dated between them."""
    fixes = [str(r.get("date")) for r in case.get("remediation") or [] if isinstance(r, dict) and r.get("date")]
    fixes += [ts[:10] for ts in entry.remediated_times]
    count = 0
    for before, after, failed_at, passed_at in zip(
        entry.outcomes, entry.outcomes[1:], entry.result_times, entry.result_times[1:]
    ):
        if before != "fail" or after != "pass":
            continue
        low, high = (failed_at or "")[:10], (passed_at or "9999")[:10]
        if not any(low <= fix <= high for fix in fixes):
            count += 1
    return count


@dataclasses.dataclass
class HealthReport:
    active: int
    deprecated: int
    watchlist: int
    by_mode: dict[str, int]
    by_severity: dict[str, int]
    by_intent: dict[str, int]
    warnings: list[str]
    fragile: list[tuple[str, int]]
    prune: list[tuple[str, str]]  # (id, last failure date)
    no_remediation: list[str]
    flakiness: list[Flakiness]
    # (id, date of its last recorded pass or None): oldest first, never-passed first of all
    last_pass: list[tuple[str, str | None]] = dataclasses.field(default_factory=list)

    def as_data(self) -> dict[str, Any]:
        return {
            "format": 1,
            "active": self.active,
            "deprecated": self.deprecated,
            "watchlist": self.watchlist,
            "by_mode": self.by_mode,
            "by_severity": self.by_severity,
            "by_intent": self.by_intent,
            "warnings": self.warnings,
            "fragile": [{"id": i, "regressed_count": n} for i, n in self.fragile],
            "prune_candidates": [{"id": i, "last_failure": d} for i, d in self.prune],
            "without_remediation": self.no_remediation,
            "flakiness": [{**dataclasses.asdict(f), "verdict": f.verdict} for f in self.flakiness],
            "last_pass": [{"id": i, "date": d} for i, d in self.last_pass],
        }


def _date(value: Any) -> _dt.date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return _dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _taxonomy(header: Mapping[str, Any]) -> list[str]:
    from failgate.dataset.model import mode_name

    modes = header.get("failure_modes")
    names = [mode_name(m) for m in modes] if isinstance(modes, list) else []
    return [n for n in names if n] or list(FAILURE_MODES_V1)


def build_report(
    header: Mapping[str, Any],
    cases: Sequence[Mapping[str, Any]],
    watchlist: Sequence[Mapping[str, Any]],
    fold: HistoryFold,
    today: _dt.date,
) -> HealthReport:
    active = [c for c in cases if c.get("status", "active") != "deprecated" and isinstance(c.get("id"), str)]
    modes = _taxonomy(header)
    by_mode = {m: 0 for m in modes}
    by_severity = {s: 0 for s in SEVERITIES}
    intents: collections.Counter[str] = collections.Counter()
    for case in active:
        by_mode[str(case.get("failure_mode"))] = by_mode.get(str(case.get("failure_mode")), 0) + 1
        by_severity[str(case.get("severity"))] = by_severity.get(str(case.get("severity")), 0) + 1
        intents[str(case.get("intent") or "(none)")] += 1

    warnings = []
    if len(active) < SIZE_MIN:
        warnings.append(
            f"{len(active)} active cases, under {SIZE_MIN}: too few failures to trust the gate; keep promoting"
        )
    elif len(active) > SIZE_MAX:
        warnings.append(
            f"{len(active)} active cases, over {SIZE_MAX}: dedupe is broken or the failure set is being used "
            "as the eval set"
        )
    for intent, count in intents.most_common():
        if active and count / len(active) > INTENT_SHARE_MAX:
            warnings.append(
                f"intent {intent!r} is {count / len(active) * 100:.0f}% of the active cases "
                f"(over {INTENT_SHARE_MAX * 100:.0f}%): the set over-represents one flow"
            )

    fragile = sorted(
        (
            (str(c["id"]), int(c["regressed_count"]))
            for c in active
            if isinstance(c.get("regressed_count"), int) and c["regressed_count"] > 1
        ),
        key=lambda item: (-item[1], item[0]),
    )
    prune = []
    for case in active:
        entry = fold.get(case["id"])
        dates = [d for d in (_date(case.get("discovered_at")), _date(entry.last_fail_at if entry else None)) if d]
        last = max(dates) if dates else None
        if last is not None and (today - last).days > PRUNE_AFTER_DAYS:
            prune.append((case["id"], last.isoformat()))
    no_remediation = [c["id"] for c in active if not c.get("remediation")]

    flakiness = []
    for case in [*active, *(w for w in watchlist if isinstance(w.get("id"), str))]:
        entry = fold.get(case["id"])
        if entry is None or entry.runs < 2:
            continue
        flakiness.append(
            Flakiness(
                case["id"],
                entry.runs,
                entry.flips,
                entry.flip_rate,
                len(entry.disagreements),
                " ".join("P" if o == "pass" else "F" for o in entry.outcomes[-12:]),
                unexplained_recoveries(entry, case),
            )
        )
    flakiness.sort(key=lambda f: (-(f.disagreements > 0), -f.unexplained_recoveries, -(f.flip_rate or 0), f.case_id))
    last_pass: list[tuple[str, str | None]] = []
    for case in active:
        entry = fold.get(case["id"])
        passed = _date(entry.last_pass_at) if entry is not None and entry.last_pass_at else None
        last_pass.append((case["id"], passed.isoformat() if passed else None))
    last_pass.sort(key=lambda item: (item[1] or "", item[0]))
    return HealthReport(
        active=len(active),
        deprecated=len(cases) - len(active),
        watchlist=len(watchlist),
        by_mode=by_mode,
        by_severity=by_severity,
        by_intent=dict(intents.most_common()),
        warnings=warnings,
        fragile=fragile,
        prune=prune,
        no_remediation=no_remediation,
        flakiness=flakiness,
        last_pass=last_pass,
    )


def render_text(report: HealthReport) -> str:
    r = report
    lines = [
        f"failgate report: {r.active} active case(s), {r.deprecated} deprecated, {r.watchlist} on the watchlist",
        "",
    ]
    width = max([len("failure mode"), *(len(m) for m in r.by_mode)]) + 2
    lines.append(f"{'failure mode':<{width}}{'cases':>6}")
    lines += [f"{mode:<{width}}{count:>6}" for mode, count in r.by_mode.items()]
    lines += ["", "severity  " + "  ".join(f"{s} {n}" for s, n in r.by_severity.items()), ""]
    lines += [f"warning: {w}" for w in r.warnings] or ["size band and intent shares: ok"]
    if r.fragile:
        lines += ["", "regressed more than once (structurally fragile: worth an architectural fix):"]
        lines += [f"  {i}  regressed_count {n}" for i, n in r.fragile]
    if r.prune:
        lines += ["", "prune candidates (no failure in 9 months):"]
        lines += [f"  {i}  last failure {d}" for i, d in r.prune]
    if r.no_remediation:
        lines += ["", f"without remediation: {', '.join(r.no_remediation)}"]
    if r.last_pass:
        lines += ["", "last recorded pass (oldest first):"]
        lines += [f"  {i}  {d or 'never recorded'}" for i, d in r.last_pass]
    if r.flakiness:
        lines += [
            "",
            "flip rate = flips / (recorded runs - 1); flaky = recovers without a recorded fix, "
            "or both outcomes at one commit:",
        ]
        for f in r.flakiness:
            rate = "-" if f.flip_rate is None else f"{f.flip_rate:.2f}"
            lines.append(
                f"  {f.case_id}  runs {f.runs}  flips {f.flips}  rate {rate}  same-commit {f.disagreements}"
                f"  [{f.outcomes}]  {f.verdict}"
            )
    return "\n".join(lines) + "\n"
