"""`failgate eval --record`: only changes, regressions counted in cases.yaml, idempotent, concurrent-safe."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import commit_all, git
from gate_repo import DS, break_cases, env, failgate, history_events, setup_consumer


@pytest.fixture
def consumer(git_repo: Path) -> Path:
    return setup_consumer(git_repo)


def results(repo: Path) -> list[dict]:
    return [e for e in history_events(repo) if e["type"] in ("result", "regressed")]


def test_first_run_records_one_result_per_case(consumer: Path) -> None:
    head = git(consumer, "rev-parse", "HEAD").stdout.strip()
    result = failgate(consumer, "eval", "--record")
    assert result.returncode == 0, result.stderr
    events = results(consumer)
    assert [(e["case_id"], e["type"], e["outcome"]) for e in events] == [
        (f"AGTFAIL-000{n}", "result", "pass") for n in (1, 2, 3)
    ]
    first = events[0]
    assert first["commit"] == head and first["dirty"] is False and first["actor"] == "author@example.com"
    assert first["judge"].startswith("sha256:") and len(first["id"]) == 26
    assert "appended 3 result event(s)" in result.stderr


def test_second_run_with_nothing_changed_appends_nothing(consumer: Path) -> None:
    assert failgate(consumer, "eval", "--record").returncode == 0
    before = (consumer / DS / "history.jsonl").read_bytes()
    again = failgate(consumer, "eval", "--record")
    assert again.returncode == 0 and "nothing changed" in again.stderr
    assert (consumer / DS / "history.jsonl").read_bytes() == before


def test_pass_to_fail_records_a_regression_and_counts_it_in_place(consumer: Path) -> None:
    assert failgate(consumer, "eval", "--record").returncode == 0
    commit_all(consumer, "baseline")
    cases = consumer / DS / "cases.yaml"
    before = cases.read_text()
    break_cases(consumer, 2)
    result = failgate(consumer, "eval", "--record")
    assert result.returncode == 1 and "regressed: AGTFAIL-0002" in result.stderr
    new = results(consumer)[3:]
    assert [(e["case_id"], e["type"]) for e in new] == [("AGTFAIL-0002", "result"), ("AGTFAIL-0002", "regressed")]
    assert new[0]["outcome"] == "fail" and new[0]["dirty"] is True  # behavior.json is uncommitted
    assert new[1]["detail"]["from"] == "pass" and "ok 2" in new[1]["detail"]["reason"]
    assert new[1]["detail"]["after"] == results(consumer)[1]["id"]  # the pass it follows: what identifies it
    after = cases.read_text()
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines()) if a != b]
    assert changed == [("    regressed_count: 0", "    regressed_count: 1")]
    assert len(before) == len(after)
    assert failgate(consumer, "validate").returncode == 0  # regressed_count agrees with the history

    # fail -> pass: a result, no regression; fail again: a second regression
    break_cases(consumer)
    failgate(consumer, "eval", "--record")
    break_cases(consumer, 2)
    failgate(consumer, "eval", "--record")
    kinds = [(e["type"], e.get("outcome")) for e in results(consumer) if e["case_id"] == "AGTFAIL-0002"]
    assert kinds == [
        ("result", "pass"),
        ("result", "fail"),
        ("regressed", None),
        ("result", "pass"),
        ("result", "fail"),
        ("regressed", None),
    ]
    afters = [e["detail"]["after"] for e in results(consumer) if e["type"] == "regressed"]
    assert len(set(afters)) == 2  # two regressions, after two different passes
    assert "    regressed_count: 2" in cases.read_text()
    assert failgate(consumer, "validate").returncode == 0


def test_ci_actor_and_refusals(consumer: Path) -> None:
    assert failgate(consumer, "eval", "--record", CI="true").returncode == 0
    assert {e["actor"] for e in results(consumer)} == {"ci"}
    refused = failgate(consumer, "eval", "--record", "--set", "aggregate")
    assert refused.returncode == 2 and "failure set only" in refused.stderr
    refused = failgate(consumer, "eval", "--record", "--agent", "other:run")
    assert refused.returncode == 2 and "configured agent only" in refused.stderr


def test_a_judge_change_is_recorded_even_with_the_same_outcome(consumer: Path) -> None:
    cases = consumer / DS / "cases.yaml"
    cases.write_text(
        cases.read_text().replace('      - contains: "ok 1"\n', '      - contains: "ok 1"\n      - not_refused: true\n')
    )
    commit_all(consumer, "case 1 must not refuse")
    assert failgate(consumer, "eval", "--record").returncode == 0
    toml = consumer / "failgate.toml"
    toml.write_text(toml.read_text() + '[judge]\nextra_refusal_patterns = ["(?i)no can do"]\n')
    assert failgate(consumer, "eval", "--record").returncode == 0
    events = results(consumer)
    # Only the case whose not_refused rule reads the patterns got a new judge;
    # the other two keep their recorded fingerprint (no new result event).
    assert len(events) == 4 and [e["case_id"] for e in events[3:]] == ["AGTFAIL-0001"]
    assert events[0]["judge"] != events[3]["judge"]


def test_concurrent_recorders_lose_nothing(consumer: Path) -> None:
    """Two processes record at once (different cases, and the same case): every change lands once."""
    # A slow agent keeps both processes' evals overlapping; the lock serialises only the bookkeeping.
    (consumer / "gateagent.py").write_text(
        (consumer / "gateagent.py")
        .read_text()
        .replace("def run(inp):\n", "def run(inp):\n    import time; time.sleep(0.2)\n")
    )
    commit_all(consumer, "slow agent")
    argv = [sys.executable, "-m", "failgate", "eval", "--record", "--jobs", "1"]
    procs = [
        subprocess.Popen(
            [*argv, "--case", "AGTFAIL-0001", "--case", "AGTFAIL-0003"],
            cwd=consumer,
            env=env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ),
        subprocess.Popen(
            [*argv, "--case", "AGTFAIL-0002", "--case", "AGTFAIL-0003"],
            cwd=consumer,
            env=env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ),
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    events = results(consumer)
    assert sorted(e["case_id"] for e in events) == ["AGTFAIL-0001", "AGTFAIL-0002", "AGTFAIL-0003"]
    lines = (consumer / DS / "history.jsonl").read_text().splitlines()
    assert len(lines) == 6 and all(line.startswith("{") and line.endswith("}") for line in lines)
