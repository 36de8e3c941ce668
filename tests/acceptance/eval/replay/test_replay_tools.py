"""Configured tools: functions, methods, static and class methods, async tools, wrapped before the
agent imports them; a tool's recorded error is raised again; a cassette that cannot be read fails
its case with the reason while the run goes on, and nothing is written."""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
from pathlib import Path

import pytest

import failgate_replay

TOOLS = """
import json, os

SIDE = []

def lookup(order_id, *, verbose=False):
    SIDE.append(("lookup", order_id))
    return {"order": order_id}

def refund(order_id):
    SIDE.append(("refund", order_id))
    return {"refunded": order_id}

async def notify(to):
    SIDE.append(("notify", to))
    return "sent"

class Crm:
    def find(self, name):
        SIDE.append(("find", name))
        return {"name": name}

    @staticmethod
    def ping():
        SIDE.append(("ping",))
        return "pong"

    @classmethod
    def version(cls, major):
        SIDE.append(("version", major))
        return major
"""


@pytest.fixture
def tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    name = f"replaytools_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(TOOLS)
    monkeypatch.syspath_prepend(str(tmp_path))
    failgate_replay.install_tools(
        [f"{name}:lookup", f"{name}:Crm.find", f"{name}:Crm.ping", f"{name}:Crm.version", f"{name}:notify"],
        [f"{name}:refund"],
    )
    module = importlib.import_module(name)
    yield module
    sys.modules.pop(name, None)


def test_every_kind_of_tool_records_and_replays(tools: object) -> None:
    m = tools
    with failgate_replay.activate({"mode": "record"}) as session:
        m.lookup("8812", verbose=True)
        m.Crm().find("dana")
        m.Crm.ping()
        m.Crm.version(2)
        asyncio.run(m.notify("dana@example.com"))
        m.refund("8812")
    recorded = session.report()["interactions"]
    assert [(i["name"], i["arguments"]) for i in recorded] == [
        ("lookup", {"order_id": "8812", "verbose": True}),
        ("find", {"name": "dana"}),
        ("ping", {}),
        ("version", {"major": 2}),
        ("notify", {"to": "dana@example.com"}),
        ("refund", {"order_id": "8812"}),
    ]
    assert recorded[-1]["mutating"] is True
    m.SIDE.clear()
    with failgate_replay.activate({"mode": "replay", "interactions": recorded}) as session:
        assert m.lookup("8812", verbose=True) == {"order": "8812"}
        assert m.Crm().find("dana") == {"name": "dana"}
        assert m.Crm.ping() == "pong" and m.Crm.version(2) == 2
        assert asyncio.run(m.notify("dana@example.com")) == "sent"
        assert m.refund("8812") == {"refunded": "8812"}
    assert m.SIDE == [] and session.report()["status"] == "replayed"


def test_a_recorded_error_is_raised_again(tools: object) -> None:
    recorded = [{"type": "tool", "name": "lookup", "arguments": {"order_id": "1"},
                 "error": {"type": "KeyError", "message": "no such order"}},
                {"type": "tool", "name": "refund", "arguments": {"order_id": "1"},
                 "error": {"type": "PaymentDeclined", "message": "card expired"}}]  # fmt: skip
    with failgate_replay.activate({"mode": "replay", "interactions": recorded}):
        with pytest.raises(KeyError):
            tools.lookup("1")  # type: ignore[attr-defined]
        with pytest.raises(failgate_replay.RecordedToolError, match="PaymentDeclined: card expired"):
            tools.refund("1")  # type: ignore[attr-defined]


def test_after_a_divergence_reads_go_live_and_mutations_never_run(tools: object) -> None:
    m = tools
    recorded = [{"type": "tool", "name": "lookup", "arguments": {"order_id": "1"}, "result": {"order": "1"}}]
    m.SIDE.clear()
    with failgate_replay.activate({"mode": "replay", "interactions": recorded}) as session:
        assert m.lookup("2") == {"order": "2"}  # diverged: live
        with pytest.raises(failgate_replay.MutatingToolNotExecuted, match="refund not executed under replay"):
            m.refund("2")
    assert m.SIDE == [("lookup", "2")]
    report = session.report()
    assert report["divergence"]["step"] == 1 and report["divergence"]["reason"] == "tool lookup: args differ"
    with failgate_replay.activate({"mode": "replay", "on_divergence": "fail", "interactions": recorded}):
        with pytest.raises(failgate_replay.ReplayDivergence, match="on_divergence = fail"):
            m.lookup("2")
    assert m.SIDE == [("lookup", "2")]


def test_an_unreadable_cassette_fails_its_case_and_the_run_goes_on(git_repo: Path) -> None:
    from dataset_builder import HEADER, case_block, write_dataset

    from failgate.cli import main

    (git_repo / "okagent.py").write_text("def run(inp):\n    return {'output': 'order 8812', 'tool_calls': "
                                         "[{'name': 'issue_refund', 'arguments': {}}]}\n")  # fmt: skip
    (git_repo / "pyproject.toml").write_text('[tool.failgate]\nagent = "okagent:run"\n')
    first = case_block("AGTFAIL-0001").replace("    input:\n", "    input:\n      cassette: cassettes/bad.jsonl\n", 1)
    dataset = write_dataset(git_repo / "evals" / "failures", cases=HEADER + first + "\n" + case_block("AGTFAIL-0002"))
    (dataset / "cassettes").mkdir()
    (dataset / "cassettes" / "bad.jsonl").write_text(
        '{"type": "header", "version": 1, "case_id": "AGTFAIL-0001"}\n{"type": "to'
    )
    before = {p: p.read_bytes() for p in dataset.rglob("*") if p.is_file()}
    out = git_repo / "report.json"
    assert main(["eval", "--format", "json", "--output", str(out)]) == 1
    cases = {c["id"]: c for c in json.loads(out.read_text())["cases"]}
    assert cases["AGTFAIL-0002"]["outcome"] == "pass"  # the run went on
    assert cases["AGTFAIL-0001"]["outcome"] == "fail"
    assert "cassette cassettes/bad.jsonl:2:" in cases["AGTFAIL-0001"]["reasons"][0]
    assert {p: p.read_bytes() for p in dataset.rglob("*") if p.is_file()} == before


def test_recording_that_cannot_edit_the_case_writes_nothing(git_repo: Path) -> None:
    from dataset_builder import HEADER, case_block, event, write_dataset

    from failgate.cli import main

    (git_repo / "okagent2.py").write_text("def run(inp):\n    return {'output': 'order 8812'}\n")
    (git_repo / "pyproject.toml").write_text('[tool.failgate]\nagent = "okagent2:run"\n')
    flow = case_block("AGTFAIL-0001").replace(
        "    input:\n      messages:\n        - role: user\n          content: ",
        "    input: {messages: [{role: user, content: ",
    )
    flow = flow.replace('broken."\n', 'broken."}]}\n', 1)
    history = event("01J0000000000000000000001A", "AGTFAIL-0001")
    dataset = write_dataset(git_repo / "evals" / "failures", cases=HEADER + flow, history=history)
    assert main(["validate", "--no-cache"]) == 0
    before = {p: p.read_bytes() for p in dataset.rglob("*") if p.is_file() and p.name != ".failgate.lock"}
    assert main(["eval", "--record-cassettes"]) == 1
    assert {p: p.read_bytes() for p in dataset.rglob("*") if p.is_file() and p.name != ".failgate.lock"} == before
    assert not (dataset / "cassettes").exists()
