"""A range that deleted history lines and restored them byte for byte: the gate says how to rewrite the branch."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import commit_all, git
from gate_channels import CHANNELS, World, attempt, make_world
from gate_repo import DS

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def world(git_repo: Path, tmp_path: Path) -> World:
    return make_world(git_repo, tmp_path)


def test_deleted_then_restored_lines_ask_for_a_rewrite_not_a_restore(world: World) -> None:
    repo = world.repo
    git(repo, "checkout", "-q", "-B", "undo", "main")
    history = repo / DS / "history.jsonl"
    text = history.read_text()
    history.write_text("".join(text.splitlines(keepends=True)[1:]))
    git(repo, "commit", "-q", "--no-verify", "-am", "oops, lost a line")
    history.write_text(text)
    git(repo, "commit", "-q", "--no-verify", "-am", "put it back")
    for channel in CHANNELS:
        refused, output = attempt(world, channel, "undo")
        assert refused and "git rebase -i" in output and "squash the commit that deleted them" in output, output
        assert "restore the lines, or remove" not in output


def test_control_a_line_still_missing_at_the_tip_asks_to_restore_it(world: World) -> None:
    repo = world.repo
    git(repo, "checkout", "-q", "-B", "lost", "main")
    history = repo / DS / "history.jsonl"
    history.write_text("".join(history.read_text().splitlines(keepends=True)[1:]))
    git(repo, "commit", "-q", "--no-verify", "-am", "lost a line")
    (repo / "NOTES.md").write_text("x\n")
    commit_all(repo, "docs")
    refused, output = attempt(world, "precommit", "lost")
    assert refused and "restore the lines, or remove" in output and "git rebase -i" not in output, output
