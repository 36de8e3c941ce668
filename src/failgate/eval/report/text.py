"""The text report: the per-failure-mode matrix, then the failing cases.

Plain ASCII so it reads the same in a terminal, a CI log and a pre-push hook's
output; color (when on a terminal) only marks what failed.
"""

from __future__ import annotations

from collections.abc import Iterable

from failgate.eval.reliability import sureness_text, tally_text
from failgate.eval.replay import totals as replay_totals
from failgate.eval.replay import totals_line
from failgate.eval.report.figures import Row, matrix, severity_rows, skipped, verdict, watch_failures
from failgate.eval.runner import CaseResult, EvalResult
from failgate.findings import Finding, Location
from failgate.reporting import ansi_style, format_github


def _style(text: str, color: bool, *, fg: str, bold: bool = False) -> str:
    return ansi_style(text, fg=fg, bold=bold) if color else text


def _table(title: str, rows: list[Row], color: bool, *, rate: bool = True) -> list[str]:
    width = max(len(title), *(len(r.name) for r in rows)) + 2
    head = f"{title:<{width}}{'cases':>6}{'passed':>8}{'failed':>8}" + (f"{'pass rate':>11}" if rate else "")
    lines = [head]
    for row in rows:
        line = f"{row.name:<{width}}{row.cases:>6}{row.passed:>8}{row.failed:>8}"
        if rate:
            line += f"{row.rate_text():>11}"
        if row.failed and row.name != "total":
            line = _style(line + "  <- red", color, fg="red", bold=True)
        lines.append(line)
    return lines


def _case_block(case: CaseResult, color: bool, label: str = "FAIL") -> list[str]:
    where = f", {case.location}" if case.location else ""
    runs = (
        f", passed {case.ratio}, needs {case.required} {sureness_text(case.passes, case.runs)}" if case.runs > 1 else ""
    )
    lines = [
        _style(f"{label} {case.case_id}", color, fg="red" if label == "FAIL" else "yellow", bold=True)
        + f"  {case.title}",
        f"     {case.failure_mode}, {case.severity}, {case.blast_radius}{where}{runs}",
    ]
    for reason in case.reasons:
        first, *rest = reason.splitlines() or [""]
        lines.append(f"     - {first}")
        lines.extend(f"       {line}" for line in rest)
    return lines


def judge_calls_line(calls: dict[str, int]) -> str:
    """How the llm_rubric verdicts were obtained; a failed call failed its rule (never a pass)."""
    text = f"judge model: {calls['calls']} call(s), {calls['cached']} verdict(s) from the cache"
    if calls["failed"]:
        text += f", {calls['failed']} judge call(s) FAILED (each failed its rule: a judge that gives no verdict never passes)"
    return text


def render_text(result: EvalResult, *, color: bool = False) -> str:
    gating = result.gating
    lines = [
        f"failgate eval: {result.set_name}, {len(gating)} gating case(s) against {result.agent} "
        f"(jobs {result.jobs}, {result.wall_s:.2f} s)",
        *([f"agent's Python: {result.interpreter}"] if result.interpreter else []),
        "",
        *_table("failure mode", matrix(result), color),
        "",
        *_table("severity", severity_rows(result), color, rate=False),
    ]
    skips = skipped(result)
    watched = [c for c in result.cases if not c.gating and c.runs]
    if skips or watched:
        lines.append("")
    if skips:
        lines.append(f"skipped: {len(skips)} ({', '.join(c.case_id for c in skips)}: deprecated)")
    if watched:
        ok = sum(c.outcome == "pass" for c in watched)
        lines.append(f"watchlist (never gates): {ok}/{len(watched)} passed")
    stochastic = [c for c in result.cases if c.stochastic and c.runs]
    if stochastic:
        lines += ["", "cases run more than once (k/N, Wilson 95% interval, pass^k):"]
        lines += [
            f"  {c.case_id}  {tally_text(c.passes, c.runs)}"
            + (f", stopped after {c.runs} of {c.max_runs}" if c.runs < c.max_runs else "")
            for c in stochastic
        ]
    if result.judge_calls is not None:
        lines += ["", judge_calls_line(result.judge_calls)]
    replayed = replay_totals(result.cases)
    if replayed is not None:
        lines += ["", totals_line(replayed)]
        lines += [
            f"  {c.case_id}: {c.replay['describe']}" for c in result.cases if c.replay and c.replay.get("divergence")
        ]
    for case in result.failed:
        lines.append("")
        lines.extend(_case_block(case, color))
    for case in watch_failures(result):
        lines.append("")
        lines.extend(_case_block(case, color, label="WATCH"))
    lines += [
        "",
        _style(verdict(result), color, fg="green" if result.ok else "red", bold=True),
        f"judge {result.judge}",
    ]
    return "\n".join(lines) + "\n"


def github_annotations(result: EvalResult) -> Iterable[str]:
    """GitHub workflow commands at each failing case's line in cases.yaml."""
    for case in result.failed + watch_failures(result):
        location = case.location or Location("cases.yaml")
        message = f"{case.case_id} {case.title} [{case.failure_mode}, {case.severity}, {case.blast_radius}]" + "".join(
            f"\n- {r}" for r in case.reasons
        )
        severity = "error" if case.gating else "warning"
        yield format_github(Finding(case.case_id, message, Location(location.path, location.line), severity))
