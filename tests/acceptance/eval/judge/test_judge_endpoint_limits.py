"""The judge endpoint's answer is held to a total deadline, a size cap and the strict JSON reader.

A raw HTTP server on 127.0.0.1 answers each way httpx alone does not survive: a 200 that trickles a byte a
second (httpx's timeout is per read: it never tripped), a gzip bomb (MemoryError), a body nested 100,000 deep
and a 5,000-digit number in the verdict (tracebacks). Each must fail the `llm_rubric` rule with a reason, in
bounded time; the control is the same server answering a well-formed verdict at once.
"""

from __future__ import annotations

import functools
import gzip
import json
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from failgate.eval.judge import JudgeOptions, LLMSettings, judge_case, parse_response
from failgate.eval.judge.llm import parse_verdict

CASE = {
    "id": "AGTFAIL-0100",
    "input": {"messages": [{"role": "user", "content": "Where is order 8831?"}]},
    "expected": [{"llm_rubric": {"rubric": "Invents no tracking number"}}],
}


def completion(content: str) -> bytes:
    return json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode()


GOOD = completion('{"pass": true, "reason": "no number invented"}')


class Handler(socketserver.BaseRequestHandler):
    answer: Callable[[socket.socket], None]

    def handle(self) -> None:
        self.request.settimeout(30)
        data = b""
        while b"\r\n\r\n" not in data:
            data += self.request.recv(65536)
        head, _, rest = data.partition(b"\r\n\r\n")
        length = next(
            (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")),
            0,
        )
        while len(rest) < length:
            rest += self.request.recv(65536)
        try:
            type(self).answer(self.request)
        except OSError:
            pass  # the client hung up: what a deadline does


@pytest.fixture
def serve() -> Iterator[Callable[[Callable[[socket.socket], None]], str]]:
    servers = []

    def start(answer: Callable[[socket.socket], None]) -> str:
        handler = type("H", (Handler,), {"answer": staticmethod(answer)})
        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/v1"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def head(length: int | None, extra: str = "") -> bytes:
    size = f"Content-Length: {length}\r\n" if length is not None else "Transfer-Encoding: identity\r\n"
    return f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{size}{extra}Connection: close\r\n\r\n".encode()


def judge(base_url: str, tmp_path: Path, timeout_s: float = 2.0) -> tuple[bool, str, float]:
    settings = LLMSettings(base_url=base_url, model="judge-7b", timeout_s=timeout_s, retries=0)
    opts = JudgeOptions(llm=settings, cache_dir=str(tmp_path / "cache"))
    start = time.monotonic()
    (result,) = judge_case(CASE, parse_response({"output": "There is no number yet."}, 1.0), opts)
    return result.passed, result.got, time.monotonic() - start


def trickle(sock: socket.socket) -> None:
    sock.sendall(head(len(GOOD)))
    for byte in GOOD:
        sock.sendall(bytes([byte]))
        time.sleep(0.5)  # each read returns in time; the whole answer takes a minute


def silent_after_headers(sock: socket.socket) -> None:
    sock.sendall(head(len(GOOD)))
    time.sleep(30)


@functools.lru_cache(maxsize=1)
def bomb() -> bytes:
    return gzip.compress(b" " * (256 * 1024 * 1024), compresslevel=9)  # 256 MiB of spaces, ~250 kB on the wire


def gzip_bomb(sock: socket.socket) -> None:
    sock.sendall(head(len(bomb()), "Content-Encoding: gzip\r\n") + bomb())


def deep(sock: socket.socket) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    sock.sendall(head(len(body)) + body)


def huge_number(sock: socket.socket) -> None:
    body = completion('{"pass": true, "reason": "fine", "score": ' + "9" * 5000 + "}")
    sock.sendall(head(len(body)) + body)


def deep_verdict(sock: socket.socket) -> None:
    body = completion('{"pass": true, "reason": ' + "[" * 30_000 + "]" * 30_000 + "}")  # under the length cap
    sock.sendall(head(len(body)) + body)


def well_formed(sock: socket.socket) -> None:
    sock.sendall(head(len(GOOD)) + GOOD)


@pytest.mark.parametrize(
    ("answer", "needle"),
    [
        (trickle, "did not answer within 2 s"),
        (silent_after_headers, "did not answer within 2 s"),
        (gzip_bomb, "MiB decoded; not read further"),
        (deep, "nested more than"),
        (huge_number, "not a verdict"),
        (deep_verdict, "not a verdict"),
    ],
    ids=["trickle", "silent after headers", "gzip bomb", "deep body", "5000-digit number", "deep verdict"],
)
def test_a_hostile_judge_answer_fails_the_rule_in_bounded_time(
    serve: Any, tmp_path: Path, answer: Callable[[socket.socket], None], needle: str
) -> None:
    bomb()  # made before the clock starts
    passed, got, took = judge(serve(answer), tmp_path)
    assert not passed and needle in got, got
    assert took < 6, f"took {took:.1f} s"


def test_control_a_well_formed_answer_is_a_verdict(serve: Any, tmp_path: Path) -> None:
    passed, got, took = judge(serve(well_formed), tmp_path)
    assert (passed, got) == (True, "judge: no number invented")
    assert took < 6


def test_control_a_gzipped_answer_is_read(serve: Any, tmp_path: Path) -> None:
    def gzipped(sock: socket.socket) -> None:
        body = gzip.compress(GOOD)
        sock.sendall(head(len(body), "Content-Encoding: gzip\r\n") + body)

    assert judge(serve(gzipped), tmp_path)[:2] == (True, "judge: no number invented")


@pytest.mark.parametrize(
    "content",
    ['{"pass": true, "n": ' + "9" * 5000 + "}", "[" * 100_000, "{" * 50_000 + '"pass": true', "x" * 200_000],
    ids=["5000 digits", "deep", "many braces", "long"],
)
def test_parse_verdict_refuses_without_a_traceback(content: str) -> None:
    from failgate.eval.judge.llm import NotAVerdict

    start = time.monotonic()
    with pytest.raises(NotAVerdict):
        parse_verdict(content)
    assert time.monotonic() - start < 5
