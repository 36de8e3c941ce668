"""failgate_replay's own API (`tool`, `model`) for agents that reach their tools and models some
other way, on a stochastic agent: 100 replays give 100 identical verdicts, the mutating tool never
runs, and every report format says what ran. The control runs the same agent live."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from dataset_builder import HEADER, case_block, event, write_dataset
from replay_support import failgate

from failgate.dataset.cassette import render_cassette

AGENT = """
import os, random
import failgate_replay

@failgate_replay.tool(mutating=True)
def issue_refund(order_id):
    with open(os.environ["REFUND_LEDGER"], "a") as ledger:
        ledger.write(order_id + "\\n")
    return {"refunded": order_id}

def ask(messages):
    # A model that answers at random: live, this case flaps.
    return failgate_replay.model(
        {"model": "dice", "messages": messages},
        lambda: random.choice(["Refund issued for order 8812.", "I cannot help with order 8812."]),
    )

def run(inp):
    reply = ask(inp["messages"])
    calls = []
    if "Refund issued" in reply["text"]:
        issue_refund(order_id="8812")
        calls.append({"name": "issue_refund", "arguments": {"order_id": "8812"}})
    return {"output": reply["text"], "tool_calls": calls}
"""

MESSAGES = [{"role": "user", "content": "Please refund order 8812, it arrived broken."}]
CASSETTE = [
    {
        "type": "model",
        "api": "generic",
        "request": {"model": "dice", "messages": MESSAGES},
        "response": {"text": "Refund issued for order 8812.", "tool_calls": []},
    },
    {"type": "tool", "name": "issue_refund", "arguments": {"order_id": "8812"}, "result": {"refunded": "8812"}},
]


@pytest.fixture
def project(git_repo: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    (git_repo / "diceagent.py").write_text(AGENT)
    (git_repo / "pyproject.toml").write_text('[tool.failgate]\nagent = "diceagent:run"\njobs = 4\n')
    block = case_block("AGTFAIL-0001").replace(
        "    input:\n", "    input:\n      cassette: cassettes/AGTFAIL-0001.jsonl\n", 1
    )
    dataset = write_dataset(
        git_repo / "evals" / "failures",
        cases=HEADER + block,
        history=event("01J0000000000000000000001A", "AGTFAIL-0001"),
    )
    (dataset / "cassettes").mkdir()
    (dataset / "cassettes" / "AGTFAIL-0001.jsonl").write_bytes(render_cassette("AGTFAIL-0001", CASSETTE))
    return git_repo, {**os.environ, "REFUND_LEDGER": str(tmp_path / "refunds.txt")}


def test_a_stochastic_agent_replays_100_times_with_100_identical_verdicts(project: tuple[Path, dict[str, str]]) -> None:
    root, env = project
    proc = failgate(root, "eval", "--repeat", "100", "--format", "json", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    case = json.loads(proc.stdout)["cases"][0]
    assert (case["passes"], case["runs"]) == (100, 100)
    assert case["replay"]["model_calls"] == {"replayed": 100, "live": 0}
    assert not Path(env["REFUND_LEDGER"]).exists()

    # control: live, the same agent flaps and really refunds
    live = failgate(root, "eval", "--live", "--repeat", "100", "--format", "json", env=env)
    passes = json.loads(live.stdout)["cases"][0]["passes"]
    assert 0 < passes < 100
    assert len(Path(env["REFUND_LEDGER"]).read_text().splitlines()) == passes


def test_every_report_says_what_ran(project: tuple[Path, dict[str, str]]) -> None:
    root, env = project
    text = failgate(root, "eval", env=env).stdout
    assert "replay: 1 replayed; model calls: 1 replayed, 0 live" in text
    junit = ET.fromstring(failgate(root, "eval", "--format", "junit", env=env).stdout)
    props = {p.get("name"): p.get("value") for p in junit.iter("property")}
    assert props == {"replay": "replayed", "model_calls_replayed": "1", "model_calls_live": "0"}
    markdown = failgate(root, "eval", "--format", "markdown", env=env).stdout
    assert "replay: 1 replayed; model calls: 1 replayed, 0 live" in markdown
    data = json.loads(failgate(root, "eval", "--format", "json", env=env).stdout)
    assert data["replay"]["replayed"] == 1 and data["cases"][0]["replay"]["status"] == "replayed"


def test_a_divergence_is_reported_at_its_step_in_every_format(project: tuple[Path, dict[str, str]]) -> None:
    root, env = project
    agent = root / "diceagent.py"
    agent.write_text(agent.read_text().replace('issue_refund(order_id="8812")', 'issue_refund(order_id="8813")'))
    proc = failgate(root, "eval", env=env)
    assert proc.returncode == 1
    said = "diverged at step 2 (tool issue_refund: args differ)"
    assert f"AGTFAIL-0001: {said}" in proc.stdout
    assert f"- replay {said}" in proc.stdout  # first reason of the failing case
    assert "mutating tool issue_refund not executed under replay" in proc.stdout
    junit = ET.fromstring(failgate(root, "eval", "--format", "junit", env=env).stdout)
    assert {p.get("name"): p.get("value") for p in junit.iter("property")}["replay"] == said
    assert said in failgate(root, "eval", "--format", "markdown", env=env).stdout
    show = failgate(root, "eval", "--case", "AGTFAIL-0001", "--show", env=env).stdout
    assert "step 1: replayed" in show
    assert 'step 2: blocked  ran      tool issue_refund({"order_id":"8813"})' in show
    assert 'recorded tool issue_refund({"order_id":"8812"})' in show
    assert not Path(env["REFUND_LEDGER"]).exists()


def test_outside_a_failgate_run_the_api_calls_straight_through(tmp_path: Path) -> None:
    import failgate_replay

    seen = []

    @failgate_replay.tool(mutating=True)
    def refund(order_id: str) -> str:
        seen.append(order_id)
        return "done"

    assert refund("1") == "done" and seen == ["1"]
    assert failgate_replay.model({"messages": []}, lambda: "hi") == {"text": "hi"}
