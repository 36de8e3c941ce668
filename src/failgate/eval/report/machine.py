"""Reports for machines and CI pages: JSON, JUnit XML, Markdown."""

from __future__ import annotations

import json
from typing import Any

from failgate.eval.reliability import sureness_text
from failgate.eval.report.figures import Row, matrix, severity_rows, skipped, verdict, watch_failures
from failgate.eval.runner import FAIL, PASS, SKIPPED, CaseResult, EvalResult

JSON_FORMAT_VERSION = 1


def _row_dict(row: Row) -> dict[str, Any]:
    rate = row.pass_rate
    return {
        "name": row.name,
        "cases": row.cases,
        "passed": row.passed,
        "failed": row.failed,
        "pass_rate": None if rate is None else round(rate, 4),
    }


def as_data(result: EvalResult) -> dict[str, Any]:
    data = _as_data(result)
    if result.judge_calls is not None:  # only runs that asked a judge model carry the key
        data["judge_calls"] = dict(result.judge_calls)
    from failgate.eval.replay import totals

    replayed = totals(result.cases)
    if replayed is not None:  # likewise: only runs where a case had a cassette
        data["replay"] = replayed
    return data


def _as_data(result: EvalResult) -> dict[str, Any]:
    return {
        "format": JSON_FORMAT_VERSION,
        "set": result.set_name,
        "agent": result.agent,
        "python": result.interpreter,
        "jobs": result.jobs,
        "wall_s": round(result.wall_s, 3),
        "judge": result.judge,
        "ok": result.ok,
        "pass_rate": round(result.pass_rate, 4),
        "floor": result.floor,
        "verdict": verdict(result),
        "matrix": [_row_dict(r) for r in matrix(result)],
        "severity": [_row_dict(r) for r in severity_rows(result)],
        "cases": [c.as_dict() for c in result.cases],
    }


def render_json(result: EvalResult) -> str:
    return json.dumps(as_data(result), indent=2, ensure_ascii=False) + "\n"


# -- JUnit ----------------------------------------------------------------------
def render_junit(result: EvalResult) -> str:
    """One <testsuite> per failure mode, one <testcase> per case. Watchlist
    failures are <skipped> with the reason: visible, never red in CI."""
    import xml.etree.ElementTree as ET

    root = ET.Element("testsuites", name=f"failgate eval ({result.set_name})")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    modes = list(dict.fromkeys([*result.taxonomy, *(c.failure_mode for c in result.cases)]))
    for mode in modes:
        cases = [c for c in result.cases if c.failure_mode == mode]
        if not cases:
            continue
        suite = ET.SubElement(root, "testsuite", name=f"failgate.{mode}")
        counts = {"tests": len(cases), "failures": 0, "skipped": 0}
        for case in cases:
            element = ET.SubElement(
                suite,
                "testcase",
                classname=f"failgate.{mode}",
                name=f"{case.case_id} {case.title}",
                time=f"{(case.latency_ms or 0) / 1000:.3f}",
            )
            if case.location:
                element.set("file", case.location.path)
                element.set("line", str(case.location.line))
            if case.replay:
                properties = ET.SubElement(element, "properties")
                ET.SubElement(properties, "property", name="replay", value=str(case.replay.get("describe")))
                calls = case.replay.get("model_calls") or {}
                for how in ("replayed", "live"):
                    ET.SubElement(properties, "property", name=f"model_calls_{how}", value=str(calls.get(how, 0)))
            text = "\n".join(case.reasons)
            if case.outcome == SKIPPED:
                ET.SubElement(element, "skipped", message=text)
                counts["skipped"] += 1
            elif case.outcome == FAIL and not case.gating:
                ET.SubElement(element, "skipped", message=f"watchlist case failed (never gates): {text}")
                counts["skipped"] += 1
            elif case.outcome == FAIL:
                failure = ET.SubElement(
                    element,
                    "failure",
                    type="failgate.rule",
                    message=f"{case.severity} {case.blast_radius}: {case.reasons[0] if case.reasons else 'failed'}",
                )
                failure.text = (
                    f"passed {case.ratio}, needs {case.required} {sureness_text(case.passes, case.runs)}\n{text}"
                    if case.runs > 1
                    else text
                )
                counts["failures"] += 1
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("errors", "0")
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("errors", "0")
    root.set("time", f"{result.wall_s:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# -- Markdown ---------------------------------------------------------------------
def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def _md_table(title: str, rows: list[Row], rate: bool = True) -> list[str]:
    head = f"| {title} | cases | passed | failed |" + (" pass rate |" if rate else "")
    sep = "|---|---:|---:|---:|" + ("---:|" if rate else "")
    lines = [head, sep]
    for row in rows:
        name = f"**{row.name}**" if row.name == "total" else row.name
        mark = " ❌" if row.failed and row.name != "total" else ""
        line = f"| {name}{mark} | {row.cases} | {row.passed} | {row.failed} |"
        lines.append(line + (f" {row.rate_text()} |" if rate else ""))
    return lines


def _md_case(case: CaseResult) -> list[str]:
    where = f" ({case.location})" if case.location else ""
    runs = (
        f", passed {case.ratio}, needs {case.required} {sureness_text(case.passes, case.runs)}" if case.runs > 1 else ""
    )
    lines = [
        f"- **{case.case_id}** {_md(case.title)}: `{case.failure_mode}`, {case.severity}, "
        f"{case.blast_radius}{where}{runs}"
    ]
    lines.extend(f"  - {_md(reason)}" for reason in case.reasons)
    return lines


def render_markdown(result: EvalResult) -> str:
    """For `$GITHUB_STEP_SUMMARY`: headline, matrix, severities, failing cases."""
    icon = "✅" if result.ok else "❌"
    lines = [
        f"## {icon} failgate eval ({result.set_name}): {verdict(result)}",
        "",
        *_md_table("failure mode", matrix(result)),
        "",
        *_md_table("severity", severity_rows(result), rate=False),
    ]
    if result.failed:
        lines += ["", "### Failing cases", ""]
        for case in result.failed:
            lines += _md_case(case)
    watched = watch_failures(result)
    if watched:
        lines += ["", "### Watchlist (never gates)", ""]
        for case in watched:
            lines += _md_case(case)
    skips = skipped(result)
    if skips:
        lines += ["", f"Skipped (deprecated): {', '.join(c.case_id for c in skips)}"]
    from failgate.eval.replay import totals, totals_line

    replayed = totals(result.cases)
    if replayed is not None:
        lines += ["", _md(totals_line(replayed))]
        lines += [
            f"- {c.case_id}: {_md(str(c.replay['describe']))}"
            for c in result.cases
            if c.replay and c.replay.get("divergence")
        ]
    python = f" in `{_md(result.interpreter)}`" if result.interpreter else ""
    lines += [
        "",
        f"Agent `{_md(result.agent)}`{python}, jobs {result.jobs}, {result.wall_s:.2f} s; judge `{result.judge}`",
    ]
    return "\n".join(lines) + "\n"


__all__ = ["render_json", "render_junit", "render_markdown", "as_data", "PASS"]
