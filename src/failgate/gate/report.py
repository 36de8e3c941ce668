"""Render a GateDecision: text, json, junit, markdown.

Order: "Decisions in this range" and "Policy and agent changes in this range"
come first in every format, so the dataset's reviewers cannot miss what the
branch asks them to accept (manual: docs/explanation/what-the-gate-trusts.md); then the
per-failure-mode matrix, then flips first (case, mode,
severity, blast radius, the commit range), then the other failures, then judge
changes, the configured sets, and notes (regressed_count > 1). The matrix and
tables come from `failgate.eval.report`, so the gate and `eval` show the same
figures in the same shape.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

from failgate.eval.report import matrix, severity_rows
from failgate.eval.runner import CaseResult
from failgate.gate.decision import ADVISORY, FRAGILE_NOTE, Flip, GateDecision

FORMATS = ("text", "json", "junit", "markdown")
JSON_FORMAT_VERSION = 1


def _retired_text(flip: Flip) -> str:
    return {
        "deprecated": "deprecated in the range",
        "watchlist": "moved to watchlist.yaml in the range",
        "removed": "removed in the range",
        "redefined": "its definition was changed in the range",
    }.get(flip.retired or "", "active")


def _flip_line(flip: Flip, rng: str) -> str:
    case = flip.case
    if flip.reliability:
        at = f" (recorded at {flip.baseline_commit[:10]})" if flip.baseline_commit else ""
        return (
            f"FLIP {case.case_id} {flip.reliability}\n     {case.title}\n     {case.failure_mode}, {case.severity}, "
            f"{case.blast_radius}; its pass rate dropped significantly against the base's record{at}, at {rng}"
        )
    baseline = f"passed at {flip.baseline_commit[:10]}" if flip.baseline_commit else "passed at the baseline"
    return (
        f"FLIP {case.case_id}  {case.title}\n     {case.failure_mode}, {case.severity}, {case.blast_radius}; "
        f"{baseline}, fails at {rng}; {_retired_text(flip)}"
        + ("; run from its baseline definition" if flip.retired else "")
    )


def reliability_lines(decision: GateDecision) -> list[str]:
    """Each stochastic case against the base's record: k/N, its Wilson interval, pass^k, the p-value;
    then the attempts spent against what a fixed N = max would have spent."""
    from failgate.eval.reliability import sureness_text

    if not decision.comparisons:
        return []
    lines = [
        f"Stochastic cases against the base's record (one-sided Fisher exact test, Holm, alpha = {decision.alpha:g}):"
    ]
    for c in decision.comparisons:
        verdict = "DROPPED" if c.dropped else "below its own floor: fails" if c.case.outcome == "fail" else "holds"
        lines.append(
            f"  {c.case.case_id}  {c.case.ratio} now {sureness_text(c.case.passes, c.case.runs)} vs {c.base.text} "
            f"at base: p = {c.p_value:.3g}, {verdict}"
        )
    spent = sum(c.case.runs for c in decision.comparisons)
    fixed = sum(max(c.case.max_runs, c.case.runs) for c in decision.comparisons)
    lines += [f"  attempts spent: {spent} (a fixed N = max would have spent {fixed})", ""]
    return lines


def _reasons(case: CaseResult) -> list[str]:
    return [f"     - {r.splitlines()[0] if r else ''}" for r in case.reasons]


def _redefine_fix(decision: GateDecision) -> str:
    return (
        "if the new definition is right, record it for review: failgate decide ID --redefined --reason '...' --by '...'"
    )


def review_lines(decision: GateDecision) -> list[str]:
    """The two review sections every format begins with, as plain lines."""
    d = decision
    count = len(d.decisions) + len(d.retirements)
    lines = [f"Decisions in this range ({count}):" if count else "Decisions in this range: none"]
    lines += [f"  {x.describe()}" for x in d.decisions]
    lines += [f"  {r.describe()}" for r in d.retirements]
    lines.append(
        f"Policy and agent changes in this range ({len(d.policy_changes)}):"
        if d.policy_changes
        else "Policy and agent changes in this range: none"
    )
    lines += [f"  {c.kind.upper()} {c.describe()}" for c in d.policy_changes]
    if d.quarantines:
        # Decisions the base holds, in force or expired: out of the gate for a while is still reviewed.
        lines.append(f"Quarantines from the base ({len(d.quarantines)}):")
        failing = {case.case_id for case, _ in d.quarantined}
        lines += [
            f"  {q.describe(d.today)}" + ("; FAILS NOW, not blocking" if q.case_id in failing else "")
            for q in d.quarantines
        ]
    lines += judge_lines(d)
    return lines


def judge_lines(decision: GateDecision) -> list[str]:
    """The range's judge change (both judges' verdicts, what it still needs), or the one
    line saying the baseline was recorded by an earlier judge of the base."""
    d = decision
    lines = d.judge_check.lines() if d.judge_check is not None else []
    if d.judge_note:
        lines.append(f"Judge: {d.judge_note}")
    return lines


def render_text(decision: GateDecision, *, color: bool = False) -> str:
    from failgate.eval.report.text import _style, _table

    d, rng = decision, decision.range
    lines = review_lines(d) + [""]
    at = f"merge-base {rng.merge_base[:10]}" if rng.merge_base else "no baseline (nothing recorded to compare with)"
    lines += [
        f"failgate gate: the {d.result.set_name if d.result.set_name != 'failures' else 'failure'} set at "
        f"{rng.commit[:10]} against the baseline at "
        f"{at} (base {rng.base_rev}; {d.baseline_cases} case(s) with a recorded outcome)"
    ]
    lines += [f"  note: {note}" for note in rng.notes]
    if d.mode == ADVISORY:
        lines.append(
            _style(
                '  ADVISORY MODE: this gate reports but never blocks (gate.mode = "advisory")',
                color,
                fg="yellow",
                bold=True,
            )
        )
    lines += ["", *_table("failure mode", matrix(d.result), color), ""]
    from failgate.eval.replay import totals, totals_line

    replayed = totals([*d.result.cases, *(c for r in (d.retired, d.redefined) if r is not None for c in r.cases)])
    if replayed is not None:
        lines += [totals_line(replayed), ""]
    lines += reliability_lines(d)
    if d.flips:
        lines.append(_style(f"Flips ({len(d.flips)}): passed at the baseline, fail now", color, fg="red", bold=True))
        for flip in d.flips:
            lines += [_flip_line(flip, rng.text), *_reasons(flip.case)]
        if any(f.retired == "redefined" for f in d.flips):
            lines.append(f"  (a redefined case: {_redefine_fix(d)})")
        lines.append("")
    if d.failures:
        lines.append(_style(f"Other failures ({len(d.failures)}): the failure set gates at 100%", color, fg="red"))
        for case in d.failures:
            lines += [
                f"FAIL {case.case_id}  {case.title}",
                f"     {case.failure_mode}, {case.severity}, {case.blast_radius}",
                *_reasons(case),
            ]
        lines.append("")
    if d.disagreements:
        lines.append(
            _style(
                f"Recorded results the gate's own run contradicts ({len(d.disagreements)}):", color, fg="red", bold=True
            )
        )
        lines += [f"  {x.describe()}" for x in d.disagreements]
        lines += [
            "  a result added in the range must be what the case does at the commit under test: "
            "drop the line or re-record it with `failgate eval --record` at the tip",
            "",
        ]
    if d.judge_changes:
        lines.append("Judge changes against the baseline:")
        for change in d.judge_changes:
            why = (
                f"explained: {change.explained_by}"
                if change.explained_by
                else f"UNEXPLAINED: restore the judge, or record the decision: failgate decide {change.case_id} "
                f"--judge-changed --from {change.baseline} --to {change.now} --reason '...' --by '...'"
            )
            lines.append(f"  {change.case_id}: {change.baseline[:19]} -> {change.now[:19]}; {why}")
            if change.gold and not change.explained_by:
                lines.append(f"    gold set: {change.gold}")
        lines.append("")
    for result in d.sets:
        mark = "PASS" if result.ok else "FAIL"
        lines.append(
            f"set {result.set_name}: {mark} pass rate {result.pass_rate * 100:.1f}% "
            f"(floor {(result.floor or 0) * 100:.1f}%, {len(result.failed)} of {len(result.gating)} failed, same judge)"
        )
    if d.sets:
        lines.append("")
    if d.fragile:
        lines.append("Notes:")
        lines += [f"  {f.case_id} regressed {f.regressed_count} times ({f.title}): {FRAGILE_NOTE}" for f in d.fragile]
        lines.append("")
    lines.append(_style(d.verdict(), color, fg="green" if d.passed else "red", bold=True))
    return "\n".join(lines) + "\n"


def _case(case: CaseResult) -> dict[str, Any]:
    data = case.as_dict()
    data.pop("failed_rules", None)
    return data


def as_data(decision: GateDecision) -> dict[str, Any]:
    from failgate.eval.report.machine import _row_dict
    from failgate.eval.report.machine import as_data as eval_data

    d = decision
    return {
        "format": JSON_FORMAT_VERSION,
        "decisions": [dataclasses.asdict(x) for x in d.decisions],
        "policy_changes": [dataclasses.asdict(c) for c in d.policy_changes],
        "retirements": [dataclasses.asdict(r) for r in d.retirements],
        "ok": d.passed,
        "exit_code": d.exit_code,
        "mode": d.mode,
        "verdict": d.verdict(),
        "commit": d.range.commit,
        "merge_base": d.range.merge_base,
        "base": d.range.base_rev,
        "range": d.range.text,
        "notes": list(d.range.notes),
        "matrix": [_row_dict(r) for r in matrix(d.result)],
        "severity": [_row_dict(r) for r in severity_rows(d.result)],
        "flips": [
            {
                **_case(f.case),
                "retired": f.retired,
                **({"reliability": f.reliability} if f.reliability else {}),
                "baseline_commit": f.baseline_commit,
                "baseline_at": f.baseline_at,
                "range": d.range.text,
            }
            for f in d.flips
        ],
        "failures": [_case(c) for c in d.failures],
        "judge_changes": [
            {
                "id": j.case_id,
                "baseline": j.baseline,
                "now": j.now,
                "explained_by": j.explained_by,
                "definition": j.definition,
                **({"gold": j.gold} if j.gold else {}),
            }
            for j in d.judge_changes
        ],
        "judge_change": None
        if d.judge_check is None
        else {**dataclasses.asdict(d.judge_check), "problems": d.judge_check.problems},
        "judge_note": d.judge_note,
        "result_disagreements": [dataclasses.asdict(x) for x in d.disagreements],
        "quarantines": [{**dataclasses.asdict(q), "in_force": q.active_on(d.today)} for q in d.quarantines],
        "quarantined_failing": [_case(case) for case, _ in d.quarantined],
        "reliability": {
            "alpha": d.alpha,
            "correction": "holm",
            "cases": [
                {
                    "id": c.case.case_id,
                    "base": {"passes": c.base.passes, "runs": c.base.runs},
                    "now": {"passes": c.case.passes, "runs": c.case.runs, "max_runs": c.case.max_runs},
                    "p_value": round(c.p_value, 6),
                    "dropped": c.dropped,
                }
                for c in d.comparisons
            ],
        },
        "redefined": [{"id": r.case_id, "changed": list(r.changed)} for r in d.redefinitions],
        "sets": [eval_data(s) for s in d.sets],
        "fragile": [{"id": f.case_id, "title": f.title, "regressed_count": f.regressed_count} for f in d.fragile],
        "failure_set": eval_data(d.result),
    }


def render_json(decision: GateDecision) -> str:
    return json.dumps(as_data(decision), indent=2, ensure_ascii=False) + "\n"


def render_junit(decision: GateDecision) -> str:
    """One suite per gate: flips, the failure set by case, each configured set.
    A test per case; flips and failures are <failure>s, so CI marks them red."""
    import xml.etree.ElementTree as ET

    d = decision
    root = ET.Element("testsuites", name=f"failgate gate {d.range.text}")
    flipped = {f.case.case_id for f in d.flips}

    def suite(name: str, cases: list[tuple[str, str | None]]) -> None:
        element = ET.SubElement(
            root,
            "testsuite",
            name=name,
            tests=str(len(cases)),
            failures=str(sum(m is not None for _, m in cases)),
            errors="0",
            skipped="0",
        )
        for test, message in cases:
            case = ET.SubElement(element, "testcase", classname=name, name=test)
            if message is not None:
                ET.SubElement(case, "failure", type="failgate.gate", message=message.splitlines()[0]).text = message

    # Review first: the decisions and policy/agent changes, as passing tests whose names a reviewer reads.
    reviewed: list[tuple[str, str | None]] = [(f"Decisions in this range: {x.describe()}", None) for x in d.decisions]
    reviewed += [(f"Decisions in this range: {r.describe()}", None) for r in d.retirements]
    suite("failgate.decisions", reviewed)
    suite(
        "failgate.policy",
        [(f"Policy and agent changes in this range: {c.kind} {c.describe()}", None) for c in d.policy_changes],
    )
    suite("failgate.flips", [(f"{f.case.case_id} {f.case.title}", _flip_line(f, d.range.text)) for f in d.flips])
    suite(
        "failgate.failures",
        [
            (
                f"{c.case_id} {c.title}",
                None
                if c.outcome != "fail" or c.case_id in flipped
                else f"{c.severity} {c.blast_radius} {c.failure_mode}: " + "; ".join(c.reasons),
            )
            for c in d.result.gating
        ],
    )
    suite(
        "failgate.judge",
        [
            (j.case_id, None if j.explained_by else f"judge changed unexplained: {j.baseline} -> {j.now}")
            for j in d.judge_changes
        ],
    )
    if d.judge_check is not None or d.judge_note:
        check = d.judge_check
        message = "\n".join(check.problems) if check is not None and check.blocks else None
        suite("failgate.judge_change", [("\n".join(judge_lines(d)), message)])
    suite("failgate.results", [(x.case_id, x.describe()) for x in d.disagreements])
    for result in d.sets:
        message = None if result.ok else f"pass rate {result.pass_rate:.4f} below floor {result.floor}"
        suite(f"failgate.set.{result.set_name}", [(f"floor {result.floor}", message)])
    total_tests = sum(int(s.get("tests", "0")) for s in root)
    root.set("tests", str(total_tests))
    root.set("failures", str(sum(int(s.get("failures", "0")) for s in root)))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render_markdown(decision: GateDecision) -> str:
    """For `$GITHUB_STEP_SUMMARY`."""
    from failgate.eval.report.machine import _md, _md_table

    d = decision
    icon = "✅" if d.passed else ("⚠️" if d.mode == ADVISORY else "❌")
    lines = [f"## {icon} failgate gate `{d.range.text}`: {_md(d.verdict())}", ""]
    lines += ["### Decisions in this range", ""]

    def commit_by(x: Any) -> str:
        if x.author is None:
            return ""
        who = x.author if x.committer in (None, x.author) else f"{x.author}, committed by {x.committer}"
        return _md(who) + (" (**--by is neither**)" if x.by_someone_else else "")

    lines += (
        ["| case | kind | who | why | commit | commit by |", "|---|---|---|---|---|---|"]
        + [
            f"| {x.case_id or 'judge'} | {x.kind} | {_md(x.by)} | {_md(x.reason)} | {(x.commit or '')[:10]} "
            f"| {commit_by(x)} |"
            for x in d.decisions
        ]
        + [
            f"| {r.case_id} | {r.how} | {_md(r.by or '')} | | {(r.commit or '')[:10]} | {_md(r.by or '')} |"
            for r in d.retirements
        ]
        if d.decisions or d.retirements
        else ["none"]
    )
    lines += ["", "### Policy and agent changes in this range", ""]
    lines += [f"- **{c.kind}** {_md(c.describe())}" for c in d.policy_changes] if d.policy_changes else ["none"]
    lines.append("")
    if d.quarantines:
        failing = {case.case_id for case, _ in d.quarantined}
        lines += ["### Quarantines from the base", ""]
        lines += [
            f"- {_md(q.describe(d.today))}" + (" — **fails now, not blocking**" if q.case_id in failing else "")
            for q in d.quarantines
        ]
        lines.append("")
    if judge_lines(d):
        lines += ["### Judge", "", *[f"- {_md(line.strip())}" for line in judge_lines(d)], ""]
    lines += [f"> {_md(note)}" for note in d.range.notes] + ([""] if d.range.notes else [])
    lines += [*_md_table("failure mode", matrix(d.result)), ""]
    stochastic = reliability_lines(d)
    if stochastic:
        lines += [f"### {stochastic[0].rstrip(':')}", "", *[f"- {_md(x.strip())}" for x in stochastic[1:] if x], ""]
    if d.flips:
        lines += [
            "### Flips (passed at the baseline, fail now)",
            "",
            "| case | mode | severity | blast radius | range | retired |",
            "|---|---|---|---|---|---|",
        ]
        for f in d.flips:
            how = f"pass rate dropped: {_md(f.reliability)}" if f.reliability else _retired_text(f)
            lines.append(
                f"| **{f.case.case_id}** {_md(f.case.title)} | `{f.case.failure_mode}` | {f.case.severity} "
                f"| {f.case.blast_radius} | `{d.range.text}` | {how} |"
            )
        lines.append("")
    if d.failures:
        lines += ["### Other failures", ""]
        for c in d.failures:
            lines.append(
                f"- **{c.case_id}** {_md(c.title)}: `{c.failure_mode}`, {c.severity}, {c.blast_radius}"
                + "".join(f"<br>{_md(r)}" for r in c.reasons)
            )
        lines.append("")
    if d.disagreements:
        lines += ["### Recorded results the gate's run contradicts", ""]
        lines += [f"- {_md(x.describe())}" for x in d.disagreements]
        lines.append("")
    if d.judge_changes:
        lines += ["### Judge changes", ""]
        lines += [
            f"- {j.case_id}: " + (f"explained ({_md(j.explained_by)})" if j.explained_by else "**unexplained**")
            for j in d.judge_changes
        ]
        lines.append("")
    for result in d.sets:
        lines.append(
            f"- set `{result.set_name}`: {'✅' if result.ok else '❌'} {result.pass_rate * 100:.1f}% "
            f"(floor {(result.floor or 0) * 100:.1f}%)"
        )
    if d.fragile:
        lines += ["", "### Notes", ""]
        lines += [f"- {f.case_id} regressed {f.regressed_count} times: {FRAGILE_NOTE}" for f in d.fragile]
    return "\n".join(lines).rstrip("\n") + "\n"


def render(decision: GateDecision, fmt: str, *, color: bool = False) -> str:
    renderers: dict[str, Callable[[GateDecision], str]] = {
        "text": lambda d: render_text(d, color=color),
        "json": render_json,
        "junit": render_junit,
        "markdown": render_markdown,
    }
    return renderers[fmt](decision)
