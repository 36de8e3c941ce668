"""`failgate demo`: the guided tour, in a throwaway repo under a temp dir (`failgate.demo.tour`)."""

from __future__ import annotations

import click

from failgate.exit_codes import OK, PROBLEM


def _step_names() -> list[str]:
    from failgate.demo.tour import step_names

    return step_names()


@click.command("demo")
@click.option("--keep", is_flag=True, help="Keep the demo repository instead of deleting it.")
@click.option(
    "--step",
    "only",
    multiple=True,
    metavar="NAME",
    help=f"Run only these steps (after the first, which sets up the repository): {', '.join(_step_names())}.",
)
def command(keep: bool, only: tuple[str, ...]) -> int:
    """Walk through failgate on a bundled example, in a throwaway repo."""
    from failgate.demo.tour import run_tour

    tour = run_tour(keep, only)
    if tour.failure is not None:
        click.secho(f"\nThe demo went wrong: {tour.failure}", fg="red", err=True)
        click.echo(f"The demo repository is kept for inspection: {tour.repo}", err=True)
        return PROBLEM
    if tour.kept:
        click.echo(f"Done. The demo repository is kept: {tour.repo}")
    else:
        click.echo("Done. (Run with --keep to look around the demo repository afterwards.)")
    return OK
