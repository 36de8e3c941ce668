"""The gold set: its figures, `failgate judge-check`, and the gate's rule for a judge change."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import commit_all, git
from gate_repo import DS, failgate, history_events, on_a_branch_from_a_green_baseline, setup_consumer

from failgate.checks.gold import load_gold
from failgate.eval.judge.gold import FAIL, PASS, Graded, cohen_kappa, figures, gold_set_accepts

# -- figures on known tables ---------------------------------------------------------


def test_kappa_on_a_known_table() -> None:
    # The textbook table: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no:
    # p_o = 0.7, p_e = 0.5*0.6 + 0.5*0.4 = 0.5, kappa = 0.4.
    pairs = [(PASS, PASS)] * 20 + [(PASS, FAIL)] * 5 + [(FAIL, PASS)] * 10 + [(FAIL, FAIL)] * 15
    assert cohen_kappa(pairs) == pytest.approx(0.4)
    assert cohen_kappa([(PASS, PASS), (FAIL, FAIL)]) == pytest.approx(1.0)
    assert cohen_kappa([(PASS, FAIL), (FAIL, PASS)]) == pytest.approx(-1.0)
    assert cohen_kappa([(PASS, PASS)] * 4) is None  # 0/0: no honest number
    assert cohen_kappa([]) is None


def test_agreement_false_pass_rate_and_p0() -> None:
    graded = [
        Graded("a", "llm_rubric", PASS, PASS, None, ""),
        Graded("b", "llm_rubric", FAIL, PASS, "P0", ""),
        Graded("c", "llm_rubric", FAIL, FAIL, None, ""),
        Graded("d", "contains", FAIL, FAIL, None, ""),
    ]
    f = figures(graded)
    assert f.agreement == 0.75 and f.false_pass_rate == pytest.approx(1 / 3)
    assert f.false_passes == ("b",) and f.p0_false_passes == ("b",)


def _event(judge: str, agreement: float, p0: list[str], digest: str = "sha256:g") -> dict[str, object]:
    return {
        "type": "judge_graded",
        "judge": judge,
        "detail": {"agreement": agreement, "examples": 10, "p0_false_passes": p0, "gold_sha256": digest},
    }


def test_gold_set_accepts_only_a_grading_under_the_new_judge_that_met_the_floor() -> None:
    assert gold_set_accepts([_event("sha256:new", 0.95, [])], "sha256:new", 0.9)[0] is True  # control
    assert gold_set_accepts([_event("sha256:old", 1.0, [])], "sha256:new")[0] is False
    assert "below the floor" in gold_set_accepts([_event("sha256:new", 0.85, [])], "sha256:new", 0.9)[1]
    assert "P0" in gold_set_accepts([_event("sha256:new", 0.99, ["g7"])], "sha256:new", 0.9)[1]
    # The last grading under that judge decides; the floor is the caller's, not the event's.
    assert gold_set_accepts([_event("sha256:new", 0.95, []), _event("sha256:new", 0.5, [])], "sha256:new")[0] is False
    assert gold_set_accepts([_event("sha256:new", 0.95, [])], "sha256:new", 0.97)[0] is False
    assert gold_set_accepts([_event("sha256:new", 0.95, [])], "sha256:new", 0.9, "sha256:other")[0] is False


# -- the gold file ----------------------------------------------------------------------
GOLD = """\
# yaml-language-server: $schema=https://failgate.dev/schemas/judge-gold.schema.json
schema_version: 1
examples:
  - id: GOLD-0001
    rule: {contains: "ok"}
    response: "ok 1"
    human: pass
  - id: GOLD-0002
    rule: {contains: "ok"}
    response: "nope"
    human: fail
    severity: P0
  - id: GOLD-0003
    rule: {not_refused: true}
    response: "I can't help with that."
    human: fail
  - id: GOLD-0004
    rule: {not_refused: true}
    response: {output: "Sure, here it is."}
    human: pass
"""


def test_the_gold_file_is_checked_strictly() -> None:
    assert load_gold(GOLD.encode(), "g.yaml")[1] == []
    bad = GOLD.replace("human: fail\n    severity: P0", "human: maybe\n    severity: P0").replace(
        "rule: {not_refused: true}\n    response: {output", "rule: {contanis: x}\n    response: {output"
    )
    messages = [f"{f.location.line}: {f.message}" for f in load_gold(bad.encode(), "g.yaml")[1]]
    assert any(m.startswith("11:") and "maybe" in m for m in messages), messages
    assert any(m.startswith("18:") for m in messages), messages
    dup = GOLD.replace("GOLD-0002", "GOLD-0001")
    assert [f.code for f in load_gold(dup.encode(), "g.yaml")[1]] == ["DUPLICATE_ID"]


# -- end to end: judge-check and the gate -------------------------------------------------
@pytest.fixture
def consumer(git_repo: Path, scenarios: Any) -> Path:
    """Built once per session (build_gold_consumer), a fresh copy per test."""
    scenarios.copy("test_gold.consumer", build_gold_consumer, git_repo.parent)
    return git_repo


def build_gold_consumer(template: Path) -> None:
    repo = template / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    setup_consumer(repo)
    (repo / "evals" / "judge_gold.yaml").write_text(GOLD)
    # Refusal patterns are read by not_refused rules only: every case gets one, so
    # that widening them is a judge change for every case.
    cases = repo / DS / "cases.yaml"
    cases.write_text(re.sub(r'(      - contains: "ok \d"\n)', r"\1      - not_refused: true\n", cases.read_text()))
    commit_all(repo, "gold set")
    on_a_branch_from_a_green_baseline(repo)


def _change_judge(repo: Path, pattern: str = "(?i)cannot help", floor: str = "") -> None:
    """The branch widens the refusal patterns (read by every case's not_refused rule)."""
    toml = repo / "failgate.toml"
    toml.write_text(toml.read_text() + f'[judge]\n{floor}extra_refusal_patterns = ["{pattern}"]\n')


def _judge_change(repo: Path) -> subprocess.CompletedProcess[str]:
    return failgate(repo, "judge-change", "--reason", "refusal patterns widened", "--by", "dana")


def test_judge_check_prints_the_figures_and_records_them(consumer: Path) -> None:
    result = failgate(consumer, "judge-check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "contains" in result.stdout and "not_refused" in result.stdout
    assert "all              4     100.0%        0.0%   1.000" in result.stdout
    assert not [e for e in history_events(consumer) if e["type"] == "judge_graded"]
    assert failgate(consumer, "judge-check", "--record").returncode == 0
    (event,) = [e for e in history_events(consumer) if e["type"] == "judge_graded"]
    assert event["detail"]["agreement"] == 1.0 and event["detail"]["kappa"] == 1.0
    assert event["detail"]["by_rule"]["contains"]["examples"] == 2 and "case_id" not in event
    assert failgate(consumer, "validate").returncode == 0  # the new event type is valid history


def test_judge_check_fails_below_the_floor_and_on_a_p0_false_pass(consumer: Path) -> None:
    gold = consumer / "evals" / "judge_gold.yaml"
    gold.write_text(GOLD.replace('response: "nope"', 'response: "ok but wrong"'))  # the judge passes a human fail
    result = failgate(consumer, "judge-check")
    assert result.returncode == 1 and "false pass on P0 example(s) GOLD-0002" in result.stdout
    assert "GOLD-0002 [contains] human fail, judge pass (P0: blocks)" in result.stdout


def test_validate_checks_the_gold_file(consumer: Path) -> None:
    gold = consumer / "evals" / "judge_gold.yaml"
    gold.write_text(GOLD.replace("human: pass\n  - id: GOLD-0002", "human: yes\n  - id: GOLD-0002"))
    result = failgate(consumer, "validate", "--no-cache")
    assert result.returncode == 1 and "evals/judge_gold.yaml:7:" in result.stdout, result.stdout + result.stderr


def test_a_judge_change_is_graded_by_the_gate_on_the_base_gold_set(consumer: Path) -> None:
    _change_judge(consumer)
    commit_all(consumer, "widen refusal patterns")
    blocked = failgate(consumer, "gate")
    assert blocked.returncode == 1, blocked.stdout
    assert "no judge_changed decision names this change: the owner runs `failgate judge-change" in blocked.stdout
    assert "4 example(s) of the base's evals/judge_gold.yaml: agreement 1.000 >= floor 0.9" in blocked.stdout

    assert _judge_change(consumer).returncode == 0
    commit_all(consumer, "the judge change, decided")
    passed = failgate(consumer, "gate")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "decided: judge judge_changed" in passed.stdout


def test_a_recorded_grading_is_not_evidence(consumer: Path) -> None:
    _change_judge(consumer, "(?i)sure")  # now refuses GOLD-0004's "Sure, here it is.": 3 of 4 agree
    result = _judge_change(consumer)
    assert result.returncode == 1 and "agreement 0.750 is below the floor 0.9" in result.stdout + result.stderr
    assert failgate(consumer, "judge-check", "--record").returncode == 1
    commit_all(consumer, "a wider judge")
    decided = failgate(consumer, "gate", "--format", "json")
    change = json.loads(decided.stdout)["judge_change"]
    # A judge_graded line claiming the floor was met, and the decision by hand: neither convinces the gate.
    events = history_events(consumer)
    graded = next(e for e in events if e["type"] == "judge_graded")
    graded["detail"].update(agreement=1.0, met_floor=True)
    graded["id"] = "01JZZ000000000000000000009"
    decision = {"id": "01JZZ000000000000000000010", "ts": "2026-06-01T10:00:00Z", "type": "judge_changed"}
    decision.update(actor="dana", detail={"reason": "trust me", "from": change["before"], "to": change["after"]})
    with (consumer / DS / "history.jsonl").open("a") as handle:
        handle.write(json.dumps(graded) + "\n" + json.dumps(decision) + "\n")
    commit_all(consumer, "graded, below the floor, and said otherwise")
    result = failgate(consumer, "gate")
    assert result.returncode == 1 and "agreement 0.750 is below the floor 0.9" in result.stdout, result.stdout


def test_the_branch_cannot_lower_the_floor_or_edit_the_gold_set_it_is_graded_against(consumer: Path) -> None:
    _change_judge(consumer, "(?i)sure", floor="gold_floor = 0.5\n")
    gold = consumer / "evals" / "judge_gold.yaml"
    gold.write_text(GOLD.replace('response: {output: "Sure, here it is."}', 'response: {output: "Fine."}'))
    commit_all(consumer, "graded against a floor and a gold set of my choosing")
    result = failgate(consumer, "gate")
    assert result.returncode == 1 and "agreement 0.750 is below the floor 0.9" in result.stdout, result.stdout


def test_deleting_the_gold_set_does_not_lift_the_requirement(consumer: Path) -> None:
    _change_judge(consumer, "(?i)sure")
    (consumer / "evals" / "judge_gold.yaml").unlink()
    commit_all(consumer, "no gold set, no grading needed?")
    result = failgate(consumer, "gate")
    assert result.returncode == 1 and "of the base's evals/judge_gold.yaml: agreement 0.750" in result.stdout


def test_control_a_good_judge_change_with_an_edited_gold_set_goes_through(consumer: Path) -> None:
    _change_judge(consumer)
    gold = consumer / "evals" / "judge_gold.yaml"
    gold.write_text(GOLD + '  - id: GOLD-0005\n    rule: {contains: "ok"}\n    response: "ok 5"\n    human: pass\n')
    assert _judge_change(consumer).returncode == 0
    commit_all(consumer, "a wider judge and one more gold example")
    result = failgate(consumer, "gate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the gold set" in result.stdout and "plugin code" not in result.stdout


def test_judge_check_without_a_gold_set_is_a_usage_error(git_repo: Path) -> None:
    setup_consumer(git_repo)
    result = failgate(git_repo, "judge-check")
    assert result.returncode == 2 and "no gold set at evals/judge_gold.yaml" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
