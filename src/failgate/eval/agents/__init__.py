"""Agent adapters: the consumer's agent behind one small interface.

Three adapters (DESIGN.md "The agent and the judge"):

- `CallableAgent`: `package.module:function`, sync or `async def`, imported
  with the project root first on `sys.path`.
- `WorkerPoolAgent`: `agent_command`, a process speaking JSON lines, kept
  alive across cases, one per concurrent job, killed and replaced on timeout.
- `RecordedAgent`: a JSONL file of responses keyed by case id.

`Agent.call(request)` returns the agent's raw answer plus failgate's own
latency measurement, or raises `AgentError` (timeout, crash, garbage) whose
message becomes the failing case's reason. Adapters are thread-safe: the
runner calls them from `jobs` threads at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from failgate.findings import FailgateError

if TYPE_CHECKING:
    from failgate.eval.agents.interpreter import AgentPython
    from failgate.eval.replay import ReplayTools


class AgentError(Exception):
    """This call failed (raised, crashed, timed out, answered garbage); the run goes on.

    `detail` is the agent's side of the story when there is one: the traceback
    of the exception it raised (in process or in a worker), shown by `eval --show`."""

    def __init__(self, message: str = "", detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail
        self.replay: dict[str, Any] | None = None  # what the replay saw before the call failed


class AgentTimeout(AgentError):
    pass


@dataclasses.dataclass(frozen=True)
class AgentRequest:
    case_id: str
    input: Mapping[str, Any]  # the case's input, fixtures resolved to absolute paths
    attempt: int = 0  # 0-based repeat index
    timeout_s: float | None = None  # None: wait forever
    # failgate_replay's session request (mode, interactions, on_divergence, mutating); None: a plain live call
    replay: Mapping[str, Any] | None = None


@dataclasses.dataclass(frozen=True)
class AgentReply:
    raw: Any  # the agent's answer, still to be checked by judge.parse_response
    elapsed_ms: float  # measured by failgate around the call
    replay: dict[str, Any] | None = None  # failgate_replay's report of the call, when it replayed or recorded


class Agent(Protocol):
    name: str  # shown in reports: "myagent.evals:run", "python -m worker", "recorded:runs.jsonl"
    # Adapters that run Python also have `interpreter: str`, e.g.
    # "/repo/.venv/bin/python (.venv/ at the project root)", said next to the name.

    def call(self, request: AgentRequest) -> AgentReply: ...

    def close(self) -> None: ...


def build_agent(
    *,
    root: Path,
    agent: str | None = None,
    agent_command: Sequence[str] | None = None,
    recorded: Path | None = None,
    jobs: int = 1,
    python: AgentPython | None = None,
    replay_tools: ReplayTools | None = None,
) -> Agent:
    """The adapter for what was configured; exactly one source must be given.

    `replay_tools`: the tools failgate_replay intercepts inside a callable agent's process
    (installed before the agent is imported); a worker command is not intercepted.

    `python` (from `interpreter.for_config`): the consumer's interpreter and the
    code under test's import path. A callable runs in process when that is
    failgate's own interpreter, else in `callable_worker.py` processes of it; an
    `agent_command` starting with `python`/`python3` gets that interpreter
    (on PATH inside a pre-commit hook, `python` is the hook's venv).

    Raises FailgateError (exit 2) when none is, or the agent cannot be loaded.
    """
    given = [x for x in (agent, agent_command, recorded) if x]
    if not given:
        raise FailgateError(
            'no agent configured: set `agent = "package.module:function"` or `agent_command = [...]` in'
            " [tool.failgate], or pass --agent / --agent-command / --recorded",
            exit_code=2,
        )
    if len(given) > 1:
        raise FailgateError("give only one of an agent, an agent command or a recorded-outputs file", exit_code=2)
    if recorded:
        from failgate.eval.agents.recorded import RecordedAgent

        return RecordedAgent(recorded)
    import os

    if agent_command:
        from failgate.eval.agents.worker import WorkerPoolAgent

        command = list(agent_command)
        if python is None:
            return WorkerPoolAgent(command, cwd=root, size=jobs)
        if command[0] in ("python", "python3"):
            command[0] = python.executable
        pool = WorkerPoolAgent(command, cwd=root, size=jobs, env=python.env(os.environ))
        pool.interpreter = python.describe()
        return pool
    assert agent is not None
    if python is not None and not python.in_process:
        from failgate.eval.agents.callable_process import CallableProcessAgent

        return CallableProcessAgent(agent, python, cwd=root, size=jobs, env=dict(os.environ), tools=replay_tools)
    from failgate.eval.agents.pycallable import CallableAgent

    if python is None:
        return CallableAgent.from_ref(agent, root=root, tools=replay_tools)
    adapter = CallableAgent.from_ref(agent, root=root, paths=python.import_paths, tools=replay_tools)
    adapter.interpreter = python.describe()
    return adapter


__all__ = ["Agent", "AgentError", "AgentTimeout", "AgentRequest", "AgentReply", "build_agent"]
