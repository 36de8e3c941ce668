"""How many attempts a case runs (eval.attempts) and the runner's rounds: each promise attacked, with
its control beside it."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from failgate.dataset.model import MAX_REPEAT
from failgate.eval.agents import AgentReply, AgentRequest
from failgate.eval.attempts import Reliability, attempt_policy, undecided
from failgate.eval.reliability import Record
from failgate.eval.runner import EvalCase, run_eval

CASE = {
    "id": "AGTFAIL-0042",
    "title": "t",
    "failure_mode": "hallucination",
    "severity": "P1",
    "blast_radius": "customer_visible",
    "input": {"say": "ok"},
    "expected": [{"contains": "ok"}],
}


@dataclasses.dataclass
class CountingAgent:
    """Passes attempt i when `good(i)`; counts every call it gets."""

    good: Any
    name: str = "counting"
    calls: int = 0

    def call(self, request: AgentRequest) -> AgentReply:
        self.calls += 1
        return AgentReply({"output": "ok" if self.good(self.calls - 1) else "no"}, 1.0)

    def close(self) -> None:
        pass


def test_policy_of_a_fixed_and_a_sequential_repeat() -> None:
    assert attempt_policy({**CASE, "repeat": 10, "pass_if": {"min_pass": 7}}) == attempt_policy(
        {**CASE, "repeat": {"min": 10, "max": 10}, "pass_if": {"min_pass": 7}}
    )
    policy = attempt_policy({**CASE, "repeat": {"min": 3, "max": 20}, "pass_if": {"min_pass": 14}})
    assert (policy.first, policy.most, policy.required, policy.sequential) == (3, 20, 14, True)
    assert attempt_policy({**CASE, "repeat": {"max": 2}}).first == 2  # min defaults to 3, capped at max
    assert attempt_policy({**CASE, "repeat": 5}, repeat=2).most == 2  # eval --repeat wins


def test_a_runaway_repeat_runs_no_attempt_and_fails(tmp_path: Path) -> None:
    """`repeat: {max: 1000000000}` (validate refuses it; a hook skipped) must not run for a year."""
    for repeat in (10**9, {"min": 3, "max": 10**9}):
        agent = CountingAgent(lambda i: True)
        result = run_eval([EvalCase({**CASE, "repeat": repeat}, tmp_path)], agent)
        (case,) = result.cases
        assert agent.calls == 0 and case.outcome == "fail", (repeat, agent.calls)
        assert f"over the maximum of {MAX_REPEAT}" in case.reasons[0]
    # control: the largest allowed count runs in full
    agent = CountingAgent(lambda i: True)
    result = run_eval([EvalCase({**CASE, "repeat": MAX_REPEAT}, tmp_path)], agent)
    assert agent.calls == MAX_REPEAT and result.cases[0].outcome == "pass"


def test_a_sequential_case_stops_once_its_floor_is_out_of_reach(tmp_path: Path) -> None:
    case = {**CASE, "repeat": {"min": 3, "max": 20}, "pass_if": {"min_pass": 18}}
    agent = CountingAgent(lambda i: False)  # three failures: 17 passes at most, below 18
    result = run_eval([EvalCase(case, tmp_path)], agent)
    assert agent.calls == 3 and result.cases[0].outcome == "fail" and result.cases[0].max_runs == 20
    # control: a case that keeps passing runs until its floor is certain (18 passes), not to 20
    agent = CountingAgent(lambda i: True)
    result = run_eval([EvalCase(case, tmp_path)], agent)
    assert agent.calls == 18 and result.cases[0].outcome == "pass"


def test_with_the_base_record_it_stops_once_the_comparison_is_decided(tmp_path: Path) -> None:
    case = {**CASE, "repeat": {"min": 3, "max": 20}, "pass_if": {"min_pass": 1}}
    reliability = Reliability({"AGTFAIL-0042": Record(20, 20)}, 0.05, 1)
    agent = CountingAgent(lambda i: i == 0)  # one pass, then failures: a drop long before 20
    result = run_eval([EvalCase(case, tmp_path)], agent, reliability=reliability)
    assert agent.calls < 20 and result.cases[0].runs == agent.calls
    # control: without the record only the floor decides, and one pass already meets it
    agent = CountingAgent(lambda i: i == 0)
    result = run_eval([EvalCase(case, tmp_path)], agent)
    assert agent.calls == 3  # min attempts, then the floor of 1 is certain


def test_undecided_never_asks_past_max() -> None:
    policy = attempt_policy({**CASE, "repeat": {"min": 3, "max": 5}})
    assert not undecided(policy, "AGTFAIL-0042", 2, 5, None)
    assert undecided(policy, "AGTFAIL-0042", 2, 2, None)  # below min: always another
