"""Where a case's files may come from: the work tree that holds the dataset. Pure over the file system.

Fixtures and cassettes are resolved inside it, so that a link out of the repository never hands the
agent (or a report) a file from elsewhere on the machine (the manual's "Hostile input").
"""

from __future__ import annotations

from pathlib import Path


def repository_of(directory: Path) -> Path:
    """The work tree holding `directory` (nearest `.git` above it), else the directory itself."""
    start = directory.resolve()
    for candidate in (start, *start.parents):
        if (candidate / ".git").exists():
            return candidate
    return start
