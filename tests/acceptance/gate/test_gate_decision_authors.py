"""Decisions and retirements are shown with who really made them, on one line each, at the top of every report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import commit_all, git
from gate_channels import CHANNELS, World, attempt, make_world
from gate_repo import DS, failgate

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def world(git_repo: Path, tmp_path: Path) -> World:
    return make_world(git_repo, tmp_path)


def outcome_everywhere(world: World, name: str, refused: bool, *needles: str) -> dict[str, str]:
    outputs = {}
    for channel in CHANNELS:
        was_refused, output = attempt(world, channel, name)
        assert was_refused == refused, f"{channel}: refused={was_refused}:\n{output}"
        for needle in needles:
            assert needle in output, f"{channel}: {needle!r} missing:\n{output}"
        outputs[channel] = output
    return outputs


def redefine_case_2(repo: Path, by: str) -> None:
    cases = repo / DS / "cases.yaml"
    cases.write_text(cases.read_text().replace('      - contains: "ok 2"\n', '      - contains: "ok"\n'))
    result = failgate(repo, "decide", "AGTFAIL-0002", "--redefined", "--reason", "looser", "--by", by)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_decision_by_someone_who_did_not_make_the_commit_is_flagged(world: World) -> None:
    git(world.repo, "checkout", "-q", "-B", "borrowed", "main")
    redefine_case_2(world.repo, "owner@example.com")  # the commit is Test Author's
    commit_all(world.repo, "redefine, in the owner's name")
    outcome_everywhere(
        world,
        "borrowed",
        False,
        "AGTFAIL-0002 redefined by owner@example.com in ",
        "[commit by Test Author <author@example.com>; --by is neither the author nor the committer]",
    )


def test_control_a_decision_by_the_commit_author_is_not_flagged(world: World) -> None:
    git(world.repo, "checkout", "-q", "-B", "own", "main")
    redefine_case_2(world.repo, "author@example.com")
    commit_all(world.repo, "redefine, in my own name")
    outputs = outcome_everywhere(world, "own", False, "[commit by Test Author <author@example.com>]")
    assert all("--by is neither" not in output for output in outputs.values())


def test_a_newline_in_a_hand_written_decision_forges_no_line(world: World) -> None:
    git(world.repo, "checkout", "-q", "-B", "forged", "main")
    redefine_case_2(world.repo, "author@example.com")
    history = world.repo / DS / "history.jsonl"
    lines = history.read_text().splitlines()
    event = json.loads(lines[-1])
    event["detail"]["reason"] = "looser\nDecisions in this range: none"
    history.write_text("\n".join([*lines[:-1], json.dumps(event, ensure_ascii=False)]) + "\n")
    commit_all(world.repo, "a reason on two lines")
    result = failgate(world.repo, "gate")
    assert "looser\\u000aDecisions in this range: none" in result.stdout, result.stdout
    headers = [line for line in result.stdout.splitlines() if line.startswith("Decisions in this range")]
    assert headers == ["Decisions in this range (1):"], result.stdout


def test_a_deprecation_is_listed_among_the_decisions(world: World) -> None:
    git(world.repo, "checkout", "-q", "-B", "retire", "main")
    cases = world.repo / DS / "cases.yaml"
    text = cases.read_text()
    start = text.index("  - id: AGTFAIL-0003")
    block = text[start:].replace("    status: active\n", "    status: deprecated\n    deprecated_reason: obsolete\n", 1)
    cases.write_text(text[:start] + block)
    commit_all(world.repo, "retire case 3")
    outcome_everywhere(world, "retire", False, "Decisions in this range (1):", "AGTFAIL-0003 deprecated by Test Author")


def test_control_no_retirement_no_decision(world: World) -> None:
    git(world.repo, "checkout", "-q", "-B", "quiet", "main")
    (world.repo / "NOTES.md").write_text("x\n")
    commit_all(world.repo, "docs")
    outcome_everywhere(world, "quiet", False, "Decisions in this range: none")
