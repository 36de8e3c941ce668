"""Tell the right people when the gate on main (or the nightly `watch`) goes red.

`notify(decision, ...)` is the use case: which cases are red, which sinks
hear about each (`routing`), what was already said (`state`), and the one
message per sink (`sinks`). Nothing here changes a verdict.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from failgate.notify.routing import LOG, Alert, Routing, plan
from failgate.notify.sinks import RunContext, send, text


@dataclasses.dataclass
class NotifyReport:
    sent: list[tuple[str, list[str]]] = dataclasses.field(default_factory=list)  # (sink, case ids)
    already: list[tuple[str, list[str]]] = dataclasses.field(default_factory=list)  # not re-sent
    failed: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (sink, why)
    notes: list[str] = dataclasses.field(default_factory=list)
    log: list[str] = dataclasses.field(default_factory=list)  # the log sink's messages

    def lines(self) -> list[str]:
        out = [f"notify: {n}" for n in self.notes]
        out += [f"notify: sent {sink}: {', '.join(ids)}" for sink, ids in self.sent]
        out += [
            f"notify: {sink}: already reported and still red, not re-sent: {', '.join(ids)}"
            for sink, ids in self.already
        ]
        out += [
            f"notify: sink {sink!r} failed ({why}); the verdict stands, it will be retried next run"
            for sink, why in self.failed
        ]
        return out


def first_rule(case: Any) -> str:
    rules = getattr(case, "failed_rules", None) or []
    if rules:
        return str(rules[0].message)
    reasons = getattr(case, "reasons", None) or []
    return str(reasons[0]) if reasons else "(no rule recorded)"


def alerts_of(decision: Any, owners: Mapping[str, str]) -> list[Alert]:
    """The red cases of a gate decision: flips first, then the other failing cases."""
    out: list[Alert] = []
    seen: set[str] = set()
    for flipped, case in [(True, f.case) for f in decision.flips] + [(False, c) for c in decision.failures]:
        if case.case_id in seen:
            continue
        seen.add(case.case_id)
        out.append(
            Alert(
                case.case_id,
                case.title,
                case.failure_mode,
                case.severity,
                case.blast_radius,
                owners.get(case.case_id, "(no owner)"),
                first_rule(case),
                flipped,
            )
        )
    return out


def notify(
    alerts: Sequence[Alert],
    routing: Routing,
    context: RunContext,
    state_path: Path,
    env: Mapping[str, str] | None = None,
) -> NotifyReport:
    from failgate.notify import state as state_file

    report = NotifyReport()
    data = state_file.load(state_path)
    by_sink, report.notes = plan(alerts, routing)
    red = {a.case_id for a in alerts}
    sinks: dict[str, Any] = {}
    for sink in sorted(set(by_sink) | set(data["sinks"])):
        known = state_file.reported(data, sink)
        fresh = [a for a in by_sink.get(sink, []) if a.case_id not in known]
        still = [a.case_id for a in by_sink.get(sink, []) if a.case_id in known]
        if still:
            report.already.append((sink, still))
        if fresh:
            if sink == LOG:
                report.log.append(text(fresh, context))
                why = None
            else:
                why = send(sink, routing.sinks[sink], fresh, context, env)
            if why is None:
                report.sent.append((sink, [a.case_id for a in fresh]))
                stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                known.update({a.case_id: f"{context.commit} {stamp}" for a in fresh})
            else:
                report.failed.append((sink, why))
        # Green again: forgotten, so a new regression is news.
        sinks[sink] = {k: v for k, v in known.items() if k in red}
    data["sinks"] = {k: v for k, v in sinks.items() if v}
    state_file.save(state_path, data)
    return report
