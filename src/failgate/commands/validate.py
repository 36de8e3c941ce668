"""`failgate validate [FILES]`: strict YAML, JSON Schema and cross-file invariants."""

from __future__ import annotations

import sys

import click

from failgate.exit_codes import OK, PROBLEM


def run_validate(files: tuple[str, ...], use_cache: bool = True) -> int:
    from failgate.checks.validate_files import validate_files
    from failgate.reporting import print_findings

    findings = validate_files(files, use_cache)
    print_findings(findings, sys.stdout)
    errors = sum(f.is_error for f in findings)
    warnings = len(findings) - errors
    if errors:
        click.echo(f"failgate validate: {errors} error(s), {warnings} warning(s)", err=True)
        return PROBLEM
    if warnings:
        click.echo(f"failgate validate: ok, {warnings} warning(s)", err=True)
    return OK


@click.command("validate")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--no-cache", is_flag=True, help="Validate in full even if these exact files validated clean before.")
def command(files: tuple[str, ...], no_cache: bool) -> int:
    """Check the dataset: strict YAML, schemas and cross-file invariants.

    With FILES (as pre-commit passes them), validates the datasets they belong
    to; without, the configured dataset directory. A dataset whose files are
    byte for byte one that validated clean before, under the same failgate,
    is not parsed again (see failgate.checks.validate_cache; FAILGATE_NO_CACHE=1 or
    --no-cache turn that off). Exit 0 ok, 1 invalid, 2 usage or configuration
    error.
    """
    return run_validate(files, use_cache=not no_cache)
