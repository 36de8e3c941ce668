"""Each blob is inflated once per command: a push that recorded a result costs the gate
what a plain push costs plus one read of the new history, not four reads of two blobs.

The promise is counted, never timed: `GitRepo.blob_reads` counts inflations from the
object database by blob id, and a spy on `open_repo` (the real one, called through)
hands the test the gate's own repository object after a real `failgate gate` run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import commit_all, git
from gate_repo import DS, history_events, on_a_branch_from_a_green_baseline, setup_consumer

from failgate import cli, gitrepo


def _record_on_the_branch(repo: Path) -> None:
    """What `eval --record` leaves after a run that changed an outcome: one more result line."""
    last = [e for e in history_events(repo) if e["type"] == "result"][-1]
    again = dict(last, id="01K" + "9" * 23, ts="2026-06-01T10:00:00Z")
    with (repo / DS / "history.jsonl").open("a") as handle:
        handle.write(json.dumps(again) + "\n")
    commit_all(repo, "record a result on the branch")


def _gate_repos(monkeypatch: pytest.MonkeyPatch) -> list[gitrepo.GitRepo]:
    opened: list[gitrepo.GitRepo] = []
    real = gitrepo.open_repo

    def spy(start: Any = None) -> gitrepo.GitRepo:
        repo = real(start)
        opened.append(repo)
        return repo

    monkeypatch.setattr(gitrepo, "open_repo", spy)
    return opened


def _history_blobs(repo: Path, *revs: str) -> set[str]:
    return {git(repo, "rev-parse", f"{rev}:{DS}/history.jsonl").stdout.strip() for rev in revs}


@pytest.fixture
def recorded_push(git_repo: Path) -> Path:
    setup_consumer(git_repo)
    on_a_branch_from_a_green_baseline(git_repo)
    _record_on_the_branch(git_repo)
    return git_repo


def test_a_recorded_push_inflates_each_history_blob_once(
    recorded_push: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    opened = _gate_repos(monkeypatch)
    assert cli.main(["gate", "--base", "main"]) == 0, capsys.readouterr()
    reads = opened[0].blob_reads
    histories = _history_blobs(recorded_push, "main", "HEAD")
    assert len(histories) == 2  # the branch's history differs from the base's
    assert histories <= set(reads), "the range check and the baseline read both histories"
    assert {blob: n for blob, n in reads.items() if n > 1} == {}


def test_without_the_cache_the_same_push_reads_the_histories_again(
    recorded_push: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Control: the count above can fail. With nothing kept, the range check and the
    # baseline each inflate both histories.
    monkeypatch.setattr(gitrepo, "BLOB_CACHE_BYTES", 0)
    opened = _gate_repos(monkeypatch)
    assert cli.main(["gate", "--base", "main"]) == 0, capsys.readouterr()
    reads = opened[0].blob_reads
    assert all(reads[blob] >= 2 for blob in _history_blobs(recorded_push, "main", "HEAD"))


def test_a_plain_push_reads_the_base_history_once_and_never_the_unchanged_one_again(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    setup_consumer(git_repo)
    on_a_branch_from_a_green_baseline(git_repo)
    (git_repo / "NOTES.md").write_text("a change elsewhere\n")
    commit_all(git_repo, "touch another file")
    opened = _gate_repos(monkeypatch)
    assert cli.main(["gate", "--base", "main"]) == 0, capsys.readouterr()
    reads = opened[0].blob_reads
    assert reads[next(iter(_history_blobs(git_repo, "main")))] == 1


def test_the_tree_the_index_and_a_path_share_one_read(git_repo: Path) -> None:
    setup_consumer(git_repo)
    repo = gitrepo.open_repo(git_repo)
    blob = next(iter(_history_blobs(git_repo, "HEAD")))
    first = repo.get_blob("HEAD", f"{DS}/history.jsonl")
    assert repo.read_tree_files("HEAD", DS)["history.jsonl"] == first
    assert repo.get_staged_blob(f"{DS}/history.jsonl") == first
    assert repo.read_index_files(DS)["history.jsonl"] == first
    assert repo.blob_reads[blob] == 1


def test_the_cache_is_bounded_and_a_dropped_blob_is_read_again(git_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A long range of distinct histories must not accumulate: past the budget the
    # least recently read blob goes, and asking for it again inflates it again.
    (git_repo / "a.txt").write_text("a" * 100)
    (git_repo / "b.txt").write_text("b" * 100)
    commit_all(git_repo, "two files")
    monkeypatch.setattr(gitrepo, "BLOB_CACHE_BYTES", 150)
    repo = gitrepo.open_repo(git_repo)
    a, b = (git(git_repo, "rev-parse", f"HEAD:{name}").stdout.strip() for name in ("a.txt", "b.txt"))
    assert repo.get_blob("HEAD", "a.txt") == b"a" * 100
    assert repo.get_blob("HEAD", "b.txt") == b"b" * 100  # a no longer fits beside it
    assert repo.get_blob("HEAD", "b.txt") == b"b" * 100
    assert repo.get_blob("HEAD", "a.txt") == b"a" * 100
    assert (repo.blob_reads[a], repo.blob_reads[b]) == (2, 1)
    assert repo.get_blob("HEAD", "missing.txt") is None
