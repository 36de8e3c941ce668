"""The agent cannot end failgate, nor reach its judge: a verdict exists only when every case was judged.

An agent is the consumer's code under test. A module that calls `sys.exit(0)` at import (a CLI entry point
without a `__main__` guard), one that calls `os._exit(0)` during a case, or one that patches failgate's judge
when it is imported beside it: each is tried for real, over a branch that also carries a regression, through
the pre-commit pre-push hook, hooks/pre-push and CI's steps, and through `failgate eval`. Beside each attack, a
control: the same agent without the fault is judged and goes through (or fails on the regression alone).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import commit_all, git
from gate_channels import CHANNELS, World, attempt, make_world
from gate_repo import break_cases, failgate, setup_consumer

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

EXIT_AT_IMPORT = "import sys\nsys.exit(0)  # a CLI module without a __main__ guard\n"
EXIT_DURING_A_CASE = """
import os as _os
_run = run


def run(inp):
    if inp.get("say") == "ok 2":
        _os._exit(0)
    return _run(inp)
"""
# What an agent imported inside failgate's process could do: every rule passes from then on.
PATCH_THE_JUDGE = """
import failgate.eval.runner as _runner
_runner.judge_case = lambda *args, **kwargs: []
"""


@pytest.fixture
def world(git_repo: Path, tmp_path: Path) -> World:
    return make_world(git_repo, tmp_path)


def regressing_branch(world: World, name: str, *, prefix: str = "", suffix: str = "") -> None:
    """A branch where the agent answers case 2 wrongly, its module wrapped with `prefix`/`suffix`."""
    git(world.repo, "checkout", "-q", "-B", name, "main")
    agent = world.repo / "gateagent.py"
    agent.write_text(prefix + agent.read_text() + suffix)
    break_cases(world.repo, 2)
    commit_all(world.repo, f"{name}: a regression on case 2")


def refused_on_every_channel(world: World, name: str, *needles: str) -> None:
    for channel in CHANNELS:
        refused, output = attempt(world, channel, name)
        assert refused, f"{channel} let a branch through that it did not judge:\n{output}"
        for needle in needles:
            assert needle in output, f"{channel}: {needle!r} missing:\n{output}"


@pytest.mark.parametrize(
    ("prefix", "suffix", "needle"),
    [
        (EXIT_AT_IMPORT, "", "cannot load agent"),
        ("", EXIT_DURING_A_CASE, "agent worker exited (code 0)"),
        ("", PATCH_THE_JUDGE, "FAIL"),
    ],
    ids=["sys.exit at import", "os._exit during a case", "patches the judge"],
)
def test_an_agent_that_ends_or_patches_failgate_is_refused_on_every_channel(
    world: World, prefix: str, suffix: str, needle: str
) -> None:
    regressing_branch(world, "hostile", prefix=prefix, suffix=suffix)
    refused_on_every_channel(world, "hostile", needle)


def test_control_the_same_agent_without_the_fault_is_judged_and_goes_through(world: World) -> None:
    git(world.repo, "checkout", "-q", "-B", "honest", "main")
    (world.repo / "gateagent.py").write_text((world.repo / "gateagent.py").read_text() + "\n# a comment\n")
    commit_all(world.repo, "honest: a comment in the agent")
    for channel in CHANNELS:
        refused, output = attempt(world, channel, "honest")
        assert not refused, f"{channel} refused an honest change:\n{output}"


# -- failgate eval, the same faults ----------------------------------------------------------


@pytest.fixture
def project(git_repo: Path) -> Path:
    return setup_consumer(git_repo)


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize(
    ("prefix", "suffix", "needle"),
    [
        (EXIT_AT_IMPORT, "", "cannot load agent"),
        ("", EXIT_DURING_A_CASE, "agent worker exited (code 0)"),
        ("", PATCH_THE_JUDGE, "AGTFAIL-0002"),
    ],
    ids=["sys.exit at import", "os._exit during a case", "patches the judge"],
)
def test_eval_never_exits_0_over_an_agent_it_did_not_judge(
    project: Path, prefix: str, suffix: str, needle: str, jobs: str
) -> None:
    agent = project / "gateagent.py"
    agent.write_text(prefix + agent.read_text() + suffix)
    break_cases(project, 2)
    result = failgate(project, "eval", "--jobs", jobs)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert needle in output, output
    assert "/failgate/" not in output, output  # no traceback of failgate's own (the agent's may be shown)


def test_eval_json_stays_json_when_the_agent_prints(project: Path) -> None:
    import json

    agent = project / "gateagent.py"
    agent.write_text(
        "import os, sys\nprint('importing the agent')\n"
        + agent.read_text().replace(
            "def run(inp):\n", "def run(inp):\n    print('hello'); os.write(1, b'raw fd 1\\n')\n"
        )
    )
    result = failgate(project, "eval", "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)  # the agent's prints went elsewhere
    assert [c["outcome"] for c in report["cases"]] == ["pass", "pass", "pass"]


def test_control_eval_of_the_regression_alone_fails_on_that_case(project: Path) -> None:
    break_cases(project, 2)
    result = failgate(project, "eval")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "AGTFAIL-0002" in result.stdout
    fixed = failgate(project, "eval", "--case", "AGTFAIL-0001")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr


@pytest.mark.parametrize(
    ("body", "code", "needle"), [("raise SystemExit(0)", 1, "the judge raised SystemExit"), ("return True", 0, "")]
)
def test_a_judge_plugin_that_calls_sys_exit_fails_its_case(project: Path, body: str, code: int, needle: str) -> None:
    (project / "judges.py").write_text(f"def rubric(case, response, options):\n    {body}\n")
    cases = project / "evals/failures/cases.yaml"
    cases.write_text(
        cases.read_text().replace(
            '      - contains: "ok 1"\n', '      - contains: "ok 1"\n      - judge: {use: "judges:rubric"}\n'
        )
    )
    result = failgate(project, "eval")
    assert result.returncode == code, result.stdout + result.stderr
    assert needle in result.stdout
