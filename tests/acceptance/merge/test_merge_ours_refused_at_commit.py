"""`-s ours` and `-X ours` merges that drop the other side's history lines are refused at commit.

Git runs pre-merge-commit for a merge it completes by itself before it writes
MERGE_HEAD; the other parent is found anyway (git's GITHEAD_<sha> variables),
so hooks/pre-merge-commit refuses the merge there instead of at push.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import commit_all, git
from gate_repo import DS, env, record_baseline, setup_consumer

import failgate

SOURCE = Path(failgate.__file__).resolve().parents[2]


def appended(repo: Path, event_id: str) -> None:
    event = {"id": event_id, "ts": "2026-06-01T10:00:00Z", "case_id": "AGTFAIL-0001", "type": "remediated"}
    event.update(actor="dana", detail="fixed")
    with (repo / DS / "history.jsonl").open("a") as handle:
        handle.write(json.dumps(event, ensure_ascii=False) + "\n")


@pytest.fixture
def repo(git_repo: Path, tmp_path: Path) -> Path:
    setup_consumer(git_repo)
    record_baseline(git_repo)
    hooks = tmp_path / "hooks"
    shutil.copytree(SOURCE / "hooks", hooks)
    git(git_repo, "config", "core.hooksPath", str(hooks))
    return git_repo


def merge(repo: Path, tmp_path: Path, *args: str) -> tuple[int, str]:
    import subprocess

    result = subprocess.run(
        ["git", "merge", "--no-edit", *args], cwd=repo, env=env(tmp_path), capture_output=True, text=True
    )
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize("strategy", [["-s", "ours"], ["-X", "ours"]])
def test_a_merge_that_drops_the_other_sides_history_is_refused_at_commit(
    repo: Path, tmp_path: Path, strategy: list[str]
) -> None:
    git(repo, "checkout", "-q", "-b", "side")
    appended(repo, "01JZZ00000000000000000000A")
    commit_all(repo, "side records")
    git(repo, "checkout", "-q", "main")
    appended(repo, "01JZZ00000000000000000000B")
    commit_all(repo, "main records")
    before = git(repo, "rev-parse", "HEAD").stdout.strip()
    code, output = merge(repo, tmp_path, *strategy, "side")
    assert code != 0 and "HISTORY_DELETED" in output and "MERGE_HEAD" in output, output
    assert git(repo, "rev-parse", "HEAD").stdout.strip() == before  # no merge commit was made


def test_control_an_ours_merge_that_loses_nothing_is_committed(repo: Path, tmp_path: Path) -> None:
    git(repo, "checkout", "-q", "-b", "side")
    (repo / "NOTES.md").write_text("side notes\n")
    commit_all(repo, "side notes")
    git(repo, "checkout", "-q", "main")
    appended(repo, "01JZZ00000000000000000000B")
    commit_all(repo, "main records")
    code, output = merge(repo, tmp_path, "-s", "ours", "side")
    assert code == 0, output
    assert len(git(repo, "log", "-1", "--format=%P").stdout.split()) == 2
