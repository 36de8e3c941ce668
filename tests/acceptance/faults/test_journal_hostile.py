"""A journal shipped in a pull request deletes nothing and replaces nothing.

Recovery runs at the start of every command — the pre-commit hook, CI's first `failgate validate` — so a
`.failgate-journal.json` committed with `git add -f` is an attack on whoever checks the branch out. Each attack
names a file failgate does not own (an absolute path, a `../` path) or one it must not delete (`cases.yaml`);
a committed journal is refused even when every step looks like failgate's own. The control beside them: a
journal a killed failgate command really left is still rolled forward.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import commit_all, git
from ledger_data import write_dataset

from failgate.journal import JOURNAL_NAME

DS = "evals/failures"
REMOVE = ["remove", "AGTFAIL-0002", "--reason", "duplicate of AGTFAIL-0001", "--by", "dana@example.com"]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def failgate(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "failgate", *args],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def repo(git_repo: Path, tmp_path: Path) -> Path:
    write_dataset(git_repo / DS)
    (git_repo / ".gitignore").write_text(".failgate.lock\n.failgate-cache/\n.failgate-journal.json\n*.failgate-tmp\n")
    commit_all(git_repo, "dataset")
    return git_repo


def journal(*steps: dict[str, str]) -> str:
    return json.dumps({"version": 1, "pid": 999999, "started": 0, "command": "failgate remove", "steps": steps})


@pytest.fixture
def victims(repo: Path, tmp_path: Path) -> dict[str, Path]:
    outside = tmp_path / "outside" / "precious.yaml"
    outside.parent.mkdir()
    outside.write_text("do not delete me\n")
    sibling = repo / "config.yaml"
    sibling.write_text("a file of the project, one level above the dataset\n")
    return {"absolute": outside, "dotdot": sibling, "cases": repo / DS / "cases.yaml"}


def unlink_step(repo: Path, target: Path | str, how: str) -> dict[str, str]:
    directory = repo / DS
    path = Path(target)
    named = str(path) if how == "absolute" else os.path.relpath(path, directory)
    return {"op": "unlink", "target": named, "sha256": sha(path.read_bytes())}


@pytest.mark.parametrize("committed", [True, False], ids=["committed", "untracked"])
@pytest.mark.parametrize("victim", ["absolute", "dotdot", "cases"])
def test_a_journal_that_deletes_a_file_failgate_does_not_own_is_refused(
    repo: Path, victims: dict[str, Path], victim: str, committed: bool
) -> None:
    target = victims[victim]
    before = target.read_bytes()
    (repo / DS / JOURNAL_NAME).write_text(journal(unlink_step(repo, target, victim)))
    if committed:
        git(repo, "add", "-f", f"{DS}/{JOURNAL_NAME}")
        git(repo, "commit", "-q", "--no-verify", "-m", "a pull request that ships a journal")
    result = failgate(repo, "validate", "--no-cache")
    assert result.returncode == 2, result.stdout + result.stderr
    assert target.read_bytes() == before, "recovery deleted a file it does not own"
    assert ("tracked by git" if committed else "not a journal failgate wrote") in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "step",
    [
        {"op": "replace", "tmp": "/tmp/.cases.yaml.1.x.failgate-tmp", "target": "/tmp/cases.yaml"},
        {"op": "replace", "tmp": "../.x.yaml.1.x.failgate-tmp", "target": "../x.yaml"},
        {"op": "replace", "tmp": ".cases.yaml.1.x.failgate-tmp", "target": "cases.yaml"},  # no digest
        {"op": "unlink", "target": "_intake/review.yaml"},  # no digest
        {"op": "unlink", "target": "_intake/../cases.yaml", "sha256": "0" * 64},
    ],
    ids=["absolute rename", "dotdot rename", "rename without digest", "unlink without digest", "intake dotdot"],
)
def test_every_step_is_checked_before_any_runs(repo: Path, step: dict[str, str]) -> None:
    directory = repo / DS
    files = {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file()}
    (directory / JOURNAL_NAME).write_text(journal(step))
    result = failgate(repo, "validate", "--no-cache")
    assert result.returncode == 2 and "not a journal failgate wrote" in result.stderr, result.stderr
    assert {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file() and p.name != ".failgate.lock"} == {
        **files,
        JOURNAL_NAME: (directory / JOURNAL_NAME).read_bytes(),
    }


def test_a_committed_journal_is_refused_even_when_every_step_looks_like_failgates(repo: Path) -> None:
    """A branch could ship a staged temp file plus a well-formed journal that swaps cases.yaml for it."""
    directory = repo / DS
    forged = b"schema_version: 1\ncases: []\n"
    tmp = directory / ".cases.yaml.999999.forged.failgate-tmp"
    tmp.write_bytes(forged)
    (directory / JOURNAL_NAME).write_text(
        journal({"op": "replace", "tmp": tmp.name, "target": "cases.yaml", "sha256": sha(forged)})
    )
    git(repo, "add", "-f", DS)
    git(repo, "commit", "-q", "--no-verify", "-m", "ship a journal and its temp file")
    before = (directory / "cases.yaml").read_bytes()
    result = failgate(repo, "validate", "--no-cache")
    assert result.returncode == 2 and "tracked by git" in result.stderr, result.stderr
    assert (directory / "cases.yaml").read_bytes() == before
    assert tmp.exists(), "a tracked look-alike temp file is not failgate's to delete"


def test_control_a_journal_a_killed_remove_left_is_still_finished(repo: Path) -> None:
    killed = failgate(repo, *REMOVE, FAILGATE_CRASH_AT="journal", FAILGATE_CRASH_HOW="kill")
    assert killed.returncode == -9, killed.stderr
    assert (repo / DS / JOURNAL_NAME).exists()
    result = failgate(repo, "validate", "--no-cache")
    assert result.returncode == 0, result.stderr
    assert "finished the interrupted" in result.stderr
    assert not (repo / DS / JOURNAL_NAME).exists()
    assert "AGTFAIL-0002" not in (repo / DS / "cases.yaml").read_text().split("cases:")[1].split("id: AGTFAIL-0003")[0]


@pytest.mark.parametrize("edited", [False, True], ids=["as journalled", "edited since"])
def test_control_a_killed_promote_still_deletes_its_emptied_review_file_and_only_that(
    repo: Path, monkeypatch: pytest.MonkeyPatch, edited: bool
) -> None:
    """The deletion step of a real journal: the review file in _intake/, and only while it holds what it held."""
    from failgate.journal import SimulatedCrash, recover
    from failgate.transaction import Transaction

    directory = repo / DS
    review = directory / "_intake" / "review.yaml"
    review.parent.mkdir()
    review.write_text("candidates: []\n")
    transaction = Transaction(directory)
    transaction.write(directory / "history.jsonl", (directory / "history.jsonl").read_bytes())
    transaction.unlink(review)
    with monkeypatch.context() as patch:
        patch.setenv("FAILGATE_CRASH_AT", "journal")
        with pytest.raises(SimulatedCrash):
            transaction.commit()
    if edited:
        review.write_text("candidates:\n  - candidate: 1\n")  # someone wrote a new review there since
    recover(directory, (review.parent,))
    assert review.exists() == edited
    assert not (directory / JOURNAL_NAME).exists()
