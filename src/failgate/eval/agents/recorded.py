"""Recorded outputs standing in for the agent: offline replay, judging traces.

The file is JSON lines, one response per line with the case id:

    {"id": "AGTFAIL-0042", "output": "...", "tool_calls": [...], "latency_ms": 812}

or the response nested: `{"id": "AGTFAIL-0042", "response": {...}}`. Several
lines for one id are that case's repeats in order (attempt i reads the i-th
line, the last line once they run out). A case with no line fails with
"no recorded output". Recordings should carry `latency_ms`: there is no call
to measure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from failgate.dataset.jsonstrict import JsonLineError, loads_line, split_lines
from failgate.eval.agents.protocol import AgentError, AgentReply, AgentRequest
from failgate.findings import FailgateError, Finding, Location


class RecordedAgent:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = f"recorded:{path.name}"
        self.responses: dict[str, list[Any]] = {}
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise FailgateError(f"cannot read recorded outputs {path}: {exc}", exit_code=2) from None
        findings = []
        # `\n` only: splitlines() would also break inside a JSON string at U+2028 or U+0085.
        for lineno, line in split_lines(text):
            if not line.strip():
                continue
            try:
                entry = loads_line(line, strict=False)
            except JsonLineError as exc:
                findings.append(Finding("RECORDED", exc.message, Location(str(path), lineno, exc.col or 1)))
                continue
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                findings.append(
                    Finding("RECORDED", "each line must be an object with a string 'id'", Location(str(path), lineno))
                )
                continue
            case_id = entry.pop("id")
            response = entry["response"] if isinstance(entry.get("response"), dict) else entry
            self.responses.setdefault(case_id, []).append(response)
        if findings:
            raise FailgateError(f"{path}: invalid recorded outputs", exit_code=2, findings=findings)

    def call(self, request: AgentRequest) -> AgentReply:
        answers = self.responses.get(request.case_id)
        if not answers:
            raise AgentError(f"no recorded output for {request.case_id} in {self.path}")
        return AgentReply(answers[min(request.attempt, len(answers) - 1)], 0.0)

    def close(self) -> None:
        pass
