"""`failgate renumber [ID...]`: the one-command fix for an id collision in cases.yaml
during a merge, cherry-pick or rebase (`failgate.edits.renumber`)."""

from __future__ import annotations

import click

from failgate.exit_codes import OK, PROBLEM


@click.command("renumber")
@click.argument("only", nargs=-1, metavar="[ID]...")
def command(only: tuple[str, ...]) -> int:
    """Resolve an id collision in cases.yaml during a merge, cherry-pick or rebase: the incoming side's case
    gets the next free id, its history.jsonl events and its cassette follow, the files are staged. When both sides had
    already renumbered the same cases (in opposite merge orders), one numbering is kept: the base branch's,
    else ours; when that cannot be done in this merge, it refuses and names the command to run instead.

    Give IDs to renumber only those collisions (default: all)."""
    from failgate.edits.renumber import renumber_conflict

    done = renumber_conflict(only)
    where = f"{done.directory}/" if done.directory else ""  # cassette paths are the dataset's own
    if done.crossing is not None:
        click.echo(
            f"both sides renumbered the same cases, in opposite merge orders: {done.crossing.describe()}; "
            f"kept ours' numbering ({done.kept_because}) and refiled theirs' {done.refiled} "
            f"{done.history_path} line(s) under it, so each event id names one event again. Theirs' numbering is "
            "now superseded: should theirs land on the base branch first, rebase this branch onto it, do not merge"
        )
    if done.kept_cassettes:
        click.echo(
            f"kept ours' cassette(s) {', '.join(where + ref for ref in done.kept_cassettes)} as HEAD has them: "
            "theirs' are the same recordings under the crossed ids"
        )
    for r in done.renamed:
        click.echo(
            f'renumbered theirs\' {r.old} "{r.title}" -> {r.new} (ours\' "{r.kept_title}" keeps {r.old}); '
            f"{r.events} {done.history_path} event(s) rewritten"
        )
    for m in done.cassettes:
        if m.moved:
            left = f"ours' {m.source} stays as HEAD has it" if m.restore is not None else f"{m.source} removed"
            click.echo(
                f"moved theirs' cassette {where}{m.source} -> {m.target} with its case "
                f"(its header now names {m.new_id}; {left})"
            )
        else:
            click.echo(f"theirs' cassette {where}{m.source} stays where it is; its header now names {m.new_id}")
    if not done.clean:
        click.echo(f"{done.cases_path} still has conflicts failgate cannot resolve:", err=True)
        for message in done.remaining:
            click.echo(f"  {message}", err=True)
        moved = "".join(f" {where}{p}" for m in done.cassettes for p in dict.fromkeys((m.target, m.source)))
        click.echo(
            f"Resolve the marked blocks, then `git add {done.cases_path} {done.history_path}{moved}` and "
            f"`{done.finish}`.",
            err=True,
        )
        return PROBLEM
    staged = ", ".join(done.staged[:-1]) + " and " + done.staged[-1] if len(done.staged) > 1 else done.staged[0]
    click.echo(f"staged {staged}; finish with `{done.finish}` (then `failgate validate` passes)")
    return OK
