"""A Python callable as the agent: `package.module:function`, sync or async.

Timeouts: an `async def` agent runs on one event loop owned by this adapter
(in a background thread, so async clients bound to a loop keep working across
cases) and is cancelled at its deadline. A sync agent runs in a fresh daemon
thread per call; at the deadline the case fails, the run moves on, and the
thread gets an asynchronous `AgentTimeout` exception so that Python code stops
at its next bytecode. Code blocked inside C (a socket read, `time.sleep`)
only stops when that call returns: for a hard kill use `agent_command`,
whose processes are killed.
"""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from failgate.eval.agents import AgentError, AgentReply, AgentRequest, AgentTimeout
from failgate.findings import FailgateError

if TYPE_CHECKING:
    from failgate.eval.replay import ReplayTools


def install_replay_tools(tools: ReplayTools, root: Path) -> None:
    import sys

    import failgate_replay

    if str(root) not in sys.path:
        sys.path.append(str(root))  # the project's own modules, as import_dotted finds them
    try:
        failgate_replay.install_tools(list(tools.refs), list(tools.mutating))
    except Exception as exc:  # the consumer's module may raise anything at import
        raise FailgateError(
            f"cannot intercept the replay tools ([tool.failgate.replay]): {type(exc).__name__}: {exc}", exit_code=2
        ) from None


def load_callable(
    ref: str, root: Path, paths: Sequence[str] = (), tools: ReplayTools | None = None
) -> Callable[..., Any]:
    """Import the agent; `paths` (the code under test) go first on sys.path, ahead
    of any editable install of the same package (see `interpreter.import_paths`).
    `tools` are wrapped by failgate_replay first, so the agent imports the wrappers."""
    import sys

    from failgate.config.checkers import agent_ref
    from failgate.dotted import DottedPathError, import_dotted

    problem = agent_ref(ref)  # the same refusal as the config key's, for --agent too
    if problem:
        raise FailgateError(f"agent must be {problem}, got {ref!r}", exit_code=2)
    for path in reversed(paths):
        if path in sys.path:
            sys.path.remove(path)
        sys.path.insert(0, path)
    if tools is not None and tools.refs:
        install_replay_tools(tools, root)
    try:
        obj = import_dotted(ref, root)
    except DottedPathError as exc:
        first = ", ".join(paths) if paths else str(root)
        raise FailgateError(
            f"cannot load agent {ref!r}: {exc} (imported with {first} first on sys.path, in {sys.executable})",
            exit_code=2,
        ) from None
    if not callable(obj):
        raise FailgateError(f"agent {ref!r} is not callable", exit_code=2)
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):  # some C callables have none: nothing to check
        return obj  # type: ignore[no-any-return]
    try:
        signature.bind({})
    except TypeError:
        # Caught here, before any case runs, instead of as N identical "agent raised TypeError" failures.
        raise FailgateError(
            f"agent {ref!r} must take one argument, the case's input mapping; its signature is "
            f"{ref.split(':')[-1]}{signature}",
            exit_code=2,
        ) from None
    return obj  # type: ignore[no-any-return]


def _raised(exc: BaseException) -> AgentError:
    """The failing case's reason, with the agent's traceback (failgate's own frames dropped)."""
    import traceback

    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_globals.get("__name__") == __name__:
        tb = tb.tb_next
    detail = "".join(traceback.format_exception(type(exc), exc, tb))
    return AgentError(f"agent raised {type(exc).__name__}: {exc}", detail=detail)


def _is_async(func: Any) -> bool:
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(getattr(func, "__call__", None))  # noqa: B004 (an instance with an async __call__)


def _interrupt(thread: threading.Thread) -> None:
    import ctypes

    if thread.ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(AgentTimeout))


def _under_replay(
    func: Callable[..., Any], spec: dict[str, Any], sessions: list[Any], is_async: bool
) -> Callable[..., Any]:
    """`func` run inside a failgate_replay session, activated in the thread or task that runs it."""
    import failgate_replay

    if is_async:

        async def replaying_async(payload: dict[str, Any]) -> Any:
            with failgate_replay.activate(spec) as session:
                sessions.append(session)
                return await func(payload)

        return replaying_async

    def replaying(payload: dict[str, Any]) -> Any:
        with failgate_replay.activate(spec) as session:
            sessions.append(session)
            return func(payload)

    return replaying


class _Loop:
    """One event loop in a daemon thread, shared by all concurrent calls."""

    def __init__(self) -> None:
        import asyncio

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="failgate-agent-loop", daemon=True)
        self.thread.start()

    def run(self, coro: Any, timeout_s: float | None) -> Any:
        import asyncio
        import concurrent.futures

        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout_s)
        except concurrent.futures.TimeoutError:
            future.cancel()  # cancels the task: the coroutine stops at its next await
            raise AgentTimeout(f"agent timed out after {timeout_s:g} s (cancelled)") from None

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=1)
        if not self.thread.is_alive():
            self.loop.close()


class CallableAgent:
    replays = True  # failgate_replay runs inside this process: cases with a cassette replay

    def __init__(self, func: Callable[..., Any], name: str) -> None:
        self.func = func
        self.name = name
        self.interpreter: str | None = None  # set by build_agent: said in reports
        self._loop: _Loop | None = None
        self._lock = threading.Lock()
        self._async = _is_async(func)

    @classmethod
    def from_ref(
        cls, ref: str, *, root: Path, paths: Sequence[str] = (), tools: ReplayTools | None = None
    ) -> CallableAgent:
        return cls(load_callable(ref, root, paths, tools), ref)

    def _event_loop(self) -> _Loop:
        with self._lock:
            if self._loop is None:
                self._loop = _Loop()
            return self._loop

    def call(self, request: AgentRequest) -> AgentReply:
        payload = dict(request.input)
        func = self.func
        sessions: list[Any] = []  # the failgate_replay session, once the call activated it
        if request.replay is not None:
            func = _under_replay(self.func, dict(request.replay), sessions, self._async)
        start = time.perf_counter()
        try:
            if self._async:
                raw = self._run_async(func(payload), request.timeout_s)
            else:
                raw = self._run_sync(func, payload, request.timeout_s)
                if inspect.isawaitable(raw):  # a sync function that returns a coroutine
                    raw = self._run_async(raw, request.timeout_s)
        except AgentError as exc:
            exc.replay = sessions[0].report() if sessions else None
            raise
        elapsed = (time.perf_counter() - start) * 1000
        return AgentReply(raw, elapsed, replay=sessions[0].report() if sessions else None)

    def _run_async(self, coro: Any, timeout_s: float | None) -> Any:
        try:
            return self._event_loop().run(coro, timeout_s)
        except AgentError:
            raise
        except Exception as exc:
            raise _raised(exc) from exc

    def _run_sync(self, func: Callable[..., Any], payload: dict[str, Any], timeout_s: float | None) -> Any:
        if timeout_s is None:
            try:
                return func(payload)
            except Exception as exc:
                raise _raised(exc) from exc
        box: dict[str, Any] = {}

        def target() -> None:
            try:
                box["value"] = func(payload)
            except AgentTimeout:
                pass  # our own interrupt after the deadline: nobody is waiting
            except BaseException as exc:  # reported to the waiting runner thread
                box["error"] = exc

        thread = threading.Thread(target=target, name="failgate-agent-call", daemon=True)
        thread.start()
        thread.join(timeout_s)
        if thread.is_alive():
            _interrupt(thread)
            raise AgentTimeout(f"agent timed out after {timeout_s:g} s")
        if "error" in box:
            exc = box["error"]
            raise _raised(exc) from exc
        return box.get("value")

    def close(self) -> None:
        if self._loop is not None:
            self._loop.close()
            self._loop = None
