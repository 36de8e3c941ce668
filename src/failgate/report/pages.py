"""The two pages: the dataset's (`report --html`) and the gate's (`gate --html`). Pure.

Both take a parsed dataset (`failgate.dataset.parse.Dataset`, from the work
tree or from blobs at a commit); the gate's page also takes the gate's
decision and the commits of the range under test, puts its verdict and flips
first, adds the gate's own run as the last column and its flipped and failing
cases as the first rows.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from typing import Any

from failgate.report.html import _e, _table, render_page
from failgate.report.timeline import FAIL, FLIP, Recorded, Timeline, add_gate_run, build_timeline, keep_last

MAX_COLUMNS = 1000  # newest recorded commits on a page: 200 cases x 1,000 is ~5 MB and still quick


def _shown(dropped: int) -> str:
    return f"; the oldest {dropped} recorded commit(s) are not shown" if dropped else ""


def _taxonomy(header: dict[str, Any]) -> list[str]:
    from failgate.report.health import _taxonomy as taxonomy

    return taxonomy(header)


def dataset_timeline(dataset: Any) -> Timeline:
    return build_timeline(
        (event for _, event in dataset.usable_events()),
        cases=dataset.cases,
        watchlist=dataset.watchlist,
        removed=dataset.removed,
        taxonomy=_taxonomy(dataset.header),
    )


def _health(dataset: Any, today: _dt.date) -> Any:
    from failgate.dataset.history import fold_events
    from failgate.report.health import build_report

    fold = fold_events(event for _, event in dataset.usable_events())
    return build_report(dataset.header, dataset.cases, dataset.watchlist, fold, today)


def dataset_page(dataset: Any, health: Any, *, generated: str, max_columns: int = MAX_COLUMNS) -> str:
    """`health`: the dataset's `HealthReport` (the one `failgate report` prints)."""
    timeline = dataset_timeline(dataset)
    dropped = keep_last(timeline, max_columns)
    return render_page(
        timeline,
        health,
        title=f"failgate report: {dataset.directory or 'dataset'}",
        subtitle=f"{len(timeline.rows)} case(s), {len(timeline.columns)} recorded commit(s){_shown(dropped)}; "
        f"generated {generated} from history.jsonl, cases.yaml, watchlist.yaml and "
        "cases_removed.yaml",
    )


def gate_page(
    decision: Any,
    dataset: Any,
    range_commits: Iterable[str],
    today: _dt.date,
    *,
    generated: str,
    max_columns: int = MAX_COLUMNS,
) -> str:
    """The gate's page: `decision` is a `failgate.gate.decision.GateDecision`;
    `dataset` the dataset at the commit under test."""
    timeline = dataset_timeline(dataset)
    dropped = keep_last(timeline, max_columns)
    runs: dict[str, Recorded] = {}
    for result in [decision.result, *([decision.retired] if decision.retired is not None else [])]:
        for case in result.cases:
            if case.outcome in ("pass", "fail"):
                runs[case.case_id] = Recorded(
                    case.outcome, None, case.judge, "this gate run", case.ratio if case.stochastic else None
                )
    focus = {f.case.case_id: FLIP for f in decision.flips}
    focus.update({c.case_id: FAIL for c in decision.failures if c.case_id not in focus})
    rng = decision.range
    add_gate_run(timeline, rng.commit, runs, focus, set(range_commits))
    return render_page(
        timeline,
        _health(dataset, today),
        title=f"failgate gate: {rng.text}",
        subtitle=f"{rng.commit[:10]} against "
        + (
            f"the baseline at merge-base {rng.merge_base[:10]}"
            if rng.merge_base
            else "no baseline yet (every active case must pass)"
        )
        + f" (base {rng.base_rev}){_shown(dropped)}; generated {generated}",
        top=_gate_section(decision),
    )


def _gate_section(decision: Any) -> str:
    d = decision
    parts = [
        '<section id="gate"><h2>Gate</h2>',
        f'<p class="verdict {"ok" if d.passed else "bad"}">{_e(d.verdict())}</p>',
    ]
    parts += [f'<p class="sub">note: {_e(note)}</p>' for note in d.range.notes]
    from failgate.eval.replay import totals, totals_line

    replayed = totals(d.result.cases)  # a failing case's first reason names its divergence point
    if replayed is not None:
        parts.append(f'<p class="sub">{_e(totals_line(replayed))}</p>')
    if d.flips:
        rows = [
            (
                f.case.case_id,
                f.case.title,
                f.case.failure_mode,
                f.case.severity,
                f.case.blast_radius,
                (f.baseline_commit or "")[:10],
                d.range.text,
                f.retired or "active",
                (f.case.reasons[0].splitlines()[0] if f.case.reasons and f.case.reasons[0] else ""),
            )
            for f in d.flips
        ]
        parts.append(
            f"<h3>Flips ({len(d.flips)}): passed at the baseline, fail now</h3>"
            + _table(
                [
                    "case",
                    "title",
                    "failure mode",
                    "severity",
                    "blast radius",
                    "passed at",
                    "fails at",
                    "status",
                    "reason",
                ],
                rows,
            )
        )
    if d.failures:
        parts.append(
            f"<h3>Other failures ({len(d.failures)}): the failure set gates at 100%</h3>"
            + _table(
                ["case", "title", "failure mode", "severity", "blast radius", "reason"],
                [
                    (
                        c.case_id,
                        c.title,
                        c.failure_mode,
                        c.severity,
                        c.blast_radius,
                        (c.reasons[0].splitlines()[0] if c.reasons and c.reasons[0] else ""),
                    )
                    for c in d.failures
                ],
            )
        )
    if d.judge_changes:
        parts.append(
            "<h3>Judge changes against the baseline</h3>"
            + _table(
                ["case", "baseline", "now", "explanation"],
                [(j.case_id, j.baseline[:19], j.now[:19], j.explained_by or "UNEXPLAINED") for j in d.judge_changes],
            )
        )
    if d.sets:
        parts.append(
            "<h3>Sets</h3>"
            + _table(
                ["set", "verdict", "pass rate", "floor"],
                [
                    (
                        s.set_name,
                        "PASS" if s.ok else "FAIL",
                        f"{s.pass_rate * 100:.1f}%",
                        f"{(s.floor or 0) * 100:.1f}%",
                    )
                    for s in d.sets
                ],
            )
        )
    parts.append("</section>")
    return "\n".join(parts)
