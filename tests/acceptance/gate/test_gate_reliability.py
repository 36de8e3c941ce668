"""The reliability rule through the real gate, in a real repository: a stochastic case compared with
the base's own recorded k/N. Each attack beside the control that passes."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest
from conftest import commit_all, git
from gate_repo import DS, case_id, cases_text, failgate, history_events, setup_consumer

# Passes attempt i (0, 1, 2, ... per input, counted in a file outside the repository) exactly when
# floor((i + 1) * rate) > floor(i * rate): k = floor(N * rate) of N, in a fixed order, so the test is
# deterministic while the agent is, to the gate, a case that passes some attempts and fails others.
AGENT = """\
import json, math, os, pathlib
HERE = pathlib.Path(__file__).resolve().parent


def run(inp):
    if inp["say"] != "ok 1":
        return {"output": inp["say"]}  # every other case is deterministic
    rate = json.loads((HERE / "rate.json").read_text())["rate"]
    counter = pathlib.Path(os.environ["STOCHASTIC_COUNTER"]) / inp["say"].replace(" ", "_")
    i = int(counter.read_text()) if counter.exists() else 0
    counter.write_text(str(i + 1))
    ok = math.floor((i + 1) * rate + 1e-9) > math.floor(i * rate + 1e-9)
    return {"output": inp["say"] if ok else "nope"}
"""

STOCHASTIC = {"repeat": 10, "pass_if": {"min_pass": 1}}


def _stochastic_cases(repeat: object = 10) -> str:
    text = cases_text((1, 2))
    block = f"    repeat: {json.dumps(repeat)}\n    pass_if:\n      min_pass: 1\n"
    # case 1 is stochastic; case 2 stays deterministic (the hard rule, unchanged)
    return text.replace(
        '    expected:\n      - contains: "ok 1"\n', block + '    expected:\n      - contains: "ok 1"\n'
    )


@pytest.fixture
def stochastic_repo(git_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    counter = tmp_path / "counter"
    counter.mkdir()
    monkeypatch.setenv("STOCHASTIC_COUNTER", str(counter))
    setup_consumer(git_repo, (1, 2), config='base_branch = "main"\njobs = 1\n', module="stochagent")
    (git_repo / "stochagent.py").write_text(AGENT)
    (git_repo / "rate.json").write_text('{"rate": 0.9}\n')
    (git_repo / DS / "cases.yaml").write_text(_stochastic_cases())
    (git_repo / "failgate.toml").write_text('agent = "stochagent:run"\njobs = 1\nbase_branch = "main"\n')
    commit_all(git_repo, "a stochastic case")
    result = failgate(git_repo, "eval", "--record")
    assert result.returncode == 0, result.stdout + result.stderr
    commit_all(git_repo, "record the base: 9/10")
    git(git_repo, "checkout", "-q", "-b", "feature")
    _reset(counter)
    return git_repo


def _reset(counter: Path) -> None:
    for f in counter.iterdir():
        f.unlink()


def _set_rate(repo: Path, rate: float) -> None:
    (repo / "rate.json").write_text(json.dumps({"rate": rate}) + "\n")
    commit_all(repo, f"agent now passes {rate:.0%}")


def test_eval_record_carries_attempts_and_passes(stochastic_repo: Path) -> None:
    results = [e for e in history_events(stochastic_repo) if e["type"] == "result"]
    tallies = {e["case_id"]: (e.get("attempts"), e.get("passes")) for e in results}
    assert tallies[case_id(1)] == (10, 9)
    assert tallies[case_id(2)] == (None, None)  # a deterministic case records no tally


def test_a_significant_drop_above_the_floor_is_a_flip(stochastic_repo: Path) -> None:
    _set_rate(stochastic_repo, 0.4)
    result = failgate(stochastic_repo, "gate", "--base", "main")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"FLIP {case_id(1)} 9/10 at base \u2192 4/10 now (p = 0.0286" in result.stdout
    assert "Stochastic cases against the base's record" in result.stdout
    data = json.loads(failgate(stochastic_repo, "gate", "--base", "main", "--format", "json").stdout)
    (flip,) = data["flips"]
    assert flip["id"] == case_id(1) and flip["passes"] == 4 and flip["runs"] == 10
    assert flip["wilson_95"][0] < 0.4 < flip["wilson_95"][1]
    assert data["reliability"]["cases"][0]["dropped"] is True


def test_control_a_drop_within_noise_passes(stochastic_repo: Path) -> None:
    _set_rate(stochastic_repo, 0.8)
    result = failgate(stochastic_repo, "gate", "--base", "main")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "8/10 now" in result.stdout and "vs 9/10 at base" in result.stdout and "holds" in result.stdout


def test_below_its_own_floor_still_fails_outright(stochastic_repo: Path) -> None:
    _set_rate(stochastic_repo, 0.0)
    result = failgate(stochastic_repo, "gate", "--base", "main")
    assert result.returncode == 1
    assert f"FLIP {case_id(1)}  Case number 1" in result.stdout  # the hard rule's flip: 0/10 < min_pass 1


def test_a_branch_cannot_lower_the_error_budget(stochastic_repo: Path) -> None:
    (stochastic_repo / "failgate.toml").write_text(
        'agent = "stochagent:run"\njobs = 1\nbase_branch = "main"\n[gate]\nalpha = 0.001\n'
    )
    _set_rate(stochastic_repo, 0.4)
    result = failgate(stochastic_repo, "gate", "--base", "main")
    assert result.returncode == 1, result.stdout
    assert "alpha = 0.05" in result.stdout and f"FLIP {case_id(1)} 9/10" in result.stdout
    assert "gate" in result.stdout.split("failgate gate:")[0]  # listed among the policy changes first


def test_control_the_same_budget_merged_first_takes_effect(stochastic_repo: Path, tmp_path: Path) -> None:
    git(stochastic_repo, "checkout", "-q", "main")
    (stochastic_repo / "failgate.toml").write_text(
        'agent = "stochagent:run"\njobs = 1\nbase_branch = "main"\n[gate]\nalpha = 0.01\n'
    )
    commit_all(stochastic_repo, "a stricter error budget, reviewed")
    git(stochastic_repo, "checkout", "-q", "-b", "feature2")
    _set_rate(stochastic_repo, 0.4)
    result = failgate(stochastic_repo, "gate", "--base", "main")
    assert result.returncode == 0, result.stdout  # p = 0.0286 > 0.01
    assert "alpha = 0.01" in result.stdout and "holds" in result.stdout


def test_raising_max_on_a_branch_runs_the_baseline_definition_too(stochastic_repo: Path) -> None:
    """`repeat` is part of the judged definition: a branch that changes it is a redefinition, so the
    case's baseline definition runs as well and a regression cannot hide behind more attempts."""
    (stochastic_repo / DS / "cases.yaml").write_text(_stochastic_cases({"min": 3, "max": 40}))
    _set_rate(stochastic_repo, 0.0)
    result = failgate(stochastic_repo, "gate", "--base", "main")
    assert result.returncode == 1
    assert "redefined" in result.stdout.lower() or "baseline definition" in result.stdout


def test_sequential_repeat_stops_once_decided_and_says_what_it_spent(stochastic_repo: Path) -> None:
    (stochastic_repo / DS / "cases.yaml").write_text(_stochastic_cases({"min": 3, "max": 10}))
    git(stochastic_repo, "checkout", "-q", "main")
    (stochastic_repo / DS / "cases.yaml").write_text(_stochastic_cases({"min": 3, "max": 10}))
    commit_all(stochastic_repo, "sequential attempts, reviewed")
    git(stochastic_repo, "checkout", "-q", "-B", "feature")
    _set_rate(stochastic_repo, 0.0 + 0.2)  # 2/10 at most: far below 9/10, decided before 10 attempts
    result = failgate(stochastic_repo, "gate", "--base", "main")
    assert result.returncode == 1, result.stdout
    assert "stopped after" in result.stdout and "a fixed N = max would have spent 10" in result.stdout


def test_validate_refuses_min_above_max(stochastic_repo: Path) -> None:
    (stochastic_repo / DS / "cases.yaml").write_text(_stochastic_cases({"min": 12, "max": 10}))
    before = (stochastic_repo / DS / "cases.yaml").read_bytes()
    result = failgate(stochastic_repo, "validate", "--no-cache")
    assert result.returncode == 1
    assert "REPEAT_RANGE repeat: min (12) is above max (10)" in result.stdout
    assert ":" in result.stdout.split("REPEAT_RANGE")[0]  # path:line:col
    assert (stochastic_repo / DS / "cases.yaml").read_bytes() == before


@pytest.mark.parametrize("alpha", ["-0.05", "0", "0.9", '"x"'])
def test_a_bad_error_budget_is_a_config_error_at_its_key(stochastic_repo: Path, alpha: str) -> None:
    (stochastic_repo / "failgate.toml").write_text(
        f'agent = "stochagent:run"\njobs = 1\nbase_branch = "main"\n[gate]\nalpha = {alpha}\n'
    )
    result = failgate(stochastic_repo, "eval")
    assert result.returncode == 2
    assert "alpha" in result.stderr + result.stdout and "Traceback" not in result.stderr


# -- quarantine: a reviewed, expiring decision, honoured only from the base --------------------------


def _quarantine(repo: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return failgate(repo, "decide", case_id(2), "--quarantine", *extra)


def _in_days(days: int) -> str:
    return str(dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=days))


def _break_case_two(repo: Path) -> None:
    (repo / "stochagent.py").write_text(AGENT.replace('return {"output": inp["say"]}  #', 'return {"output": "no"}  #'))
    commit_all(repo, "case 2 broken")


def test_a_branch_cannot_quarantine_its_own_failing_case(stochastic_repo: Path) -> None:
    result = _quarantine(stochastic_repo, "--until", _in_days(14), "--reason", "flaky upstream", "--by", "dana")
    assert result.returncode == 0, result.stderr
    _break_case_two(stochastic_repo)
    gate = failgate(stochastic_repo, "gate", "--base", "main")
    assert gate.returncode == 1, gate.stdout
    assert f"{case_id(2)} quarantined until {_in_days(14)} (takes effect once merged) by dana" in gate.stdout
    assert f"FLIP {case_id(2)}" in gate.stdout


def test_control_a_quarantine_merged_first_keeps_the_case_from_blocking(stochastic_repo: Path) -> None:
    git(stochastic_repo, "checkout", "-q", "main")
    assert (
        _quarantine(stochastic_repo, "--until", _in_days(14), "--reason", "flaky upstream", "--by", "dana").returncode
        == 0
    )
    commit_all(stochastic_repo, "quarantine case 2 for two weeks, reviewed")
    git(stochastic_repo, "checkout", "-q", "-b", "feature2")
    _break_case_two(stochastic_repo)
    gate = failgate(stochastic_repo, "gate", "--base", "main")
    assert gate.returncode == 0, gate.stdout
    assert "Quarantines from the base (1):" in gate.stdout
    assert (
        f"{case_id(2)} quarantined until {_in_days(14)}, by dana: flaky upstream; FAILS NOW, not blocking"
        in gate.stdout
    )
    assert "1 quarantined one(s) fail without blocking" in gate.stdout


def test_an_expired_quarantine_gates_again_by_itself(stochastic_repo: Path) -> None:
    git(stochastic_repo, "checkout", "-q", "main")
    event = {
        "id": "01JQXAR0000000000000000000",
        "ts": "2026-01-01T00:00:00Z",
        "case_id": case_id(2),
        "type": "quarantined",
        "actor": "dana",
        "detail": {"reason": "flaky upstream", "until": _in_days(-1)},
    }
    with (stochastic_repo / DS / "history.jsonl").open("a") as handle:
        handle.write(json.dumps(event) + "\n")
    commit_all(stochastic_repo, "a quarantine that ended yesterday")
    git(stochastic_repo, "checkout", "-q", "-b", "feature2")
    _break_case_two(stochastic_repo)
    gate = failgate(stochastic_repo, "gate", "--base", "main")
    assert gate.returncode == 1, gate.stdout
    assert f"{case_id(2)} quarantined EXPIRED on {_in_days(-1)}, gating again" in gate.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--until", "2020-01-01"), "is not after today"),
        (("--until", "next friday"), "--until must be a date like"),
        (("--until", "2026-13-40"), "--until must be a date like"),
        ((), "--quarantine needs --until DATE"),
    ],
)
def test_a_bad_quarantine_is_refused_and_writes_nothing(
    stochastic_repo: Path, args: tuple[str, ...], message: str
) -> None:
    before = (stochastic_repo / DS / "history.jsonl").read_bytes()
    result = _quarantine(stochastic_repo, *args, "--reason", "flaky", "--by", "dana")
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert (stochastic_repo / DS / "history.jsonl").read_bytes() == before


def test_a_branch_cannot_plant_a_deflated_record_for_the_next_branch(stochastic_repo: Path) -> None:
    """Merged, a range's last record is the next branch's base: 3/10 recorded for a 9/10 case would
    let a later drop to 4/10 pass unseen."""
    _set_rate(stochastic_repo, 0.3)
    assert failgate(stochastic_repo, "eval", "--record").returncode == 0
    _set_rate(stochastic_repo, 0.9)  # the agent as it really is, with the low record committed
    gate = failgate(stochastic_repo, "gate", "--base", "main")
    assert gate.returncode == 1, gate.stdout
    assert f"{case_id(1)}: the range records '3/10'" in gate.stdout and "gives '9/10'" in gate.stdout


def test_control_an_honest_record_on_the_branch_passes(stochastic_repo: Path) -> None:
    _set_rate(stochastic_repo, 0.9)
    assert failgate(stochastic_repo, "eval", "--record").returncode == 0
    commit_all(stochastic_repo, "record on the branch")
    gate = failgate(stochastic_repo, "gate", "--base", "main")
    assert gate.returncode == 0, gate.stdout


def test_validate_refuses_a_result_that_passed_more_than_it_ran(stochastic_repo: Path) -> None:
    event = {
        "id": "01JTAXY0000000000000000000",
        "ts": "2026-05-02T10:00:00Z",
        "case_id": case_id(1),
        "type": "result",
        "outcome": "pass",
        "attempts": 10,
        "passes": 12,
    }
    with (stochastic_repo / DS / "history.jsonl").open("a") as handle:
        handle.write(json.dumps(event) + "\n")
    result = failgate(stochastic_repo, "validate", "--no-cache")
    assert result.returncode == 1 and "RESULT_TALLY passes (12) is more than attempts (10)" in result.stdout
    # control: a consistent tally is accepted
    text = (stochastic_repo / DS / "history.jsonl").read_text().replace('"passes": 12', '"passes": 7')
    (stochastic_repo / DS / "history.jsonl").write_text(text)
    assert failgate(stochastic_repo, "validate", "--no-cache").returncode == 0


def test_the_pull_request_comment_lists_quarantines_and_stochastic_cases_too(stochastic_repo: Path) -> None:
    """Markdown is what the Action posts on the pull request: quarantines and the k/N comparisons are
    listed there as in the text report, not only in the terminal."""
    git(stochastic_repo, "checkout", "-q", "main")
    assert (
        _quarantine(stochastic_repo, "--until", _in_days(14), "--reason", "flaky upstream", "--by", "dana").returncode
        == 0
    )
    commit_all(stochastic_repo, "quarantine case 2, reviewed")
    git(stochastic_repo, "checkout", "-q", "-b", "feature2")
    _break_case_two(stochastic_repo)
    markdown = failgate(stochastic_repo, "gate", "--base", "main", "--format", "markdown").stdout
    assert "### Quarantines from the base" in markdown
    assert f"{case_id(2)} quarantined until {_in_days(14)}, by dana: flaky upstream" in markdown
    assert "**fails now, not blocking**" in markdown
    assert "### Stochastic cases against the base's record" in markdown and "vs 9/10 at base" in markdown


def test_control_without_a_quarantine_the_comment_has_no_such_section(stochastic_repo: Path) -> None:
    _break_case_two(stochastic_repo)
    markdown = failgate(stochastic_repo, "gate", "--base", "main", "--format", "markdown").stdout
    assert "### Quarantines from the base" not in markdown
    assert f"**{case_id(2)}**" in markdown  # its failure blocks, listed as any other
