"""The failgate-ledger hook run by the real pre-commit framework."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import commit_all, git, no_git_env
from ledger_data import cases_text, write_dataset

import failgate

DS = "evals/failures"
SOURCE = Path(failgate.__file__).resolve().parents[2]  # the checkout holding .pre-commit-hooks.yaml


def manifest_hook(hook_id: str) -> dict:
    hooks = yaml.safe_load((SOURCE / ".pre-commit-hooks.yaml").read_text())
    return next(h for h in hooks if h["id"] == hook_id)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = no_git_env()
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.pop("GITHUB_ACTIONS", None)
    return env


def run(cwd: Path, env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, text=True)


@pytest.fixture
def consumer(git_repo: Path) -> Path:
    write_dataset(git_repo / DS)
    commit_all(git_repo, "dataset")
    return git_repo


def test_manifest_declares_the_ledger_hook() -> None:
    hook = manifest_hook("failgate-ledger")
    assert hook["entry"] == "failgate check-ledger" and hook["pass_filenames"] is False
    assert "pre-commit" in hook["stages"] and hook["always_run"] is True


def test_installed_hook_refuses_a_silent_drop_and_accepts_remove(consumer: Path, env: dict[str, str]) -> None:
    # `repo: local` with the manifest's own settings (language: system, so no
    # venv is built): the framework's file filtering and staging are real.
    hook = {**manifest_hook("failgate-ledger"), "language": "system"}
    hook.pop("minimum_pre_commit_version", None)
    (consumer / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{"repo": "local", "hooks": [hook]}]}))
    commit_all(consumer, "pre-commit config")
    installed = run(consumer, env, sys.executable, "-m", "pre_commit", "install")
    assert installed.returncode == 0, installed.stderr

    # Deleting cases.yaml stages no file the `files` filter sees: only
    # always_run makes the hook run for the commit it exists to stop.
    git(consumer, "rm", "-q", f"{DS}/cases.yaml")
    refused = run(consumer, env, "git", "commit", "-m", "drop the dataset")
    # git hands a hook's output to stderr
    assert refused.returncode != 0 and refused.stderr.count("VANISHED") == 3, refused.stdout + refused.stderr
    git(consumer, "reset", "-q", "--hard")

    (consumer / DS / "cases.yaml").write_text(cases_text(1, 3))
    refused = run(consumer, env, "git", "commit", "-am", "silently drop AGTFAIL-0002")
    assert refused.returncode != 0 and "VANISHED AGTFAIL-0002" in refused.stderr, refused.stderr
    git(consumer, "checkout", "-q", "--", DS)

    removed = run(consumer, env, "failgate", "remove", "AGTFAIL-0002", "--reason", "duplicate", "--by", "dana")
    assert removed.returncode == 0, removed.stderr
    git(consumer, "add", f"{DS}/cases.yaml", f"{DS}/cases_removed.yaml", f"{DS}/history.jsonl")
    accepted = run(consumer, env, "git", "commit", "-m", "remove AGTFAIL-0002 on the record")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "failgate check-ledger" in accepted.stderr and "Passed" in accepted.stderr, accepted.stderr


def test_try_repo_runs_the_published_hook(consumer: Path, env: dict[str, str]) -> None:
    # The hook exactly as users get it: pre-commit builds failgate into its own
    # virtualenv from this checkout (slow, so only this one test does it).
    git(consumer, "rm", "-q", f"{DS}/cases.yaml")
    result = run(consumer, env, sys.executable, "-m", "pre_commit", "try-repo", str(SOURCE), "failgate-ledger")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "VANISHED AGTFAIL-0001" in output and "Failed" in output
