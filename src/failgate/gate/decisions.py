"""Decisions and recorded results in the range: what may explain a change. Pure.

Nothing is "explained" automatically (docs/explanation/what-the-gate-trusts.md): a
redefined case or a judge change is accepted only with a decision event that
`failgate decide` wrote, naming the person and the reason; the gate lists them
first so the dataset's reviewers see them. Hand-written `remediated` or
`status_changed` events no longer explain a judge change.

Result events a branch adds must agree with the gate's own run of the case at
the commit under test: a branch that appends `result: fail` for a passing
case would otherwise make the next branch's retirement of it look harmless.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from failgate.dataset.events import DECISION_TYPES, JUDGE_CHANGED, QUARANTINED, REDEFINED

__all__ = ["DECISION_TYPES", "JUDGE_CHANGED", "QUARANTINED", "REDEFINED"]


def one_line(value: object) -> str:
    """Decision text as one line of printable text wherever it is shown: a newline in a
    hand-written event must not forge a line of the gate's report."""
    return "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in str(value))


@dataclasses.dataclass(frozen=True)
class Decision:
    case_id: str | None  # None: a judge-level judge_changed decision (`failgate judge-change`)
    kind: str  # redefined | judge_changed
    by: str
    reason: str
    event_id: str
    judge_from: str | None = None
    judge_to: str | None = None
    commit: str | None = None  # the commit in the range that added it, when known
    until: str | None = None  # a quarantine's expiry (inclusive)
    author: str | None = None  # that commit's author and committer: who really wrote it
    committer: str | None = None

    @property
    def by_someone_else(self) -> bool:
        """`--by` names neither the commit's author nor its committer (name or address)."""
        if self.author is None:
            return False
        claimed = self.by.strip().lower()
        return not any(claimed and claimed in (who or "").lower() for who in (self.author, self.committer))

    def describe(self) -> str:
        judge = f" (judge {self.judge_from[:19]} -> {self.judge_to[:19]})" if self.judge_from and self.judge_to else ""
        until = f" until {self.until} (takes effect once merged)" if self.until else ""
        at = f" in {self.commit[:10]}" if self.commit else ""
        subject = self.case_id or "judge"
        text = f"{subject} {self.kind}{judge}{until} by {self.by}{at}: {self.reason}"
        if self.author is not None:
            who = (
                self.author
                if self.committer in (None, self.author)
                else f"{self.author}, committed by {self.committer}"
            )
            flag = "; --by is neither the author nor the committer" if self.by_someone_else else ""
            text += f" [commit by {one_line(who)}{flag}]"
        return text


def decisions_in(range_events: Sequence[Mapping[str, Any]]) -> list[Decision]:
    found = []
    for event in range_events:
        case_id = event.get("case_id")
        if event.get("type") not in DECISION_TYPES or not (
            isinstance(case_id, str) or (case_id is None and event.get("type") == JUDGE_CHANGED)
        ):
            continue
        detail = event.get("detail")
        detail = detail if isinstance(detail, dict) else {}
        found.append(
            Decision(
                case_id=one_line(case_id) if case_id is not None else None,
                kind=str(event["type"]),
                by=one_line(event.get("actor") or "?"),
                reason=one_line(detail.get("reason") or ""),
                event_id=one_line(event.get("id") or ""),
                judge_from=detail.get("from") if isinstance(detail.get("from"), str) else None,
                judge_to=detail.get("to") if isinstance(detail.get("to"), str) else None,
                until=one_line(detail["until"]) if isinstance(detail.get("until"), str) else None,
            )
        )
    return found


def redefinition_decision(case_id: str, decisions: Sequence[Decision]) -> Decision | None:
    return next((d for d in reversed(decisions) if d.kind == REDEFINED and d.case_id == case_id), None)


def judge_change_explained(case_id: str, before: str, after: str, decisions: Sequence[Decision]) -> Decision | None:
    """The `judge_changed` decision that names exactly this change (fingerprint before and
    after), or None. The one place that decides whether a judge change is accepted, so a
    further condition (a graded gold set) joins here."""
    return next(
        (
            d
            for d in reversed(decisions)
            if d.kind == JUDGE_CHANGED and d.case_id == case_id and d.judge_from == before and d.judge_to == after
        ),
        None,
    )


@dataclasses.dataclass(frozen=True)
class ResultDisagreement:
    case_id: str
    recorded: str  # outcome in the event the range added
    recorded_judge: str | None
    recorded_commit: str | None
    actor: str | None
    observed: str  # the gate's own outcome at the commit under test
    observed_judge: str

    def describe(self) -> str:
        judge = (
            ""
            if self.recorded_judge == self.observed_judge
            else f"; recorded with judge {str(self.recorded_judge)[:19]}, the gate's is {self.observed_judge[:19]}"
        )
        at = f" at {self.recorded_commit[:10]}" if self.recorded_commit else ""
        return (
            f"{self.case_id}: the range records {self.recorded!r}{at} by {self.actor or '?'}, "
            f"the gate's own run gives {self.observed!r}{judge}"
        )


def last_results(range_events: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """The last `result` event the range added, per case: what a merge makes the next baseline."""
    last: dict[str, Mapping[str, Any]] = {}
    for event in range_events:
        if event.get("type") == "result" and isinstance(event.get("case_id"), str):
            last[event["case_id"]] = event
    return last


def disagreeing_results(
    range_events: Sequence[Mapping[str, Any]], observed: Mapping[str, Sequence[tuple[str, str]]]
) -> list[ResultDisagreement]:
    """The last `result` event the range added per case, against the gate's own
    (outcome, judge) runs of that case -- the one under the judge the event names when
    the gate ran two (a range that changes the judge records under the new one);
    cases the gate did not run are not compared."""
    last = last_results(range_events)
    found = []
    for case_id, event in last.items():
        runs = list(observed.get(case_id) or ())
        if not runs:
            continue
        outcome, judge = next((run for run in runs if run[1] == event.get("judge")), runs[0])
        if outcome not in ("pass", "fail"):
            continue
        # Only the outcome can mislead a later baseline; a judge difference is shown with it.
        if event.get("outcome") != outcome:
            found.append(
                ResultDisagreement(
                    case_id,
                    one_line(event.get("outcome")),
                    event.get("judge") if isinstance(event.get("judge"), str) else None,
                    event.get("commit") if isinstance(event.get("commit"), str) else None,
                    one_line(event.get("actor")) if event.get("actor") is not None else None,
                    outcome,
                    judge,
                )
            )
    return sorted(found, key=lambda d: d.case_id)
