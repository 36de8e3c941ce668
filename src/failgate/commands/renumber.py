"""`failgate renumber [ID...]`: the one-command fix for an id collision in cases.yaml
during a merge, cherry-pick or rebase (`failgate.edits.renumber`)."""

from __future__ import annotations

import click

from failgate.exit_codes import OK, PROBLEM


@click.command("renumber")
@click.argument("only", nargs=-1, metavar="[ID]...")
def command(only: tuple[str, ...]) -> int:
    """Resolve an id collision in cases.yaml during a merge, cherry-pick or rebase: the incoming side's case
    gets the next free id, its history.jsonl events follow, both files are staged. When both sides had
    already renumbered the same cases (in opposite merge orders), one numbering is kept: the base branch's,
    else ours; when that cannot be done in this merge, it refuses and names the command to run instead.

    Give IDs to renumber only those collisions (default: all)."""
    from failgate.edits.renumber import renumber_conflict

    done = renumber_conflict(only)
    if done.crossing is not None:
        click.echo(
            f"both sides renumbered the same cases, in opposite merge orders: {done.crossing.describe()}; "
            f"kept ours' numbering ({done.kept_because}) and refiled theirs' {done.refiled} "
            f"{done.history_path} line(s) under it, so each event id names one event again. Theirs' numbering is "
            "now superseded: should theirs land on the base branch first, rebase this branch onto it, do not merge"
        )
    for r in done.renamed:
        click.echo(
            f'renumbered theirs\' {r.old} "{r.title}" -> {r.new} (ours\' "{r.kept_title}" keeps {r.old}); '
            f"{r.events} {done.history_path} event(s) rewritten"
        )
    if not done.clean:
        click.echo(f"{done.cases_path} still has conflicts failgate cannot resolve:", err=True)
        for message in done.remaining:
            click.echo(f"  {message}", err=True)
        click.echo(
            f"Resolve the marked blocks, then `git add {done.cases_path} {done.history_path}` and `{done.finish}`.",
            err=True,
        )
        return PROBLEM
    click.echo(f"staged {' and '.join(done.staged)}; finish with `{done.finish}` (then `failgate validate` passes)")
    return OK
