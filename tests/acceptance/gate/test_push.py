"""The gate at `git push`: through the real pre-commit pre-push stage, and the plain hooks/pre-push script."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import commit_all, git
from gate_repo import DS, break_cases, cases_text, env, record_baseline, setup_consumer

import failgate

SOURCE = Path(failgate.__file__).resolve().parents[2]  # the checkout holding .pre-commit-hooks.yaml and hooks/


def manifest_hook(hook_id: str) -> dict:
    hooks = yaml.safe_load((SOURCE / ".pre-commit-hooks.yaml").read_text())
    return next(h for h in hooks if h["id"] == hook_id)


def run(cwd: Path, tmp: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), cwd=cwd, env=env(tmp), capture_output=True, text=True)


@pytest.fixture
def pushed(git_repo: Path, tmp_path: Path, scenarios: Any) -> Path:
    """A consumer with a green baseline on main, pushed to a local bare remote."""
    scenarios.copy("test_gate_push.pushed", build_pushed, tmp_path)
    return git_repo


@pytest.fixture
def with_precommit(git_repo: Path, tmp_path: Path, scenarios: Any) -> Path:
    """`pushed`, then the gate hook in .pre-commit-config.yaml, committed, pushed and installed."""
    scenarios.copy("test_gate_push.with_precommit", build_with_precommit, tmp_path)
    return git_repo


def build_pushed(tmp: Path) -> Path:
    repo = tmp / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    setup_consumer(repo)
    record_baseline(repo)
    remote = tmp / "remote.git"
    git(tmp, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "-u", "origin", "main")
    return repo


def build_with_precommit(tmp: Path) -> None:
    pushed = build_pushed(tmp)
    # `repo: local` with the manifest's own settings (language: system: no venv build, same failgate).
    hook = {**manifest_hook("failgate-gate"), "language": "system"}
    hook.pop("minimum_pre_commit_version", None)
    (pushed / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{"repo": "local", "hooks": [hook]}]}))
    commit_all(pushed, "pre-commit config")
    git(pushed, "push", "-q", "origin", "main")
    installed = run(pushed, tmp, sys.executable, "-m", "pre_commit", "install", "-t", "pre-push")
    assert installed.returncode == 0, installed.stderr


def test_manifest_declares_the_gate_hook() -> None:
    hook = manifest_hook("failgate-gate")
    assert hook["entry"] == "failgate gate" and hook["stages"][0] == "pre-push"
    assert hook["pass_filenames"] is False and hook["always_run"] is True and hook["require_serial"] is True


def test_push_of_a_deprecation_dodge_is_refused(with_precommit: Path, tmp_path: Path) -> None:
    repo = with_precommit
    git(repo, "checkout", "-q", "-b", "feature")
    break_cases(repo, 2)
    (repo / DS / "cases.yaml").write_text(cases_text((1, 2, 3), **{"AGTFAIL-0002": {"status": "deprecated"}}))
    commit_all(repo, "faster refunds (and retire that flaky case)")
    refused = run(repo, tmp_path, "git", "push", "-u", "origin", "feature")
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "FLIP AGTFAIL-0002" in output and "deprecated in the range" in output
    assert "pre-push: judging the pushed commit" in output and "PRE_COMMIT_TO_REF" in output
    assert "feature" not in git(repo, "ls-remote", "--heads", "origin").stdout


def test_push_of_a_green_new_branch_is_accepted(with_precommit: Path, tmp_path: Path) -> None:
    repo = with_precommit
    git(repo, "checkout", "-q", "-b", "docs")
    (repo / "NOTES.md").write_text("notes\n")
    commit_all(repo, "notes")
    accepted = run(repo, tmp_path, "git", "push", "-u", "origin", "docs")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "refs/heads/docs" in git(repo, "ls-remote", "--heads", "origin").stdout


def test_a_staged_fix_does_not_hide_the_pushed_commit(with_precommit: Path, tmp_path: Path) -> None:
    # pre-commit's pre-push run leaves staged changes in place: the gate must judge the commit.
    repo = with_precommit
    git(repo, "checkout", "-q", "-b", "feature")
    break_cases(repo, 1)
    commit_all(repo, "break 1")
    break_cases(repo)
    git(repo, "add", "behavior.json")
    refused = run(repo, tmp_path, "git", "push", "-u", "origin", "feature")
    assert refused.returncode != 0 and "FLIP AGTFAIL-0001" in refused.stdout + refused.stderr


def test_all_files_run_has_no_refs_and_says_so(with_precommit: Path, tmp_path: Path) -> None:
    result = run(
        with_precommit,
        tmp_path,
        sys.executable,
        "-m",
        "pre_commit",
        "run",
        "--hook-stage",
        "pre-push",
        "--all-files",
        "--verbose",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PRE_COMMIT_TO_REF is not set" in result.stdout and "against the configured base" in result.stdout


@pytest.fixture
def plain_hooks(pushed: Path, tmp_path: Path) -> Path:
    hooks = tmp_path / "hooks"  # outside the work tree: branch switches must not take it away
    hooks.mkdir()
    shutil.copy2(SOURCE / "hooks" / "pre-push", hooks / "pre-push")
    git(pushed, "config", "core.hooksPath", str(hooks))
    return pushed


def test_plain_hook_judges_every_pushed_ref(plain_hooks: Path, tmp_path: Path) -> None:
    repo = plain_hooks
    git(repo, "checkout", "-q", "-b", "good")
    (repo / "NOTES.md").write_text("notes\n")
    commit_all(repo, "notes")
    git(repo, "checkout", "-q", "-b", "bad", "main")
    break_cases(repo, 3)
    commit_all(repo, "break 3")
    refused = run(repo, tmp_path, "git", "push", "origin", "good", "bad")
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0
    assert "refs/heads/good -> refs/heads/good" in output and "refs/heads/bad -> refs/heads/bad" in output
    assert "FLIP AGTFAIL-0003" in output
    assert "refs/heads/good" not in git(repo, "ls-remote", "--heads", "origin").stdout  # a push is all or nothing

    accepted = run(repo, tmp_path, "git", "push", "origin", "good")  # a new branch, green
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr


def test_plain_hook_lets_a_branch_deletion_through(plain_hooks: Path, tmp_path: Path) -> None:
    repo = plain_hooks
    git(repo, "checkout", "-q", "-b", "tmp")
    commit_all(repo, "empty")
    assert run(repo, tmp_path, "git", "push", "origin", "tmp").returncode == 0
    deleted = run(repo, tmp_path, "git", "push", "origin", ":tmp")
    assert deleted.returncode == 0, deleted.stdout + deleted.stderr
    assert "refs/heads/tmp is being deleted; nothing to judge" in deleted.stderr
