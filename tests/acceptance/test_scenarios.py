"""The scenario cache's promise: built once, and every test gets a pristine copy whose remote is its own."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import commit_all, git
from scenarios import Builder, Scenarios


def _pushed_repo(built: list[Path]) -> Builder:
    def build(template: Path) -> None:
        built.append(template)
        repo = template / "repo"
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        (repo / "a.txt").write_text("a\n")
        commit_all(repo, "first")
        git(template, "init", "-q", "--bare", str(template / "remote.git"))
        git(repo, "remote", "add", "origin", str(template / "remote.git"))  # absolute, as make_world does
        git(repo, "push", "-q", "-u", "origin", "main")

    return build


def _branches(remote: Path) -> set[str]:
    out = git(remote, "for-each-ref", "--format=%(refname:short)", "refs/heads").stdout
    return set(out.split())


def test_a_push_from_one_copy_reaches_neither_the_template_nor_another_copy(tmp_path: Path) -> None:
    scenarios = Scenarios(tmp_path / "templates", tmp_path / "home")
    (tmp_path / "templates").mkdir()
    built: list[Path] = []
    first, second = tmp_path / "first", tmp_path / "second"
    scenarios.copy("pushed", _pushed_repo(built), first)
    git(first / "repo", "checkout", "-q", "-b", "feature")
    (first / "repo" / "a.txt").write_text("changed\n")
    commit_all(first / "repo", "a test's own change")
    git(first / "repo", "push", "-q", "origin", "feature")
    scenarios.copy("pushed", _pushed_repo(built), second)

    (template,) = built  # built once for both copies
    assert git(first / "repo", "remote", "get-url", "origin").stdout.strip() == str(first / "remote.git")
    assert _branches(first / "remote.git") == {"main", "feature"}
    assert _branches(template / "remote.git") == {"main"}
    assert _branches(second / "remote.git") == {"main"}  # control: the next test starts pristine
    assert (second / "repo" / "a.txt").read_text() == "a\n"
    assert git(second / "repo", "status", "--porcelain").stdout == ""
    assert git(second / "repo", "fsck", "--no-progress").returncode == 0


def test_copying_onto_the_current_directory_keeps_it_valid(git_repo: Path, tmp_path: Path) -> None:
    # git_repo made repo/ the current directory: the copy lands inside it, it is not replaced.
    scenarios = Scenarios(tmp_path / "templates", tmp_path / "home")
    (tmp_path / "templates").mkdir()
    (git_repo / "stale.txt").write_text("from before the copy\n")
    scenarios.copy("pushed", _pushed_repo([]), git_repo.parent)
    assert Path(os.getcwd()) == git_repo and Path(".").resolve() == git_repo
    assert not (git_repo / "stale.txt").exists()
    assert git(Path("."), "log", "--format=%s").stdout.split("\n")[0] == "first"
