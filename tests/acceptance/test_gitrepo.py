from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import commit_all, git, no_git_env

from failgate.findings import FailgateError
from failgate.gitrepo import open_repo


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def history_repo(git_repo: Path) -> tuple[Path, str, str]:
    _write(git_repo / "data dir" / "a.txt", "one\n")
    first = commit_all(git_repo, "first")
    _write(git_repo / "data dir" / "a.txt", "two\n")
    _write(git_repo / "data dir" / "b.txt", "bee\n")
    _write(git_repo / "data dir" / "sub" / "c.txt", "nested\n")
    second = commit_all(git_repo, "second")
    return git_repo, first, second


def test_opens_from_a_subdirectory(history_repo: tuple[Path, str, str]) -> None:
    repo_dir, _, second = history_repo
    repo = open_repo(repo_dir / "data dir" / "sub")
    assert repo.workdir == repo_dir.resolve()
    assert repo.head_commit() == second
    assert repo.relpath(repo_dir / "data dir") == "data dir"
    assert repo.relpath(repo_dir) == ""


def test_outside_a_repository_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FailgateError, match="not inside a git repository"):
        open_repo(tmp_path)


def test_blobs_at_revisions(history_repo: tuple[Path, str, str]) -> None:
    repo_dir, first, second = history_repo
    repo = open_repo(repo_dir)
    assert repo.get_blob(first, "data dir/a.txt") == b"one\n"
    assert repo.get_blob("HEAD", "data dir/a.txt") == b"two\n"
    assert repo.get_blob("HEAD~1", "data dir/b.txt") is None
    assert repo.get_blob("main", "data dir") is None  # a tree, not a blob
    assert repo.read_tree_files("HEAD", "data dir") == {"a.txt": b"two\n", "b.txt": b"bee\n"}
    assert repo.read_tree_files(first, "missing") == {}
    assert repo.read_tree_files(second[:12], "data dir/a.txt") == {}


def test_resolve_revisions(history_repo: tuple[Path, str, str], tmp_path: Path) -> None:
    repo_dir, first, second = history_repo
    git(repo_dir, "tag", "-a", "v1", "-m", "v1", first)
    repo = open_repo(repo_dir)
    assert repo.resolve("HEAD") == second
    assert repo.resolve("main") == second
    assert repo.resolve(first[:8]) == first
    assert repo.resolve("v1") == first  # annotated tag peeled to its commit
    with pytest.raises(FailgateError, match="unknown revision 'nope'"):
        repo.resolve("nope")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo_dir), str(clone))
    cloned = open_repo(clone)
    assert cloned.resolve("origin/main") == second
    with pytest.raises(FailgateError, match="git fetch origin feature"):
        cloned.resolve("origin/feature")


def test_merge_bases_and_branches(history_repo: tuple[Path, str, str]) -> None:
    repo_dir, first, second = history_repo
    git(repo_dir, "checkout", "-q", "-b", "feature", first)
    _write(repo_dir / "f.txt", "feature\n")
    commit_all(repo_dir, "feature work")
    repo = open_repo(repo_dir)
    assert repo.get_branch_name() == "feature"
    assert repo.merge_base("HEAD", "main") == first
    assert repo.merge_bases("HEAD", "main") == [first]
    assert repo.has_commit(first) and not repo.has_commit("0" * 40)


def test_unrelated_histories_have_no_merge_base(history_repo: tuple[Path, str, str]) -> None:
    repo_dir, _, _ = history_repo
    git(repo_dir, "checkout", "-q", "--orphan", "other")
    commit_all(repo_dir, "unrelated")
    assert open_repo(repo_dir).merge_base("HEAD", "main") is None


def test_unborn_and_detached_head(git_repo: Path) -> None:
    repo = open_repo(git_repo)
    assert repo.is_head_unborn() and repo.head_commit() is None
    assert not repo.is_head_detached()
    with pytest.raises(FailgateError, match="no commit yet"):
        repo.resolve("HEAD")
    _write(git_repo / "x", "x\n")
    sha = commit_all(git_repo)
    git(git_repo, "checkout", "-q", "--detach")
    repo = open_repo(git_repo)
    assert repo.is_head_detached() and repo.head_commit() == sha and repo.get_branch_name() is None


def test_staged_blobs_and_dirty(history_repo: tuple[Path, str, str]) -> None:
    repo_dir, _, _ = history_repo
    repo = open_repo(repo_dir)
    assert not repo.is_dirty("data dir")
    _write(repo_dir / "data dir" / "a.txt", "three\n")
    assert repo.is_dirty("data dir") and not repo.is_dirty("elsewhere")
    assert repo.get_staged_blob("data dir/a.txt") == b"two\n"
    git(repo_dir, "add", "data dir/a.txt")
    git(repo_dir, "rm", "-q", "data dir/b.txt")
    repo = open_repo(repo_dir)
    assert repo.get_staged_blob("data dir/a.txt") == b"three\n"
    assert repo.get_staged_blob("data dir/b.txt") is None
    assert repo.read_index_files("data dir") == {"a.txt": b"three\n"}


def test_worktree(history_repo: tuple[Path, str, str], tmp_path: Path) -> None:
    repo_dir, _, second = history_repo
    worktree = tmp_path / "the worktree"
    git(repo_dir, "worktree", "add", "-q", "-b", "wt", str(worktree))
    _write(worktree / "data dir" / "a.txt", "from the worktree\n")
    git(worktree, "add", "data dir/a.txt")
    repo = open_repo(worktree / "data dir")
    assert repo.is_worktree() and repo.workdir == worktree.resolve()
    assert repo.common_dir == (repo_dir / ".git").resolve()
    assert repo.head_commit() == second and repo.get_branch_name() == "wt"
    assert repo.get_staged_blob("data dir/a.txt") == b"from the worktree\n"
    # The main work tree's index is its own.
    assert open_repo(repo_dir).get_staged_blob("data dir/a.txt") == b"two\n"
    assert not open_repo(repo_dir).is_worktree()


def test_git_index_file_is_respected_only_for_this_repo(
    history_repo: tuple[Path, str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo_dir, _, _ = history_repo
    # Stage into an alternative index the way `git commit -a` does (index.lock).
    _write(repo_dir / "data dir" / "a.txt", "staged elsewhere\n")
    env = {**no_git_env(), "GIT_INDEX_FILE": str(repo_dir / ".git" / "next-index-1.lock")}
    subprocess.run(["git", "read-tree", "HEAD"], cwd=repo_dir, env=env, check=True)
    subprocess.run(["git", "add", "data dir/a.txt"], cwd=repo_dir, env=env, check=True)
    monkeypatch.setenv("GIT_INDEX_FILE", ".git/next-index-1.lock")  # relative, as git exports it
    monkeypatch.chdir(repo_dir)
    assert open_repo(repo_dir).get_staged_blob("data dir/a.txt") == b"staged elsewhere\n"
    # Another repository must not see this hook's index (pre-commit's no_git_env).
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    _write(other / "data dir" / "a.txt", "other\n")
    commit_all(other)
    assert open_repo(other).get_staged_blob("data dir/a.txt") == b"other\n"
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    assert open_repo(repo_dir).index_path() == (repo_dir / ".git" / "index").resolve()


def test_shallow_clone(history_repo: tuple[Path, str, str], tmp_path: Path) -> None:
    repo_dir, first, second = history_repo
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo_dir}", str(clone))
    repo = open_repo(clone)
    assert repo.is_shallow() and repo.head_commit() == second
    assert not open_repo(repo_dir).is_shallow()
    with pytest.raises(FailgateError, match="fetch-depth: 0"):
        repo.resolve(first)


def test_validate_never_imports_pygit2(tmp_path: Path) -> None:
    # validate runs on every commit; pygit2 costs ~100 ms to import.
    code = (
        "import sys\nfrom failgate.cli import main\n"
        "try:\n    main(['validate'])\nexcept SystemExit:\n    pass\n"
        "print('pygit2' in sys.modules, 'failgate.gitrepo' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, env=no_git_env(dict(os.environ))
    )
    assert out.stdout.strip().splitlines()[-1] == "False False", out.stdout + out.stderr
