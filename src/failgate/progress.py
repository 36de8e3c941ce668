"""Progress and colour on a terminal, for the long commands (eval, gate, ingest).

When (the conventions of the tools people already use: pip, pytest, rich):
- progress only when stderr is a terminal, and not under CI (`CI` set to a
  true value, as GitHub, GitLab, Buildkite and CircleCI do, or
  `GITHUB_ACTIONS=true`), and not with `TERM=dumb`; a log gets nothing extra;
- colour only when the stream is a terminal and `NO_COLOR` is unset or empty
  (no-color.org), and not with `TERM=dumb`: never when piped.

The bar is rich's (the field's standard for it, with tqdm): cases done / total,
failures so far, elapsed and remaining. rich is imported only when a bar is
actually shown (it costs tens of milliseconds), so nothing on the hooks' path
(`validate`, `check-ledger`) ever imports it.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import IO

Update = Callable[[int, int, int], None]  # (done, total, failed so far)


def _under_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1", "yes") or os.environ.get("GITHUB_ACTIONS") == "true"


def _is_tty(stream: IO[str] | None) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


def progress_wanted(setting: bool | None = None, stream: IO[str] | None = None) -> bool:
    """`setting` (a --progress/--no-progress flag) wins; else a terminal, not CI, not TERM=dumb."""
    if setting is not None:
        return setting
    return _is_tty(stream or sys.stderr) and not _under_ci() and os.environ.get("TERM") != "dumb"


def color_wanted(stream: IO[str] | None = None) -> bool:
    return _is_tty(stream or sys.stdout) and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


@contextlib.contextmanager
def case_progress(label: str, enabled: bool) -> Iterator[Update | None]:
    """A transient bar on stderr while the block runs; yields the update function
    to hand to `run_eval(progress=...)`, or None when no bar is wanted."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True, no_color=not color_wanted(sys.stderr))
    columns = (
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[red]{task.fields[failed]} failed"),
        TextColumn("elapsed"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=None, failed=0)

        def update(done: int, total: int, failed: int) -> None:
            bar.update(task, completed=done, total=total, failed=failed)

        yield update


@contextlib.contextmanager
def count_progress(label: str, enabled: bool, unit: str) -> Iterator[Callable[[int, int], None] | None]:
    """For a stream whose length is unknown (ingest's traces): count, failures, elapsed."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True, no_color=not color_wanted(sys.stderr))
    columns = (
        SpinnerColumn(),
        TextColumn(f"[bold]{label}"),
        TextColumn("{task.completed} " + unit),
        TextColumn("[red]{task.fields[failed]} failed"),
        TextColumn("elapsed"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=None, failed=0)

        def update(done: int, failed: int) -> None:
            bar.update(task, completed=done, failed=failed)

        yield update
