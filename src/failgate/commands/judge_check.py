"""`failgate judge-check [--record]`: grade the judge on the gold set
(`failgate.gate.judge_check`). Exit 0 when the floor is met, 1 when not or when the
gold file is invalid, 2 for usage and configuration errors.
"""

from __future__ import annotations

import sys

import click

from failgate.exit_codes import OK, PROBLEM


def run_judge_check(record: bool, use_cache: bool) -> int:
    from failgate.eval.judge.gold import render
    from failgate.gate.judge_check import judge_check
    from failgate.progress import case_progress, progress_wanted
    from failgate.reporting import print_findings

    with case_progress("judge-check", progress_wanted()) as progress:
        check = judge_check(record, use_cache, progress)
    if check.findings:
        print_findings(check.findings, sys.stdout)
    if not check.valid:
        click.echo(
            f"failgate judge-check: {check.gold} is invalid; fix it first (failgate validate checks it too)", err=True
        )
        return PROBLEM
    click.echo(f"failgate judge-check: {len(check.graded)} gold example(s) from {check.gold}, floor {check.floor:g}\n")
    for line in render(check.graded, check.floor, check.fingerprint):
        click.echo(line)
    if any(check.calls.values()):
        from failgate.eval.report.text import judge_calls_line

        click.echo(judge_calls_line(check.calls))
    if check.recorded:
        click.echo(
            f"failgate judge-check --record: appended a judge_graded event under {check.fingerprint[:19]}... "
            "to history.jsonl; commit it with the judge change",
            err=True,
        )
    return OK if check.met else PROBLEM


@click.command("judge-check")
@click.option("--record", is_flag=True, help="Append a judge_graded event (fingerprint + figures) to history.jsonl.")
@click.option("--no-cache", is_flag=True, help="Ask the judge model again instead of reading cached verdicts.")
def command(record: bool, no_cache: bool) -> int:
    """Grade the judge on the gold set: agreement, false-pass rate, Cohen's kappa."""
    return run_judge_check(record, use_cache=not no_cache)
