"""A judge change, paid for once in the pull request that makes it. Pure.

The manual's "Judge changes" (docs/how-to/judge-change.md): when the judge at
the commit under test differs from the base's (`eval.judge.identity`), the
branch is judged by both. The base's judge gives the blocking verdict as for
any branch; the branch's own judge must also pass every gating case (or main
turns red at the merge); one `judge_changed` decision in the range must name
the change (the identity before and after); and where the base keeps a gold
set, the gate itself grades the new judge on the base's gold file against the
base's floor. A `judge_graded` line in history is a record for people, not
evidence: the gate grades for itself.

After the merge the change is main's judge. Results recorded under the earlier
judge then count as the baseline, and the report says so in one line: with
the decision that vouches for the change, or, for a judge that reached main
without it, naming the commit and the owner's command. Never a per-case block
on a branch that did not change the judge.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from failgate.eval.runner import FAIL, EvalResult
from failgate.gate.decisions import JUDGE_CHANGED, Decision

OWNER_COMMAND = "failgate judge-change --reason '...' --by '...'"


@dataclasses.dataclass(frozen=True)
class VerdictDifference:
    case_id: str
    base: str  # outcome under the base's judge
    branch: str  # outcome under the branch's judge
    source: str  # which run: cases, retired:..., redefined


@dataclasses.dataclass(frozen=True)
class JudgeChangeCheck:
    before: str  # the base's judge identity
    after: str  # the branch's
    what: tuple[str, ...]  # what differs, in words
    differences: tuple[VerdictDifference, ...]
    failing_under_new: tuple[str, ...]  # gating case ids that fail under the branch's judge
    decision: Decision | None  # the judge_changed decision naming before -> after
    decisions_for_it: int  # how many such decisions the range holds (one is asked)
    gold: tuple[bool, str] | None  # the gate's own grading of the new judge on the base's gold set

    @property
    def problems(self) -> list[str]:
        found = []
        if self.failing_under_new:
            found.append(
                f"{len(self.failing_under_new)} gating case(s) fail under the branch's judge "
                f"({', '.join(self.failing_under_new)}): after the merge main would be red"
            )
        if self.decision is None:
            found.append(f"no judge_changed decision names this change: the owner runs `{OWNER_COMMAND}`")
        elif self.decisions_for_it > 1:
            found.append(f"{self.decisions_for_it} judge_changed decisions name this change; one is asked")
        if self.gold is not None and not self.gold[0]:
            found.append(f"the gate's grading of the new judge on the base's gold set: {self.gold[1]}")
        return found

    @property
    def blocks(self) -> bool:
        return bool(self.problems)

    def lines(self) -> list[str]:
        head = f"Judge change in this range: {self.before[:19]} -> {self.after[:19]} ({', '.join(self.what)})"
        lines = [head, "  the blocking verdict uses the base's judge; the branch's judge was run on the same responses"]
        if self.differences:
            lines.append(f"  verdicts that differ between the two judges ({len(self.differences)}):")
            lines += [
                f"    {d.case_id} ({d.source}): base's judge {d.base}, branch's judge {d.branch}"
                for d in self.differences
            ]
        else:
            lines.append("  both judges give every case the same verdict")
        if self.decision is not None:
            lines.append(f"  decided: {self.decision.describe()}")
        if self.gold is not None:
            lines.append(f"  gold set (graded by the gate on the base's file): {self.gold[1]}")
        lines += [f"  BLOCKS: {problem}" for problem in self.problems]
        return lines


def judge_decisions(decisions: Sequence[Decision], before: str, after: str) -> list[Decision]:
    """The range's judge-level `judge_changed` decisions (no case) naming exactly before -> after."""
    return [
        d
        for d in decisions
        if d.kind == JUDGE_CHANGED and d.case_id is None and d.judge_from == before and d.judge_to == after
    ]


def verdict_differences(base_runs: Sequence[EvalResult], branch_runs: Sequence[EvalResult]) -> list[VerdictDifference]:
    found = []
    for base, branch in zip(base_runs, branch_runs):
        now = branch.by_id()
        for case in base.cases:
            other = now.get(case.case_id)
            if other is not None and other.outcome != case.outcome:
                found.append(VerdictDifference(case.case_id, case.outcome, other.outcome, case.source))
    return found


def check(
    *,
    before: str,
    after: str,
    what: Sequence[str],
    decisions: Sequence[Decision],
    base_runs: Sequence[EvalResult],
    branch_runs: Sequence[EvalResult],
    gold: tuple[bool, str] | None,
) -> JudgeChangeCheck:
    """`base_runs`/`branch_runs`: the same runs (failure set, retired, redefined) under each judge."""
    named = judge_decisions(decisions, before, after)
    failing = sorted({c.case_id for run in branch_runs for c in run.gating if c.outcome == FAIL})
    return JudgeChangeCheck(
        before,
        after,
        tuple(what),
        tuple(verdict_differences(base_runs, branch_runs)),
        tuple(failing),
        named[-1] if named else None,
        len(named),
        gold,
    )


def baseline_note(vouching: Decision | None, changed_in: str | None) -> str:
    """The one line a range that does not change the judge gets when its baseline was recorded by an earlier judge."""
    if vouching is not None:
        at = f" in {vouching.commit[:10]}" if vouching.commit else ""
        return (
            f"results recorded under the earlier judge count as the baseline: the judge change to "
            f"{str(vouching.judge_to)[:19]} was decided by {vouching.by}{at}: {vouching.reason}"
        )
    where = f"in {changed_in[:10]}" if changed_in else "before the merge-base"
    return (
        f"the judge changed on the base {where} without a judge_changed decision; results recorded under the "
        f"earlier judge count as the baseline. Its owner records the change with `{OWNER_COMMAND}`"
    )
