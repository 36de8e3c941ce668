"""Nothing a branch does weakens its own gate without a named, reviewed decision.

Each dodge is tried for real: a consumer repo with a green baseline on main,
a bare remote, and the change pushed through the pre-commit pre-push hook,
through hooks/pre-push, and merged the way the server does it with CI's
steps after. Each attack has a control beside it: the same kind of change,
done honestly, goes through.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import commit_all, git
from gate_channels import CHANNELS, World, attempt, ci_push_to_main, copied_world, make_world, push, run
from gate_repo import DS, break_cases, cases_text, failgate, history_events

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def fresh_world(scenarios: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., World]:
    """make_world's consumer repo, remote and hooks: built once per session, a fresh copy per test."""

    def make(**options: Any) -> World:
        world = copied_world(scenarios, tmp_path, **options)
        monkeypatch.chdir(world.repo)
        return world

    return make


@pytest.fixture
def world(fresh_world: Callable[..., World]) -> World:
    return fresh_world()


def branch(world: World, name: str) -> Path:
    git(world.repo, "checkout", "-q", "-B", name, "main")
    return world.repo


def refused_everywhere(world: World, name: str, *needles: str) -> dict[str, str]:
    outputs = {}
    for channel in CHANNELS:
        refused, output = attempt(world, channel, name)
        assert refused, f"{channel} let it through:\n{output}"
        for needle in needles:
            assert needle in output, f"{channel}: {needle!r} missing:\n{output}"
        outputs[channel] = output
    return outputs


def accepted_everywhere(world: World, name: str, *needles: str) -> dict[str, str]:
    outputs = {}
    for channel in CHANNELS:
        refused, output = attempt(world, channel, name)
        assert not refused, f"{channel} refused an honest change:\n{output}"
        for needle in needles:
            assert needle in output, f"{channel}: {needle!r} missing:\n{output}"
        outputs[channel] = output
    return outputs


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def decide(repo: Path, *args: str) -> None:
    result = failgate(repo, "decide", *args, "--reason", "the rule was wrong", "--by", "dana@example.com")
    assert result.returncode == 0, result.stdout + result.stderr


# -- 1. weakening a case --------------------------------------------------------


def weaken_case_2(world: World, name: str) -> Path:
    repo = branch(world, name)
    break_cases(repo, 2)  # the agent now says "nope" to case 2
    edit(repo / DS / "cases.yaml", '      - contains: "ok 2"\n', '      - not_contains: "refunded twice"\n')
    return repo


def test_weakening_a_case_is_a_flip_from_its_baseline_definition(world: World) -> None:
    repo = weaken_case_2(world, "weaken")
    commit_all(repo, "faster, and a looser rule for case 2")
    refused_everywhere(world, "weaken", "FLIP AGTFAIL-0002", "its definition was changed in the range")


def test_control_a_redefinition_with_a_decision_goes_through_and_is_listed_first(world: World) -> None:
    repo = weaken_case_2(world, "redefine")
    decide(repo, "AGTFAIL-0002", "--redefined")
    commit_all(repo, "case 2's rule was wrong: decided")
    outputs = accepted_everywhere(
        world, "redefine", "Decisions in this range (1):", "AGTFAIL-0002 redefined by dana@example.com"
    )
    assert "| AGTFAIL-0002 | redefined | dana@example.com | the rule was wrong |" in _summary(world)
    assert outputs["precommit"].index("Decisions in this range") < outputs["precommit"].index("failure mode")


def test_editing_a_fixture_the_agent_reads_is_a_redefinition(fresh_world: Callable[..., World]) -> None:
    world = fresh_world(push=False)
    repo = world.repo
    (repo / DS / "fixtures").mkdir()
    (repo / DS / "fixtures" / "order.json").write_text('{"order": 1}\n')
    text = (
        (repo / DS / "cases.yaml")
        .read_text()
        .replace('      say: "ok 1"\n', '      say: "ok 1"\n      fixtures:\n        - fixtures/order.json\n')
    )
    (repo / DS / "cases.yaml").write_text(text)
    commit_all(repo, "case 1 reads a fixture")
    assert push(world, "precommit", "main", "-u").returncode == 0
    git(repo, "checkout", "-q", "-b", "fixture")
    (repo / DS / "fixtures" / "order.json").write_text('{"order": 2}\n')
    commit_all(repo, "touch the fixture")
    result = failgate(repo, "gate", "--format", "json")
    data = json.loads(result.stdout)
    assert data["redefined"] == [{"id": "AGTFAIL-0001", "changed": ["fixtures"]}], result.stdout


# -- 2. moving the config to relax it ----------------------------------------------


def move_config_to_pyproject(repo: Path, mode: str) -> None:
    toml = (repo / "failgate.toml").read_text()
    (repo / "failgate.toml").unlink()
    (repo / "pyproject.toml").write_text(
        f'[project]\nname = "shop"\n\n[tool.failgate]\n{toml}\n[tool.failgate.gate]\nmode = "{mode}"\n'
    )


def test_moving_the_config_to_pyproject_does_not_make_the_gate_advisory(world: World) -> None:
    repo = branch(world, "relax")
    move_config_to_pyproject(repo, "advisory")
    break_cases(repo, 1)
    commit_all(repo, "tidy: config into pyproject")
    outputs = refused_everywhere(
        world, "relax", "FLIP AGTFAIL-0001", "POLICY location: 'failgate.toml' -> 'pyproject.toml'"
    )
    assert all("ADVISORY MODE" not in out for out in outputs.values())


def test_control_moving_the_config_is_reported_and_goes_through(world: World) -> None:
    repo = branch(world, "move")
    move_config_to_pyproject(repo, "blocking")
    commit_all(repo, "tidy: config into pyproject")
    accepted_everywhere(
        world,
        "move",
        "POLICY location: 'failgate.toml' -> 'pyproject.toml' by Test Author",
        "takes effect only after it is merged",
    )


# -- 3. redirecting the dataset ----------------------------------------------------


def test_pointing_dataset_at_an_edited_copy_is_refused(world: World) -> None:
    repo = branch(world, "redirect")
    copy = repo / "evals" / "copy"
    copy.mkdir(parents=True)
    (copy / "cases.yaml").write_text(cases_text((1, 3)))
    (copy / "cases_removed.yaml").write_text((repo / DS / "cases_removed.yaml").read_text())
    kept = [
        line
        for line in (repo / DS / "history.jsonl").read_text().splitlines(keepends=True)
        if "AGTFAIL-0002" not in line
    ]
    (copy / "history.jsonl").write_text("".join(kept))
    edit(repo / "failgate.toml", "jobs = 2\n", 'jobs = 2\ndataset = "evals/copy"\n')
    break_cases(repo, 2)
    commit_all(repo, "dataset lives in evals/copy now")
    refused_everywhere(world, "redirect", "VANISHED", "AGTFAIL-0002")


def test_control_a_dataset_move_keeps_every_case_and_is_reported(world: World) -> None:
    repo = branch(world, "moved")
    git(repo, "mv", DS, "evals/moved")
    edit(repo / "failgate.toml", "jobs = 2\n", 'jobs = 2\ndataset = "evals/moved"\n')
    commit_all(repo, "move the dataset")
    accepted_everywhere(world, "moved", "POLICY dataset: (unset) -> 'evals/moved'")


# -- 4. faked baselines -------------------------------------------------------------


def fake_result(repo: Path, case: str, outcome: str) -> None:
    judge = next(e["judge"] for e in reversed(history_events(repo)) if e.get("case_id") == case and e.get("judge"))
    event = {
        "id": f"01JZZ{len(history_events(repo)):021d}",
        "ts": "2026-06-01T10:00:00Z",
        "case_id": case,
        "type": "result",
        "outcome": outcome,
        "judge": judge,
        "actor": "ci",
    }
    with (repo / DS / "history.jsonl").open("a") as handle:
        handle.write(json.dumps(event) + "\n")


def test_a_faked_fail_result_for_a_passing_case_is_refused(world: World) -> None:
    repo = branch(world, "fake")
    fake_result(repo, "AGTFAIL-0001", "fail")
    commit_all(repo, "record results")
    refused_everywhere(
        world,
        "fake",
        "Recorded results the gate's own run contradicts",
        "AGTFAIL-0001: the range records 'fail'",
        "the gate's own run gives 'pass'",
    )


def test_control_a_result_that_agrees_with_the_gate_goes_through(world: World) -> None:
    repo = branch(world, "agree")
    fake_result(repo, "AGTFAIL-0001", "pass")
    commit_all(repo, "record results")
    accepted_everywhere(world, "agree")


# -- 5 and 6. judge changes: a local plugin edited, silenced by remediated events ------

PLUGIN = """\
def check(case, response, options):
    return "{needle}" in response.output, "needs {needle}"
"""


@pytest.fixture
def judged_world(scenarios: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    world = copied_world(scenarios, tmp_path, build=build_judged_world, key="judged")
    monkeypatch.chdir(world.repo)
    return world


def build_judged_world(tmp: Path) -> None:
    (tmp / "repo").mkdir()
    git(tmp / "repo", "init", "-q", "-b", "main")
    world = make_world(tmp / "repo", tmp, push=False)
    repo = world.repo
    (repo / "localjudge.py").write_text(PLUGIN.format(needle="ok 1"))
    edit(
        repo / DS / "cases.yaml",
        '      - contains: "ok 1"\n',
        '      - contains: "ok 1"\n      - judge: {use: "localjudge:check"}\n',
    )
    commit_all(repo, "a project-local judge for case 1")
    result = failgate(repo, "eval", "--record")
    assert result.returncode == 0, result.stdout + result.stderr
    commit_all(repo, "baseline with the local judge")
    assert push(world, "precommit", "main", "-u").returncode == 0


def test_editing_a_local_judge_plugin_and_writing_remediated_events_is_refused(judged_world: World) -> None:
    world = judged_world
    repo = branch(world, "judge")
    (repo / "localjudge.py").write_text(PLUGIN.format(needle=""))  # passes anything
    with (repo / DS / "history.jsonl").open("a") as handle:
        handle.write(
            json.dumps(
                {
                    "id": "01JZZ000000000000000000001",
                    "ts": "2026-06-01T10:00:00Z",
                    "case_id": "AGTFAIL-0001",
                    "type": "remediated",
                    "actor": "dana",
                    "detail": "judge fixed",
                }
            )
            + "\n"
        )
    commit_all(repo, "fix the judge")
    refused_everywhere(
        world, "judge", "a judge change not paid for", "plugin code localjudge.py", "failgate judge-change --reason"
    )


def test_control_a_judge_change_with_its_decision_goes_through(judged_world: World) -> None:
    world = judged_world
    repo = branch(world, "judge-ok")
    (repo / "localjudge.py").write_text("# reviewed\n" + PLUGIN.format(needle="ok 1"))
    commit_all(repo, "comment the judge")
    result = failgate(repo, "judge-change", "--reason", "the rule was wrong", "--by", "dana@example.com")
    assert result.returncode == 0, result.stdout + result.stderr
    commit_all(repo, "decided")
    accepted_everywhere(world, "judge-ok", "judge judge_changed (judge sha256:", "decided: judge judge_changed")


# -- 7. a different agent entry point --------------------------------------------------


def test_a_different_agent_is_reported_loudly(world: World) -> None:
    repo = branch(world, "agent")
    (repo / "otheragent.py").write_text("def run(inp):\n    return {'output': inp.get('say', '')}\n")
    edit(repo / "failgate.toml", 'agent = "gateagent:run"', 'agent = "otheragent:run"')
    commit_all(repo, "new agent")
    accepted_everywhere(
        world,
        "agent",
        "AGENT agent: 'gateagent:run' -> 'otheragent:run' by Test Author",
        "the gate judges the branch's agent",
    )
    assert "- **agent** agent: 'gateagent:run' -> 'otheragent:run'" in _summary(world)


def test_control_the_same_agent_reports_no_change(world: World) -> None:
    repo = branch(world, "same")
    (repo / "NOTES.md").write_text("x\n")
    commit_all(repo, "notes")
    accepted_everywhere(world, "same", "Policy and agent changes in this range: none")


def _summary(world: World) -> str:
    """The Markdown summary of a CI gate run of the branch last merged by the server."""
    clone = world.tmp / f"ci-{world.runs}"
    summary = world.tmp / "summary.md"
    result = run(
        clone,
        world.tmp,
        sys.executable,
        "-m",
        "failgate",
        "gate",
        GITHUB_ACTIONS="true",
        GITHUB_EVENT_NAME="pull_request",
        GITHUB_BASE_REF="main",
        GITHUB_STEP_SUMMARY=str(summary),
    )
    assert summary.is_file(), result.stdout + result.stderr
    return summary.read_text()


# -- 9. merges that drop the other side's lines -------------------------------------------


def remediated(repo: Path, n: int) -> None:
    with (repo / DS / "history.jsonl").open("a") as handle:
        handle.write(
            json.dumps(
                {
                    "id": f"01JRM{n:021d}",
                    "ts": "2026-06-01T10:00:00Z",
                    "case_id": "AGTFAIL-0001",
                    "type": "remediated",
                    "actor": "dana",
                    "detail": f"note {n}",
                }
            )
            + "\n"
        )


def diverged_history(world: World, name: str) -> Path:
    repo = world.repo
    git(repo, "checkout", "-q", "main")
    remediated(repo, 1)
    commit_all(repo, "main notes")
    assert push(world, "precommit", "main").returncode == 0
    git(repo, "checkout", "-q", "-B", name, "main~1")
    remediated(repo, 2)
    commit_all(repo, "branch notes")
    merge = git(repo, "merge", "--no-edit", "main", check=False)  # no drivers in this clone: a text conflict
    assert merge.returncode != 0
    return repo


def test_a_merge_resolved_with_ours_is_refused_at_commit_and_at_push(world: World) -> None:
    repo = diverged_history(world, "ours")
    git(repo, "checkout", "--ours", f"{DS}/history.jsonl")
    git(repo, "add", f"{DS}/history.jsonl")
    committed = run(repo, world.tmp, "git", "commit", "--no-edit")  # the pre-commit hook runs check-ledger
    assert committed.returncode != 0 and "against MERGE_HEAD" in committed.stdout + committed.stderr
    assert "HISTORY_DELETED" in committed.stdout + committed.stderr
    git(repo, "commit", "-q", "--no-verify", "--no-edit")
    refused_everywhere(world, "ours", "HISTORY_DELETED", "01JRM000000000000000000001")


def test_control_a_merge_that_keeps_both_sides_goes_through(world: World) -> None:
    repo = diverged_history(world, "both")
    text = (repo / DS / "history.jsonl").read_text()
    kept = [line for line in text.splitlines(keepends=True) if not line.startswith(("<<<<<<<", "=======", ">>>>>>>"))]
    (repo / DS / "history.jsonl").write_text("".join(kept))
    git(repo, "add", f"{DS}/history.jsonl")
    committed = run(repo, world.tmp, "git", "commit", "--no-edit")
    assert committed.returncode == 0, committed.stdout + committed.stderr
    accepted_everywhere(world, "both")


# -- 10. commits that skip pre-commit ------------------------------------------------------


def test_reverting_a_removal_is_refused_at_push(world: World) -> None:
    repo = world.repo
    removed = failgate(repo, "remove", "AGTFAIL-0003", "--reason", "duplicate of 1", "--by", "dana")
    assert removed.returncode == 0, removed.stderr
    removal = commit_all(repo, "remove 3")
    assert push(world, "precommit", "main").returncode == 0
    branch(world, "revert")
    assert git(repo, "revert", "--no-edit", removal, check=False).returncode == 0  # no pre-commit here
    refused_everywhere(world, "revert", "LEDGER_DELETED", "AGTFAIL-0003")


def test_a_no_verify_commit_that_deletes_a_history_line_is_refused(world: World) -> None:
    repo = branch(world, "trim")
    lines = (repo / DS / "history.jsonl").read_text().splitlines(keepends=True)
    (repo / DS / "history.jsonl").write_text("".join(lines[:-1]))
    commit_all(repo, "trim history")  # --no-verify
    refused_everywhere(world, "trim", "HISTORY_DELETED")


def test_control_a_revert_of_an_unrelated_commit_goes_through(world: World) -> None:
    repo = branch(world, "revert-ok")
    (repo / "NOTES.md").write_text("x\n")
    notes = commit_all(repo, "notes")
    git(repo, "revert", "--no-edit", notes)
    accepted_everywhere(world, "revert-ok")


# -- 11. the base chosen by the branch ------------------------------------------------------


def retire_and_break(repo: Path, n: int) -> None:
    (repo / DS / "cases.yaml").write_text(cases_text((1, 2, 3), **{f"AGTFAIL-000{n}": {"status": "deprecated"}}))
    break_cases(repo, n)


def test_base_branch_head_on_the_branch_changes_nothing(world: World) -> None:
    repo = branch(world, "head")
    edit(repo / "failgate.toml", 'base_branch = "main"', 'base_branch = "HEAD"')
    retire_and_break(repo, 1)
    commit_all(repo, "compare with myself")
    refused_everywhere(world, "head", "FLIP AGTFAIL-0001", "POLICY base_branch: 'main' -> 'HEAD'")


def test_an_explicit_base_that_is_the_commit_itself_is_refused(world: World) -> None:
    repo = branch(world, "self")
    (repo / "NOTES.md").write_text("x\n")
    commit_all(repo, "notes")
    result = failgate(repo, "gate", "--base", "HEAD")
    assert result.returncode == 2 and "is the commit under test" in result.stderr
    assert "set base_branch in [tool.failgate] to the protected branch" in result.stderr
    assert failgate(repo, "gate", "--base", "main").returncode == 0  # control


def test_deprecate_in_push_one_break_in_push_two(fresh_world: Callable[..., World]) -> None:
    # No base_branch: the old default was the branch's own upstream, i.e. push 1.
    world = fresh_world(config="")
    repo = branch(world, "twostep")
    (repo / DS / "cases.yaml").write_text(cases_text((1, 2, 3), **{"AGTFAIL-0001": {"status": "deprecated"}}))
    commit_all(repo, "retire a flaky case (it still passes)")
    first = push(world, "precommit", "twostep", "-u")
    assert first.returncode == 0, first.stdout + first.stderr  # control: retiring a passing case is fine
    break_cases(repo, 1)
    commit_all(repo, "faster")
    for channel in ("precommit", "plain"):
        second = push(world, channel, "twostep")
        assert second.returncode != 0, second.stdout + second.stderr
        assert "FLIP AGTFAIL-0001" in second.stdout + second.stderr
        assert "base origin/main: the protected branch" in second.stdout + second.stderr


# -- 8. CI's push job ---------------------------------------------------------------------------


def test_ci_push_to_main_compares_with_the_tip_before_the_push(world: World) -> None:
    repo = world.repo
    before = git(repo, "rev-parse", "main").stdout.strip()
    retire_and_break(repo, 2)
    commit_all(repo, "straight to main")
    assert push(world, "precommit", "main", "--no-verify").returncode == 0
    refused, output = ci_push_to_main(world, before)
    assert refused and "FLIP AGTFAIL-0002" in output and "github.event.before" in output, output


def test_ci_push_of_a_green_change_to_main_passes(world: World) -> None:
    repo = world.repo
    before = git(repo, "rev-parse", "main").stdout.strip()
    (repo / "NOTES.md").write_text("x\n")
    commit_all(repo, "notes")
    assert push(world, "precommit", "main").returncode == 0
    refused, output = ci_push_to_main(world, before)
    assert not refused, output


def test_ci_after_a_force_push_to_main_gives_a_verdict_not_exit_2(world: World) -> None:
    repo = world.repo
    git(repo, "commit", "-q", "--amend", "--no-verify", "-m", "rewritten")
    gone = "1234567890" * 4  # the old tip is not in a fresh clone after a force push
    assert push(world, "precommit", "main", "--no-verify", "-f").returncode == 0
    refused, output = ci_push_to_main(world, gone)
    assert not refused and "no baseline yet" in output and "force push" in output, output
    break_cases(repo, 1)
    commit_all(repo, "broken")
    assert push(world, "precommit", "main", "--no-verify", "-f").returncode == 0
    refused, output = ci_push_to_main(world, gone)
    assert refused and "FAIL AGTFAIL-0001" in output and "exit 2" not in output, output


# -- first push to an empty remote -----------------------------------------------------------


@pytest.mark.parametrize("channel", ["precommit", "plain"])
def test_first_push_to_an_empty_remote_judges_every_active_case(
    fresh_world: Callable[..., World], channel: str
) -> None:
    world = fresh_world(config='base_branch = "origin/main"\n', push=False)
    break_cases(world.repo, 3)
    commit_all(world.repo, "broken from the start")
    refused = push(world, channel, "main", "-u")
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "no baseline yet" in output and "FAIL AGTFAIL-0003" in output, output
    assert "git fetch origin main" not in output
    break_cases(world.repo)
    commit_all(world.repo, "fixed")
    accepted = push(world, channel, "main", "-u")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "no baseline yet: origin has no branches" in accepted.stdout + accepted.stderr


# -- 12. several refs in one push -----------------------------------------------------------------


def test_several_refs_through_pre_commit_ci_is_the_safety_net(world: World) -> None:
    repo = branch(world, "good")
    (repo / "NOTES.md").write_text("x\n")
    commit_all(repo, "notes")
    branch(world, "bad")
    retire_and_break(repo, 3)
    commit_all(repo, "retire and break 3")
    git(repo, "config", "core.hooksPath", str(world.hooks))
    plain = run(repo, world.tmp, "git", "push", "origin", "good", "bad")  # hooks/pre-push judges every ref
    git(repo, "config", "--unset", "core.hooksPath")
    assert plain.returncode != 0 and "FLIP AGTFAIL-0003" in plain.stderr + plain.stdout
    # pre-commit's pre-push stage looks at one ref only (a documented limitation) ...
    run(world.repo, world.tmp, "git", "push", "-q", "--no-verify", "origin", "bad")
    # ... so the pull request's CI run is what refuses the other one.
    refused, output = attempt(world, "ci", "bad")
    assert refused and "FLIP AGTFAIL-0003" in output, output
