"""The gate's decision: 100 % on the failure set, zero flips. Pure.

Inputs are already parsed: the baseline (the history fold at the merge-base),
the case definitions at the base and at the commit under test, the history
events added in the range, and the eval results. `commands/gate.py` gathers
them from git and runs the agent; this module only decides (manual:
docs/reference/gate.md).

It fails on:
- an active case that fails now (the failure set gates at 1.00);
- a flip: a case whose last recorded outcome at the baseline is pass and that
  fails now -- including a case the range deprecated, moved to the watchlist
  or removed, which is run from its *baseline* definition, because retiring
  the case must not be the way to ship its regression;
- a case whose judged definition changed in the range (`gate.definitions`)
  and whose *baseline* definition fails now, unless a `redefined` decision
  names it: weakening `expected` must not be the way to ship a regression;
- a range that changes the judge (`gate.judge_change`) without paying for it:
  every gating case passing under the branch's judge too, one `judge_changed`
  decision naming the change, and the gate's own grading on the base's gold
  set. A case whose baseline was recorded by an earlier judge of the base is
  no block on a range that did not change the judge: one note says so;
- a `result` event added in the range that disagrees with the gate's own run;
- a configured set (`[tool.failgate.sets.NAME]`) below its floor.

Decisions and policy/agent changes in the range are carried to the report,
which lists them first.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import Any

from failgate.dataset.history import PASS, HistoryFold
from failgate.dataset.model import SEVERITIES
from failgate.dataset.quarantine import Quarantine, in_force
from failgate.eval.attempts import Reliability
from failgate.eval.reliability import DEFAULT_ALPHA
from failgate.eval.runner import FAIL, CaseResult, EvalResult
from failgate.gate.decisions import (
    Decision,
    ResultDisagreement,
    decisions_in,
    disagreeing_results,
    judge_change_explained,
    redefinition_decision,
)
from failgate.gate.definitions import Redefinition
from failgate.gate.drops import Comparison, compare, deflated_records, mark_drops
from failgate.gate.judge_change import JudgeChangeCheck

BLOCKING, ADVISORY = "blocking", "advisory"
DEPRECATED, WATCHLIST, REMOVED, REDEFINED = "deprecated", "watchlist", "removed", "redefined"
FRAGILE_NOTE = "structurally fragile: worth an architectural fix rather than another patch"


@dataclasses.dataclass(frozen=True)
class Retired:
    """A case active and passing at the baseline that the range retired."""

    case_id: str
    how: str  # deprecated | watchlist | removed
    definition: Mapping[str, Any]  # the case as it was at the base


@dataclasses.dataclass(frozen=True)
class Range:
    commit: str  # the commit under test
    merge_base: str | None  # None: no baseline yet (first push to an empty remote)
    base_rev: str  # what the user (or the config) named as the base
    notes: tuple[str, ...] = ()  # how the commit and base were chosen, worktree used, ...

    @property
    def text(self) -> str:
        return f"{self.merge_base[:10] if self.merge_base else '(no baseline)'}..{self.commit[:10]}"


@dataclasses.dataclass(frozen=True)
class Flip:
    case: CaseResult
    retired: str | None  # how the range retired (or redefined) it, None for an active case
    baseline_commit: str | None
    baseline_at: str | None
    reliability: str | None = None  # a stochastic case's significant drop: "9/10 at base -> 4/10 now (p = ...)"


@dataclasses.dataclass(frozen=True)
class JudgeChange:
    case_id: str
    baseline: str
    now: str
    explained_by: str | None  # None: unexplained, blocks
    definition: str = "now"  # "now" | "baseline": which definition of the case was run
    gold: str | None = None  # what the gold-set grading says about the new judge (when the repo has a gold set)


@dataclasses.dataclass(frozen=True)
class Fragile:
    case_id: str
    title: str
    regressed_count: int


@dataclasses.dataclass
class GateDecision:
    range: Range
    result: EvalResult  # the failure set at the commit under test
    retired: EvalResult | None  # retired cases run from their baseline definitions
    sets: list[EvalResult]
    flips: list[Flip]
    failures: list[CaseResult]  # failing active cases that are not flips
    judge_changes: list[JudgeChange]
    fragile: list[Fragile]
    mode: str = BLOCKING
    baseline_cases: int = 0  # cases with a recorded outcome at the baseline
    redefined: EvalResult | None = None  # redefined cases run from their baseline definitions
    redefinitions: list[Redefinition] = dataclasses.field(default_factory=list)
    decisions: list[Decision] = dataclasses.field(default_factory=list)
    policy_changes: list[Any] = dataclasses.field(default_factory=list)  # gate.policy.PolicyChange
    disagreements: list[ResultDisagreement] = dataclasses.field(default_factory=list)
    quarantined: list[tuple[CaseResult, Quarantine]] = dataclasses.field(default_factory=list)  # failing, not blocking
    quarantines: list[Quarantine] = dataclasses.field(default_factory=list)  # the base's, for the cases here
    today: _dt.date = dataclasses.field(default_factory=lambda: _dt.datetime.now(_dt.timezone.utc).date())
    comparisons: list[Comparison] = dataclasses.field(default_factory=list)  # stochastic cases against the base
    alpha: float | None = None  # the error budget they were compared at (None: no stochastic case compared)
    retirements: list[Retirement] = dataclasses.field(default_factory=list)  # listed with the decisions
    judge_check: JudgeChangeCheck | None = None  # the range changes the judge
    judge_note: str | None = None  # the baseline was recorded by an earlier judge of the base
    earlier_judge_cases: int = 0  # cases whose baseline an earlier judge recorded, in a range not changing it

    @property
    def judge_change_blocks(self) -> bool:
        return self.judge_check is not None and self.judge_check.blocks

    @property
    def unexplained_judges(self) -> list[JudgeChange]:
        return [j for j in self.judge_changes if j.explained_by is None]

    @property
    def failed_sets(self) -> list[EvalResult]:
        return [s for s in self.sets if not s.ok]

    @property
    def passed(self) -> bool:
        """The verdict, whatever the mode."""
        return not (
            self.flips
            or self.failures
            or self.unexplained_judges
            or self.failed_sets
            or self.disagreements
            or self.judge_change_blocks
        )

    @property
    def exit_code(self) -> int:
        return 0 if self.passed or self.mode == ADVISORY else 1

    def verdict(self) -> str:
        if self.passed:
            since = self.range.merge_base[:10] if self.range.merge_base else "(no baseline yet)"
            held = len(self.quarantined)
            gating = len(self.result.gating)
            passing = (
                f"all {gating} gating case(s) pass"
                if not held
                else (
                    f"{gating - held} of {gating} gating case(s) pass and {held} quarantined one(s) fail "
                    "without blocking (listed first)"
                )
            )
            text = f"PASS: {passing}, no flips since {since}" + "".join(
                f"; {s.set_name} at {s.pass_rate * 100:.1f}% >= floor {(s.floor or 0) * 100:.1f}%" for s in self.sets
            )
        else:
            parts = []
            if self.flips:
                parts.append(f"{len(self.flips)} flip(s)")
            if self.failures:
                parts.append(f"{len(self.failures)} other failing case(s)")
            if self.unexplained_judges:
                parts.append(f"{len(self.unexplained_judges)} unexplained judge change(s)")
            if self.judge_change_blocks:
                parts.append("a judge change not paid for (see `Judge change in this range`)")
            if self.disagreements:
                parts.append(f"{len(self.disagreements)} recorded result(s) the gate's run contradicts")
            parts.extend(f"set {s.set_name} below its floor" for s in self.failed_sets)
            text = "FAIL: " + ", ".join(parts)
        if self.mode == ADVISORY:
            text = f'ADVISORY MODE (gate.mode = "advisory"): exit 0 whatever the result. {text}'
        return text


def _is_active(case: Mapping[str, Any]) -> bool:
    return case.get("status", "active") != DEPRECATED


@dataclasses.dataclass(frozen=True)
class Retirement:
    """A case active at the base that the range deprecated, moved to the watchlist or removed:
    a decision about the dataset, listed with the decisions whatever the case's baseline."""

    case_id: str
    how: str  # deprecated | watchlist | removed
    by: str | None = None  # author of the last commit in the range that touched the dataset's case files
    commit: str | None = None

    def describe(self) -> str:
        who = f" by {self.by}" if self.by else ""
        at = f" in {self.commit[:10]}" if self.commit else ""
        return f"{self.case_id} {self.how}{who}{at}"


def retirements(
    base_cases: Sequence[Mapping[str, Any]],
    now_cases: Sequence[Mapping[str, Any]],
    now_watchlist: Sequence[Mapping[str, Any]],
) -> list[Retirement]:
    now_by_id = {c.get("id"): c for c in now_cases}
    watch_ids = {c.get("id") for c in now_watchlist}
    found = []
    for case in base_cases:
        case_id = case.get("id")
        if not isinstance(case_id, str) or not _is_active(case):
            continue
        now = now_by_id.get(case_id)
        if now is not None and _is_active(now):
            continue
        found.append(
            Retirement(case_id, DEPRECATED if now is not None else WATCHLIST if case_id in watch_ids else REMOVED)
        )
    return found


def retired_cases(
    baseline: HistoryFold,
    base_cases: Sequence[Mapping[str, Any]],
    now_cases: Sequence[Mapping[str, Any]],
    now_watchlist: Sequence[Mapping[str, Any]],
) -> list[Retired]:
    """Cases active at the base, passing at the baseline, that the range
    deprecated, moved to the watchlist or removed: they run from their
    baseline definition (a regression is not dodged by retiring its case)."""
    now_by_id = {c.get("id"): c for c in now_cases}
    watch_ids = {c.get("id") for c in now_watchlist}
    retired = []
    for case in base_cases:
        case_id = case.get("id")
        if not isinstance(case_id, str) or not _is_active(case):
            continue
        entry = baseline.get(case_id)
        if entry is None or entry.last_outcome != PASS:
            continue  # nothing passed there, so nothing can flip
        now = now_by_id.get(case_id)
        if now is not None and _is_active(now):
            continue
        how = DEPRECATED if now is not None else WATCHLIST if case_id in watch_ids else REMOVED
        retired.append(Retired(case_id, how, case))
    return retired


def _severity_key(case: CaseResult) -> tuple[int, str]:
    rank = SEVERITIES.index(case.severity) if case.severity in SEVERITIES else len(SEVERITIES)
    return rank, case.case_id


def decide(
    *,
    range: Range,
    baseline: HistoryFold,
    base_cases: Sequence[Mapping[str, Any]],
    now_cases: Sequence[Mapping[str, Any]],
    range_events: Sequence[Mapping[str, Any]],
    result: EvalResult,
    retired: Sequence[Retired] = (),
    retired_result: EvalResult | None = None,
    sets: Sequence[EvalResult] = (),
    mode: str = BLOCKING,
    redefinitions: Sequence[Redefinition] = (),
    redefined_result: EvalResult | None = None,
    policy_changes: Sequence[Any] = (),
    judge_check: JudgeChangeCheck | None = None,
    branch_result: EvalResult | None = None,
    reliability: Reliability | None = None,
    quarantines: Mapping[str, Quarantine] | None = None,
    today: _dt.date | None = None,
) -> GateDecision:
    """`judge_check`: the range changes the judge (`gate.judge_change.check`), None when it
    does not; `branch_result`: the failure set judged by the branch's judge then, for
    results the range recorded under it.

    `reliability`: the base's k/N records and error budget; a stochastic case whose k/N dropped
    significantly against its record is a flip (`gate.drops`).

    `quarantines`: the base's quarantine decisions; one in force `today` (UTC) keeps its case's
    failure or flip from blocking, reported first (`dataset.quarantine`)."""
    comparisons = compare((c for c in result.gating if c.source == "cases"), reliability) if reliability else []
    result = dataclasses.replace(result, cases=mark_drops(result.cases, comparisons))
    dropped = {c.case.case_id: c for c in comparisons if c.dropped}
    decisions = decisions_in(range_events)
    how = {r.case_id: r.how for r in retired}
    changed = {r.case_id: r for r in redefinitions}
    flips: list[Flip] = []
    failures: list[CaseResult] = []
    judged: list[tuple[CaseResult, str]] = []  # (result, which definition ran)

    for case in result.gating:
        if case.source != "cases":
            continue
        judged.append((case, "now"))
        if case.outcome != FAIL:
            continue
        entry = baseline.get(case.case_id)
        if case.case_id in dropped:
            at = entry.last_commit if entry else None
            flips.append(Flip(case, None, at, entry.last_result_at if entry else None, dropped[case.case_id].text))
        elif entry is not None and entry.last_outcome == PASS:
            flips.append(Flip(case, None, entry.last_pass_commit, entry.last_pass_at))
        else:
            failures.append(case)
    for case in retired_result.cases if retired_result is not None else []:
        judged.append((case, "baseline"))
        if case.outcome == FAIL:
            entry = baseline.get(case.case_id)
            flips.append(
                Flip(
                    case,
                    how.get(case.case_id, REMOVED),
                    entry.last_pass_commit if entry else None,
                    entry.last_pass_at if entry else None,
                )
            )
    for case in redefined_result.cases if redefined_result is not None else []:
        judged.append((case, "baseline"))
        if case.outcome != FAIL or redefinition_decision(case.case_id, decisions) is not None:
            continue  # a named, reasoned redefinition: listed first in the report for review
        if any(f.case.case_id == case.case_id for f in flips) or any(c.case_id == case.case_id for c in failures):
            continue  # failing under its new definition too: one case, counted once
        entry = baseline.get(case.case_id)
        if entry is not None and entry.last_outcome == PASS:
            flips.append(Flip(case, REDEFINED, entry.last_pass_commit, entry.last_pass_at))
        elif not any(f.case_id == case.case_id for f in failures):
            failures.append(case)

    changes = []
    earlier = 0
    for case, which in judged:
        entry = baseline.get(case.case_id)
        if entry is None or entry.last_judge is None or entry.last_judge == case.judge:
            continue
        decision = judge_change_explained(case.case_id, entry.last_judge, case.judge, decisions)
        if which == "now" and case.case_id in changed:
            # Its definition changed (that is what moved the fingerprint): the baseline
            # definition ran too and is judged above, or a `redefined` decision names it.
            why = f"its {'/'.join(changed[case.case_id].changed)} changed; its baseline definition was run too"
        elif decision is not None:
            why = f"judge_changed decision by {decision.by}: {decision.reason}"
        elif judge_check is not None:
            why = "part of this range's judge change (listed above)"
        else:
            # The base's judge recorded the baseline differently: the range did not change
            # the judge, so it is not asked to vouch for it (one note, never a block).
            earlier += 1
            continue
        changes.append(JudgeChange(case.case_id, entry.last_judge, case.judge, why, which))
    observed: dict[str, list[tuple[str, str]]] = {}
    for run in (result, branch_result):
        for c in run.gating if run is not None else []:
            if c.source == "cases":
                observed.setdefault(c.case_id, []).append((c.outcome, c.judge))

    fragile = [
        Fragile(str(c["id"]), str(c.get("title", "")), int(c["regressed_count"]))
        for c in now_cases
        if isinstance(c.get("regressed_count"), int)
        and not isinstance(c.get("regressed_count"), bool)
        and c["regressed_count"] > 1
        and isinstance(c.get("id"), str)
    ]
    today = today or _dt.datetime.now(_dt.timezone.utc).date()
    holding = in_force(quarantines or {}, today)
    held = [(f.case, holding[f.case.case_id]) for f in flips if f.case.case_id in holding]
    held += [(c, holding[c.case_id]) for c in failures if c.case_id in holding]
    flips = [f for f in flips if f.case.case_id not in holding]
    failures = [c for c in failures if c.case_id not in holding]
    ran = {c.case_id for c in result.cases}
    return GateDecision(
        quarantined=held,
        quarantines=sorted((q for q in (quarantines or {}).values() if q.case_id in ran), key=lambda q: q.case_id),
        today=today,
        range=range,
        result=result,
        retired=retired_result,
        sets=list(sets),
        flips=sorted(flips, key=lambda f: _severity_key(f.case)),
        failures=sorted(failures, key=_severity_key),
        judge_changes=changes,
        fragile=sorted(fragile, key=lambda f: (-f.regressed_count, f.case_id)),
        mode=mode,
        baseline_cases=sum(1 for e in baseline.cases.values() if e.last_outcome is not None),
        redefined=redefined_result,
        redefinitions=list(redefinitions),
        decisions=decisions,
        policy_changes=list(policy_changes),
        disagreements=disagreeing_results(range_events, observed)
        + deflated_records(range_events, result.gating, reliability.alpha if reliability else DEFAULT_ALPHA),
        judge_check=judge_check,
        earlier_judge_cases=earlier,
        comparisons=comparisons,
        alpha=reliability.alpha if comparisons and reliability else None,
    )
