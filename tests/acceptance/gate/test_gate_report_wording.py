"""The gate's report says what happened once: its header, a case both failing and redefined, a pass shown."""

from __future__ import annotations

from pathlib import Path

import yaml
from conftest import commit_all
from gate_repo import DS, break_cases, failgate, on_a_branch_from_a_green_baseline, setup_consumer

import failgate as package

SOURCE = Path(package.__file__).resolve().parents[2]


def test_a_passing_gate_does_not_announce_failures(git_repo: Path) -> None:
    setup_consumer(git_repo)
    on_a_branch_from_a_green_baseline(git_repo)
    (git_repo / "NOTES.md").write_text("x\n")
    commit_all(git_repo, "docs")
    result = failgate(git_repo, "gate")
    assert result.returncode == 0 and "failgate gate: the failure set at " in result.stdout, result.stdout
    assert "failures at" not in result.stdout


def test_a_case_both_failing_and_redefined_is_counted_once(git_repo: Path) -> None:
    setup_consumer(git_repo)
    on_a_branch_from_a_green_baseline(git_repo)
    break_cases(git_repo, 2)
    cases = git_repo / DS / "cases.yaml"
    cases.write_text(cases.read_text().replace('      - contains: "ok 2"\n', '      - contains: "ok 2."\n'))
    commit_all(git_repo, "break case 2 and tighten its rule")
    result = failgate(git_repo, "gate")
    assert result.returncode == 1, result.stdout
    assert "FAIL: 1 flip(s)" in result.stdout and result.stdout.count("FLIP AGTFAIL-0002") == 1, result.stdout


def test_control_a_redefined_case_alone_is_one_flip(git_repo: Path) -> None:
    setup_consumer(git_repo)
    on_a_branch_from_a_green_baseline(git_repo)
    break_cases(git_repo, 2)
    cases = git_repo / DS / "cases.yaml"
    cases.write_text(cases.read_text().replace('      - contains: "ok 2"\n', '      - contains: "nope"\n'))
    commit_all(git_repo, "break case 2 and loosen its rule to match")
    result = failgate(git_repo, "gate")
    assert result.returncode == 1 and "FAIL: 1 flip(s)" in result.stdout, result.stdout


def test_the_gate_hook_shows_its_report_on_a_pass() -> None:
    hooks = yaml.safe_load((SOURCE / ".pre-commit-hooks.yaml").read_text())
    gate = next(h for h in hooks if h["id"] == "failgate-gate")
    assert gate.get("verbose") is True
