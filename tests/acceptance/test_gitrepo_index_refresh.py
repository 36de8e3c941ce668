"""The gate refreshes a stale index once and writes it back, never over a lock or a hook's index.

A file whose stat data the index no longer matches (a touch, a checkout, a restored
CI cache) must be re-hashed to learn it did not change; libgit2 kept nothing of that,
so every gate run re-hashed the 30 MB history. Observed with `git diff-files`, which
compares stat data without refreshing anything: a path it lists is stale in the index.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import commit_all, git
from gate_repo import DS, failgate, on_a_branch_from_a_green_baseline, setup_consumer

from acceptance.gate.test_push import pushed, run, with_precommit  # noqa: F401 - fixtures
from failgate.gitrepo import open_repo

HISTORY = f"{DS}/history.jsonl"


def stale(repo: Path) -> list[str]:
    return git(repo, "diff-files", "--name-only").stdout.split()


def touch(path: Path) -> None:
    """New stat data, same bytes: what a checkout or a restored cache leaves (a time in the
    past: a file dated in the future is "racily clean" for git and libgit2 alike, re-hashed
    on every read until the clock passes it, whatever is written back)."""
    earlier = path.stat().st_mtime - 100
    os.utime(path, (earlier, earlier))


@pytest.fixture
def consumer(git_repo: Path) -> Path:
    setup_consumer(git_repo)
    on_a_branch_from_a_green_baseline(git_repo)
    touch(git_repo / HISTORY)
    assert stale(git_repo) == [HISTORY]  # the scenario: a stale entry, no change
    return git_repo


def test_the_gate_writes_the_refreshed_index_back(consumer: Path) -> None:
    result = failgate(consumer, "gate", "--base", "main")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "temporary worktree" not in result.stdout  # a touched file is not a change
    assert stale(consumer) == []


def test_a_held_index_lock_is_never_written_through_or_removed(consumer: Path) -> None:
    lock = consumer / ".git" / "index.lock"
    lock.write_bytes(b"someone else's index\n")
    try:
        assert open_repo(consumer).get_dirty_paths() == []
        assert lock.read_bytes() == b"someone else's index\n"
    finally:
        lock.unlink()
    assert stale(consumer) == [HISTORY]  # nothing written while the lock was held
    assert open_repo(consumer).get_dirty_paths() == []  # control: once it is free, the refresh is kept
    assert stale(consumer) == []


def test_an_exported_commit_index_is_never_written(consumer: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `git commit PATH` runs hooks with a temporary index it owns: leave the index alone.
    (consumer / ".git" / "next-index-1.lock").write_bytes((consumer / ".git" / "index").read_bytes())
    monkeypatch.setenv("GIT_INDEX_FILE", str(consumer / ".git" / "next-index-1.lock"))
    monkeypatch.setenv("GIT_DIR", str(consumer / ".git"))
    repo = open_repo(consumer)
    assert not repo.may_refresh_index()
    assert repo.get_dirty_paths() == []
    assert stale(consumer) == [HISTORY]


def test_real_changes_are_still_reported(consumer: Path) -> None:
    (consumer / HISTORY).write_text((consumer / HISTORY).read_text() + "\n")
    (consumer / "behavior.json").write_text('{"broken": ["ok 1"]}\n')
    git(consumer, "add", "behavior.json")
    (consumer / "untracked.txt").write_text("not tracked\n")
    (consumer / "a name with spaces.txt").write_text("x\n")
    git(consumer, "add", "a name with spaces.txt")
    assert open_repo(consumer).get_dirty_paths() == sorted([HISTORY, "behavior.json", "a name with spaces.txt"])


def test_a_fresh_repository_with_nothing_committed_lists_what_is_staged(git_repo: Path) -> None:
    (git_repo / "a.txt").write_text("a\n")
    git(git_repo, "add", "a.txt")
    assert open_repo(git_repo).get_dirty_paths() == ["a.txt"]
    commit_all(git_repo)
    assert open_repo(git_repo).get_dirty_paths() == []


def test_a_pre_push_run_through_pre_commit_keeps_unstaged_changes(with_precommit: Path, tmp_path: Path) -> None:  # noqa: F811
    # pre-commit stashes unstaged changes by checking the index's content out for the
    # hook's run; the gate's refresh records stat data only, so the changes it puts
    # back afterwards are still changes, and nothing is lost.
    repo = with_precommit
    git(repo, "checkout", "-q", "-b", "docs")
    (repo / "NOTES.md").write_text("notes\n")
    commit_all(repo, "notes")
    touch(repo / HISTORY)
    (repo / "NOTES.md").write_text("notes\nan edit not yet staged\n")
    accepted = run(repo, tmp_path, "git", "push", "-u", "origin", "docs")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert (repo / "NOTES.md").read_text() == "notes\nan edit not yet staged\n"
    assert git(repo, "diff", "--name-only").stdout.split() == ["NOTES.md"]
    assert git(repo, "diff", "--cached", "--name-only").stdout == ""
    assert HISTORY not in stale(repo)  # the touched history was refreshed on the way


def test_control_libgit2_status_alone_leaves_the_index_stale(consumer: Path) -> None:
    # The observation can fail: what the gate asked before re-hashes and keeps nothing.
    repo = open_repo(consumer)
    repo.repo.status(untracked_files="no")
    assert stale(consumer) == [HISTORY]
