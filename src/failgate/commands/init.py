"""`failgate init`: scaffold the dataset and wire it into git, idempotently
(`failgate.scaffold.init`)."""

from __future__ import annotations

import click

from failgate.exit_codes import OK


@click.command("init")
@click.option("--owner", help="CODEOWNERS owner of the dataset directory, e.g. @acme/agent-team.")
@click.option(
    "--dataset",
    help="Dataset directory relative to the repo root (default: [tool.failgate] dataset or evals/failures).",
)
@click.option(
    "--schedule",
    is_flag=True,
    help="Also write the weekly intake and nightly watch workflows (they need a trace store and sinks configured).",
)
def command(owner: str | None, dataset: str | None, schedule: bool) -> int:
    """Scaffold the dataset, .gitattributes, merge drivers, CODEOWNERS and CI."""
    from failgate.scaffold.init import init_project
    from failgate.scaffold.project import OWNER_PLACEHOLDER, precommit_snippet

    done = init_project(owner, dataset, schedule)
    for status, relative in done.report:
        if status != "unchanged":
            click.echo(f"{status:>10}  {relative}")
    click.echo(
        f"{'registered' if done.drivers_registered else 'unchanged':>10}  merge drivers in .git/config "
        "(run `failgate install` in every clone)"
    )
    if not done.changed and not done.drivers_registered:
        click.echo("failgate is already initialised here: nothing to do.")
    if done.owner_missing:
        click.echo(
            f"\nFill in the dataset's owners in {done.codeowners} (replace {OWNER_PLACEHOLDER}), "
            "or rerun with --owner @team."
        )
    click.echo(
        "\nAdd to .pre-commit-config.yaml, then run `pre-commit install --install-hooks "
        "--hook-type pre-commit --hook-type pre-merge-commit --hook-type pre-push --hook-type post-checkout "
        "--hook-type post-merge`:\n"
    )
    click.echo(precommit_snippet())
    click.echo(
        "failgate-git has no release tag yet: after adding the snippet, `pre-commit autoupdate --freeze` "
        "pins rev: to the commit you reviewed."
    )
    return OK
