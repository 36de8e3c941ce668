"""`failgate watch [--base REV]`: the nightly gate on main against its last green run, with notifications.

Prints the gate's report, then what was sent where (`[tool.failgate.notify]`);
a sink that fails is reported and never changes the exit code: 0 green, 1 red
(advisory mode: always 0), 2 usage.
"""

from __future__ import annotations

import click


@click.command("watch")
@click.option("--base", metavar="REV", help="Compare against REV instead of the last green run of watch.")
@click.option("--jobs", "-j", type=click.IntRange(min=1, max=256), help="Cases in flight at once.")
def command(base: str | None, jobs: int | None) -> int:
    """Run the gate on this commit against its last green run; notify by severity and blast radius."""
    from failgate.gate.report import render
    from failgate.notify.watch import watch

    result = watch(base, jobs)
    click.echo(render(result.decision, "text"), nl=False)
    for message in result.report.log:
        click.echo(message, err=True)
    for line in result.report.lines():
        click.echo(line, err=True)
    return int(result.decision.exit_code)
