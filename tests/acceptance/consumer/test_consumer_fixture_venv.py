"""The consumer-project fixture snapshots failgate's working tree as a new user keeps it.

`python -m venv venv` (no dot) inside the checkout is what many people type; the snapshot copied every
untracked file, and `venv/lib64` (a link to a directory) made it fail with IsADirectoryError: 7 errors on a
first `pytest`. A virtualenv under any name is skipped, links are kept as links; the control is an ordinary
untracked file and an edit to a tracked one, both in the snapshot.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import consumer_project
import pytest
from conftest import commit_all, git


@pytest.fixture
def checkout(git_repo: Path) -> Path:
    (git_repo / "tracked.txt").write_text("old\n")
    commit_all(git_repo, "a file")
    (git_repo / "tracked.txt").write_text("edited\n")
    (git_repo / "new.txt").write_text("untracked\n")
    (git_repo / "link-to-new").symlink_to("new.txt")
    for name in ("venv", "env2"):
        venv = git_repo / name
        (venv / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
        (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
        (venv / "lib" / "python3.11" / "site-packages" / "x.py").write_text("x = 1\n")
        (venv / "lib64").symlink_to("lib")
    return git_repo


def test_a_virtualenv_under_any_name_is_left_out_of_the_snapshot(
    checkout: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(consumer_project, "SOURCE", checkout)
    clone = tmp_path / "clone"
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("[user]\n\tname = Dana\n\temail = dana@example.com\n")
    consumer_project.snapshot_clone(clone, consumer_project.base_env(home, tmp_path / "pc"))
    files = set(subprocess.run(["git", "ls-files"], cwd=clone, capture_output=True, text=True).stdout.split())
    assert not any(f.startswith(("venv/", "env2/")) for f in files), files
    assert (clone / "tracked.txt").read_text() == "edited\n" and (clone / "new.txt").read_text() == "untracked\n"
    assert (clone / "link-to-new").is_symlink()


def test_failgates_own_gitignore_ignores_a_venv_named_venv() -> None:
    root = Path(consumer_project.SOURCE)
    result = git(root, "check-ignore", "-q", "venv/lib64", check=False)
    assert result.returncode == 0
    assert git(root, "check-ignore", "-q", "src/failgate/cli.py", check=False).returncode == 1  # control
