"""Two branches record the same regression and merge (docs/explanation/merge-drivers.md, "The same
regression on both sides"; docs/reference/history-events.md, "Counting regressions").

Each branch runs `eval --record` after the same agent change: cases.yaml is byte-identical on both
(git keeps it without a driver, regressed_count 1), the history driver keeps both `regressed` events.
The merge must agree with itself: validate passes, `fmt` changes nothing, nobody reads "regressed
2 times". Beside it, the controls: two different regressions still count 2, and a history written
before `detail.after` existed still counts one per event.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import commit_all, git
from gate_repo import DS, break_cases, copied_consumer, failgate

from failgate.merge import gitattributes_lines

CASES = f"{DS}/cases.yaml"
HISTORY = f"{DS}/history.jsonl"
CASE = "AGTFAIL-0002"


@pytest.fixture
def repo(git_repo: Path, scenarios: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    """main: three cases recorded green (case 2's last result a pass), failgate's drivers installed."""
    bindir = Path(sys.executable).parent
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")  # the drivers call `failgate`
    copied_consumer(scenarios, git_repo, baseline="recorded")
    (git_repo / ".gitattributes").write_text("\n".join(gitattributes_lines(DS)) + "\n")
    assert failgate(git_repo, "install", "--quiet").returncode == 0
    commit_all(git_repo, "failgate's merge drivers")
    return git_repo


def record(repo: Path, *broken: int, expect: int | None = None) -> None:
    """The agent changed (committed), then `eval --record` and its result committed."""
    break_cases(repo, *broken)
    commit_all(repo, f"agent: breaks {list(broken)}")
    result = failgate(repo, "eval", "--record")
    assert result.returncode == (1 if broken else 0) if expect is None else expect, result.stderr
    commit_all(repo, "record results")


def merge_both_ways(repo: Path, a: str, b: str) -> tuple[str, str]:
    """`b` merged into `a` (branch a-b) and `a` into `b` (branch b-a); both must merge cleanly."""
    for ours, theirs in ((a, b), (b, a)):
        git(repo, "checkout", "-q", "-b", f"{ours}-{theirs}", ours)
        merged = git(repo, "merge", "--no-edit", theirs, check=False)
        assert merged.returncode == 0, merged.stdout + merged.stderr
    return f"{a}-{b}", f"{b}-{a}"


def show(repo: Path, rev: str, rel: str) -> str:
    return git(repo, "show", f"{rev}:{rel}").stdout


def regressed_count(text: str, case_id: str = CASE) -> int:
    block = text.split(f"- id: {case_id}\n", 1)[1].split("\n  - id:", 1)[0]
    return int(block.split("regressed_count:", 1)[1].split()[0])


def regressions(repo: Path, rev: str) -> list[dict[str, Any]]:
    events = [json.loads(line) for line in show(repo, rev, HISTORY).splitlines() if line.strip()]
    return [e for e in events if e["type"] == "regressed" and e["case_id"] == CASE]


def fragile(repo: Path) -> list[dict[str, Any]]:
    report = failgate(repo, "report", "--format", "json")
    assert report.returncode == 0, report.stderr
    return list(json.loads(report.stdout)["fragile"])


def two_branches_record_the_same_regression(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "a", "main")
    record(repo, 2)
    git(repo, "checkout", "-q", "-b", "b", "main")
    record(repo, 2)
    assert show(repo, "a", CASES) == show(repo, "b", CASES)  # git will not call the cases.yaml driver


def test_the_same_regression_recorded_on_two_branches_merges_as_one(repo: Path) -> None:
    two_branches_record_the_same_regression(repo)
    ab, ba = merge_both_ways(repo, "a", "b")
    assert show(repo, ab, HISTORY) == show(repo, ba, HISTORY)
    for rev in (ab, ba):
        git(repo, "checkout", "-q", rev)
        assert len(regressions(repo, rev)) == 2  # both sides' events kept: append-only
        assert regressed_count((repo / CASES).read_text()) == 1
        validate = failgate(repo, "validate")
        assert validate.returncode == 0, validate.stdout + validate.stderr
        before = (repo / CASES).read_bytes()
        fmt = failgate(repo, "fmt")
        assert fmt.returncode == 0 and (repo / CASES).read_bytes() == before, fmt.stdout + fmt.stderr
        assert fragile(repo) == []
        # The gate's range check: every commit against every parent, nothing lost or edited.
        for base in ("main", "a", "b"):
            ledger = failgate(repo, "check-ledger", "--base", base)
            assert ledger.returncode == 0, ledger.stdout + ledger.stderr
        gate = failgate(repo, "gate", "--base", "main", "--format", "json")
        verdict = json.loads(gate.stdout)
        assert gate.returncode == 1 and verdict["fragile"] == []  # blocked by the flip, not by the merge
        assert [f["id"] for f in verdict["flips"]] == [CASE], gate.stdout
    # What made them one: both name main's last pass of the case.
    assert len({e["detail"].get("after") for e in regressions(repo, ab)} - {None}) == 1


def test_the_same_regression_merged_by_the_cases_driver_counts_one(repo: Path) -> None:
    # a also raised another case's severity: the files differ, git calls the cases.yaml driver,
    # which must come to the 1 git keeps when they are identical.
    two_branches_record_the_same_regression(repo)
    git(repo, "checkout", "-q", "a")
    cases = repo / CASES
    cases.write_text(cases.read_text().replace("    severity: P1\n", "    severity: P0\n", 1))
    commit_all(repo, "case 1 is a P0")
    for rev in merge_both_ways(repo, "a", "b"):
        git(repo, "checkout", "-q", rev)
        text = cases.read_text()
        assert regressed_count(text) == 1 and "    severity: P0\n" in text
        assert failgate(repo, "validate").returncode == 0
        assert fragile(repo) == []


def test_a_rebase_of_one_recording_onto_the_other_counts_one(repo: Path) -> None:
    two_branches_record_the_same_regression(repo)
    git(repo, "checkout", "-q", "b")
    rebased = git(repo, "rebase", "a", check=False)
    assert rebased.returncode == 0, rebased.stdout + rebased.stderr
    assert len(regressions(repo, "HEAD")) == 2 and regressed_count((repo / CASES).read_text()) == 1
    assert failgate(repo, "validate").returncode == 0
    assert failgate(repo, "check-ledger", "--base", "main").returncode == 0


def test_control_a_second_regression_after_a_pass_of_its_own_counts_two(repo: Path) -> None:
    # a: fail (after main's pass), pass, fail again; b: the same first regression only.
    git(repo, "checkout", "-q", "-b", "a", "main")
    record(repo, 2)
    record(repo)
    record(repo, 2)
    git(repo, "checkout", "-q", "-b", "b", "main")
    record(repo, 2)
    assert (regressed_count(show(repo, "a", CASES)), regressed_count(show(repo, "b", CASES))) == (2, 1)
    for rev in merge_both_ways(repo, "a", "b"):  # the cases.yaml driver runs: the files differ
        git(repo, "checkout", "-q", rev)
        assert regressed_count((repo / CASES).read_text()) == 2  # not 1 + 2: the first is the same one
        assert len({e["detail"].get("after") for e in regressions(repo, rev)} - {None}) == 2
        assert failgate(repo, "validate").returncode == 0
        assert fragile(repo) == [{"id": CASE, "regressed_count": 2}]


def test_control_each_branch_regressing_after_its_own_pass_counts_two(repo: Path) -> None:
    # main's last result of case 2 is a fail; each branch fixes it and breaks it again: two
    # regressions after two different passes. cases.yaml is identical on both (count 1), so
    # nothing but the history can tell: validate says so and fmt sets 2.
    record(repo, 2)
    for branch in ("a", "b"):
        git(repo, "checkout", "-q", "-b", branch, "main")
        record(repo)
        record(repo, 2)
    ab, _ = merge_both_ways(repo, "a", "b")
    git(repo, "checkout", "-q", ab)
    assert regressed_count((repo / CASES).read_text()) == 2  # main's own regression + the branches' 1
    validate = failgate(repo, "validate")
    assert validate.returncode == 1 and "REGRESSED_COUNT" in validate.stdout, validate.stdout
    assert failgate(repo, "fmt").returncode == 1
    assert regressed_count((repo / CASES).read_text()) == 3
    assert failgate(repo, "validate").returncode == 0
    assert fragile(repo) == [{"id": CASE, "regressed_count": 3}]


def test_control_events_written_before_detail_after_count_one_each(repo: Path) -> None:
    # Both branches recorded with a failgate that wrote no `after`: nothing says the two
    # events are one regression, so they count as two, as they always did.
    for branch in ("a", "b"):
        git(repo, "checkout", "-q", "-b", branch, "main")
        record(repo, 2)
        path = repo / HISTORY
        lines = [json.loads(line) for line in path.read_text().splitlines()]
        for event in lines:
            if event["type"] == "regressed":
                event["detail"].pop("after", None)
        path.write_text("".join(json.dumps(e) + "\n" for e in lines))
        git(repo, "commit", "-q", "--amend", "--no-edit", "--no-verify", "-a")
    ab, _ = merge_both_ways(repo, "a", "b")
    git(repo, "checkout", "-q", ab)
    validate = failgate(repo, "validate")
    assert validate.returncode == 1 and "REGRESSED_COUNT" in validate.stdout, validate.stdout
    assert failgate(repo, "fmt").returncode == 1 and regressed_count((repo / CASES).read_text()) == 2
