"""`failgate check-ledger [--base REV]`: refuse a commit that loses history
(`failgate.gate.ledger_check`: the index against HEAD, or with --base, HEAD against
its merge-base with REV and every commit in between)."""

from __future__ import annotations

import sys

import click

from failgate.dataset.parse import parse_pair  # noqa: F401  (tests use it from here)
from failgate.exit_codes import OK, PROBLEM


@click.command("check-ledger")
@click.option(
    "--base",
    "base_rev",
    metavar="REV",
    help="CI mode: check HEAD against its merge-base with REV (e.g. origin/main). "
    "Default: check what is staged against HEAD.",
)
def command(base_rev: str | None) -> int:
    """Refuse vanished cases, edited ledger or history lines, reused ids and
    unversioned taxonomy changes."""
    from failgate.gate.ledger_check import check_ledger_at
    from failgate.reporting import print_findings

    findings, description = check_ledger_at(base_rev)
    print_findings(findings, sys.stdout)
    errors = sum(1 for f in findings if f.is_error)
    if errors:
        click.echo(f"check-ledger: {errors} problem(s) in {description}")
        return PROBLEM
    click.echo(f"check-ledger: ok ({description})")
    return OK
