"""The three ways a change reaches the protected branch, each as a real run.

- `precommit`: `git push` through the pre-commit framework's pre-push stage
  (`pre-commit install -t pre-push`, a `repo: local` config with the
  manifest's own hook settings);
- `plain`: `git push` through `hooks/pre-push` (core.hooksPath);
- `ci`: what the server does with a pull request: the branch reaches the
  remote (`--no-verify`: the local hooks were skipped), the server merges it
  into main *without* failgate's merge drivers, then the workflow's steps run
  there: validate, check-ledger against the target and the PR head, gate.

`attempt(world, channel, branch)` returns (refused?, output).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from conftest import commit_all, git
from gate_repo import env, record_baseline, setup_consumer
from scenarios import Builder, Scenarios

import failgate

SOURCE = Path(failgate.__file__).resolve().parents[2]
CHANNELS = ("precommit", "plain", "ci")


@dataclasses.dataclass
class World:
    repo: Path
    remote: Path
    tmp: Path
    hooks: Path  # holds a copy of hooks/pre-push
    runs: int = 0


def run(cwd: Path, tmp: Path, *argv: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), cwd=cwd, env=env(tmp, **extra), capture_output=True, text=True)


def _manifest_hook(hook_id: str) -> dict:
    hooks = yaml.safe_load((SOURCE / ".pre-commit-hooks.yaml").read_text())
    hook = {**next(h for h in hooks if h["id"] == hook_id), "language": "system"}
    hook.pop("minimum_pre_commit_version", None)
    return hook


def make_world(
    repo: Path,
    tmp: Path,
    *,
    config: str = 'base_branch = "main"\n',
    push: bool = True,
    numbers: tuple[int, ...] = (1, 2, 3),
) -> World:
    setup_consumer(repo, numbers, config=config)
    record_baseline(repo)
    # verbose: pre-commit hides a passing hook's output, and the controls read what the gate listed.
    hooks = [{**_manifest_hook("failgate-gate"), "verbose": True}, _manifest_hook("failgate-ledger")]
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]}))
    commit_all(repo, "pre-commit config")
    remote = tmp / "remote.git"
    git(tmp, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    installed = run(repo, tmp, sys.executable, "-m", "pre_commit", "install", "-t", "pre-push", "-t", "pre-commit")
    assert installed.returncode == 0, installed.stderr
    plain = tmp / "plain-hooks"
    plain.mkdir()
    shutil.copy2(SOURCE / "hooks" / "pre-push", plain / "pre-push")
    world = World(repo, remote, tmp, plain)
    if push:
        pushed = run(repo, tmp, "git", "push", "-q", "-u", "origin", "main")
        assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    return world


def world_in(tmp: Path) -> World:
    """The World that `make_world(tmp / "repo", tmp, ...)` built, as found on disk."""
    return World(tmp / "repo", tmp / "remote.git", tmp, tmp / "plain-hooks")


def copied_world(
    scenarios: Scenarios, tmp: Path, *, build: Builder | None = None, key: str = "", **options: Any
) -> World:
    """A fresh copy, in `tmp`, of the world `make_world(..., **options)` builds (built once per session).

    `build` (with a `key` naming it) replaces make_world for a scenario that goes further.
    """

    def make(template: Path) -> None:
        (template / "repo").mkdir()
        git(template / "repo", "init", "-q", "-b", "main")
        make_world(template / "repo", template, **options)

    scenario_key = ("gate_channels.world", key, tuple(sorted(options.items())))
    scenarios.copy(scenario_key, build or make, tmp)
    return world_in(tmp)


def _use_plain_hooks(world: World, on: bool) -> None:
    if on:
        git(world.repo, "config", "core.hooksPath", str(world.hooks))
    else:
        git(world.repo, "config", "--unset", "core.hooksPath", check=False)


def push(world: World, channel: str, branch: str, *extra: str) -> subprocess.CompletedProcess[str]:
    _use_plain_hooks(world, channel == "plain")
    try:
        return run(world.repo, world.tmp, "git", "push", *extra, "origin", branch)
    finally:
        _use_plain_hooks(world, False)


def on_remote(world: World, branch: str) -> bool:
    return f"refs/heads/{branch}" in git(world.repo, "ls-remote", "--heads", "origin").stdout


def ci_clone(world: World) -> Path:
    world.runs += 1
    clone = world.tmp / f"ci-{world.runs}"
    git(world.tmp, "clone", "-q", str(world.remote), str(clone))
    return clone


def ci_steps(clone: Path, tmp: Path, steps: list[list[str]], **github: str) -> tuple[bool, str]:
    """The workflow's steps in order, as Actions runs them: the first failing step fails the job."""
    output = []
    for step in steps:
        result = run(clone, tmp, sys.executable, "-m", "failgate", *step, GITHUB_ACTIONS="true", **github)
        output.append(f"$ failgate {' '.join(step)}\n{result.stdout}{result.stderr}")
        if result.returncode != 0:
            return True, "\n".join(output)
    return False, "\n".join(output)


def ci_pull_request(world: World, branch: str) -> tuple[bool, str]:
    forced = push(world, "precommit", branch, "--no-verify", "-f")
    assert forced.returncode == 0, forced.stderr
    clone = ci_clone(world)
    head = git(clone, "rev-parse", f"origin/{branch}").stdout.strip()
    # refs/pull/N/merge: the server's merge, no custom merge drivers there.
    merged = git(clone, "merge", "--no-ff", "--no-edit", f"origin/{branch}", check=False)
    if merged.returncode != 0:
        return True, "the server could not merge: " + merged.stdout + merged.stderr
    steps = [["validate"], ["check-ledger", "--base", "origin/main"], ["check-ledger", "--base", head], ["gate"]]
    return ci_steps(
        clone, world.tmp, steps, GITHUB_EVENT_NAME="pull_request", GITHUB_BASE_REF="main", GITHUB_HEAD_REF=branch
    )


def ci_push_to_main(world: World, before: str) -> tuple[bool, str]:
    """The workflow's push job on main after `before..origin/main` was pushed."""
    clone = ci_clone(world)
    event = world.tmp / f"event-{world.runs}.json"
    event.write_text(json.dumps({"before": before, "after": git(clone, "rev-parse", "HEAD").stdout.strip()}))
    steps: list[list[str]] = [["validate"]]
    if before != "0" * 40 and git(clone, "cat-file", "-e", f"{before}^{{commit}}", check=False).returncode == 0:
        steps.append(["check-ledger", "--base", before])
    steps.append(["gate"])
    return ci_steps(
        clone, world.tmp, steps, GITHUB_EVENT_NAME="push", GITHUB_EVENT_PATH=str(event), GITHUB_REF_NAME="main"
    )


def attempt(world: World, channel: str, branch: str) -> tuple[bool, str]:
    """(refused, output) for getting `branch` to main through `channel`."""
    if channel == "ci":
        return ci_pull_request(world, branch)
    result = push(world, channel, branch)
    refused = result.returncode != 0
    assert refused != on_remote(world, branch), "a refused push must not reach the remote"
    if not refused:  # clean up so the next channel pushes afresh
        run(world.repo, world.tmp, "git", "push", "-q", "--no-verify", "origin", f":{branch}")
    return refused, result.stdout + result.stderr
