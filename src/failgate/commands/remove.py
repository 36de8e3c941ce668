"""`failgate remove ID --reason TEXT --by WHO`: take a case out, on the record
(`failgate.edits.remove`: the three files in one transaction)."""

from __future__ import annotations

import click

from failgate.dataset.model import CASES_FILE, HISTORY_FILE, REMOVED_FILE
from failgate.exit_codes import OK


@click.command("remove")
@click.argument("case_id", metavar="ID")
@click.option("--reason", default=None, help="Why the case leaves the dataset (required).")
@click.option("--by", "by", default=None, help="Who removes it (required), e.g. an e-mail address.")
def command(case_id: str, reason: str | None, by: str | None) -> int:
    """Move a case into the deletion ledger with its snapshot and a history event."""
    from failgate.edits.remove import remove_from_dataset

    removed = remove_from_dataset(case_id, reason, by)
    shown = removed.directory
    names = (CASES_FILE, REMOVED_FILE, HISTORY_FILE, *([removed.cassette] if removed.cassette is not None else []))
    files = " ".join(f"'{shown}/{name}'" for name in names)
    click.echo(
        f"removed {case_id}: ledger entry in {shown}/{REMOVED_FILE}, event {removed.event_id} "
        f"in {shown}/{HISTORY_FILE}.\nStage and commit {'all three' if removed.cassette is None else 'them all'}: "
        f"git add {files} && git commit"
    )
    return OK
