"""`failgate eval --case ID --show`: the whole response next to each rule's verdict,
and the agent's own traceback when it raised (in process and from a worker)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from failgate.cli import main

AGENT = """
def lookup(order):
    return {"8812": "shipped"}[order]   # KeyError for any other order


def run(inp):
    if inp.get("order"):
        lookup(inp["order"])
    return {"output": "Order 8812 is shipped.\\nAnything else?",
            "tool_calls": [{"name": "lookup_order", "arguments": {"order_id": "8812"}}],
            "turns": ["hello", "Order 8812 is shipped."], "latency_ms": 12, "model": "tiny-1"}
"""

MODES = [
    "tool_invocation",
    "retrieval_miss",
    "hallucination",
    "multi_turn_drift",
    "refusal_overreach",
    "latency_breach",
    "blast_radius_breach",
]


def case(n: int, inp: dict[str, Any], expected: list[Any]) -> dict[str, Any]:
    return {
        "id": f"AGTFAIL-{n:04d}",
        "title": f"case {n}",
        "failure_mode": "tool_invocation",
        "severity": "P1",
        "blast_radius": "customer_visible",
        "status": "active",
        "input": inp,
        "expected": expected,
    }


@pytest.fixture
def project(git_repo: Path) -> Path:
    (git_repo / "showagent.py").write_text(AGENT)
    directory = git_repo / "evals" / "failures"
    directory.mkdir(parents=True)
    cases = [
        case(1, {"say": "hi"}, [{"contains": "8812"}, {"not_contains": "shipped"}]),
        case(2, {"order": "9999"}, [{"contains": "8812"}]),
        case(3, {"say": "other"}, [{"contains": "8812"}]),
    ]
    (directory / "cases.yaml").write_text(
        yaml.safe_dump({"schema_version": 1, "failure_modes": MODES, "cases": cases}, sort_keys=False)
    )
    (git_repo / "pyproject.toml").write_text('[tool.failgate]\nagent = "showagent:run"\njobs = 1\ntimeout_s = 20\n')
    yield git_repo
    sys.modules.pop("showagent", None)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["eval", "--no-progress", *args])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_show_prints_the_whole_response_and_every_verdict(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "--case", "AGTFAIL-0001", "--show")
    assert code == 1
    shown = out[: out.index("failgate eval:")]  # the show block comes before the matrix
    assert "== AGTFAIL-0001  case 1" in shown
    assert "      | Order 8812 is shipped.\n      | Anything else?" in shown
    assert '1. lookup_order {"order_id": "8812"}' in shown
    assert "turn 1:\n      | hello" in shown
    assert "latency: 12 ms (reported by the agent)" in shown
    assert 'model: "tiny-1"' in shown
    assert "ok   contains: expected" in shown and "FAIL not_contains: expected" in shown
    assert "AGTFAIL-0003" not in shown  # only the cases asked for


def test_several_ids_and_the_agents_traceback_in_process(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "--case", "AGTFAIL-0002", "--case", "AGTFAIL-0001", "--show")
    assert code == 1
    assert out.index("== AGTFAIL-0002") < out.index("== AGTFAIL-0001")  # in the order asked
    assert "error: agent raised KeyError: '9999'" in out
    assert "traceback (the agent's side):" in out
    assert 'showagent.py", line 3, in lookup' in out and "failgate/eval/agents" not in out.split("traceback")[1]


def test_the_traceback_comes_back_from_a_worker_interpreter(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another interpreter (a path that is not failgate's): the callable runs in
    callable_worker.py there, and its traceback crosses the pipe."""
    other = tmp_path / "elsewhere" / "python"
    other.parent.mkdir()
    os.symlink(os.path.realpath(sys.executable), other)
    config = project / "pyproject.toml"
    config.write_text(config.read_text() + f'python = "{other}"\n')
    code, out = run(capsys, "--case", "AGTFAIL-0002", "--case", "AGTFAIL-0001", "--show")
    assert code == 1
    assert f"agent's Python: {other} ([tool.failgate] python)" in out
    assert "agent worker reported an error: agent raised KeyError: '9999'" in out
    assert 'showagent.py", line 3, in lookup' in out and "callable_worker" not in out.split("traceback")[1]
    # control: the same response as in process
    assert '1. lookup_order {"order_id": "8812"}' in out and "latency: 12 ms (reported by the agent)" in out


def test_show_needs_case(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "--show")
    assert code == 2 and "--show needs the cases to show: --case ID" in out
