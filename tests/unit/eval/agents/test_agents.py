"""Agent adapters: callables (sync and async), the worker pool under abuse, recorded outputs."""

from __future__ import annotations

import json
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from failgate.eval.agents import AgentError, AgentRequest, AgentTimeout, build_agent
from failgate.eval.agents.recorded import RecordedAgent
from failgate.eval.agents.worker import WorkerPoolAgent
from failgate.eval.runner import EvalCase, run_eval
from failgate.findings import FailgateError

WORKER = textwrap.dedent(
    """
    import json, os, sys, time
    for line in sys.stdin:
        request = json.loads(line)
        do = request["input"].get("do", "echo")
        if do == "hang":
            time.sleep(60)
        elif do == "die":
            print("worker: about to crash", file=sys.stderr, flush=True)
            sys.exit(3)
        elif do == "garbage":
            print("Loading model weights... done", flush=True)
            continue
        elif do == "wrongid":
            print(json.dumps({"id": "AGTFAIL-9999", "output": "x"}), flush=True)
            continue
        elif do == "error":
            print(json.dumps({"id": request["id"], "error": "upstream 503"}), flush=True)
            continue
        print(json.dumps({"id": request["id"], "output": "pid %d says %s" % (os.getpid(), request["input"].get("text")),
                          "tool_calls": [{"name": "echo", "arguments": {"attempt": request["attempt"]}}]}), flush=True)
    """
)


@pytest.fixture
def worker_cmd(tmp_path: Path) -> list[str]:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    return [sys.executable, str(script)]


def _req(case_id: str = "AGTFAIL-0001", timeout: float | None = 5.0, **inp: Any) -> AgentRequest:
    return AgentRequest(case_id, inp, 0, timeout)


# -- callables (always in callable_worker.py processes, never in failgate's) ------
CALLABLES = textwrap.dedent(
    """
    import asyncio


    def sync_agent(inp):
        if inp.get("do") == "raise":
            raise ValueError("bad order id")
        if inp.get("do") == "spin":
            while True:
                pass
        return {"output": f"echo {inp.get('text')}"}


    async def async_agent(inp):
        if inp.get("do") == "hang":
            await asyncio.sleep(60)
        await asyncio.sleep(0.01)
        return {"output": f"async {inp.get('text')}", "latency_ms": 7}
    """
)


@pytest.fixture
def callables(tmp_path: Path) -> Path:
    (tmp_path / "callables_mod.py").write_text(CALLABLES)
    return tmp_path


def test_sync_callable(callables: Path) -> None:
    agent = build_agent(root=callables, agent="callables_mod:sync_agent")
    try:
        reply = agent.call(_req(text="hi"))
        assert reply.raw == {"output": "echo hi"} and reply.elapsed_ms >= 0
        with pytest.raises(AgentError, match="agent raised ValueError: bad order id"):
            agent.call(_req(do="raise"))
    finally:
        agent.close()


def test_async_callable_answers_after_a_timeout(callables: Path) -> None:
    agent = build_agent(root=callables, agent="callables_mod:async_agent")
    try:
        assert agent.call(_req(text="hi")).raw["output"] == "async hi"
        start = time.monotonic()
        with pytest.raises(AgentTimeout, match="killed and replaced"):
            agent.call(_req(do="hang", timeout=0.5))
        assert time.monotonic() - start < 3
        assert agent.call(_req(text="again")).raw["output"] == "async again"
    finally:
        agent.close()


def test_sync_callable_timeout_stops_a_spinning_agent(callables: Path) -> None:
    agent = build_agent(root=callables, agent="callables_mod:sync_agent")
    try:
        first = agent.call(_req(text="a"))
        assert first.raw == {"output": "echo a"}
        start = time.monotonic()
        with pytest.raises(AgentTimeout, match="timed out after 0.5 s"):
            agent.call(_req(do="spin", timeout=0.5))
        assert time.monotonic() - start < 3
        assert agent.restarts == 1  # the spinning process was killed, not left running
    finally:
        agent.close()


def test_callable_loaded_from_the_project_root(tmp_path: Path) -> None:
    (tmp_path / "rootagent_mod.py").write_text("def run(inp):\n    return {'output': 'from root'}\n")
    try:
        agent = build_agent(root=tmp_path, agent="rootagent_mod:run")
        assert agent.call(_req()).raw == {"output": "from root"}
    finally:
        sys.modules.pop("rootagent_mod", None)
    with pytest.raises(FailgateError, match="cannot load agent 'nope_mod:run'"):
        build_agent(root=tmp_path, agent="nope_mod:run")
    with pytest.raises(FailgateError, match="no agent configured"):
        build_agent(root=tmp_path)


# -- worker pool ------------------------------------------------------------------
def test_worker_answers_and_stays_alive(worker_cmd: list[str], tmp_path: Path) -> None:
    agent = WorkerPoolAgent(worker_cmd, cwd=tmp_path, size=1)
    try:
        first = agent.call(_req(text="a")).raw
        second = agent.call(_req(text="b")).raw
        assert first["output"].endswith("says a") and second["output"].endswith("says b")
        assert first["output"].split()[1] == second["output"].split()[1]  # same pid: kept alive
    finally:
        agent.close()


def test_hung_worker_is_killed_and_replaced(worker_cmd: list[str], tmp_path: Path) -> None:
    agent = WorkerPoolAgent(worker_cmd, cwd=tmp_path, size=1)
    try:
        pid = agent.call(_req(text="a")).raw["output"].split()[1]
        start = time.monotonic()
        with pytest.raises(AgentTimeout, match="timed out after 0.5 s \\(killed and replaced\\)"):
            agent.call(_req(do="hang", timeout=0.5))
        assert time.monotonic() - start < 3
        after = agent.call(_req(text="b")).raw["output"]
        assert after.endswith("says b") and after.split()[1] != pid
        assert agent.restarts == 1
    finally:
        agent.close()


def test_worker_that_dies_mid_run_fails_one_case_with_its_stderr(worker_cmd: list[str], tmp_path: Path) -> None:
    agent = WorkerPoolAgent(worker_cmd, cwd=tmp_path, size=1)
    try:
        with pytest.raises(AgentError) as info:
            agent.call(_req(do="die"))
        assert "exited (code 3) while answering" in str(info.value)
        assert "worker: about to crash" in str(info.value)
        assert agent.call(_req(text="next")).raw["output"].endswith("says next")
    finally:
        agent.close()


def test_worker_garbage_fails_the_case_and_the_worker_is_replaced(worker_cmd: list[str], tmp_path: Path) -> None:
    agent = WorkerPoolAgent(worker_cmd, cwd=tmp_path, size=1)
    try:
        with pytest.raises(AgentError, match="not JSON: 'Loading model weights... done'.*stderr, not stdout"):
            agent.call(_req(do="garbage"))
        with pytest.raises(AgentError, match="answered for id 'AGTFAIL-9999', expected 'AGTFAIL-0001'"):
            agent.call(_req(do="wrongid"))
        with pytest.raises(AgentError, match="reported an error: upstream 503"):
            agent.call(_req(do="error"))
        assert agent.restarts == 2  # garbage and wrong id: replaced; a reported error keeps the worker
        assert agent.call(_req(text="ok")).raw["output"].endswith("says ok")
    finally:
        agent.close()


def test_worker_command_that_cannot_start_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(FailgateError, match="cannot start agent_command") as info:
        WorkerPoolAgent(["/nonexistent/agent-binary"], cwd=tmp_path)
    assert info.value.exit_code == 2


def test_worker_pool_runs_several_workers_and_survives_abuse(worker_cmd: list[str], tmp_path: Path) -> None:
    cases = []
    for i in range(24):
        do = {5: "hang", 9: "die", 13: "garbage"}.get(i, "echo")
        cases.append(
            EvalCase(
                {
                    "id": f"AGTFAIL-{i:04d}",
                    "input": {"do": do, "text": str(i)},
                    "expected": [{"contains": f"says {i}"}],
                },
                tmp_path,
            )
        )
    agent = WorkerPoolAgent(worker_cmd, cwd=tmp_path, size=4)
    try:
        result = run_eval(cases, agent, jobs=4, timeout_s=1.0)
    finally:
        agent.close()
    outcomes = {c.case_id: c for c in result.cases}
    failed = sorted(c.case_id for c in result.failed)
    assert failed == ["AGTFAIL-0005", "AGTFAIL-0009", "AGTFAIL-0013"]
    assert "timed out" in outcomes["AGTFAIL-0005"].reasons[0]
    assert "exited" in outcomes["AGTFAIL-0009"].reasons[0]
    assert "not JSON" in outcomes["AGTFAIL-0013"].reasons[0]
    assert len(result.cases) == 24 and result.wall_s < 5


def test_worker_pool_uses_up_to_jobs_processes(worker_cmd: list[str], tmp_path: Path) -> None:
    slow = tmp_path / "slow.py"
    slow.write_text(
        "import json, os, sys, time\n"
        "for line in sys.stdin:\n"
        "    r = json.loads(line); time.sleep(0.1)\n"
        "    print(json.dumps({'id': r['id'], 'output': str(os.getpid())}), flush=True)\n"
    )
    agent = WorkerPoolAgent([sys.executable, str(slow)], cwd=tmp_path, size=3)
    cases = [EvalCase({"id": f"C{i}", "input": {"x": i}, "expected": [{"regex": r"\d+"}]}, tmp_path) for i in range(9)]
    try:
        result = run_eval(cases, agent, jobs=3, timeout_s=5)
        assert result.ok
        assert agent.count == 3  # one worker per job, each kept alive across cases
    finally:
        agent.close()


# -- recorded outputs ---------------------------------------------------------------
def test_recorded_outputs(tmp_path: Path) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_text(
        json.dumps({"id": "AGTFAIL-0001", "output": "first"})
        + "\n\n"
        + json.dumps({"id": "AGTFAIL-0001", "response": {"output": "second"}})
        + "\n"
    )
    agent = RecordedAgent(path)
    assert agent.call(AgentRequest("AGTFAIL-0001", {}, 0)).raw == {"output": "first"}
    assert agent.call(AgentRequest("AGTFAIL-0001", {}, 1)).raw == {"output": "second"}
    assert agent.call(AgentRequest("AGTFAIL-0001", {}, 5)).raw == {"output": "second"}
    with pytest.raises(AgentError, match="no recorded output for AGTFAIL-0002"):
        agent.call(AgentRequest("AGTFAIL-0002", {}, 0))


def test_recorded_outputs_garbage_is_reported_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_text('{"id": "A", "output": "x"}\nnot json\n{"output": "no id"}\n')
    with pytest.raises(FailgateError) as info:
        RecordedAgent(path)
    assert [str(f.location) for f in info.value.findings] == [f"{path}:2:1", f"{path}:3"]
