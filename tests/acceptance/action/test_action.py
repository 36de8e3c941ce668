"""The GitHub Action: its metadata, and its step run locally with the variables Actions sets.

`action.yml` runs `action/run.sh`; the last tests here run that script with
the step's `env:` taken from action.yml (inputs substituted), in a fresh venv
where the script's own `pip install` of this checkout happens for real.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import commit_all, git, no_git_env
from gate_repo import break_cases, copied_consumer

from failgate.cli import COMMANDS, cli

ROOT = Path(__file__).resolve().parents[3]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
SCRIPT = ROOT / "action" / "run.sh"
INPUTS = {"base", "dataset", "python", "html", "install", "comment", "token", "notify"}


def test_metadata_is_a_composite_action_with_the_documented_inputs() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert set(ACTION["inputs"]) == INPUTS
    for name, spec in ACTION["inputs"].items():
        assert spec["description"].strip() and spec.get("required") is False, name
    for step in ACTION["runs"]["steps"]:
        if "uses" in step:
            assert re.fullmatch(r"actions/[a-z-]+@v\d+", step["uses"]), step["uses"]  # pinned to a major
        else:
            assert step["shell"] == "bash"  # composite run steps must name their shell
    guide = (ROOT / "docs" / "how-to" / "github-actions.md").read_text()
    for name in INPUTS:
        assert f"| `{name}` |" in guide, f"input {name} is not in the inputs table of docs/how-to/github-actions.md"


def test_every_expression_names_a_declared_input() -> None:
    text = (ROOT / "action.yml").read_text()
    used = set(re.findall(r"inputs\.([a-z_-]+)", text))
    assert used <= INPUTS and used, used


def test_the_run_step_runs_the_script_that_exists() -> None:
    runs = [s["run"] for s in ACTION["runs"]["steps"] if "run" in s]
    assert runs == ['bash "$GITHUB_ACTION_PATH/action/run.sh"']
    assert SCRIPT.is_file()
    assert subprocess.run(["bash", "-n", str(SCRIPT)]).returncode == 0


def test_the_scripts_failgate_commands_and_options_exist() -> None:
    """Every `failgate SUB --opt` the script calls is a real command with that option."""
    text = SCRIPT.read_text()
    # Invocations: `run failgate SUB ...` and the gate's array `gate=(failgate gate ...)` plus `gate+=(...)`.
    calls = [
        (name, " ".join(re.findall(r"--[a-z-]+", rest)))
        for name, rest in re.findall(r"(?:\brun |=\()failgate ([a-z-]+)(.*)$", text, re.M)
    ]
    gate_options = re.findall(r"gate\+=\((--[a-z-]+)", text)
    assert {c for c, _ in calls} >= {"validate", "check-ledger", "gate"}
    import click

    ctx = click.Context(cli)
    for name, options in calls + [("gate", " " + " ".join(gate_options))]:
        assert name in COMMANDS, name
        command = cli.get_command(ctx, name)
        assert command is not None
        known = {opt for param in command.params for opt in param.opts}
        for option in options.split():
            assert option in known, f"failgate {name} has no {option}"


def test_the_workflow_init_writes_uses_the_action() -> None:
    from failgate.scaffold.ci import ci_workflow

    workflow = yaml.safe_load(ci_workflow("evals/failures"))
    steps = workflow["jobs"]["failgate"]["steps"]
    ours = [s for s in steps if "failgate" in str(s.get("uses", ""))]
    assert len(ours) == 1 and set(ours[0].get("with", {})) <= INPUTS
    assert steps[0]["uses"].startswith("actions/checkout@") and steps[0]["with"]["fetch-depth"] == 0


# -- the step itself, run locally ---------------------------------------------------------------


def step_env(inputs: dict[str, str]) -> dict[str, str]:
    """The `env:` of action.yml's run step, with `${{ inputs.X }}` filled in as Actions would."""
    step = next(s for s in ACTION["runs"]["steps"] if "run" in s)
    values = {name: inputs.get(name, str(spec.get("default", ""))) for name, spec in ACTION["inputs"].items()}
    return {
        key: re.sub(r"\$\{\{\s*inputs\.([a-z_-]+)\s*\}\}", lambda m: values[m[1]], str(value))
        for key, value in step["env"].items()
    }


@pytest.fixture(scope="module")
def runner_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bare venv, like a runner's python after setup-python: the script installs failgate into it."""
    venv = tmp_path_factory.mktemp("runner") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    return venv / "bin"


@pytest.fixture
def pull_request(git_repo: Path, tmp_path: Path, scenarios: Any) -> Iterator[dict[str, Any]]:
    """upstream main with a green recorded baseline; a clone on branch `feature`, as actions/checkout leaves it."""
    copied_consumer(scenarios, git_repo, baseline="recorded")
    work = tmp_path / "workspace"
    git(tmp_path, "clone", "-q", str(git_repo), str(work))
    git(work, "checkout", "-q", "-b", "feature")
    runner = tmp_path / "runner-temp"
    runner.mkdir()
    yield {"work": work, "runner": runner, "tmp": tmp_path}


def run_action(
    case: dict[str, Any],
    bin_dir: Path,
    inputs: dict[str, str] | None = None,
    event_name: str = "pull_request",
    event: dict[str, Any] | None = None,
) -> subprocess.CompletedProcess[str]:
    work, tmp = case["work"], case["tmp"]
    head = git(work, "rev-parse", "HEAD").stdout.strip()
    if event is None:
        event = {"pull_request": {"base": {"ref": "main"}, "head": {"sha": head, "ref": "feature"}}}
    (tmp / "event.json").write_text(json.dumps(event))
    env = no_git_env()
    for key in ("CI", "PRE_COMMIT", "PRE_COMMIT_TO_REF", "PRE_COMMIT_FROM_REF", "VIRTUAL_ENV"):
        env.pop(key, None)
    env.update(step_env(inputs or {}))
    env.update(
        {
            "PATH": str(bin_dir) + os.pathsep + env["PATH"],
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_ACTION_PATH": str(ROOT),
            "GITHUB_WORKSPACE": str(work),
            "RUNNER_TEMP": str(case["runner"]),
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": str(tmp / "event.json"),
            "GITHUB_STEP_SUMMARY": str(tmp / "summary.md"),
            "GITHUB_OUTPUT": str(tmp / "output.txt"),
            "GITHUB_BASE_REF": "main",
            "GITHUB_HEAD_REF": "feature",
            "NO_COLOR": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        }
    )
    run = next(s for s in ACTION["runs"]["steps"] if "run" in s)["run"]
    return subprocess.run(["bash", "-c", run], cwd=work, env=env, capture_output=True, text=True, timeout=600)


def test_the_step_passes_a_green_pull_request_control(pull_request: dict[str, Any], runner_python: Path) -> None:
    work = pull_request["work"]
    (work / "README.md").write_text("unrelated\n")
    commit_all(work, "docs")
    result = run_action(pull_request, runner_python)
    assert result.returncode == 0, result.stdout + result.stderr
    reports = pull_request["runner"] / "failgate-reports"
    assert (pull_request["tmp"] / "output.txt").read_text() == f"reports={reports}\n"
    assert "::group::failgate check-ledger --base origin/main" in result.stdout
    assert f"::group::failgate check-ledger --base {git(work, 'rev-parse', 'HEAD').stdout.strip()}" in result.stdout
    assert ET.parse(reports / "failgate-gate.xml").getroot().get("failures") == "0"
    assert 'class="verdict ok"' in (reports / "failgate-report.html").read_text()
    assert "PASS" in (pull_request["tmp"] / "summary.md").read_text()


def test_the_step_blocks_a_flip_with_summary_annotation_junit_and_html(
    pull_request: dict[str, Any], runner_python: Path
) -> None:
    work = pull_request["work"]
    break_cases(work, 2)
    commit_all(work, "agent change")
    result = run_action(pull_request, runner_python, {"html": "gate.html"})
    assert result.returncode == 1, result.stdout + result.stderr
    reports = pull_request["runner"] / "failgate-reports"
    # The annotation points at the case's line in cases.yaml.
    line = next(
        n
        for n, text in enumerate((work / "evals/failures/cases.yaml").read_text().splitlines(), 1)
        if text.strip() == "- id: AGTFAIL-0002"
    )
    assert re.search(rf"::error file=evals/failures/cases.yaml,line={line}\b.*AGTFAIL-0002", result.stdout), (
        result.stdout
    )
    assert "::error title=failgate::`failgate gate" in result.stdout
    assert "AGTFAIL-0002" in (pull_request["tmp"] / "summary.md").read_text()
    assert ET.parse(reports / "failgate-gate.xml").getroot().get("failures") != "0"
    assert "Flips (1)" in (reports / "gate.html").read_text()
    # validate and the ledger check still ran, and passed.
    assert "::error title=failgate::`failgate validate" not in result.stdout
    assert "::error title=failgate::`failgate check-ledger" not in result.stdout


def test_a_dataset_input_that_disagrees_with_the_config_stops_the_step(
    pull_request: dict[str, Any], runner_python: Path
) -> None:
    result = run_action(pull_request, runner_python, {"dataset": "evals/elsewhere", "html": ""})
    assert result.returncode == 2
    assert "the dataset input is evals/elsewhere but [tool.failgate] dataset is evals/failures" in result.stdout
    # Control: the configured directory is accepted.
    assert run_action(pull_request, runner_python, {"dataset": "evals/failures/"}).returncode == 0


def test_a_push_checks_the_ledger_against_the_previous_tip(pull_request: dict[str, Any], runner_python: Path) -> None:
    work = pull_request["work"]
    before = git(work, "rev-parse", "HEAD").stdout.strip()
    commit_all(work, "empty")
    result = run_action(pull_request, runner_python, {"html": ""}, event_name="push", event={"before": before})
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"::group::failgate check-ledger --base {before}" in result.stdout
    assert "origin/main" not in result.stdout.split("::group::failgate gate")[0]
    # Control: a new branch's first push (before is all zeros) has no previous tip to check against.
    result = run_action(pull_request, runner_python, {"html": ""}, event_name="push", event={"before": "0" * 40})
    assert result.returncode == 0 and "no base for the ledger check" in result.stdout
