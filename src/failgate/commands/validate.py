"""`failgate validate [FILES]`: strict YAML, JSON Schema and cross-file invariants."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from failgate.dataset.model import CASES_FILE
from failgate.findings import FailgateError, Finding, Location


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path, Path.cwd()).replace(os.sep, "/")
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)


def dataset_dirs_for(files: tuple[str, ...], configured: Path) -> list[Path]:
    """The dataset directories that the given files belong to.

    pre-commit passes changed files; a dataset is validated as a whole, since
    most invariants (unique ids, history vs cases) span files.
    """
    if not files:
        return [configured]
    found: list[Path] = []
    configured = configured.resolve()
    for name in files:
        path = Path(name).resolve()
        directory = None
        for parent in path.parents:
            if (parent / CASES_FILE).is_file() or parent == configured:
                directory = parent
                break
        if directory is None:
            raise FailgateError(
                f"{name} is not inside a failgate dataset (no {CASES_FILE} above it, and not under {_display(configured)})"
            )
        if directory not in found:
            found.append(directory)
    return found


def _gold_findings(config: Any, files: tuple[str, ...]) -> tuple[list[Any], tuple[str, ...]]:
    """The gold set's findings (when it exists and is named or nothing is), and
    the other files. The gold file lives beside the dataset, not inside it."""
    from failgate.config.sections import gold_settings

    gold = (config.root / gold_settings(config.section("judge"))[0]).resolve()
    rest = tuple(f for f in files if Path(f).resolve() != gold)
    if (files and len(rest) == len(files)) or not gold.is_file():
        return [], rest
    from failgate.checks.gold import load_gold

    return load_gold(gold.read_bytes(), _display(gold))[1], rest


def run_validate(files: tuple[str, ...], use_cache: bool = True) -> int:
    from failgate.checks.cassettes import cassettes_on_disk
    from failgate.checks.patterns import backtracking_findings
    from failgate.checks.validate import validate_dataset
    from failgate.checks.validate_cache import CleanCache, dataset_key
    from failgate.config import load_config
    from failgate.confinement import fixture_links
    from failgate.dataset.parse import parse_files, read_files
    from failgate.findings import has_errors
    from failgate.reporting import print_findings

    config = load_config()
    cache = CleanCache(config.cache_dir) if use_cache and not os.environ.get("FAILGATE_NO_CACHE") else None
    findings, rest = _gold_findings(config, files)
    # Only the gold file among FILES (pre-commit passes what changed): no dataset to validate.
    directories = [] if files and not rest else dataset_dirs_for(rest, config.dataset_dir)
    for directory in directories:
        if not directory.is_dir():
            raise FailgateError(
                f"no dataset at {_display(directory)}: run `failgate init`, or set `dataset` in [tool.failgate]"
            )
        try:
            files = read_files(directory, _display(directory))
        except OSError as exc:  # permission denied, a directory named cases.yaml, an I/O error
            shown = _display(Path(exc.filename)) if isinstance(exc.filename, str) else _display(directory)
            findings.append(Finding("UNREADABLE", f"cannot read this file: {exc.strerror or exc}", Location(shown)))
            continue
        key = dataset_key(directory, files) if cache is not None else ""
        if cache is not None and cache.is_clean(key):
            continue  # byte for byte what validated clean before, by the same checks
        dataset = parse_files(_display(directory), files)

        def exists(relative: str, base: Path = directory) -> bool:
            return (base / relative).is_file()

        found = (
            validate_dataset(dataset, fixture_exists=exists)
            + fixture_links(dataset, directory, config.root)
            + backtracking_findings(dataset)
            + cassettes_on_disk(dataset, directory, config.root)
        )
        if cache is not None and not found:
            try:
                config.ensure_cache_dir()
                cache.mark_clean(key)
            except OSError:
                pass  # best effort: a read-only tree, or a file where the cache folder goes, still validates
        findings.extend(found)
    print_findings(findings, sys.stdout)
    errors = sum(f.is_error for f in findings)
    warnings = len(findings) - errors
    if errors:
        click.echo(f"failgate validate: {errors} error(s), {warnings} warning(s)", err=True)
        return 1
    if warnings:
        click.echo(f"failgate validate: ok, {warnings} warning(s)", err=True)
    return 1 if has_errors(findings) else 0


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
