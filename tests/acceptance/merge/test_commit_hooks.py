"""A clean automatic merge still runs the hooks: pre-commit's pre-merge-commit stage.

Each side can be valid on its own and the merge not: one branch promotes
AGTFAIL-0004 and removes it again, the other promotes a different case under
the same id. Every file merges cleanly, so only a hook on the merge commit
can see that a removed id is back.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml
from conftest import commit_all, git, no_git_env
from ledger_data import case_block, event, write_dataset

from acceptance.hooks.test_ledger_precommit import manifest_hook

DS = "evals/failures"


def run(cwd: Path, env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, text=True)


def test_merge_that_brings_back_a_removed_id_is_refused(git_repo: Path, tmp_path: Path) -> None:
    env = no_git_env()
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    assert run(git_repo, env, "failgate", "init").returncode == 0
    write_dataset(git_repo / DS)
    hooks = [{**manifest_hook(h), "language": "system"} for h in ("failgate-validate", "failgate-ledger")]
    for hook in hooks:
        hook.pop("minimum_pre_commit_version", None)
        assert "pre-merge-commit" in hook["stages"]
    (git_repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]}))
    commit_all(git_repo, "dataset")
    installed = run(git_repo, env, sys.executable, "-m", "pre_commit", "install", "--hook-type", "pre-merge-commit")
    assert installed.returncode == 0, installed.stderr

    cases, history = git_repo / DS / "cases.yaml", git_repo / DS / "history.jsonl"
    git(git_repo, "checkout", "-q", "-b", "promote-and-remove")
    cases.write_text(cases.read_text() + "\n" + case_block(4, title="Voucher applied twice"))
    with history.open("a") as handle:
        handle.write(event("01J0000000000000000000040A", "AGTFAIL-0004"))
    removed = run(git_repo, env, "failgate", "remove", "AGTFAIL-0004", "--reason", "duplicate", "--by", "dana")
    assert removed.returncode == 0, removed.stderr
    commit_all(git_repo, "promote AGTFAIL-0004, then remove it as a duplicate")

    git(git_repo, "checkout", "-q", "main")
    git(git_repo, "checkout", "-q", "-b", "other-promotion")
    cases.write_text(cases.read_text() + "\n" + case_block(4, title="Quoted next-day delivery to the Highlands"))
    with history.open("a") as handle:
        handle.write(event("01J0000000000000000000040B", "AGTFAIL-0004"))
    commit_all(git_repo, "promote a different case as AGTFAIL-0004")

    git(git_repo, "checkout", "-q", "main")
    git(git_repo, "merge", "-q", "other-promotion")  # fast-forward: no merge commit, no hook
    merged = run(git_repo, env, "git", "merge", "--no-edit", "promote-and-remove")
    output = merged.stdout + merged.stderr
    assert merged.returncode != 0, output
    assert "ID_REUSED" in output and "AGTFAIL-0004" in output, output
    assert (git_repo / ".git" / "MERGE_HEAD").exists()  # left for the user to fix and commit
