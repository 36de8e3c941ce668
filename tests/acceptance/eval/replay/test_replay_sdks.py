"""failgate_replay inside the real SDKs: OpenAI chat.completions and responses, Anthropic messages,
sync and async, against a server on 127.0.0.1 answering as each API documents. Recorded once, a call
replays with the server unreachable and returns the SDK's own response type; a cassette without the
raw response (one built from a trace) still gives a usable SDK object; a changed request goes live."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import failgate_replay

openai = pytest.importorskip("openai")

CHAT = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "m",
    "choices": [
        {
            "index": 0,
            "finish_reason": "tool_calls",
            "message": {
                "role": "assistant",
                "content": "hello from chat",
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "x"}'}}
                ],
            },
        }
    ],
    "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
}
RESPONSE = {
    "id": "resp_1",
    "object": "response",
    "created_at": 1,
    "model": "m",
    "status": "completed",
    "parallel_tool_calls": True,
    "tool_choice": "auto",
    "tools": [],
    "output": [
        {
            "type": "message",
            "id": "msg_1",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": "hello from responses", "annotations": []}],
        },
        {"type": "function_call", "id": "fc_1", "call_id": "c1", "name": "lookup", "arguments": '{"q": "x"}'},
    ],
}
MESSAGE = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": "claude-x",
    "content": [
        {"type": "text", "text": "hello from claude"},
        {"type": "tool_use", "id": "tu_1", "name": "lookup", "input": {"q": "x"}},
    ],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "usage": {"input_tokens": 3, "output_tokens": 4},
}
ANSWERS = {"/v1/chat/completions": CHAT, "/v1/responses": RESPONSE, "/v1/messages": MESSAGE}


@pytest.fixture
def server() -> Iterator[Any]:
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            hits.append(self.path)
            data = json.dumps(ANSWERS[self.path]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()

    class Server:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        calls = hits

    yield Server
    httpd.shutdown()
    httpd.server_close()


def _run(value: Any) -> Any:
    return asyncio.run(value) if asyncio.iscoroutine(value) else value


def openai_chat(url: str, asynchronous: bool, prompt: str = "hi") -> Callable[[], Any]:
    cls = openai.AsyncOpenAI if asynchronous else openai.OpenAI

    def call() -> Any:
        client = cls(base_url=url + "/v1", api_key="k", max_retries=0)
        return client.chat.completions.create(model="m", messages=[{"role": "user", "content": prompt}])

    return call


def openai_responses(url: str, asynchronous: bool, prompt: str = "hi") -> Callable[[], Any]:
    cls = openai.AsyncOpenAI if asynchronous else openai.OpenAI

    def call() -> Any:
        client = cls(base_url=url + "/v1", api_key="k", max_retries=0)
        return client.responses.create(model="m", instructions="Be brief.", input=prompt)

    return call


def anthropic_messages(url: str, asynchronous: bool, prompt: str = "hi") -> Callable[[], Any]:
    anthropic = pytest.importorskip("anthropic")
    cls = anthropic.AsyncAnthropic if asynchronous else anthropic.Anthropic

    def call() -> Any:
        client = cls(base_url=url, api_key="k", max_retries=0)
        return client.messages.create(
            model="claude-x", max_tokens=10, system="Be brief.", messages=[{"role": "user", "content": prompt}]
        )

    return call


def text_of(result: Any) -> str:
    if hasattr(result, "choices"):
        return str(result.choices[0].message.content)
    if hasattr(result, "output_text"):
        return str(result.output_text)
    return "".join(block.text for block in result.content if block.type == "text")


API = [
    ("openai.chat", openai_chat, "hello from chat"),
    ("openai.responses", openai_responses, "hello from responses"),
    ("anthropic.messages", anthropic_messages, "hello from claude"),
]


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize(("api", "make", "said"), API, ids=[a for a, _, _ in API])
def test_record_then_replay_through_the_sdk(server: Any, api: str, make: Any, said: str, asynchronous: bool) -> None:
    with failgate_replay.activate({"mode": "record"}) as session:
        live = _run(make(server.url, asynchronous)())
    assert text_of(live) == said and len(server.calls) == 1
    (recorded,) = session.report()["interactions"]
    assert recorded["api"] == api
    assert recorded["response"]["text"] == said
    assert recorded["response"]["tool_calls"] == [{"id": "c1" if "openai" in api else "tu_1", "name": "lookup",
                                                   "arguments": {"q": "x"}}]  # fmt: skip

    unreachable = "http://127.0.0.1:9"
    with failgate_replay.activate({"mode": "replay", "interactions": [recorded]}) as session:
        replayed = _run(make(unreachable, asynchronous)())
    assert type(replayed) is type(live) and text_of(replayed) == said
    assert session.report()["status"] == "replayed" and len(server.calls) == 1

    # A cassette from a trace holds no raw SDK response: the SDK object is made from text and tool calls.
    from_trace = {
        **recorded,
        "api": "generic",
        "response": {k: v for k, v in recorded["response"].items() if k != "raw"},
    }
    with failgate_replay.activate({"mode": "replay", "interactions": [from_trace]}):
        rebuilt = _run(make(unreachable, asynchronous)())
    assert type(rebuilt) is type(live) and text_of(rebuilt) == said

    # control: another prompt is not the recorded request; it goes live, to the server
    with failgate_replay.activate({"mode": "replay", "interactions": [recorded]}) as session:
        _run(make(server.url, asynchronous, prompt="something else")())
    report = session.report()
    assert report["divergence"]["reason"].startswith("model call: message")
    assert report["counts"]["model_live"] == 1 and len(server.calls) == 2


def test_message_meaning_not_provider_shape() -> None:
    from failgate_replay import message_key

    openai_style = {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "a", "type": "function", "function": {"name": "refund", "arguments": '{"id": 1}'}}],
    }
    genai_style = {
        "role": "assistant",
        "parts": [{"type": "tool_call", "id": "b", "name": "refund", "arguments": {"id": 1}}],
    }
    anthropic_style = {
        "role": "assistant",
        "content": [{"type": "tool_use", "id": "c", "name": "refund", "input": {"id": 1}}],
    }
    assert message_key(openai_style) == message_key(genai_style) == message_key(anthropic_style)
    # control: other arguments are another message
    other = {**genai_style, "parts": [{"type": "tool_call", "name": "refund", "arguments": {"id": 2}}]}
    assert message_key(other) != message_key(genai_style)
    assert message_key({"role": "user", "content": [{"type": "text", "text": "hi  there"}]}) == message_key(
        {"role": "user", "content": "hi there"}
    )


def test_an_sdk_imported_inside_the_call_is_intercepted(server: Any) -> None:
    """In a fresh interpreter the SDK is imported only inside the recorded call: patched as it loads."""
    import subprocess
    import sys

    script = (
        "import sys, failgate_replay\n"
        "assert 'openai' not in sys.modules\n"
        "with failgate_replay.activate({'mode': 'record'}) as s:\n"
        "    import openai\n"
        f"    openai.OpenAI(base_url='{server.url}/v1', api_key='k', max_retries=0).chat.completions.create(\n"
        "        model='m', messages=[{'role': 'user', 'content': 'hi'}])\n"
        "print(len(s.report()['interactions']))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "1" and len(server.calls) == 1
