"""`failgate judge-change --reason TEXT --by WHO`: the owner's part of a judge change, in one go.

Grades the new judge on the base's gold set, runs the failure set under it,
and records the results, the grading and one `judge_changed` decision in
history.jsonl in one transaction (`failgate.gate.judge_change_record`); then
prints what to commit. Exit 0 recorded, 1 the new judge fails a case or the
gold floor (nothing written), 2 usage (nothing changed in the judge, no base).
"""

from __future__ import annotations

import click

from failgate.exit_codes import OK


@click.command("judge-change")
@click.option("--reason", default=None, help="Why the judge changes (required); the gate shows it to the reviewers.")
@click.option("--by", "by", default=None, help="Who decides (required), e.g. an e-mail address.")
@click.option("--base", metavar="REV", help="The base the gate will compare with (default: as the gate chooses it).")
@click.option("--jobs", "-j", type=click.IntRange(min=1, max=256), help="Cases in flight at once (default: config).")
def command(reason: str | None, by: str | None, base: str | None, jobs: int | None) -> int:
    """Record a judge change: grade, run under the new judge, decide, in one transaction."""
    from failgate.gate.judge_change_record import describe, record_judge_change

    for line in describe(record_judge_change(reason, by, base, jobs)):
        click.echo(line)
    return OK
