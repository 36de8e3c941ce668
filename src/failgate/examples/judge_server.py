"""A small judge endpoint on 127.0.0.1 speaking the chat-completions protocol.

For the demo, the tests and the benchmark: it answers POST .../chat/completions
with whatever `decide(request_body)` scripts. A real team points
`[tool.failgate.judge.llm] base_url` at its own model (OpenAI, vLLM, Ollama,
llama.cpp's server, a LiteLLM proxy) instead.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclasses.dataclass
class Reply:
    content: str | None = None  # the assistant message's content (a verdict, or not)
    status: int = 200
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    raw: bytes | None = None  # the whole HTTP body instead of a chat-completion envelope
    hang_s: float = 0.0  # wait this long before answering (a judge past its timeout)


def verdict(passed: bool, reason: str) -> Reply:
    return Reply(json.dumps({"pass": passed, "reason": reason}))


def envelope(content: str, model: str = "scripted-judge") -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-local",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        }
    ).encode("utf-8")


_RUBRIC_RE = re.compile(r"RUBRIC:\n(.*?)\n\nCONVERSATION SO FAR", re.S)
_REPLY_RE = re.compile(r"REPLY TO GRADE:\n(.*?)\n\nDoes the reply meet the rubric\?", re.S)


def rubric_and_reply(body: dict[str, Any]) -> tuple[str, str]:
    """The rubric and the graded reply, read back from failgate's own prompt."""
    user = next((m.get("content", "") for m in body.get("messages", []) if m.get("role") == "user"), "")
    rubric, reply = _RUBRIC_RE.search(user), _REPLY_RE.search(user)
    return (rubric.group(1) if rubric else ""), (reply.group(1) if reply else "")


class JudgeServer:
    """`with JudgeServer(decide) as server:` ... `server.base_url` ... ; it stops on exit.

    `latency_s` delays every answer (a remote model's think time); `requests`
    keeps every request body received, in arrival order.
    """

    def __init__(self, decide: Callable[[dict[str, Any]], Reply], latency_s: float = 0.0) -> None:
        self.decide = decide
        self.latency_s = latency_s
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet: the demo narrates instead
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    body = {}
                with server._lock:
                    server.requests.append(body)
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    return self._send(Reply(status=404, raw=b'{"error": "not found"}'))
                reply = server.decide(body)
                time.sleep(server.latency_s + reply.hang_s)
                self._send(reply)

            def _send(self, reply: Reply) -> None:
                data = reply.raw if reply.raw is not None else envelope(reply.content or "")
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (its timeout): nothing to answer

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self) -> JudgeServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="failgate-judge-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> JudgeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
