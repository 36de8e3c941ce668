"""A real refund agent on the real `openai` SDK, and an OpenAI-compatible server on 127.0.0.1
answering chat.completions as the API documents: the parts the replay tests attack."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from dataset_builder import HEADER, case_block, event, write_dataset

TOOLS = """
import json, os

def lookup_order(order_id):
    return {"order_id": order_id, "status": "arrived broken"}

def issue_refund(order_id):
    # The irreversible side effect: one line per refund in a ledger file.
    with open(os.environ["REFUND_LEDGER"], "a") as ledger:
        ledger.write(order_id + "\\n")
    return {"refunded": order_id}
"""

AGENT = """
import json, os
import openai
from refundtools import issue_refund, lookup_order

PROMPT = "You are a careful support agent."
REFUNDS_PER_CALL = 1
TOOLS = [
    {"type": "function", "function": {"name": name, "parameters": {"type": "object",
     "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]}}}
    for name in ("lookup_order", "issue_refund")
]

def run(inp):
    client = openai.OpenAI(base_url=os.environ["AGENT_BASE_URL"], api_key="sk-test", max_retries=0, timeout=5)
    messages = [{"role": "system", "content": PROMPT}, *inp["messages"]]
    calls = []
    for _ in range(6):
        reply = client.chat.completions.create(model="support-model", messages=messages, tools=TOOLS)
        message = reply.choices[0].message
        if not message.tool_calls:
            return {"output": message.content, "tool_calls": calls}
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls:
            args = json.loads(call.function.arguments)
            tool = {"issue_refund": issue_refund, "lookup_order": lookup_order}[call.function.name]
            for _ in range(REFUNDS_PER_CALL if call.function.name == "issue_refund" else 1):
                result = tool(**args)
                calls.append({"name": call.function.name, "arguments": args})
            messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)})
    return {"output": "gave up", "tool_calls": calls}
"""

CONFIG = """
[tool.failgate]
agent = "refundagent:run"
jobs = 1
{python}
[tool.failgate.replay]
tools = ["refundtools:lookup_order"]
mutating_tools = ["refundtools:issue_refund"]
{replay}
"""


def _completion(message: dict[str, Any], n: int) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{n}",
        "object": "chat.completion",
        "created": 1_700_000_000 + n,
        "model": "support-model",
        "choices": [
            {"index": 0, "message": message, "finish_reason": "tool_calls" if message.get("tool_calls") else "stop"}
        ],
        "usage": {"prompt_tokens": 10 * n, "completion_tokens": 5, "total_tokens": 10 * n + 5},
    }


def _call(n: int, name: str) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": f"call_{n}", "type": "function", "function": {"name": name, "arguments": '{"order_id": "8812"}'}}
        ],
    }


class FakeOpenAI:
    """POST /v1/chat/completions: look the order up, refund it, then say so."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                owner.requests.append(body)
                tools_done = [m.get("content") for m in body["messages"] if m.get("role") == "tool"]
                n = len(owner.requests)
                if len(tools_done) == 0:
                    message = _call(n, "lookup_order")
                elif len(tools_done) == 1:
                    message = _call(n, "issue_refund")
                else:
                    message = {"role": "assistant", "content": "Refund issued for order 8812."}
                data = json.dumps(_completion(message, n)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def serving() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def make_project(root: Path, *, python: str = "", replay: str = "") -> Path:
    """The consumer repo: agent, tools, config and a one-case dataset; returns the dataset dir."""
    (root / "refundagent.py").write_text(AGENT)
    (root / "refundtools.py").write_text(TOOLS)
    (root / "pyproject.toml").write_text(CONFIG.format(python=python, replay=replay))
    cases = HEADER + case_block("AGTFAIL-0001").replace(
        "      - tool_called: {name: issue_refund, times: 1}",
        "      - tool_called: {name: issue_refund, times: 1}\n      - contains: Refund issued",
    )
    history = event("01J0000000000000000000001A", "AGTFAIL-0001")
    return write_dataset(root / "evals" / "failures", cases=cases, history=history)


def failgate(root: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "failgate.cli", *args], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )


def case_report(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    return json.loads(proc.stdout)["cases"][0]  # type: ignore[no-any-return]
