"""The hooks as users get them: the manifest, the tutorial's snippet, and a real try-repo."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import commit_all, no_git_env
from dataset_builder import write_dataset

import failgate

SOURCE = Path(failgate.__file__).resolve().parents[2]
HOOKS = yaml.safe_load((SOURCE / ".pre-commit-hooks.yaml").read_text())


def test_manifest_is_valid_for_pre_commit() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", str(SOURCE / ".pre-commit-hooks.yaml")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("hook", HOOKS, ids=[h["id"] for h in HOOKS])
def test_every_hook_is_documented_and_has_a_command(hook: dict) -> None:
    # the tutorial's .pre-commit-config.yaml snippet is what users copy
    tutorial = (SOURCE / "docs" / "tutorial" / "adopt.md").read_text()
    assert f"- id: {hook['id']}" in tutorial
    program, subcommand = hook["entry"].split()[:2]
    assert program == "failgate"
    from failgate.cli import COMMANDS

    assert subcommand in COMMANDS
    pyproject = (SOURCE / "pyproject.toml").read_text()
    assert re.search(r'^failgate = "failgate\.cli:main"$', pyproject, re.M)
    # Stage names as git names them (pre-commit >= 3.2); `commit`/`push` are deprecated.
    assert not set(hook.get("stages", [])) & {"commit", "push", "merge-commit"}
    if hook.get("stages") and set(hook["stages"]) & {"post-checkout", "post-merge"}:
        assert hook.get("always_run") is True  # post-* hooks see no files


def test_whole_dataset_hooks_take_no_file_names() -> None:
    for hook in HOOKS:
        assert hook.get("pass_filenames") is False, hook["id"]


def test_try_repo_refuses_a_malformed_dataset_at_its_line(git_repo: Path, tmp_path: Path) -> None:
    dataset = write_dataset(git_repo / "evals" / "failures")
    commit_all(git_repo, "dataset")
    cases = dataset / "cases.yaml"
    cases.write_text(cases.read_text().replace("severity: P1", "severity: high", 1))
    subprocess.run(["git", "add", "-A"], cwd=git_repo, env=no_git_env(), check=True)
    env = no_git_env()
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(SOURCE), "failgate-validate"],
        cwd=git_repo,
        env=env,
        capture_output=True,
        text=True,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "evals/failures/cases.yaml:16:15: SCHEMA cases[0].severity: 'high' is not one of" in output
    assert "Traceback" not in output
