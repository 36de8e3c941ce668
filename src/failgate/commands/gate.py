"""`failgate gate [--base REV]`: the pre-push and CI gate (the manual's "The gate").

Parses the options, calls `failgate.gate.run.evaluate` (which chooses the
commit and the base, reads the baseline from git objects, runs the agent and
decides), and renders the decision: the text report on stdout, a machine
format to `--output`, GitHub annotations and the step summary under Actions,
the HTML page with `--html`. Exit 0 pass, 1 fail, 2 usage.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any

import click

from failgate.gate.run import GateSettings, evaluate


def execute(settings: GateSettings) -> int:
    from failgate.gate.report import render

    if settings.output is not None:
        from failgate.atomic import check_writable

        check_writable(settings.output, "--output")
    decision = evaluate(settings)
    from failgate.progress import color_wanted

    color = color_wanted(sys.stdout)
    if settings.output is not None:
        from failgate.atomic import write_output

        settings.output.parent.mkdir(parents=True, exist_ok=True)
        write_output(settings.output, render(decision, settings.fmt))
        click.echo(render(decision, "text", color=color), nl=False)
        click.echo(f"failgate gate: wrote the {settings.fmt} report to {settings.output}", err=True)
    else:
        click.echo(render(decision, settings.fmt, color=color and settings.fmt == "text"), nl=False)
    from failgate.reporting import under_github_actions

    if under_github_actions():
        from failgate.eval.report.text import github_annotations

        # failing active cases (flipped or not) as ::error at their line in cases.yaml
        for line in github_annotations(decision.result):
            click.echo(line)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        # GitHub renders this file on the run's page; append, other steps write there too.
        with contextlib.suppress(OSError), open(summary, "a", encoding="utf-8") as handle:
            handle.write(render(decision, "markdown"))
    if settings.html is not None:
        # After the verdict is out: a path that cannot be written (exit 2) does not hide it.
        from failgate.commands.report import write_gate_html

        write_gate_html(decision, settings.html)
        click.echo(f"failgate gate: wrote the HTML report to {settings.html}", err=True)
    if settings.notify:
        # After the verdict is out, and whatever a sink does: a notification never changes it.
        from failgate.notify.after_gate import notify_decision

        report = notify_decision(decision, "gate")
        for message in report.log:
            click.echo(message, err=True)
        for line in report.lines():
            click.echo(line, err=True)
    return decision.exit_code


@click.command("gate")
@click.option(
    "--base",
    metavar="REV",
    help="Compare against the merge-base with REV (default: under GitHub "
    "Actions the PR target or the pushed range's old tip; else the remote's default branch, or the "
    "base_branch configured there).",
)
@click.option(
    "--rev", metavar="REV", help="The commit under test (default: PRE_COMMIT_TO_REF in a pre-push hook, else HEAD)."
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "junit", "markdown"]), default="text", show_default=True
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the report to FILE (the text report still goes to stdout).",
)
@click.option(
    "--jobs", "-j", type=click.IntRange(min=1, max=256), help="Cases in flight at once (default: config `jobs`)."
)
@click.option(
    "--html",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="Also write the HTML report focused on the range under test (its flips first) to PATH.",
)
@click.option(
    "--notify",
    is_flag=True,
    help="Send the red cases to the sinks [tool.failgate.notify] routes them to (for the gate on main).",
)
def command(**kwargs: Any) -> int:
    """Eval the commit under test; fail on any failing case or any flip since the base."""
    return execute(GateSettings(**kwargs))
