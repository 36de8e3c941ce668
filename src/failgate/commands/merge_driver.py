"""`failgate merge-driver %O %A %B %P [%L]`: git's merge-driver protocol.

git runs this (through the shell) with the ancestor, ours and theirs as temp
files relative to the work tree root, and the real path. We write the result
to %A (never to %P: git writes the work tree itself) and exit 0 when merged,
1 on a conflict. Any exit above 128 would make git abort the whole merge
instead of recording a conflict, so no exception may escape: everything
unexpected becomes an explained exit 1 with %A left as git gave it.
"""

from __future__ import annotations

import sys

import click

from failgate.exit_codes import OK, PROBLEM

DEFAULT_MARKER_SIZE = 7  # git's conflict-marker length (gitattributes, conflict-marker-size)


def _marker_size(extra: tuple[str, ...]) -> int:
    # %L is the conflict-marker length. git before 2.44 passes %S %X %Y
    # literally (they did not exist yet), so ignore anything that looks like
    # an unexpanded placeholder, and any further argument we do not know.
    for arg in extra:
        if arg.isdigit() and 1 <= int(arg) <= 1000:
            return int(arg)
    return DEFAULT_MARKER_SIZE


def run(base: str, ours: str, theirs: str, path: str, extra: tuple[str, ...]) -> int:
    try:
        from failgate.merge import merge_files

        outcome = merge_files(base, ours, theirs, path, _marker_size(extra))
    except KeyboardInterrupt:
        click.echo(f"failgate merge-driver: interrupted; {path} left as a conflict", err=True)
        return PROBLEM
    except Exception as exc:  # noqa: BLE001 - an exit > 128 would abort git's merge
        click.echo(
            f"failgate merge-driver: could not merge {path}: {type(exc).__name__}: {exc}\n"
            f"  {path} is left as a conflict with your side's content; resolve it by hand and run "
            "`failgate check-ledger`.",
            err=True,
        )
        return PROBLEM
    if outcome.clean:
        return OK
    click.echo(f"failgate merge-driver: CONFLICT in {path}, not merged automatically:", err=True)
    for message in outcome.messages:
        click.echo(f"  {message}", err=True)
    click.echo(
        "  The file now holds conflict markers around the part failgate could not merge. "
        + (
            outcome.hint
            or "Ledger files are append-only: keep every earlier event unchanged, keep both sides' "
            "new ones, then `git add` it and run `failgate check-ledger`."
        ),
        err=True,
    )
    return PROBLEM


@click.command(
    "merge-driver",
    context_settings={"ignore_unknown_options": True},
    help="Three-way merge of a dataset file, called by git (%O %A %B %P [%L]): history.jsonl and "
    "cases_removed.yaml as append-only ledgers keyed by id, cases.yaml case by case. "
    "Writes the result to %A; exit 0 merged, 1 conflict.",
)
@click.argument("base", metavar="%O")
@click.argument("ours", metavar="%A")
@click.argument("theirs", metavar="%B")
@click.argument("path", metavar="%P")
@click.argument("extra", nargs=-1, type=click.UNPROCESSED, metavar="[%L]")
def command(base: str, ours: str, theirs: str, path: str, extra: tuple[str, ...]) -> int:
    code = run(base, ours, theirs, path, extra)
    sys.stderr.flush()
    return code
