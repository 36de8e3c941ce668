"""A callable agent out of failgate's process: workers running `callable_worker.py`.

The callable runs in a pool of `callable_worker.py` processes started with the
consumer's interpreter (which may not be the one failgate runs in: a pre-commit
hook venv, a pipx install), over the JSON-lines worker protocol, with the code
under test first on PYTHONPATH. Even in failgate's own interpreter the agent is
never imported beside the judge: the agent is the code under test, and the
gate's verdict must not depend on what it does to the process that judges it
(the manual's "What the gate trusts"). Each worker first says whether the agent
imported: an agent that cannot be imported (or exits while importing) is a
configuration error (exit 2) naming the interpreter, not one identical failure
per case.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

from failgate.dataset.jsonstrict import loads_line
from failgate.eval.agents.interpreter import AgentPython
from failgate.eval.agents.protocol import AgentError, AgentTimeout
from failgate.eval.agents.worker import WorkerPoolAgent, _Worker
from failgate.findings import FailgateError

if TYPE_CHECKING:
    from failgate.eval.replay import ReplayTools

WORKER_SCRIPT = Path(__file__).with_name("callable_worker.py")


def replay_env(tools: ReplayTools | None) -> dict[str, str]:
    """Where the worker finds failgate_replay (stdlib only, loaded by path: failgate may not be
    installed in the consumer's interpreter) and which tools it wraps before importing the agent."""
    import failgate_replay

    env = {"FAILGATE_REPLAY_SHIM": str(Path(failgate_replay.__file__).parent)}
    if tools is not None and tools.refs:
        env["FAILGATE_REPLAY_TOOLS"] = json.dumps({"tools": list(tools.refs), "mutating": list(tools.mutating)})
    return env


LOAD_TIMEOUT_S = 120.0  # importing a real agent (an SDK, a model client) can take a while


class CallableProcessAgent(WorkerPoolAgent):
    replays = True  # callable_worker.py loads failgate_replay: cases with a cassette replay

    def __init__(
        self,
        ref: str,
        python: AgentPython,
        *,
        cwd: Path,
        size: int = 1,
        env: dict[str, str],
        tools: ReplayTools | None = None,
    ) -> None:
        from failgate.config.checkers import agent_ref

        problem = agent_ref(ref)  # the same refusal as the config key's, for --agent too
        if problem:
            raise FailgateError(f"agent must be {problem}, got {ref!r}", exit_code=2)
        self.ref = ref
        self.python = python
        env = {**env, **replay_env(tools)}
        super().__init__(
            [python.executable, str(WORKER_SCRIPT), ref], cwd=cwd, size=size, env=python.env(env), name=ref
        )
        self.interpreter = python.describe()

    def _spawn(self) -> _Worker:
        worker = super()._spawn()
        try:
            return self._handshake(worker)
        except FailgateError:
            with self.lock:
                self.count -= 1
            raise

    def _handshake(self, worker: _Worker) -> _Worker:
        try:
            line = worker.read_line(time.monotonic() + LOAD_TIMEOUT_S)
            hello = loads_line(line.decode("utf-8", "replace"), strict=False)
        except AgentTimeout:
            worker.kill()
            raise FailgateError(
                f"agent {self.ref!r} did not finish importing in {LOAD_TIMEOUT_S:g} s in {self.python.describe()}",
                exit_code=2,
            ) from None
        except (AgentError, ValueError) as exc:
            worker.kill()
            raise FailgateError(
                f"cannot start agent {self.ref!r} in {self.python.describe()}: {exc}", exit_code=2
            ) from None
        if isinstance(hello, dict) and "ready" in hello:
            return worker
        worker.kill()
        reason = hello.get("load_error") if isinstance(hello, dict) else None
        trace = hello.get("traceback") if isinstance(hello, dict) else None
        raise FailgateError(
            f"cannot load agent {self.ref!r} in {self.python.describe()}: {reason if reason else repr(hello)}\n"
            f"  import path first: {', '.join(self.python.import_paths)}\n"
            '  install the agent\'s dependencies into that interpreter, or set [tool.failgate] python = "..."'
            + (f"\n{trace.rstrip()}" if isinstance(trace, str) and trace else ""),
            exit_code=2,
        )
