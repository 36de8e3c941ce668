"""What every agent adapter is and returns: the interface the runner calls.

Apart from `failgate.eval.agents` (which picks and builds an adapter) so that the
adapters import it without importing their own builder back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Protocol


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
