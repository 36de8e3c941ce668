"""`failgate init --schedule`: the weekly intake and nightly watch workflows, read as files and
their intake steps run as the runner would (bash, a real Langfuse-shaped API on 127.0.0.1,
a real `origin` to push to, and a `gh` that records what it was asked to open)."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import git, no_git_env
from recording_server import Reply, serve

from acceptance.intake.test_intake_store_langfuse import PUBLIC, SECRET, FakeLangfuse
from failgate.cli import COMMANDS, cli

INTAKE = ".github/workflows/failgate-intake.yml"
WATCH = ".github/workflows/failgate-watch.yml"


def _config(store_url: str = "https://cloud.langfuse.com", extra: str = "") -> str:
    return (
        '[tool.failgate]\nagent = "failgate.examples.support_bot:run"\n'
        '[tool.failgate.intake]\nowner = "@acme/agent-team"\n' + extra + "\n"
        f'[tool.failgate.intake.sources.prod]\nkind = "langfuse"\nurl = "{store_url}"\n'
        '[tool.failgate.notify.sinks.page]\nkind = "pagerduty"\nrouting_key_env = "PD_ROUTING_KEY"\n'
        '[tool.failgate.notify.sinks.chat]\nkind = "slack"\nurl_env = "SLACK_WEBHOOK_URL"\n'
    )


def _init(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = no_git_env()
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env["PATH"]
    return subprocess.run(
        [sys.executable, "-m", "failgate", "init", *args], cwd=repo, env=env, capture_output=True, text=True
    )


def test_schedule_is_opt_in_and_writes_two_plain_workflows(git_repo: Path) -> None:
    (git_repo / "pyproject.toml").write_text(_config())
    assert _init(git_repo).returncode == 0
    assert not (git_repo / INTAKE).exists() and not (git_repo / WATCH).exists()  # control: not by default
    assert _init(git_repo, "--schedule").returncode == 0
    intake, watch = (yaml.safe_load((git_repo / p).read_text()) for p in (INTAKE, WATCH))
    for workflow in (intake, watch):
        triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
        assert set(triggers) == {"schedule", "workflow_dispatch"}
        (cron,) = [c["cron"] for c in triggers["schedule"]]
        assert len(cron.split()) == 5
    assert intake[True]["schedule"][0]["cron"].endswith("* * 1")  # weekly, Mondays
    assert watch[True]["schedule"][0]["cron"].endswith("* * *")  # nightly
    steps = intake["jobs"]["intake"]["steps"]
    pull = next(s for s in steps if s.get("id") == "ingest")
    assert set(pull["env"]) == {"LANGFUSE_PUBLIC_KEY", "LANGFUSE_SECRET_KEY"}  # the source's credentials, as secrets
    assert pull["env"]["LANGFUSE_SECRET_KEY"] == "${{ secrets.LANGFUSE_SECRET_KEY }}"
    watch_step = next(s for s in watch["jobs"]["watch"]["steps"] if s.get("name") == "failgate watch")
    assert {"PD_ROUTING_KEY", "SLACK_WEBHOOK_URL"} <= set(watch_step["env"])
    assert any(s.get("uses", "").startswith("actions/cache@") for s in watch["jobs"]["watch"]["steps"])
    assert watch["permissions"]["contents"] == "read"


def test_every_failgate_command_the_workflows_run_exists_with_its_options(git_repo: Path) -> None:
    import click

    (git_repo / "pyproject.toml").write_text(_config())
    assert _init(git_repo, "--schedule").returncode == 0
    ctx = click.Context(cli)
    seen = set()
    for path in (INTAKE, WATCH):
        workflow = yaml.safe_load((git_repo / path).read_text())
        scripts = [s.get("run", "") for job in workflow["jobs"].values() for s in job["steps"]]
        for line in "\n".join(scripts).splitlines():
            match = re.match(r"\s*failgate ([a-z-]+)(.*)$", line)
            if not match:
                continue
            name, rest = match.groups()
            seen.add(name)
            assert name in COMMANDS, name
            command = cli.get_command(ctx, name)
            known = {opt for param in command.params for opt in param.opts}  # type: ignore[union-attr]
            for option in re.findall(r"--[a-z-]+", rest):
                assert option in known, f"failgate {name} has no {option}"
    assert seen >= {"ingest", "watch"}


def test_rerunning_init_keeps_an_edited_workflow(git_repo: Path) -> None:
    (git_repo / "pyproject.toml").write_text(_config())
    assert _init(git_repo, "--schedule").returncode == 0
    edited = (git_repo / WATCH).read_text().replace("43 2 * * *", "0 5 * * *")
    (git_repo / WATCH).write_text(edited)
    assert _init(git_repo, "--schedule").returncode == 0
    assert (git_repo / WATCH).read_text() == edited


FAKE_GH = """#!/bin/sh
printf '%s\\n' "$@" > "$GH_LOG"
"""


def _run_step(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # GitHub runs a `run:` step as `bash -e {0}` on ubuntu runners, with pipefail.
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _weekly(tmp_path: Path, git_repo: Path, store_url: str, extra: str = "") -> tuple[Path, dict[str, Any], dict]:
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    (git_repo / "pyproject.toml").write_text(_config(store_url, extra))
    assert _init(git_repo, "--schedule").returncode == 0
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-q", "-m", "adopt failgate")
    git(git_repo, "remote", "add", "origin", str(origin))
    git(git_repo, "push", "-q", "origin", "main")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH)
    gh.chmod(gh.stat().st_mode | stat.S_IEXEC)
    env = no_git_env()
    env.update(
        {
            "PATH": f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{env['PATH']}",
            "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
            "GITHUB_REF_NAME": "main",
            "GH_LOG": str(tmp_path / "gh.txt"),
            "NO_COLOR": "1",
        }
    )
    workflow = yaml.safe_load((git_repo / INTAKE).read_text())
    return origin, env, workflow


def _secrets_for(step: dict[str, Any]) -> dict[str, str]:
    values = {"LANGFUSE_PUBLIC_KEY": PUBLIC, "LANGFUSE_SECRET_KEY": SECRET}
    return {k: values[k] for k in step.get("env", {}) if k in values}


def test_the_weekly_job_opens_a_pull_request_for_the_owner(git_repo: Path, tmp_path: Path) -> None:
    with serve(FakeLangfuse()) as store:
        origin, env, workflow = _weekly(tmp_path, git_repo, store.url)
        pull, hand = [s for s in workflow["jobs"]["intake"]["steps"] if s.get("run", "").count("\n") > 1]
        result = _run_step(pull["run"], git_repo, {**env, **_secrets_for(pull)})
        assert result.returncode == 0, result.stdout + result.stderr
    (line,) = (tmp_path / "output.txt").read_text().splitlines()
    file = line.removeprefix("file=")
    assert file.startswith("evals/failures/_intake/") and file.endswith(".yaml")
    assert hand["if"] == "steps.ingest.outputs.file != ''"
    step_env = {**env, "GH_TOKEN": "x", "OWNER": hand["env"]["OWNER"], "file": file}
    result = _run_step(hand["run"], git_repo, step_env)
    assert result.returncode == 0, result.stdout + result.stderr
    args = (tmp_path / "gh.txt").read_text().splitlines()
    assert args[:2] == ["pr", "create"] and args[args.index("--reviewer") + 1] == "acme/agent-team"
    branch = args[args.index("--head") + 1]
    assert branch.startswith("failgate/intake-")
    pushed = git(origin, "ls-tree", "-r", "--name-only", branch).stdout.split()
    assert file in pushed  # the review file travelled with the pull request's branch


def test_a_quiet_week_opens_nothing(git_repo: Path, tmp_path: Path) -> None:
    empty_page = Reply(200, {"data": [], "meta": {"page": 1, "limit": 50, "totalItems": 0, "totalPages": 0}})
    with serve(lambda req: empty_page) as store:
        _, env, workflow = _weekly(tmp_path, git_repo, store.url)
        pull = next(s for s in workflow["jobs"]["intake"]["steps"] if s.get("id") == "ingest")
        result = _run_step(pull["run"], git_repo, {**env, **_secrets_for(pull)})
        assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "output.txt").read_text() == "file=\n"  # the hand-over step's `if` is false


def test_review_as_issue_opens_an_issue_assigned_to_the_owner(git_repo: Path, tmp_path: Path) -> None:
    with serve(FakeLangfuse()) as store:
        _, env, workflow = _weekly(tmp_path, git_repo, store.url, extra='review_as = "issue"\n')
        pull, hand = [s for s in workflow["jobs"]["intake"]["steps"] if s.get("run", "").count("\n") > 1]
        assert _run_step(pull["run"], git_repo, {**env, **_secrets_for(pull)}).returncode == 0
    file = (tmp_path / "output.txt").read_text().strip().removeprefix("file=")
    result = _run_step(hand["run"], git_repo, {**env, "GH_TOKEN": "x", "OWNER": hand["env"]["OWNER"], "file": file})
    assert result.returncode == 0, result.stdout + result.stderr
    args = (tmp_path / "gh.txt").read_text().splitlines()
    assert args[:2] == ["issue", "create"] and args[args.index("--assignee") + 1] == "acme/agent-team"


@pytest.mark.parametrize("bad", ['review_as = "email"\n'])
def test_review_as_is_checked(git_repo: Path, bad: str) -> None:
    (git_repo / "pyproject.toml").write_text(_config(extra=bad))
    env = no_git_env()
    result = subprocess.run(
        [sys.executable, "-m", "failgate", "validate"], cwd=git_repo, env=env, capture_output=True, text=True
    )
    assert result.returncode == 2 and "review_as" in result.stdout + result.stderr


def test_the_ci_workflow_lets_the_action_comment_and_nothing_more(git_repo: Path) -> None:
    (git_repo / "pyproject.toml").write_text(_config())
    assert _init(git_repo).returncode == 0
    workflow = yaml.safe_load((git_repo / ".github/workflows/failgate.yml").read_text())
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write"}
