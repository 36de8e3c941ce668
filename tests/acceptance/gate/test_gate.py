"""`failgate gate` in real repositories: flips, the three dodges, worktrees, bases, modes, sets, formats."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from conftest import commit_all, git
from gate_repo import (
    DS,
    break_cases,
    case_block,
    cases_text,
    copied_consumer,
    failgate,
    on_a_branch_from_a_green_baseline,
    record_baseline,
    setup_consumer,
)


@pytest.fixture
def consumer(git_repo: Path, scenarios: Any) -> Path:
    """main: three cases, a green baseline recorded and committed; checked out on branch `feature`."""
    return copied_consumer(scenarios, git_repo, baseline="branch")


def out(result: object) -> str:
    return result.stdout + result.stderr  # type: ignore[attr-defined]


def test_green_branch_passes(consumer: Path) -> None:
    (consumer / "README.md").write_text("unrelated\n")
    commit_all(consumer, "docs")
    result = failgate(consumer, "gate")
    assert result.returncode == 0, out(result)
    assert "PASS: all 3 gating case(s) pass, no flips" in result.stdout


def test_a_flip_on_an_active_case_blocks_and_is_named(consumer: Path) -> None:
    break_cases(consumer, 2)
    commit_all(consumer, "agent change")
    result = failgate(consumer, "gate")
    assert result.returncode == 1, out(result)
    text = result.stdout
    assert "FLIP AGTFAIL-0002" in text and "hallucination, P1, customer_visible" in text
    merge_base = git(consumer, "merge-base", "HEAD", "main").stdout.strip()
    head = git(consumer, "rev-parse", "HEAD").stdout.strip()
    assert f"{merge_base[:10]}..{head[:10]}" in text
    # matrix first, then flips, then the verdict
    assert text.index("failure mode") < text.index("FLIP") < text.index("FAIL: 1 flip(s)")


def test_a_case_failing_since_before_is_an_other_failure(git_repo: Path) -> None:
    setup_consumer(git_repo)
    break_cases(git_repo, 3)
    commit_all(git_repo, "3 never fixed")
    record_baseline(git_repo, expect=1)
    git(git_repo, "checkout", "-q", "-b", "feature")
    result = failgate(git_repo, "gate")
    assert result.returncode == 1
    assert "Other failures (1)" in result.stdout and "FAIL AGTFAIL-0003" in result.stdout
    assert "FLIP" not in result.stdout


def test_dodge_by_deprecation_is_still_a_flip(consumer: Path) -> None:
    break_cases(consumer, 2)
    cases = consumer / DS / "cases.yaml"
    cases.write_text(cases_text((1, 2, 3), **{"AGTFAIL-0002": {"status": "deprecated"}}))
    commit_all(consumer, "break 2, and deprecate it")
    result = failgate(consumer, "gate")
    assert result.returncode == 1, out(result)
    assert "FLIP AGTFAIL-0002" in result.stdout
    assert "deprecated in the range; run from its baseline definition" in result.stdout
    # the matrix counts what is active now: the deprecated case is no longer in it
    assert "total                     2       2       0" in result.stdout


def test_dodge_by_watchlist_is_still_a_flip(consumer: Path) -> None:
    break_cases(consumer, 2)
    (consumer / DS / "cases.yaml").write_text(cases_text((1, 3)))
    (consumer / DS / "watchlist.yaml").write_text("schema_version: 1\ncases:\n" + case_block(2))
    commit_all(consumer, "move 2 to the watchlist")
    result = failgate(consumer, "gate")
    assert result.returncode == 1, out(result)
    assert "FLIP AGTFAIL-0002" in result.stdout and "moved to watchlist.yaml in the range" in result.stdout


def test_dodge_by_removal_is_still_a_flip(consumer: Path) -> None:
    removed = failgate(consumer, "remove", "AGTFAIL-0002", "--reason", "obsolete", "--by", "dana")
    assert removed.returncode == 0, out(removed)
    break_cases(consumer, 2)
    commit_all(consumer, "remove 2 on the record, and break it")
    result = failgate(consumer, "gate")
    assert result.returncode == 1, out(result)
    assert "FLIP AGTFAIL-0002" in result.stdout and "removed in the range" in result.stdout


def test_retiring_a_case_that_still_passes_is_fine(consumer: Path) -> None:
    (consumer / DS / "cases.yaml").write_text(cases_text((1, 2, 3), **{"AGTFAIL-0002": {"status": "deprecated"}}))
    commit_all(consumer, "deprecate 2")
    result = failgate(consumer, "gate")
    assert result.returncode == 0, out(result)


def test_retired_case_with_a_removed_fixture_runs_from_the_base_fixture(git_repo: Path) -> None:
    setup_consumer(git_repo, (1, 2))
    (git_repo / DS / "fixtures").mkdir()
    (git_repo / DS / "fixtures" / "two.json").write_text("{}\n")
    (git_repo / DS / "cases.yaml").write_text(cases_text((1, 2), **{"AGTFAIL-0002": {"fixture": "fixtures/two.json"}}))
    commit_all(git_repo, "fixture")
    on_a_branch_from_a_green_baseline(git_repo)
    assert failgate(git_repo, "remove", "AGTFAIL-0002", "--reason", "gone", "--by", "dana").returncode == 0
    git(git_repo, "rm", "-q", f"{DS}/fixtures/two.json")
    commit_all(git_repo, "remove 2 and its fixture")
    result = failgate(git_repo, "gate")
    assert result.returncode == 0, out(result)


def test_uncommitted_edits_neither_hide_nor_cause_a_failure(consumer: Path) -> None:
    break_cases(consumer, 1)  # uncommitted: the commit under test is green
    result = failgate(consumer, "gate")
    assert result.returncode == 0, out(result)
    assert "the work tree differs from" in result.stdout and "temporary worktree" in result.stdout
    commit_all(consumer, "break 1")
    break_cases(consumer)  # an uncommitted fix does not hide the committed break
    git(consumer, "add", "behavior.json")  # not even when staged
    result = failgate(consumer, "gate")
    assert result.returncode == 1 and "FLIP AGTFAIL-0001" in result.stdout
    worktrees = git(consumer, "worktree", "list").stdout.strip().splitlines()
    assert len(worktrees) == 1, worktrees  # the temporary worktree was removed


def test_rev_judges_another_commit(consumer: Path) -> None:
    break_cases(consumer, 3)
    broken = commit_all(consumer, "break 3")
    break_cases(consumer)
    commit_all(consumer, "fix 3")
    assert failgate(consumer, "gate").returncode == 0
    result = failgate(consumer, "gate", "--rev", broken)
    assert result.returncode == 1 and "FLIP AGTFAIL-0003" in result.stdout
    assert "is not the checked-out HEAD" in result.stdout


def test_shallow_clone_is_a_clear_error(consumer: Path, tmp_path: Path) -> None:
    commit_all(consumer, "one more")
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "feature", f"file://{consumer}", str(clone))
    result = failgate(clone, "gate", "--base", "origin/feature")
    assert result.returncode == 2, out(result)
    assert "shallow" in result.stderr and "fetch-depth: 0" in result.stderr and "Traceback" not in result.stderr


def test_missing_base_is_a_clear_error(consumer: Path) -> None:
    result = failgate(consumer, "gate", "--base", "origin/nope")
    assert result.returncode == 2 and "unknown revision 'origin/nope'" in result.stderr, out(result)


def test_default_base_falls_back_to_main_and_says_so(git_repo: Path) -> None:
    setup_consumer(git_repo, config="")
    on_a_branch_from_a_green_baseline(git_repo)
    break_cases(git_repo, 1)
    commit_all(git_repo, "break")
    result = failgate(git_repo, "gate")
    assert result.returncode == 1, out(result)
    assert "base main: the protected branch (no base_branch configured at the base" in result.stdout


def test_advisory_mode_reports_and_exits_zero(git_repo: Path) -> None:
    setup_consumer(git_repo, config='base_branch = "main"\n[gate]\nmode = "advisory"\n')
    on_a_branch_from_a_green_baseline(git_repo)
    break_cases(git_repo, 1)
    commit_all(git_repo, "break")
    result = failgate(git_repo, "gate")
    assert result.returncode == 0, out(result)
    assert (
        "ADVISORY MODE" in result.stdout and "FLIP AGTFAIL-0001" in result.stdout and "FAIL: 1 flip(s)" in result.stdout
    )


def test_a_branch_cannot_make_its_own_gate_advisory(consumer: Path) -> None:
    break_cases(consumer, 1)
    toml = consumer / "failgate.toml"
    toml.write_text(toml.read_text() + '[gate]\nmode = "advisory"\n')
    commit_all(consumer, "break, and relax the gate")
    result = failgate(consumer, "gate")
    assert result.returncode == 1 and "ADVISORY" not in result.stdout, out(result)


def test_unknown_gate_mode_is_a_config_error(consumer: Path) -> None:
    toml = consumer / "failgate.toml"
    toml.write_text(toml.read_text() + '[gate]\nmode = "lenient"\n')
    result = failgate(consumer, "gate")
    assert result.returncode == 2 and "gate.mode must be one of 'blocking', 'advisory'" in result.stderr, out(result)


AGGREGATE = "schema_version: 1\ncases:\n" + "".join(
    f'  - id: agg-{n}\n    input:\n      say: "ok {n}"\n    expected:\n      - contains: "ok {n}"\n    tags: [smoke]\n'
    for n in range(1, 5)
)


def _set_on_main(consumer: Path, floor: float, cases: str = AGGREGATE) -> None:
    # Set floors are policy: read at the base, so the set is configured on main first.
    git(consumer, "checkout", "-q", "main")
    (consumer / "evals" / "aggregate").mkdir(parents=True)
    (consumer / "evals" / "aggregate" / "cases.yaml").write_text(cases)
    toml = consumer / "failgate.toml"
    toml.write_text(toml.read_text() + f'[sets.aggregate]\npath = "evals/aggregate/cases.yaml"\nfloor = {floor}\n')
    commit_all(consumer, "aggregate set")
    git(consumer, "checkout", "-q", "-B", "feature")


@pytest.mark.parametrize(("floor", "code"), [(0.75, 0), (0.76, 1)])
def test_aggregate_floor_exactly_at_the_threshold_passes(consumer: Path, floor: float, code: int) -> None:
    _set_on_main(consumer, floor)
    (consumer / "behavior.json").write_text('{"broken": ["ok 4"]}\n')  # 3 of 4 aggregate cases pass
    commit_all(consumer, "break one aggregate case")
    result = failgate(consumer, "gate")
    assert result.returncode == code, out(result)
    mark = "PASS" if code == 0 else "FAIL"
    assert f"set aggregate: {mark} pass rate 75.0% (floor {floor * 100:.1f}%" in result.stdout
    assert "total                     3       3       0" in result.stdout  # both gates shown


def test_a_set_added_on_the_branch_waits_for_the_merge(consumer: Path) -> None:
    (consumer / "evals" / "aggregate").mkdir(parents=True)
    (consumer / "evals" / "aggregate" / "cases.yaml").write_text(AGGREGATE)
    toml = consumer / "failgate.toml"
    toml.write_text(toml.read_text() + '[sets.aggregate]\npath = "evals/aggregate/cases.yaml"\nfloor = 1.0\n')
    (consumer / "behavior.json").write_text('{"broken": ["ok 4"]}\n')
    commit_all(consumer, "a set below its own floor")
    result = failgate(consumer, "gate")
    assert result.returncode == 0 and "set aggregate" not in result.stdout, out(result)
    assert "POLICY sets: (unset) ->" in result.stdout and "takes effect only after it is merged" in result.stdout


def test_an_invalid_set_file_is_refused_at_its_line(consumer: Path) -> None:
    _set_on_main(consumer, 0.5, AGGREGATE + "  - id: agg-9\n    input: {say: x}\n")
    (consumer / "NOTES.md").write_text("x\n")
    commit_all(consumer, "notes")
    result = failgate(consumer, "gate")
    assert (
        result.returncode == 1
        and "cases.yaml:" in result.stderr
        and "'expected' is a required property" in result.stderr
    )


def test_a_judge_change_that_reached_main_without_its_decision_blocks_no_later_branch(consumer: Path) -> None:
    # Refusal patterns are read by not_refused rules only: give every case one on main,
    # with a recorded baseline; then main widens the refusal patterns without
    # re-recording, so every baseline is another judge's.
    git(consumer, "checkout", "-q", "main")
    cases = consumer / DS / "cases.yaml"
    cases.write_text(re.sub(r'(      - contains: "ok \d"\n)', r"\1      - not_refused: true\n", cases.read_text()))
    commit_all(consumer, "no case may refuse")
    record_baseline(consumer)
    toml = consumer / "failgate.toml"
    toml.write_text(toml.read_text() + '[judge]\nextra_refusal_patterns = ["(?i)cannot help"]\n')
    commit_all(consumer, "new refusal pattern")
    pushed_directly = git(consumer, "rev-parse", "HEAD").stdout.strip()
    git(consumer, "checkout", "-q", "-B", "feature")
    (consumer / "NOTES.md").write_text("x\n")
    commit_all(consumer, "notes")
    result = failgate(consumer, "gate")
    # An unrelated branch is not asked to vouch for a change it did not make: one note, no per-case block.
    assert result.returncode == 0, out(result)
    assert "unexplained judge change" not in result.stdout and "failgate decide" not in result.stdout
    (note,) = [line for line in result.stdout.splitlines() if line.startswith("Judge: ")]
    assert f"in {pushed_directly[:10]} without a judge_changed decision" in note and "failgate judge-change" in note

    # the 100 % rule still holds under the new judge
    break_cases(consumer, 2)
    commit_all(consumer, "break case 2")
    result = failgate(consumer, "gate")
    assert result.returncode == 1 and "FLIP AGTFAIL-0002" in result.stdout, out(result)


def test_a_refusal_pattern_is_no_judge_change_for_cases_without_not_refused(consumer: Path) -> None:
    """Attack (the first-week report): a new extra_refusal_patterns marked every case
    with a baseline as an unexplained judge change. None of these cases has a
    not_refused rule, so nothing they are judged by changed (the control, where
    they do, is the test above)."""
    toml = consumer / "failgate.toml"
    toml.write_text(toml.read_text() + '[judge]\nextra_refusal_patterns = ["(?i)cannot help"]\n')
    commit_all(consumer, "new refusal pattern")
    result = failgate(consumer, "gate")
    assert result.returncode == 0, out(result)
    assert "judge change" not in result.stdout


def test_fragile_cases_are_noted(git_repo: Path) -> None:
    setup_consumer(git_repo)
    record_baseline(git_repo)
    cases = git_repo / DS / "cases.yaml"
    cases.write_text(cases_text((1, 2, 3), **{"AGTFAIL-0003": {"regressed": 2}}))
    commit_all(git_repo, "pretend")
    result = failgate(git_repo, "gate", "--base", "main")
    assert "AGTFAIL-0003 regressed 2 times" in result.stdout and "architectural fix" in result.stdout


def test_machine_formats_and_the_step_summary(consumer: Path, tmp_path: Path) -> None:
    break_cases(consumer, 2)
    commit_all(consumer, "break")
    summary = tmp_path / "summary.md"
    junit = tmp_path / "gate.xml"
    result = failgate(consumer, "gate", "--format", "junit", "--output", str(junit), GITHUB_STEP_SUMMARY=str(summary))
    assert result.returncode == 1 and "FLIP AGTFAIL-0002" in result.stdout  # text still on stdout
    root = ET.parse(junit).getroot()
    assert root.get("failures") == "1"
    flips = next(s for s in root if s.get("name") == "failgate.flips")
    assert flips.find("testcase/failure") is not None
    assert "### Flips" in summary.read_text() and "AGTFAIL-0002" in summary.read_text()
    data = json.loads(failgate(consumer, "gate", "--format", "json").stdout)
    assert data["ok"] is False and data["flips"][0]["id"] == "AGTFAIL-0002" and data["exit_code"] == 1
    assert data["flips"][0]["failure_mode"] == "hallucination" and data["flips"][0]["range"]
    markdown = failgate(consumer, "gate", "--format", "markdown").stdout
    assert markdown.startswith("## ❌ failgate gate") and "| **AGTFAIL-0002** Case number 2 |" in markdown
    # The review sections come first in every format.
    assert (
        markdown.index("### Decisions in this range")
        < markdown.index("### Policy and agent changes in this range")
        < markdown.index("| failure mode")
    )
    assert [s.get("name") for s in root][:2] == ["failgate.decisions", "failgate.policy"]
    assert list(data)[1:3] == ["decisions", "policy_changes"] and data["decisions"] == []


def test_ci_workflow_runs_the_gate_against_the_target() -> None:
    import yaml

    from failgate.scaffold.ci import ci_workflow

    steps = yaml.safe_load(ci_workflow("evals/failures"))["jobs"]["failgate"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0
    # The workflow is one `uses:` of failgate's action: its step runs the gate, writes JUnit and HTML
    # and uploads them (action/run.sh; run locally in test_action.py).
    action = next(s for s in steps if s.get("uses", "").endswith("failgate@REV"))
    assert action["with"]["html"] == "failgate-report.html"
    script = (Path(__file__).resolve().parents[3] / "action" / "run.sh").read_text()
    assert 'gate=(failgate gate --format junit --output "$reports/failgate-gate.xml")' in script
    assert "--base" not in script.split("gate=(failgate gate", 1)[1].split("\n", 1)[0]  # failgate reads the event
