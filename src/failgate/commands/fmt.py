"""`failgate fmt [FILES]`: fill or correct the derived fields of every case.

`input_hash` from the input, `regressed_count` from history.jsonl, in
`cases.yaml` and `watchlist.yaml`; every other byte unchanged
(`failgate.dataset.derived`). Like the standard pre-commit fixers: exit 1 when
it changed a file (the commit stops so that the fix can be reviewed and
staged), 0 when everything was already right, 2 for usage errors. Written
atomically under the dataset's lock: nothing or everything changes.
"""

from __future__ import annotations

import click

from failgate.exit_codes import OK, PROBLEM


def run_fmt(files: tuple[str, ...], check: bool = False) -> int:
    from failgate.edits.fmt import fmt_datasets

    outcome = fmt_datasets(files, check)
    for shown, fix in outcome.fixes:
        click.echo(f"{shown}: {'would fix' if check else 'fixed'} {fix}")
    for shown, what in outcome.recorded:
        click.echo(f"{shown}: {'would record' if check else 'recorded'} {what}")
    return PROBLEM if outcome.changed_files else OK


@click.command("fmt")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--check", is_flag=True, help="Say what would change, write nothing (exit 1 if anything would).")
def command(files: tuple[str, ...], check: bool) -> int:
    """Fill or correct input_hash and regressed_count; every other byte unchanged.

    With FILES (as pre-commit passes them), the datasets they belong to;
    without, the configured dataset. Exit 0 nothing to change, 1 fixed (or
    would fix, with --check), 2 usage or configuration error.
    """
    return run_fmt(files, check=check)
