"""Render findings: `path:line:col: CODE message`, plus GitHub annotations.

Under GitHub Actions (`GITHUB_ACTIONS=true`) each finding is also printed as a
workflow command so it shows up on the pull request's diff at its line.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TextIO

from failgate.findings import Finding


def format_text(finding: Finding) -> str:
    level = "" if finding.is_error else "warning: "
    return f"{finding.location}: {finding.code} {level}{finding.message}"


def _escape_data(value: str) -> str:
    # https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def format_github(finding: Finding) -> str:
    command = "error" if finding.is_error else "warning"
    loc = finding.location
    props = [f"file={_escape_property(loc.path)}"]
    if loc.line:
        props.append(f"line={loc.line}")
    if loc.col:
        props.append(f"col={loc.col}")
    props.append(f"title={_escape_property('failgate ' + finding.code)}")
    return f"::{command} {','.join(props)}::{_escape_data(finding.message)}"


# ANSI SGR codes of the three colours the reports use; the same bytes click.style writes.
_FOREGROUND = {"red": 31, "green": 32, "yellow": 33}


def ansi_style(text: str, *, fg: str, bold: bool = False) -> str:
    """`text` in a terminal colour (and bold): what marks a failure in a report."""
    return f"\x1b[{_FOREGROUND[fg]}m" + ("\x1b[1m" if bold else "") + text + "\x1b[0m"


def under_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


# Findings printed per code: a million-case dataset with one mistake repeated printed 264 MB. The first
# ones of each code locate the problem; the rest are counted on one line.
MAX_PER_CODE = 200


def capped(findings: Iterable[Finding], limit: int = MAX_PER_CODE) -> tuple[list[Finding], dict[str, int]]:
    """(the findings to print, in order, at most `limit` per code; how many more of each code there are)."""
    shown: list[Finding] = []
    seen: dict[str, int] = {}
    for finding in sorted(findings, key=Finding.sort_key):
        seen[finding.code] = seen.get(finding.code, 0) + 1
        if seen[finding.code] <= limit:
            shown.append(finding)
    return shown, {code: count - limit for code, count in seen.items() if count > limit}


def print_findings(
    findings: Iterable[Finding], out: TextIO, *, github: bool | None = None, limit: int = MAX_PER_CODE
) -> None:
    if github is None:
        github = under_github_actions()
    ordered, rest = capped(findings, limit)
    for finding in ordered:
        print(format_text(finding), file=out)
    for code, count in sorted(rest.items()):
        print(
            f"failgate: ... and {count} more {code} finding{'s' if count != 1 else ''} (the first {limit} shown)",
            file=out,
        )
    if github:
        for finding in ordered:
            print(format_github(finding), file=out)
