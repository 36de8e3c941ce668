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
from pathlib import Path
from typing import Any, Mapping, Protocol, Sequence

from failgate.findings import FailgateError


class AgentError(Exception):
    """This call failed (raised, crashed, timed out, answered garbage); the run goes on."""


class AgentTimeout(AgentError):
    pass


@dataclasses.dataclass(frozen=True)
class AgentRequest:
    case_id: str
    input: Mapping[str, Any]  # the case's input, fixtures resolved to absolute paths
    attempt: int = 0  # 0-based repeat index
    timeout_s: float | None = None  # None: wait forever


@dataclasses.dataclass(frozen=True)
class AgentReply:
    raw: Any  # the agent's answer, still to be checked by judge.parse_response
    elapsed_ms: float  # measured by failgate around the call


class Agent(Protocol):
    name: str  # shown in reports: "myagent.evals:run", "python -m worker", "recorded:runs.jsonl"

    def call(self, request: AgentRequest) -> AgentReply: ...

    def close(self) -> None: ...


def build_agent(
    *,
    root: Path,
    agent: str | None = None,
    agent_command: Sequence[str] | None = None,
    recorded: Path | None = None,
    jobs: int = 1,
) -> Agent:
    """The adapter for what was configured; exactly one source must be given.

    Raises FailgateError (exit 2) when none is, or the agent cannot be loaded.
    """
    given = [x for x in (agent, agent_command, recorded) if x]
    if not given:
        raise FailgateError(
            "no agent configured: set `agent = \"package.module:function\"` or `agent_command = [...]` in"
            " [tool.failgate], or pass --agent / --agent-command / --recorded",
            exit_code=2,
        )
    if len(given) > 1:
        raise FailgateError("give only one of an agent, an agent command or a recorded-outputs file", exit_code=2)
    if recorded:
        from failgate.eval.agents.recorded import RecordedAgent

        return RecordedAgent(recorded)
    if agent_command:
        from failgate.eval.agents.worker import WorkerPoolAgent

        return WorkerPoolAgent(list(agent_command), cwd=root, size=jobs)
    from failgate.eval.agents.pycallable import CallableAgent

    assert agent is not None
    return CallableAgent.from_ref(agent, root=root)


__all__ = ["Agent", "AgentError", "AgentTimeout", "AgentRequest", "AgentReply", "build_agent"]
