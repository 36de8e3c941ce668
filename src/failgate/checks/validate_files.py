"""`failgate validate [FILES]`, the use case: which datasets FILES name, each read,
parsed and checked (schemas, cross-file invariants, fixture links, backtracking
patterns), the gold set too when it is named or nothing is; a dataset byte for byte
one that validated clean before is not parsed again (`validate_cache`)."""

from __future__ import annotations

import os
from pathlib import Path

from failgate.config import Config, load_config
from failgate.dataset.model import CASES_FILE
from failgate.findings import FailgateError, Finding, Location


def display(path: Path) -> str:
    """`path` as the user named it: relative to the working directory."""
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
                f"{name} is not inside a failgate dataset (no {CASES_FILE} above it, and not under {display(configured)})"
            )
        if directory not in found:
            found.append(directory)
    return found


def _gold_findings(config: Config, files: tuple[str, ...]) -> tuple[list[Finding], tuple[str, ...]]:
    """The gold set's findings (when it exists and is named or nothing is), and
    the other files. The gold file lives beside the dataset, not inside it."""
    gold = (config.root / config.gold.path).resolve()
    rest = tuple(f for f in files if Path(f).resolve() != gold)
    if (files and len(rest) == len(files)) or not gold.is_file():
        return [], rest
    from failgate.checks.gold import load_gold

    return load_gold(gold.read_bytes(), display(gold))[1], rest


def _check_dataset(directory: Path, contents: dict[str, bytes | None], config: Config) -> list[Finding]:
    """Every finding of one dataset's files. Imported here, after the clean-verdict cache missed:
    the hook's usual run (nothing changed) pays for none of the checks."""
    from failgate.checks.cassettes import cassettes_on_disk
    from failgate.checks.patterns import backtracking_findings
    from failgate.checks.validate import validate_dataset
    from failgate.collector import paused
    from failgate.confinement import fixture_links
    from failgate.dataset.parse import parse_files

    def exists(relative: str) -> bool:
        return (directory / relative).is_file()

    # The parsed dataset is acyclic and lives until the verdict: no cycle search
    # over it while the checks allocate their findings (failgate.collector).
    with paused():
        dataset = parse_files(display(directory), contents)
        return (
            validate_dataset(dataset, fixture_exists=exists)
            + fixture_links(dataset, directory, config.root)
            + backtracking_findings(dataset)
            + cassettes_on_disk(dataset, directory, config.root)
        )


def validate_files(files: tuple[str, ...], use_cache: bool = True) -> list[Finding]:
    """Every finding of the datasets FILES belong to (the configured one without FILES)."""
    from failgate.checks.validate_cache import CleanCache, dataset_key
    from failgate.dataset.parse import read_files

    config = load_config()
    cache = CleanCache(config.cache_dir) if use_cache and not os.environ.get("FAILGATE_NO_CACHE") else None
    findings, rest = _gold_findings(config, files)
    # Only the gold file among FILES (pre-commit passes what changed): no dataset to validate.
    directories = [] if files and not rest else dataset_dirs_for(rest, config.dataset_dir)
    for directory in directories:
        if not directory.is_dir():
            raise FailgateError(
                f"no dataset at {display(directory)}: run `failgate init`, or set `dataset` in [tool.failgate]"
            )
        try:
            contents = read_files(directory, display(directory))
        except OSError as exc:  # permission denied, a directory named cases.yaml, an I/O error
            shown = display(Path(exc.filename)) if isinstance(exc.filename, str) else display(directory)
            findings.append(Finding("UNREADABLE", f"cannot read this file: {exc.strerror or exc}", Location(shown)))
            continue
        key = dataset_key(directory, contents) if cache is not None else ""
        if cache is not None and cache.is_clean(key):
            continue  # byte for byte what validated clean before, by the same checks
        found = _check_dataset(directory, contents, config)
        if cache is not None and not found:
            try:
                config.ensure_cache_dir()
                cache.mark_clean(key)
            except OSError:
                pass  # best effort: a read-only tree, or a file where the cache folder goes, still validates
        findings.extend(found)
    return findings
