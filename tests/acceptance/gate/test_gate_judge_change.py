"""A judge change is paid for once, in the pull request that makes it, and by no one after.

Every scenario goes through the three real channels (`gate_channels`): the
pre-commit pre-push hook, hooks/pre-push, and the server's merge followed by
CI's steps. Each attack has its control beside it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import commit_all, git
from gate_channels import CHANNELS, World, attempt, make_world, push
from gate_repo import DS, failgate, history_events

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WIDER = '[judge]\nextra_refusal_patterns = ["(?i)cannot help"]\n'
OWNER = ("--reason", "refusal patterns widened", "--by", "dana@example.com")


@pytest.fixture
def world(git_repo: Path, tmp_path: Path) -> World:
    """main: three cases, each with a not_refused rule (so refusal patterns are read), a green baseline."""
    world = make_world(git_repo, tmp_path, push=False)
    cases = world.repo / DS / "cases.yaml"
    cases.write_text(re.sub(r'(      - contains: "ok \d"\n)', r"\1      - not_refused: true\n", cases.read_text()))
    commit_all(world.repo, "no case may refuse")
    assert failgate(world.repo, "eval", "--record").returncode == 0
    commit_all(world.repo, "baseline")
    assert push(world, "precommit", "main", "-u").returncode == 0
    return world


def branch(world: World, name: str) -> Path:
    git(world.repo, "checkout", "-q", "-B", name, "main")
    return world.repo


def widen(repo: Path, pattern: str = "(?i)cannot help") -> None:
    toml = repo / "failgate.toml"
    toml.write_text(toml.read_text() + WIDER.replace("(?i)cannot help", pattern))


def outcome_everywhere(world: World, name: str, refused: bool, *needles: str) -> dict[str, str]:
    outputs = {}
    for channel in CHANNELS:
        was_refused, output = attempt(world, channel, name)
        assert was_refused == refused, f"{channel}: refused={was_refused}:\n{output}"
        for needle in needles:
            assert needle in output, f"{channel}: {needle!r} missing:\n{output}"
        outputs[channel] = output
    return outputs


def land_on_main(world: World, name: str) -> None:
    git(world.repo, "checkout", "-q", "main")
    git(world.repo, "merge", "-q", "--ff-only", name)
    pushed = push(world, "precommit", "main")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr


def test_a_judge_change_without_its_decision_is_refused_in_its_own_pull_request(world: World) -> None:
    # Before: "POLICY judge: ... takes effect only after it is merged", exit 0, and every later PR paid.
    repo = branch(world, "wider")
    widen(repo)
    commit_all(repo, "widen the refusal patterns")
    outcome_everywhere(
        world,
        "wider",
        True,
        "Judge change in this range: sha256:",
        "judge settings",
        "no judge_changed decision names this change: the owner runs `failgate judge-change",
    )


def test_control_the_owner_command_pays_for_it_and_no_later_branch_is_blocked(world: World) -> None:
    repo = branch(world, "wider-ok")
    widen(repo)
    done = failgate(repo, "judge-change", *OWNER)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "git add evals/failures/history.jsonl" in done.stdout
    decisions = [e for e in history_events(repo) if e["type"] == "judge_changed"]
    assert len(decisions) == 1 and "case_id" not in decisions[0]  # one decision for the whole judge
    commit_all(repo, "widen the refusal patterns, decided")
    outcome_everywhere(world, "wider-ok", False, "decided: judge judge_changed (judge sha256:", "by dana@example.com")

    land_on_main(world, "wider-ok")
    later = branch(world, "docs")
    (later / "NOTES.md").write_text("unrelated\n")
    commit_all(later, "docs")
    outputs = outcome_everywhere(world, "docs", False, "Policy and agent changes in this range: none")
    for output in outputs.values():
        assert "UNEXPLAINED" not in output and "Judge change in this range" not in output


def test_a_judge_the_branch_breaks_its_own_cases_with_is_refused_even_with_a_decision(world: World) -> None:
    repo = branch(world, "breaks")
    widen(repo, "(?i)ok 1")  # the new judge calls case 1's answer a refusal
    refused = failgate(repo, "judge-change", *OWNER)
    assert refused.returncode == 1 and "AGTFAIL-0001" in refused.stdout + refused.stderr
    assert "judge_changed" not in (repo / DS / "history.jsonl").read_text()  # nothing was written
    commit_all(repo, "a stricter judge")
    change = json.loads(failgate(repo, "gate", "--format", "json").stdout)["judge_change"]
    event = {"id": "01JZZ000000000000000000042", "ts": "2026-06-01T10:00:00Z", "type": "judge_changed"}
    event.update(actor="dana", detail={"reason": "by hand", "from": change["before"], "to": change["after"]})
    with (repo / DS / "history.jsonl").open("a") as handle:
        handle.write(json.dumps(event) + "\n")
    commit_all(repo, "decided by hand")
    outcome_everywhere(
        world,
        "breaks",
        True,
        "AGTFAIL-0001 (cases): base's judge pass, branch's judge fail",
        "1 gating case(s) fail under the branch's judge (AGTFAIL-0001): after the merge main would be red",
    )


def test_a_judge_pushed_to_main_without_the_flow_is_one_note_for_later_branches(world: World) -> None:
    git(world.repo, "checkout", "-q", "main")
    widen(world.repo)
    commit_all(world.repo, "widen the refusal patterns on main")
    direct = git(world.repo, "rev-parse", "HEAD").stdout.strip()
    assert push(world, "precommit", "main", "--no-verify").returncode == 0
    repo = branch(world, "later")
    (repo / "NOTES.md").write_text("unrelated\n")
    commit_all(repo, "docs")
    outputs = outcome_everywhere(
        world, "later", False, f"the judge changed on the base in {direct[:10]} without a judge_changed decision"
    )
    for output in outputs.values():
        assert output.count("failgate judge-change") == 1 and "failgate decide" not in output


def test_control_a_later_branch_that_breaks_a_case_is_still_refused_under_the_new_judge(world: World) -> None:
    git(world.repo, "checkout", "-q", "main")
    widen(world.repo)
    commit_all(world.repo, "widen the refusal patterns on main")
    assert push(world, "precommit", "main", "--no-verify").returncode == 0
    repo = branch(world, "later-broken")
    (repo / "behavior.json").write_text('{"broken": ["ok 2"]}\n')
    commit_all(repo, "break case 2")
    outcome_everywhere(world, "later-broken", True, "FLIP AGTFAIL-0002")
