"""Agent adapters: the consumer's agent behind one small interface.

Three adapters (docs/reference/agent-protocol.md):

- `CallableProcessAgent`: `package.module:function`, sync or `async def`,
  imported and called in `callable_worker.py` processes of the consumer's
  interpreter, never in failgate's own process: nothing the agent does at
  import or during a case (`sys.exit`, `os._exit`, a print on stdout, a patch
  of failgate's judge) can end failgate or reach the judge. A verdict exists
  only when every case was judged; a worker that dies fails its case.
- `WorkerPoolAgent`: `agent_command`, a process speaking JSON lines, kept
  alive across cases, one per concurrent job, killed and replaced on timeout.
- `RecordedAgent`: a JSONL file of responses keyed by case id.

`Agent.call(request)` returns the agent's raw answer plus failgate's own
latency measurement, or raises `AgentError` (timeout, crash, garbage) whose
message becomes the failing case's reason. Adapters are thread-safe: the
runner calls them from `jobs` threads at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from failgate.eval.agents.protocol import Agent, AgentError, AgentReply, AgentRequest, AgentTimeout
from failgate.findings import FailgateError

if TYPE_CHECKING:
    from failgate.eval.agents.interpreter import AgentPython
    from failgate.eval.replay import ReplayTools

__all__ = ["Agent", "AgentError", "AgentReply", "AgentRequest", "AgentTimeout", "build_agent"]


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
    code under test's import path. A callable runs in `callable_worker.py`
    processes of it, even when it is failgate's own interpreter; an
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
    from failgate.eval.agents.callable_process import CallableProcessAgent

    if python is None:
        from failgate.eval.agents.interpreter import agent_python

        python = agent_python(python_root=root, code_root=root)
    return CallableProcessAgent(agent, python, cwd=root, size=jobs, env=dict(os.environ), tools=replay_tools)


__all__ = ["Agent", "AgentError", "AgentTimeout", "AgentRequest", "AgentReply", "build_agent"]
