"""The CI that `init` writes holds under the events teams really use.

Simulated as Actions runs it: a fresh clone of the remote, the event's JSON at
GITHUB_EVENT_PATH, then `failgate gate`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import commit_all, git
from gate_channels import World, attempt, ci_clone, make_world, push, run

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def world(git_repo: Path, tmp_path: Path) -> World:
    return make_world(git_repo, tmp_path)


def a_pull_request(world: World, name: str = "feature") -> str:
    git(world.repo, "checkout", "-q", "-B", name, "main")
    (world.repo / "behavior.json").write_text('{"broken": ["ok 2"]}\n')  # a regression
    commit_all(world.repo, "break case 2")
    assert push(world, "precommit", name, "--no-verify").returncode == 0
    return git(world.repo, "rev-parse", "HEAD").stdout.strip()


def gate_in_ci(world: World, clone: Path, event_name: str, event: dict[str, object], **extra: str) -> tuple[int, str]:
    path = world.tmp / f"event-{world.runs}.json"
    path.write_text(json.dumps(event))
    result = run(
        clone,
        world.tmp,
        sys.executable,
        "-m",
        "failgate",
        "gate",
        GITHUB_ACTIONS="true",
        GITHUB_EVENT_NAME=event_name,
        GITHUB_EVENT_PATH=str(path),
        **extra,
    )
    return result.returncode, result.stdout + result.stderr


def test_pull_request_target_on_the_default_checkout_is_refused_with_the_fix(world: World) -> None:
    head = a_pull_request(world)
    clone = ci_clone(world)  # actions/checkout under pull_request_target: the base branch
    event = {"pull_request": {"head": {"sha": head}, "base": {"ref": "main"}}}
    code, output = gate_in_ci(world, clone, "pull_request_target", event, GITHUB_BASE_REF="main")
    assert code == 2, output
    assert "ref: ${{ github.event.pull_request.head.sha }}" in output and "Traceback" not in output


def test_control_pull_request_target_on_the_head_judges_the_pull_request(world: World) -> None:
    head = a_pull_request(world)
    clone = ci_clone(world)
    git(clone, "checkout", "-q", head)
    event = {"pull_request": {"head": {"sha": head}, "base": {"ref": "main"}}}
    code, output = gate_in_ci(world, clone, "pull_request_target", event, GITHUB_BASE_REF="main")
    assert code == 1 and "FLIP AGTFAIL-0002" in output, output


def test_a_merge_queue_is_gated_against_the_queue_base(world: World) -> None:
    head = a_pull_request(world, "queued")
    clone = ci_clone(world)
    base = git(clone, "rev-parse", "origin/main").stdout.strip()
    git(clone, "checkout", "-q", head)
    event = {"merge_group": {"head_sha": head, "base_sha": base, "base_ref": "refs/heads/main"}}
    code, output = gate_in_ci(world, clone, "merge_group", event)
    assert code == 1 and "FLIP AGTFAIL-0002" in output and "the merge queue's base" in output, output


def test_a_force_push_that_rewinds_main_says_the_old_tip_is_gone(world: World) -> None:
    old_tip = git(world.repo, "rev-parse", "HEAD").stdout.strip()
    (world.repo / "NOTES.md").write_text("x\n")
    commit_all(world.repo, "more")
    assert push(world, "precommit", "main", "--no-verify").returncode == 0
    gone = git(world.repo, "rev-parse", "HEAD").stdout.strip()
    git(world.repo, "reset", "-q", "--hard", old_tip)
    assert push(world, "precommit", "main", "--no-verify", "-f").returncode == 0
    clone = world.tmp / "ci-fresh"  # over the transport, as a runner clones: unreachable commits stay behind
    git(world.tmp, "clone", "-q", "--no-local", str(world.remote), str(clone))
    event = {"before": gone, "after": old_tip}
    code, output = gate_in_ci(world, clone, "push", event, GITHUB_REF_NAME="main")
    assert git(clone, "cat-file", "-e", f"{gone}^{{commit}}", check=False).returncode != 0
    assert f"the branch's old tip {gone[:10]}" in output and "is gone: a force push rewrote" in output, output
    assert code == 0, output


def test_init_writes_the_triggers_and_codeowners_for_what_runs_the_checks(git_repo: Path) -> None:
    from failgate.scaffold.ci import ci_workflow
    from failgate.scaffold.project import review_paths

    workflow = ci_workflow("evals/failures")
    assert "\n  merge_group:\n" in workflow and 'tags: ["*"]' in workflow
    paths = review_paths(git_repo, {})
    for path in ("/.github/workflows/failgate.yml", "/.pre-commit-config.yaml", "/.gitattributes"):
        assert path in paths
    assert "/evals/judge_gold.yaml" in paths


def test_an_edit_to_the_workflow_is_listed_as_a_policy_change(world: World) -> None:
    git(world.repo, "checkout", "-q", "-B", "soften", "main")
    workflow = world.repo / ".github" / "workflows" / "failgate.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text("jobs:\n  failgate:\n    continue-on-error: true\n")
    commit_all(world.repo, "ci tweak")
    refused, output = attempt(world, "precommit", "soften")
    assert not refused and "POLICY .github/workflows: (unset) -> " in output, output
    assert "decides how CI and the hooks check every change" in output


def test_control_an_unrelated_edit_lists_no_policy_change(world: World) -> None:
    git(world.repo, "checkout", "-q", "-B", "docs", "main")
    (world.repo / "NOTES.md").write_text("x\n")
    commit_all(world.repo, "docs")
    refused, output = attempt(world, "precommit", "docs")
    assert not refused and "Policy and agent changes in this range: none" in output, output
