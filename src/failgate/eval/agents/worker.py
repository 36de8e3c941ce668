"""`agent_command`: a pool of long-lived worker processes speaking JSON lines.

Protocol (docs/reference/agent-protocol.md): failgate writes one line `{"id": ..., "input": {...},
"attempt": 0}` to the worker's stdin; the worker answers one line on stdout
with the same `id` and the response keys (`output`, `tool_calls`, `turns`,
`latency_ms`), or `{"id": ..., "error": "message"}` to fail that case. Logs
go to stderr: failgate keeps the last lines and shows them when a case fails.

One request is in flight per worker, so `jobs` concurrent cases use up to
`jobs` workers. A worker that times out, dies, answers garbage or answers
another id is killed (with its process group, so a shell wrapper does not
leave its child behind) and replaced by a fresh one on the next call; the case
fails with the reason and the run goes on.
"""

from __future__ import annotations

import collections
import json
import os
import queue
import select
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from failgate.eval.agents.protocol import AgentError, AgentReply, AgentRequest, AgentTimeout
from failgate.findings import FailgateError

STDERR_LINES = 20  # how much of a failing worker's stderr a reason quotes
MAX_ANSWER_BYTES = 64 << 20  # one answer line; past this the worker is killed (memory stays bounded)


class _ReportedError(AgentError):
    """The worker answered `{"id", "error"}`: the case fails, the worker is fine."""


class _Worker:
    def __init__(self, command: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
            bufsize=0,
            start_new_session=True,
        )
        self.buffer = b""
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_LINES)
        # Drain stderr continuously: a chatty worker would otherwise block on a
        # full pipe and look hung.
        self.stderr_thread = threading.Thread(target=self._drain, daemon=True, name="failgate-worker-stderr")
        self.stderr_thread.start()

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in iter(self.proc.stderr.readline, b""):
            self.stderr_tail.append(line.decode("utf-8", "replace").rstrip())

    def stderr_text(self) -> str:
        self.stderr_thread.join(timeout=0.2 if self.proc.poll() is not None else 0)
        if not self.stderr_tail:
            return ""
        return "; worker stderr:\n" + "\n".join("    " + line for line in self.stderr_tail)

    def died(self, while_doing: str) -> AgentError:
        try:
            code = self.proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            code = None
        return AgentError(f"agent worker exited (code {code}) {while_doing}{self.stderr_text()}")

    def exchange(self, line: bytes, deadline: float | None) -> bytes:
        """Send one request line and return the next non-empty line."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(line)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise self.died("before reading the request") from None
        return self.read_line(deadline)

    def read_line(self, deadline: float | None) -> bytes:
        """The next non-empty line the worker writes, by the deadline."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while True:
            newline = self.buffer.find(b"\n")
            if newline >= 0:
                answer, self.buffer = self.buffer[:newline], self.buffer[newline + 1 :]
                if answer.strip():
                    return answer
                continue
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise AgentTimeout("timeout")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue  # loop back to the deadline check
            chunk = os.read(fd, 65536)
            if not chunk:
                raise self.died("while answering")
            self.buffer += chunk
            if len(self.buffer) > MAX_ANSWER_BYTES and b"\n" not in chunk:
                raise AgentError(f"agent worker answered a line over {MAX_ANSWER_BYTES >> 20} MB; not read further")

    def kill(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL is not ignorable
            pass
        self._close_pipes()

    def close_stdin(self) -> None:
        """Polite shutdown: EOF on stdin is the worker's cue to exit."""
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        except OSError:
            pass

    def _close_pipes(self) -> None:
        # The process is gone, so stderr reaches EOF and the drain thread ends;
        # close stderr only after it, never under its feet.
        self.stderr_thread.join(timeout=1)
        pipes = [self.proc.stdin, self.proc.stdout]
        if not self.stderr_thread.is_alive():
            pipes.append(self.proc.stderr)
        for pipe in pipes:
            try:
                if pipe is not None:
                    pipe.close()
            except OSError:
                pass


class WorkerPoolAgent:
    def __init__(
        self,
        command: list[str],
        *,
        cwd: Path,
        size: int = 1,
        env: dict[str, str] | None = None,
        name: str | None = None,
    ) -> None:
        self.command = command
        self.cwd = cwd
        self.size = max(1, size)
        self.name = name or " ".join(command)
        self.interpreter: str | None = None  # set by build_agent when it chose the Python
        # Python workers: no stuck stdout buffers
        self.env = {**(os.environ if env is None else env), "PYTHONUNBUFFERED": "1"}
        self.idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self.lock = threading.Lock()
        self.count = 0  # workers alive or checked out
        self.restarts = 0
        # Start one worker now: a command that cannot even start is a
        # configuration error (exit 2), not N identical failed cases.
        self.idle.put(self._spawn())

    def _spawn(self) -> _Worker:
        try:
            worker = _Worker(self.command, self.cwd, self.env)
        except OSError as exc:
            raise FailgateError(f"cannot start agent_command {self.name!r}: {exc}", exit_code=2) from None
        with self.lock:
            self.count += 1
        return worker

    def _checkout(self) -> _Worker:
        try:
            return self.idle.get_nowait()
        except queue.Empty:
            pass
        with self.lock:
            grow = self.count < self.size
        if grow:
            try:
                return self._spawn()
            except FailgateError as exc:
                raise AgentError(exc.message) from None
        return self.idle.get()

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        with self.lock:
            self.count -= 1
            self.restarts += 1

    def call(self, request: AgentRequest) -> AgentReply:
        worker = self._checkout()
        if worker.proc.poll() is not None:
            # Died between cases: replace it, and say so if nothing else fails.
            self._discard(worker)
            worker = self._checkout()
        message: dict[str, Any] = {"id": request.case_id, "input": request.input, "attempt": request.attempt}
        if request.replay is not None:
            message["replay"] = request.replay  # callable_worker.py runs the call inside failgate_replay
        line = json.dumps(message, ensure_ascii=False).encode("utf-8") + b"\n"
        start = time.perf_counter()
        deadline = None if request.timeout_s is None else time.monotonic() + request.timeout_s
        try:
            answer = worker.exchange(line, deadline)
            elapsed = (time.perf_counter() - start) * 1000
            raw, replay = self._parse(answer, request.case_id)
        except _ReportedError:
            self.idle.put(worker)
            raise
        except AgentTimeout:
            self._discard(worker)
            raise AgentTimeout(
                f"agent timed out after {request.timeout_s:g} s (killed and replaced){worker.stderr_text()}"
            ) from None
        except AgentError as exc:
            self._discard(worker)
            raise AgentError(f"{exc}{worker.stderr_text() if 'stderr' not in str(exc) else ''}") from None
        self.idle.put(worker)
        return AgentReply(raw, elapsed, replay=replay)

    @staticmethod
    def _parse(answer: bytes, case_id: str) -> tuple[Any, dict[str, Any] | None]:
        """(the response, failgate_replay's report when the call replayed or recorded)."""
        text = answer.decode("utf-8", "replace")
        shown = text if len(text) <= 200 else text[:197] + "..."
        from failgate.dataset.jsonstrict import JsonLineError, loads_line

        try:
            message = loads_line(text, strict=False)
        except JsonLineError as exc:
            raise AgentError(
                f"agent worker answered a line that is not JSON: {shown!r} ({exc}; print logs to stderr, not stdout)"
            ) from None
        if not isinstance(message, dict) or message.get("id") != case_id:
            got = message.get("id") if isinstance(message, dict) else None
            raise AgentError(f"agent worker answered for id {got!r}, expected {case_id!r}: {shown!r}")
        replay = message.pop("replay", None) if isinstance(message.get("replay"), dict) else None
        if "error" in message and message["error"]:
            trace = message.get("traceback")
            error = _ReportedError(
                f"agent worker reported an error: {message['error']}", detail=trace if isinstance(trace, str) else None
            )
            error.replay = replay
            raise error
        message.pop("id")
        return (message["response"] if isinstance(message.get("response"), dict) else message), replay

    def close(self) -> None:
        workers = []
        while True:
            try:
                workers.append(self.idle.get_nowait())
            except queue.Empty:
                break
        # EOF to all first, then wait: sixteen workers exit in parallel, not in turn.
        for worker in workers:
            worker.close_stdin()
        deadline = time.monotonic() + 1
        for worker in workers:
            try:
                worker.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            worker.kill()
