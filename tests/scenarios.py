"""Expensive scenarios built once per session and handed to each test as a fresh copy.

A scenario is a directory (a consumer repository, its bare remote, hook copies,
a pre-commit home...) that a builder writes from nothing. Building one costs
seconds of git, pre-commit and `failgate eval` subprocesses; copying it costs
milliseconds. `Scenarios.copy(key, build, dest)` builds the template for `key`
once, in a directory no test writes to, then copies it into the test's own
directory: every test still starts from a pristine scenario, and what a test
does to its copy never reaches the template or another test.

A copy of a repository is a valid repository (`shutil.copytree(...,
symlinks=True)`: git's files hold relative paths, except the ones fixed
here). Absolute paths git stores in a repository's `config` (a remote's URL, a
`core.hooksPath`) are rewritten from the template's directory to the copy's,
so a copied remote is the copy's own remote, never the template's.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Hashable
from pathlib import Path

import pytest

Builder = Callable[[Path], None]


def _git_configs(root: Path) -> list[Path]:
    """The `config` files of every repository under `root` (work trees and bare remotes)."""
    found = []
    for head in root.rglob("HEAD"):
        directory = head.parent
        config = directory / "config"
        if config.is_file() and (directory / "objects").is_dir() and (directory / "refs").is_dir():
            found.append(config)
    return found


def _empty(directory: Path) -> None:
    for child in directory.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def copy_scenario(template: Path, dest: Path) -> None:
    """Copy every entry of `template` into `dest` (replacing what is there) and re-point git's absolute paths."""
    dest.mkdir(parents=True, exist_ok=True)
    for entry in template.iterdir():
        target = dest / entry.name
        if target.is_dir() and not target.is_symlink():
            # Emptied, not removed: a test's current directory (git_repo's repo/) stays valid.
            _empty(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, target, symlinks=True, dirs_exist_ok=True)
        else:
            shutil.copy2(entry, target, follow_symlinks=False)
    old, new = str(template), str(dest)
    for config in _git_configs(dest):
        text = config.read_text()
        if old in text:
            config.write_text(text.replace(old, new))


class Scenarios:
    """Templates built on first use, one per key, for the whole session (per xdist worker)."""

    def __init__(self, root: Path, home: Path) -> None:
        self._root = root
        self._home = home
        self._templates: dict[Hashable, Path] = {}

    def copy(self, key: Hashable, build: Builder, dest: Path) -> None:
        template = self._templates.get(key)
        if template is None:
            template = self._root / f"scenario-{len(self._templates)}"
            template.mkdir()
            # The builder runs under the same isolation as a test (conftest's
            # _isolate_from_machine): whichever test builds it first, the
            # template does not depend on that test's environment.
            from conftest import isolate_from_machine

            with pytest.MonkeyPatch.context() as monkeypatch:
                isolate_from_machine(monkeypatch, self._home)
                monkeypatch.chdir(template)
                build(template)
            self._templates[key] = template
        copy_scenario(template, dest)
