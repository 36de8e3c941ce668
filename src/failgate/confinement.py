"""Keep failgate inside the repository: dataset files and fixtures that are
symlinks resolving outside it are refused, and what they point at is never
shown (a message must not become a way to read `/etc/shadow` into CI logs).

A link inside the repository is fine (a shared fixture folder); git stores a
symlink as its target text, so reads from git objects are not affected.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from failgate.dataset.model import DATASET_FILES, INTAKE_DIR
from failgate.findings import Finding, Location

CODE = "OUTSIDE_REPO"


def escapes(path: Path, root: Path) -> bool:
    """True when `path` exists through a symlink whose target is outside `root`
    (a path configured outside the root without any link is the user's choice)."""
    if not os.path.lexists(path):
        return False
    real = os.path.realpath(path)
    if real == os.path.abspath(path):
        return False  # no link on the way
    return not Path(real).is_relative_to(Path(os.path.realpath(root)))


def _shown(path: Path, root: Path) -> str:
    try:
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).as_posix()
    except ValueError:
        return path.name


def dataset_links(dataset_dir: Path, root: Path) -> list[Finding]:
    """The dataset directory and the files failgate reads or writes in it."""

    candidates = (
        [dataset_dir] if escapes(dataset_dir, root) else [dataset_dir / name for name in (*DATASET_FILES, INTAKE_DIR)]
    )
    return [
        Finding(
            CODE,
            "is a symlink that resolves outside the repository; failgate neither reads nor writes "
            "through it (make it a regular file or a link inside the repository)",
            Location(_shown(path, root)),
        )
        for path in candidates
        if escapes(path, root)
    ]


def fixture_links(dataset: Any, dataset_dir: Path, root: Path) -> list[Finding]:
    """Each case's fixture that resolves outside the repository, at its line."""
    findings = []
    for index, case in enumerate(dataset.cases):
        case_input = case.get("input")
        fixtures = case_input.get("fixtures") if isinstance(case_input, dict) else None
        for f_index, fixture in enumerate(fixtures if isinstance(fixtures, list) else []):
            if isinstance(fixture, str) and escapes(dataset_dir / fixture, root):
                findings.append(
                    Finding(
                        CODE,
                        f"fixture '{fixture}' resolves outside the repository (a symlink?); "
                        "failgate does not follow it",
                        dataset.case_location(index, "input", "fixtures", f_index),
                    )
                )
    return findings
