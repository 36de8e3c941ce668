"""The merge drivers in real repositories: every place git merges (docs/explanation/merge-drivers.md)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import commit_all, git, no_git_env

from failgate.merge import DRIVER_COMMAND, gitattributes_lines

DATA = "evals/failures"
HISTORY = f"{DATA}/history.jsonl"
LEDGER = f"{DATA}/cases_removed.yaml"
REPO_ROOT = Path(__file__).resolve().parents[3]


def ev(ident: str, ts: str) -> str:
    return json.dumps({"id": ident, "ts": ts, "case_id": "AGTFAIL-0001", "type": "result", "outcome": "pass"}) + "\n"


BASE_HISTORY = ev("b1", "2026-01-01T00:00:00Z") + ev("b2", "2026-01-02T00:00:00Z")
BASE_LEDGER = """\
# Deletion ledger: append-only, written by `failgate remove`.
schema_version: 1
removed:
  - id: AGTFAIL-0001
    removed_at: '2026-01-05'
    removed_by: dana
    reason: duplicate of AGTFAIL-0002
    case:
      id: AGTFAIL-0001
      title: refund issued twice
"""


def ledger_entry(number: int, when: str) -> str:
    return (
        f"  - id: AGTFAIL-{number:04d}\n    removed_at: '{when}'\n    removed_by: sam\n"
        f"    reason: flaky upstream\n    case:\n      id: AGTFAIL-{number:04d}\n      title: case {number}\n"
    )


def ids(text: str) -> list[str]:
    return [json.loads(line)["id"] for line in text.splitlines() if line.strip()]


@pytest.fixture
def failgate_on_path(monkeypatch: pytest.MonkeyPatch) -> Path:
    """The `failgate` of this checkout first on PATH (it is installed editable)."""
    bindir = Path(sys.executable).parent
    assert (bindir / "failgate").exists(), "pip install -e . first"
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    return bindir


def install(repo: Path) -> None:
    subprocess.run(["failgate", "install", "--quiet"], cwd=repo, check=True, env=no_git_env())


def append(repo: Path, rel: str, text: str, message: str) -> str:
    with (repo / rel).open("a", encoding="utf-8") as handle:
        handle.write(text)
    return commit_all(repo, message)


def show(repo: Path, rev: str, rel: str = HISTORY) -> str:
    return git(repo, "show", f"{rev}:{rel}").stdout


@pytest.fixture
def repo(git_repo: Path, failgate_on_path: Path, scenarios: Any) -> Path:
    """Built once per session (build_installed_repo), a fresh copy per test."""
    scenarios.copy("test_merge_git.repo", build_installed_repo, git_repo.parent)
    return git_repo


def build_installed_repo(template: Path) -> None:
    repo = template / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / ".gitattributes").write_text("\n".join(gitattributes_lines(DATA)) + "\n")
    (repo / DATA).mkdir(parents=True)
    (repo / HISTORY).write_text(BASE_HISTORY)
    (repo / LEDGER).write_text(BASE_LEDGER)
    install(repo)
    commit_all(repo, "base")


def diverge(repo: Path) -> None:
    """main and feature each record results after the base."""
    git(repo, "checkout", "-q", "-b", "feature")
    append(repo, HISTORY, ev("f1", "2026-02-01T00:00:00Z"), "f1")
    append(repo, HISTORY, ev("f2", "2026-02-03T00:00:00Z"), "f2")
    git(repo, "checkout", "-q", "main")
    append(repo, HISTORY, ev("m1", "2026-02-02T00:00:00Z"), "m1")


def test_install_registers_the_drivers(repo: Path) -> None:
    assert git(repo, "config", "merge.failgate-history.driver").stdout.strip() == DRIVER_COMMAND
    assert git(repo, "config", "merge.failgate-ledger.recursive").stdout.strip() == "binary"
    assert git(repo, "check-attr", "merge", "--", HISTORY).stdout.strip().endswith("failgate-history")
    assert git(repo, "check-attr", "eol", "--", LEDGER).stdout.strip().endswith("lf")


def test_git_merge_is_clean_and_the_same_in_both_directions(repo: Path) -> None:
    diverge(repo)
    git(repo, "checkout", "-q", "-b", "into-main", "main")
    git(repo, "merge", "-q", "--no-edit", "feature")
    git(repo, "checkout", "-q", "-b", "into-feature", "feature")
    git(repo, "merge", "-q", "--no-edit", "main")
    merged = show(repo, "into-main")
    assert ids(merged) == ["b1", "b2", "f1", "m1", "f2"]
    assert show(repo, "into-feature") == merged  # byte-identical whichever side is "ours"


def test_a_later_merge_after_an_earlier_merge_is_clean(repo: Path) -> None:
    diverge(repo)
    git(repo, "merge", "-q", "--no-edit", "feature")  # main now interleaves f1, m1, f2
    git(repo, "checkout", "-q", "feature")
    append(repo, HISTORY, ev("f3", "2026-01-15T00:00:00Z"), "f3 (an old timestamp)")
    git(repo, "checkout", "-q", "main")
    append(repo, HISTORY, ev("m2", "2026-03-01T00:00:00Z"), "m2")
    # merge-base is feature's f2 commit, whose file is not a byte prefix of main's.
    git(repo, "merge", "-q", "--no-edit", "feature")
    assert ids((repo / HISTORY).read_text()) == ["b1", "b2", "f1", "m1", "f2", "f3", "m2"]


def test_tampering_on_a_branch_is_a_conflict_with_an_explanation(repo: Path) -> None:
    diverge(repo)
    git(repo, "checkout", "-q", "feature")
    text = (repo / HISTORY).read_text().replace('"outcome": "pass"', '"outcome": "fail"', 1)
    (repo / HISTORY).write_text(text)
    commit_all(repo, "rewrite history")
    git(repo, "checkout", "-q", "main")
    result = git(repo, "merge", "--no-edit", "feature", check=False)
    assert result.returncode == 1
    assert "event b1 (base line 1) was edited in theirs" in result.stderr
    assert git(repo, "ls-files", "-u", "--", HISTORY).stdout.count(HISTORY) == 3
    assert "<<<<<<< ours" in (repo / HISTORY).read_text()


@pytest.mark.parametrize("backend", ["--merge", "--apply"])
def test_rebase_replays_appends_cleanly(repo: Path, backend: str) -> None:
    diverge(repo)
    git(repo, "checkout", "-q", "feature")
    git(repo, "rebase", "-q", backend, "main")
    # Same file as a merge would give: each replayed commit is merged by (ts, id).
    assert ids((repo / HISTORY).read_text()) == ["b1", "b2", "f1", "m1", "f2"]
    assert git(repo, "status", "--porcelain").stdout == ""


def test_cherry_pick_then_merge_keeps_the_event_once(repo: Path) -> None:
    diverge(repo)
    first = git(repo, "rev-parse", "feature~1").stdout.strip()  # adds f1 on top of the base
    git(repo, "cherry-pick", first)
    assert ids((repo / HISTORY).read_text()) == ["b1", "b2", "f1", "m1"]
    git(repo, "merge", "-q", "--no-edit", "feature")
    assert ids((repo / HISTORY).read_text()) == ["b1", "b2", "f1", "m1", "f2"]


def test_revert_of_an_append_is_refused(repo: Path) -> None:
    diverge(repo)
    append(repo, HISTORY, ev("m2", "2026-03-01T00:00:00Z"), "m2")
    result = git(repo, "revert", "--no-edit", "HEAD~1", check=False)  # would delete m1
    assert result.returncode != 0
    assert "event m1" in result.stderr and "deleted" in result.stderr


def test_stash_pop_merges_an_uncommitted_append(repo: Path) -> None:
    with (repo / HISTORY).open("a") as handle:
        handle.write(ev("local", "2026-02-05T00:00:00Z"))
    git(repo, "stash", "-q")
    append(repo, HISTORY, ev("m1", "2026-02-02T00:00:00Z"), "m1")
    git(repo, "stash", "pop", "-q")
    assert ids((repo / HISTORY).read_text()) == ["b1", "b2", "m1", "local"]


def test_merge_tree_write_tree_runs_the_driver(repo: Path) -> None:
    diverge(repo)
    result = git(repo, "merge-tree", "--write-tree", "main", "feature")
    tree = result.stdout.split()[0]
    assert ids(git(repo, "cat-file", "-p", f"{tree}:{HISTORY}").stdout) == ["b1", "b2", "f1", "m1", "f2"]


def test_pull_between_two_clones(repo: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(remote))
    alice, bob = tmp_path / "alice", tmp_path / "bob"
    for clone in (alice, bob):
        git(tmp_path, "clone", "-q", str(remote), str(clone))
        install(clone)  # a fresh clone has no driver config until this (or the hook) runs
    append(alice, HISTORY, ev("alice", "2026-02-01T00:00:00Z"), "alice records")
    git(alice, "push", "-q", "origin", "main")
    append(bob, HISTORY, ev("bob", "2026-02-02T00:00:00Z"), "bob records")
    git(bob, "pull", "-q", "--no-rebase", "--no-edit", "origin", "main")
    assert ids((bob / HISTORY).read_text()) == ["b1", "b2", "alice", "bob"]
    append(alice, HISTORY, ev("alice2", "2026-02-03T00:00:00Z"), "alice again")
    git(alice, "pull", "-q", "--rebase", "origin", "main")
    assert ids((alice / HISTORY).read_text()) == ["b1", "b2", "alice", "alice2"]


def test_fresh_clone_without_install_falls_back_to_a_visible_conflict(repo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    git(clone, "checkout", "-q", "-b", "feature")
    append(clone, HISTORY, ev("f1", "2026-02-01T00:00:00Z"), "f1")
    git(clone, "checkout", "-q", "main")
    append(clone, HISTORY, ev("m1", "2026-02-02T00:00:00Z"), "m1")
    result = git(clone, "merge", "--no-edit", "feature", check=False)
    assert result.returncode == 1  # a text merge: conflict markers, nothing silently merged
    assert "<<<<<<<" in (clone / HISTORY).read_text()


def test_failgate_missing_from_path_is_a_conflict_not_a_failure(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    diverge(repo)
    git_dir = str(Path(shutil.which("git") or "/usr/bin/git").parent)
    monkeypatch.setenv("PATH", f"{git_dir}{os.pathsep}/bin")
    assert shutil.which("failgate") is None
    result = git(repo, "merge", "--no-edit", "feature", check=False)
    assert result.returncode == 1
    assert "CONFLICT" in result.stdout
    assert "failgate: not on PATH, so its merge driver could not run" in result.stdout + result.stderr
    # Not a silent "ours": both sides in the work tree between markers, theirs in stage 3.
    text = (repo / HISTORY).read_text()
    assert "<<<<<<< ours" in text and all(f'"{i}"' in text for i in ("b1", "b2", "m1", "f1", "f2"))
    assert ids(git(repo, "show", f":3:{HISTORY}").stdout) == ["b1", "b2", "f1", "f2"]


@pytest.mark.parametrize("recursive", ["binary", None])
def test_criss_cross_merge_is_clean(repo: Path, recursive: str | None) -> None:
    # `binary` (what install writes) makes the virtual ancestor the merge-bases'
    # own ancestor; without it our driver builds the virtual ancestor itself.
    # Both must be clean: the append-only rule compares by id, not by prefix.
    if recursive is None:
        git(repo, "config", "--unset", "merge.failgate-history.recursive")
    git(repo, "branch", "b")
    append(repo, HISTORY, ev("a1", "2026-02-01T00:00:00Z"), "a1")  # on main
    git(repo, "checkout", "-q", "b")
    append(repo, HISTORY, ev("b1x", "2026-02-02T00:00:00Z"), "b1x")
    b1 = git(repo, "rev-parse", "HEAD").stdout.strip()
    git(repo, "merge", "-q", "--no-edit", "main~0")  # b merges a1
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-edit", b1)  # main merges b1x: criss-cross
    append(repo, HISTORY, ev("a2", "2026-03-01T00:00:00Z"), "a2")
    git(repo, "checkout", "-q", "b")
    append(repo, HISTORY, ev("b2x", "2026-03-02T00:00:00Z"), "b2x")
    git(repo, "checkout", "-q", "main")
    assert len(git(repo, "merge-base", "--all", "main", "b").stdout.split()) == 2
    result = git(repo, "merge", "--no-edit", "b", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert ids((repo / HISTORY).read_text()) == ["b1", "b2", "a1", "b1x", "a2", "b2x"]


def test_concurrent_removals_merge_in_the_ledger(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    append(repo, LEDGER, ledger_entry(7, "2026-02-02"), "remove 7")
    git(repo, "checkout", "-q", "main")
    append(repo, LEDGER, ledger_entry(5, "2026-02-01"), "remove 5")
    git(repo, "merge", "-q", "--no-edit", "feature")
    assert (repo / LEDGER).read_text() == BASE_LEDGER + ledger_entry(5, "2026-02-01") + ledger_entry(7, "2026-02-02")


def test_ledger_edit_of_an_old_entry_conflicts(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / LEDGER).write_text(BASE_LEDGER.replace("duplicate of", "dup of"))
    commit_all(repo, "edit an old entry")
    git(repo, "checkout", "-q", "main")
    append(repo, LEDGER, ledger_entry(5, "2026-02-01"), "remove 5")
    result = git(repo, "merge", "--no-edit", "feature", check=False)
    assert result.returncode == 1
    assert "entry AGTFAIL-0001" in result.stderr and "edited in theirs" in result.stderr


def test_paths_with_spaces(git_repo: Path, failgate_on_path: Path) -> None:
    data = 'my evals/odd "dir"'
    (git_repo / ".gitattributes").write_text("\n".join(gitattributes_lines(data)) + "\n")
    (git_repo / data).mkdir(parents=True)
    path = f"{data}/history.jsonl"
    (git_repo / path).write_text(BASE_HISTORY)
    install(git_repo)
    commit_all(git_repo, "base")
    git(git_repo, "checkout", "-q", "-b", "feature")
    append(git_repo, path, ev("f1", "2026-02-01T00:00:00Z"), "f1")
    git(git_repo, "checkout", "-q", "main")
    append(git_repo, path, ev("m1", "2026-02-02T00:00:00Z"), "m1")
    result = git(git_repo, "merge", "--no-edit", "feature", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert ids((git_repo / path).read_text()) == ["b1", "b2", "f1", "m1"]


def test_hook_scripts_register_the_drivers(git_repo: Path, failgate_on_path: Path) -> None:
    for hook in ("post-checkout", "post-merge"):
        git(git_repo, "config", "--unset-all", "merge.failgate-history.driver", check=False)
        result = subprocess.run(
            ["sh", str(REPO_ROOT / "hooks" / hook)], cwd=git_repo, env=no_git_env(), capture_output=True, text=True
        )
        assert result.returncode == 0 and result.stdout == "" and result.stderr == ""
        assert git(git_repo, "config", "merge.failgate-history.driver").stdout.strip().startswith("failgate")


def test_install_is_idempotent_and_says_so(git_repo: Path, failgate_on_path: Path) -> None:
    first = subprocess.run(["failgate", "install"], cwd=git_repo, env=no_git_env(), capture_output=True, text=True)
    second = subprocess.run(["failgate", "install"], cwd=git_repo, env=no_git_env(), capture_output=True, text=True)
    assert first.returncode == second.returncode == 0
    assert "registered" in first.stdout and "already registered" in second.stdout
    assert ".gitattributes does not route" in second.stderr


def test_install_outside_a_repository_is_a_usage_error(tmp_path: Path, failgate_on_path: Path) -> None:
    outside = tmp_path / "not-a-repo"
    outside.mkdir()
    result = subprocess.run(["failgate", "install"], cwd=outside, env=no_git_env(), capture_output=True, text=True)
    assert result.returncode == 2 and "not inside a git work tree" in result.stderr
    assert "Traceback" not in result.stderr


def test_pre_commit_manifest_declares_the_install_hook() -> None:
    import yaml

    hooks = {h["id"]: h for h in yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text())}
    hook = hooks["failgate-install"]
    assert hook["entry"] == "failgate install --quiet"
    assert set(hook["stages"]) == {"post-checkout", "post-merge"}
    assert hook["always_run"] is True and hook["pass_filenames"] is False


# -- replays: cherry-pick, rebase -i; the log is order-free ---------------------------


def test_cherry_pick_whose_parent_also_appended_is_clean(repo: Path) -> None:
    diverge(repo)  # feature: f1 then f2; main: m1
    result = git(repo, "cherry-pick", "feature", check=False)  # f2 only; its parent added f1
    assert result.returncode == 0, result.stdout + result.stderr
    assert ids(show(repo, "HEAD")) == ["b1", "b2", "m1", "f2"]


def test_rebase_i_that_reorders_appending_commits_is_clean(repo: Path) -> None:
    diverge(repo)
    git(repo, "checkout", "-q", "feature")
    swap = "sed -i '1{h;d};2{G}'"  # pick f2, then f1
    result = subprocess.run(
        ["git", "-c", f"sequence.editor={swap}", "rebase", "-i", "HEAD~2"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=no_git_env(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(ids(show(repo, "HEAD"))) == ["b1", "b2", "f1", "f2"]
    assert git(repo, "log", "--format=%s", "-2").stdout.split() == ["f1", "f2"]


def test_control_a_merge_whose_side_deleted_an_event_still_conflicts(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    append(repo, HISTORY, ev("f1", "2026-02-01T00:00:00Z"), "f1")
    git(repo, "checkout", "-q", "main")
    (repo / HISTORY).write_text(ev("b1", "2026-01-01T00:00:00Z") + ev("m1", "2026-02-02T00:00:00Z"))  # b2 gone
    commit_all(repo, "drop b2")
    result = git(repo, "merge", "--no-edit", "feature", check=False)
    assert result.returncode == 1 and "event b2" in result.stderr and "deleted" in result.stderr


def test_control_reverting_an_append_still_conflicts(repo: Path) -> None:
    diverge(repo)
    git(repo, "checkout", "-q", "feature")
    result = git(repo, "revert", "--no-edit", "HEAD~1", check=False)  # f1, with f2 after it
    assert result.returncode == 1, result.stdout + result.stderr
