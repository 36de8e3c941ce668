"""`failgate report`, the use case: dataset health from the files and the history, and
the self-contained page (`failgate.report.pages`): the cases x commits heatmap, the
per-mode trends and the same health tables. `write_gate_html` is the gate's `--html`:
the same page, read from git at the commit under test and focused on the range the
gate judged.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from failgate.atomic import write_output
from failgate.config import load_config
from failgate.dataset.history import fold_events
from failgate.dataset.model import CASES_FILE
from failgate.dataset.parse import existing_file, parse_files, read_dataset
from failgate.exit_codes import PROBLEM
from failgate.findings import FailgateError
from failgate.report.health import HealthReport, build_report


def _display(root: Path, directory: Path) -> str:
    try:
        return directory.relative_to(root).as_posix()
    except ValueError:
        return str(directory)


def _generated() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _write_page(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_output(path, text)
    except OSError as exc:
        raise FailgateError(f"cannot write the HTML report to {path}: {exc.strerror or exc}") from exc


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """A 100,000-line history is ~1M small acyclic objects alive at once; the cyclic
    collector rescans them all on every generation-2 pass, which measured as about
    half the page's build time. Nothing built here is cyclic: reference counting
    frees it all. Restored on the way out."""
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def write_gate_html(decision: Any, path: Path) -> None:
    """The gate's page, from the dataset at the commit under test (git objects, not the work tree)."""
    from failgate.gitrepo import open_repo  # pygit2: only the gate's page reads git
    from failgate.report.pages import gate_page

    config = load_config()
    repo = open_repo(config.root)
    rng = decision.range
    dataset_rel = repo.relpath(config.dataset_dir)
    files: dict[str, bytes | None] = dict(repo.read_tree_files(rng.commit, dataset_rel))
    dataset = parse_files(dataset_rel, files)
    commits = repo.list_range(rng.commit, rng.merge_base)  # no merge-base yet: every commit up to it
    with _no_cyclic_gc():
        page = gate_page(decision, dataset, commits, _dt.datetime.now(_dt.timezone.utc).date(), generated=_generated())
    _write_page(path, page)


@dataclasses.dataclass(frozen=True)
class ReportRun:
    report: HealthReport
    html: Path | None  # where the page was written, when it was asked for


def dataset_health(today: _dt.date | None = None, html: Path | None = None) -> ReportRun:
    """The configured dataset's health, and with `html` its page written there."""
    with _no_cyclic_gc():
        return _dataset_health(today, html)


def _dataset_health(today: _dt.date | None, html: Path | None) -> ReportRun:
    config = load_config()
    directory = config.dataset_dir
    if not existing_file(directory / CASES_FILE):
        raise FailgateError(f"no {CASES_FILE} in {directory}; run `failgate init` or set `dataset` in [tool.failgate]")
    dataset = read_dataset(directory, _display(config.root, directory))
    if dataset.cases_doc is None:
        raise FailgateError(
            "the dataset cannot be read; run `failgate validate`",
            exit_code=PROBLEM,
            findings=[f for f in dataset.findings if f.is_error],
        )
    # The history as read_dataset parsed it (once): the fold, the text and the page share it.
    fold = fold_events(event for _, event in dataset.usable_events())
    report = build_report(
        dataset.header, dataset.cases, dataset.watchlist, fold, today or _dt.datetime.now(_dt.timezone.utc).date()
    )
    if html is not None:
        from failgate.report.pages import dataset_page

        _write_page(html, dataset_page(dataset, report, generated=_generated()))
    return ReportRun(report, html)
