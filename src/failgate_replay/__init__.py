"""failgate_replay: run an agent from its recorded tool and model responses.

Loaded inside the agent's own process -- failgate's when the agent runs in
process, the consumer's interpreter in `callable_worker.py`, where failgate
itself may not be installed -- so it is standard library only (Python >= 3.10)
and never imports failgate.

What it intercepts while a case replays or records (the manual's "Replay"):

- the tools named in `[tool.failgate.replay] tools` / `mutating_tools`
  (`install_tools`, before the agent is imported, so `from tools import x`
  binds the wrapper);
- the model calls of the OpenAI Python SDK (chat.completions and responses,
  sync and async) and of the Anthropic SDK (messages), patched on their
  resource classes, so every client the agent makes is covered;
- any call wrapped with this module's small API, for agents that reach their
  tools or models another way::

      import failgate_replay

      @failgate_replay.tool(mutating=True)
      def issue_refund(order_id: str) -> dict: ...

      reply = failgate_replay.model({"model": "m", "messages": msgs}, lambda: my_client(msgs))

Outside a failgate run every wrapper calls straight through.

Replay: a call whose kind, name and arguments (a tool) or normalised request
(a model: model, messages, tools) match the next recorded interaction gets the
recorded result, or raises the recorded error. The first call that does not
match is the divergence point. From there the run goes live
(`on_divergence = "live"`) except that a mutating tool is never executed: it
raises `MutatingToolNotExecuted`, which the agent sees; or every further call
raises `ReplayDivergence` (`on_divergence = "fail"`).
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import functools
import importlib
import inspect
import threading
from collections.abc import Callable, Iterator
from typing import Any

from failgate_replay._match import _brief, _canonical, _differs, message_key  # noqa: E402,F401

__all__ = [
    "tool",
    "model",
    "MutatingToolNotExecuted",
    "ReplayDivergence",
    "RecordedToolError",
    "activate",
    "install_tools",
]

_current: contextvars.ContextVar[Session | None] = contextvars.ContextVar("failgate_replay_session", default=None)
_active: list[Session] = []  # sessions of this process, for agents that hop threads
_lock = threading.Lock()


class MutatingToolNotExecuted(RuntimeError):
    """A mutating tool was called after the run diverged from its recording: not executed."""


class ReplayDivergence(RuntimeError):
    """The run left its recording and `on_divergence = "fail"`."""


class RecordedToolError(Exception):
    """The recorded tool raised an exception that is not a built-in one; `kind` is its class name."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind


def _plain(value: Any) -> Any:
    """JSON for what calls carry: SDK (pydantic) objects, dataclasses, tuples; None values dropped."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if v is not None and not _unset(v)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "model_dump"):
        return _plain(value.model_dump(mode="json", exclude_none=True))
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    return repr(value)


def _unset(value: Any) -> bool:
    # The SDKs' "argument not given" sentinels (NOT_GIVEN, omit) mean absent.
    return type(value).__name__ in ("NotGiven", "Omit")


def _rebuild_error(error: dict[str, Any]) -> BaseException:
    import builtins

    kind, message = str(error.get("type", "Exception")), str(error.get("message", ""))
    cls = getattr(builtins, kind, None)
    if isinstance(cls, type) and issubclass(cls, Exception):
        return cls(message)
    return RecordedToolError(kind, message)


class Session:
    """One case's run: the recording it replays, what came, and where it diverged."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.mode = spec.get("mode", "replay")  # "replay" | "record"
        self.on_divergence = spec.get("on_divergence", "live")
        self.recorded: list[dict[str, Any]] = list(spec.get("interactions") or [])
        self.mutating = set(spec.get("mutating") or ())
        self.cursor = 0
        self.step = 0
        self.divergence: dict[str, Any] | None = None
        self.calls: list[dict[str, Any]] = []  # per step: kind, name, how (replayed, live, blocked)
        self.interactions: list[dict[str, Any]] = []  # record mode: what ran, results included
        self.lock = threading.Lock()

    def _next(self, came: dict[str, Any]) -> dict[str, Any] | None:
        """The recorded interaction `came` replays, or None (and the divergence point is set)."""
        with self.lock:
            self.step += 1
            came["step"] = self.step
            if self.mode != "replay" or self.divergence is not None:
                return None
            if self.cursor < len(self.recorded):
                recorded = self.recorded[self.cursor]
                came["recorded"] = _brief(recorded)
                reason = _differs(recorded, came)
                if reason is None:
                    self.cursor += 1
                    return recorded
            else:
                recorded, reason = None, f"the recording ends after {len(self.recorded)} interactions"
            self.divergence = {
                "step": self.step,
                "reason": reason,
                "recorded": None if recorded is None else _brief(recorded),
                "came": _brief(came),
            }
            return None

    def _diverged(self) -> str:
        d = self.divergence or {}
        return f"replay diverged at step {d.get('step')} ({d.get('reason')})"

    def _note(self, came: dict[str, Any], how: str) -> None:
        with self.lock:
            self.calls.append(
                {
                    "step": came.get("step"),
                    "type": came["type"],
                    "name": came.get("name", "model"),
                    "how": how,
                    "came": _brief(came),
                    "recorded": came.get("recorded"),  # what the cassette held at this step, when it was compared
                }
            )

    def tool(self, name: str, arguments: dict[str, Any], mutating: bool) -> tuple[bool, Any]:
        """(True, result) replayed; (False, None): run it live (then call `ran`). Raises the recorded
        error, MutatingToolNotExecuted or ReplayDivergence."""
        came = {"type": "tool", "name": name, "arguments": arguments}
        recorded = self._next(came)
        if recorded is not None:
            self._note(came, "replayed")
            if "error" in recorded:
                raise _rebuild_error(recorded["error"])
            return True, copy.deepcopy(recorded.get("result"))
        if self.mode == "replay":
            if self.on_divergence == "fail":
                self._note(came, "blocked")
                raise ReplayDivergence(f"{self._diverged()}; on_divergence = fail")
            if mutating or name in self.mutating or recorded_mutating(self.recorded, name):
                self._note(came, "blocked")
                raise MutatingToolNotExecuted(f"mutating tool {name} not executed under replay ({self._diverged()})")
        self._note(came, "live")
        return False, came

    def model(self, request: dict[str, Any]) -> dict[str, Any] | tuple[dict[str, Any]]:
        """The recorded interaction's `api` and `response` (the caller copies what it hands out), or a
        1-tuple holding the call's record to complete with `ran`."""
        came = {"type": "model", "request": request}
        recorded = self._next(came)
        if recorded is not None:
            self._note(came, "replayed")
            return {"api": recorded.get("api"), "response": recorded.get("response") or {}}
        if self.mode == "replay" and self.on_divergence == "fail":
            self._note(came, "blocked")
            raise ReplayDivergence(f"{self._diverged()}; on_divergence = fail")
        self._note(came, "live")
        return (came,)

    def ran(self, came: dict[str, Any], **outcome: Any) -> None:
        """A live call's outcome: kept when recording."""
        if self.mode == "record":
            entry = {k: v for k, v in came.items() if k not in ("step", "recorded")}
            entry.update(outcome)
            with self.lock:
                self.interactions.append(entry)

    def report(self) -> dict[str, Any]:
        divergence = self.divergence
        if self.mode == "replay" and divergence is None and self.cursor < len(self.recorded):
            divergence = {
                "step": self.step + 1,
                "reason": f"the run ended; recorded {_brief(self.recorded[self.cursor])} never came",
                "recorded": _brief(self.recorded[self.cursor]),
                "came": None,
            }
        counts = {f"{kind}_{how}": 0 for kind in ("model", "tool") for how in ("replayed", "live", "blocked")}
        for call in self.calls:
            counts[f"{call['type']}_{call['how']}"] += 1
        status = "recorded" if self.mode == "record" else "diverged" if divergence else "replayed"
        report: dict[str, Any] = {"status": status, "divergence": divergence, "counts": counts, "calls": self.calls}
        if self.mode == "record":
            report["interactions"] = self.interactions
        return report


def recorded_mutating(recorded: list[dict[str, Any]], name: str) -> bool:
    return any(item.get("type") == "tool" and item.get("name") == name and item.get("mutating") for item in recorded)


def _session() -> Session | None:
    session = _current.get()
    if session is not None:
        return session
    with _lock:
        # A thread the agent started itself has no context: one case in flight in this process is its case.
        return _active[0] if len(_active) == 1 else None


@contextlib.contextmanager
def activate(spec: dict[str, Any]) -> Iterator[Session]:
    """Replay (or record) one case in this context: `spec` is failgate's replay request."""
    session = Session(spec)
    _patch_sdks(session)
    token = _current.set(session)
    with _lock:
        _active.append(session)
    try:
        yield session
    finally:
        _current.reset(token)
        with _lock:
            _active.remove(session)


# -- tools ------------------------------------------------------------------------------------


def _arguments(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], skip_first: bool) -> Any:
    try:
        bound = inspect.signature(func).bind_partial(*args, **kwargs)
    except (TypeError, ValueError):
        return _plain({"args": list(args[1:] if skip_first else args), **kwargs})
    params = inspect.signature(func).parameters
    named: dict[str, Any] = {}
    for position, (key, value) in enumerate(bound.arguments.items()):
        if skip_first and position == 0 and key in ("self", "cls"):
            continue
        if params[key].kind is inspect.Parameter.VAR_KEYWORD:
            named.update(value)
        else:
            named[key] = value
    return _plain(named)


def _error(exc: BaseException) -> dict[str, str]:
    return {"type": type(exc).__name__, "message": str(exc)}


def _wrap_tool(func: Callable[..., Any], name: str, mutating: bool, skip_first: bool = False) -> Callable[..., Any]:
    if getattr(func, "__failgate_replay__", False):
        return func
    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            session = _session()
            if session is None:
                return await func(*args, **kwargs)
            hit, value = session.tool(name, _arguments(func, args, kwargs, skip_first), mutating)
            if hit:
                return value
            try:
                result = await func(*args, **kwargs)
            except Exception as exc:
                session.ran(value, error=_error(exc), **({"mutating": True} if mutating else {}))
                raise
            session.ran(value, result=_plain(result), **({"mutating": True} if mutating else {}))
            return result

        async_wrapper.__failgate_replay__ = True  # type: ignore[attr-defined]
        return async_wrapper

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        session = _session()
        if session is None:
            return func(*args, **kwargs)
        hit, value = session.tool(name, _arguments(func, args, kwargs, skip_first), mutating)
        if hit:
            return value
        try:
            result = func(*args, **kwargs)
        except Exception as exc:
            session.ran(value, error=_error(exc), **({"mutating": True} if mutating else {}))
            raise
        session.ran(value, result=_plain(result), **({"mutating": True} if mutating else {}))
        return result

    wrapper.__failgate_replay__ = True  # type: ignore[attr-defined]
    return wrapper


def tool(func: Callable[..., Any] | None = None, *, name: str | None = None, mutating: bool = False) -> Any:
    """Intercept a tool: `@tool`, `@tool(mutating=True)`, or `tool(func, name="issue_refund")`."""

    def decorate(target: Callable[..., Any]) -> Callable[..., Any]:
        return _wrap_tool(target, name or target.__name__, mutating)

    return decorate if func is None else decorate(func)


def install_tools(refs: list[str], mutating: list[str]) -> None:
    """Replace each `package.module:function` or `package.module:Class.method` by its intercepting
    wrapper, named after its last part; those in `mutating` are never executed once a replay diverged."""
    for ref in [*refs, *(m for m in mutating if m not in refs)]:
        module_name, _, attr = ref.partition(":")
        if not module_name or not attr:
            raise ValueError(f'replay tool {ref!r} must look like "package.module:function"')
        owner: Any = importlib.import_module(module_name)
        parts = attr.split(".")
        for part in parts[:-1]:
            owner = getattr(owner, part)
        last = parts[-1]
        raw = owner.__dict__.get(last) if isinstance(owner, type) else getattr(owner, last)
        if raw is None:
            raw = getattr(owner, last)
        flag = ref in mutating
        if isinstance(raw, staticmethod):
            setattr(owner, last, staticmethod(_wrap_tool(raw.__func__, last, flag)))
        elif isinstance(raw, classmethod):
            setattr(owner, last, classmethod(_wrap_tool(raw.__func__, last, flag, skip_first=True)))
        elif callable(raw):
            setattr(owner, last, _wrap_tool(raw, last, flag, skip_first=isinstance(owner, type)))
        else:
            raise TypeError(f"replay tool {ref!r} is not callable")


# -- models -----------------------------------------------------------------------------------


def model(request: dict[str, Any], call: Callable[[], Any]) -> dict[str, Any]:
    """A model call made some other way: `request` {model, messages, tools}; `call()` makes it live
    and returns {"text", "tool_calls", "usage"} (or the text). Returns that mapping, recorded or live."""
    session = _session()
    if session is None:
        answer = call()
        return {"text": answer} if isinstance(answer, str) else answer
    normal = _plain({k: request.get(k) for k in ("model", "messages", "tools") if request.get(k) is not None})
    normal.setdefault("messages", [])
    outcome = session.model(normal)
    if isinstance(outcome, dict):
        return copy.deepcopy(dict(outcome["response"]))
    answer = call()
    answer = {"text": answer} if isinstance(answer, str) else answer
    session.ran(outcome[0], api="generic", response=_plain(answer))
    return answer


from failgate_replay._sdks import patch_sdks as _patch_sdks  # noqa: E402  (needs this module's names)
