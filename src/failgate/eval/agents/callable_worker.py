"""Run a `package.module:function` agent as a JSON-lines worker in another Python.

    python callable_worker.py package.module:function

failgate starts this file with the consumer's interpreter (see
`failgate.eval.agents.interpreter`), where failgate itself is usually not
installed: standard library only, Python >= 3.10, no import of failgate.

Protocol: first one line `{"ready": "<python version>"}` once the agent
imported, or `{"load_error": "...", "traceback": "..."}` and exit 2 when it did
not. Then, per request line `{"id", "input", "attempt"}`, one answer line:
`{"id", "response": {...}}`, or `{"id", "error": "KeyError: 'x'", "traceback":
"..."}` when the agent raised. EOF on stdin ends the worker.

The protocol runs over private copies of the worker's stdin and stdout, made
before the agent is imported: file descriptors 0 and 1 are then /dev/null and
stderr, so an agent that prints, writes to fd 1 or reads stdin can neither
corrupt the protocol nor steal a request. An agent that calls `sys.exit()`
answers that case with an error; one that ends the process (`os._exit`) fails
that case on failgate's side, which sees the worker die.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TextIO


def _drop_own_directory() -> None:
    # `python path/to/callable_worker.py` puts this file's folder (failgate's
    # package) first on sys.path, where it would shadow the consumer's
    # top-level modules named like ours (`worker`, `recorded`, ...).
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here or p == ""]


def _load_replay() -> Any:
    """failgate_replay from the folder failgate names (it is stdlib only), registered under its
    own name so that an agent's `import failgate_replay` gets this very module; then the replay
    tools wrapped, before the agent imports them. None when failgate asked for nothing."""
    folder = os.environ.get("FAILGATE_REPLAY_SHIM")
    if not folder:
        return None
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "failgate_replay", os.path.join(folder, "__init__.py"), submodule_search_locations=[folder]
    )
    if spec is None or spec.loader is None:
        raise ImportError(f"failgate_replay not found in {folder}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["failgate_replay"] = module
    spec.loader.exec_module(module)
    tools = json.loads(os.environ.get("FAILGATE_REPLAY_TOOLS") or "{}")
    if tools.get("tools") or tools.get("mutating"):
        if "" not in sys.path and os.getcwd() not in sys.path:
            sys.path.append(os.getcwd())
        module.install_tools(tools.get("tools") or [], tools.get("mutating") or [])
    return module


def _load(ref: str) -> Callable[[Any], Any]:
    module_name, _, attr = ref.partition(":")
    if not module_name or not attr:
        raise ValueError(f'{ref!r} must look like "package.module:function"')
    obj = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise TypeError(f"{ref!r} is not callable")
    _check_signature(ref, obj)
    return obj


def _check_signature(ref: str, func: Any) -> None:
    """Caught at load, before any case runs, instead of as N identical "agent raised TypeError" failures."""
    import inspect

    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):  # some C callables have none: nothing to check
        return
    try:
        signature.bind({})
    except TypeError:
        raise TypeError(
            f"agent {ref!r} must take one argument, the case's input mapping; its signature is "
            f"{ref.split(':')[-1]}{signature}"
        ) from None


def _private_streams() -> tuple[TextIO, TextIO]:
    """(requests, answers): the protocol's own copies of fds 0 and 1; the agent gets /dev/null and stderr there."""
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8", errors="replace")
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 (lives as long as the worker)
    sys.stdout = sys.stderr
    return requests, answers


def _plain(value: Any) -> Any:
    """JSON for what agents commonly return besides dicts: dataclasses, pydantic models."""
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if hasattr(value, "model_dump"):
        return value.model_dump()
    raise TypeError(f"agent returned a {type(value).__name__} inside its response, which JSON cannot carry")


def _agent_traceback(exc: BaseException) -> str:
    """The traceback of the agent's own frames: this file's and the import
    machinery's frames are noise to the person fixing the agent."""
    import traceback

    machinery = (os.path.abspath(__file__), importlib.__file__)
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if frame.filename not in machinery and not frame.filename.startswith("<frozen importlib")
    ]
    lines = ["Traceback (most recent call last):\n"] if frames else []
    return "".join(lines + traceback.format_list(frames) + traceback.format_exception_only(type(exc), exc))


class _Loop:
    """One event loop for every async call, made on first use: a sync agent's
    worker never imports asyncio (16 workers start faster on two cores)."""

    def __init__(self) -> None:
        self.loop: Any = None  # an asyncio loop, typed loosely: asyncio is imported on first use

    def run(self, awaitable: Awaitable[Any]) -> Any:
        if self.loop is None:
            import asyncio

            self.loop = asyncio.new_event_loop()
        return self.loop.run_until_complete(awaitable)

    def close(self) -> None:
        if self.loop is not None:
            self.loop.close()


def _answer(func: Callable[[Any], Any], loop: _Loop, request: dict[str, Any]) -> dict[str, Any]:
    result = func(request.get("input", {}))
    if hasattr(result, "__await__"):
        result = loop.run(result)
    if isinstance(result, str):
        result = {"output": result}
    elif hasattr(result, "__dataclass_fields__") or hasattr(result, "model_dump"):
        result = _plain(result)
    if not isinstance(result, dict):
        raise TypeError(
            f'response must be a mapping like {{"output": ...}}, got {type(result).__name__}: {result!r}'[:300]
        )
    return result


def _write(stream: TextIO, message: dict[str, Any]) -> None:
    stream.write(json.dumps(message, ensure_ascii=False, default=_plain) + "\n")
    stream.flush()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write("usage: python callable_worker.py package.module:function\n")
        return 2
    _drop_own_directory()
    requests, protocol = _private_streams()
    try:
        replay = _load_replay()
        func = _load(argv[0])
    except BaseException as exc:  # the consumer's module may raise anything at import
        _write(
            protocol,
            {"load_error": f"{type(exc).__name__}: {exc}", "traceback": _agent_traceback(exc), "sys_path": sys.path},
        )
        return 2
    _write(protocol, {"ready": sys.version.split()[0], "executable": sys.executable})
    loop = _Loop()
    for line in requests:
        if not line.strip():
            continue
        request = json.loads(line)
        case_id = request.get("id")
        session = None
        try:
            if replay is not None and isinstance(request.get("replay"), dict):
                with replay.activate(request["replay"]) as session:
                    response = _answer(func, loop, request)
            else:
                response = _answer(func, loop, request)
            answer = {"id": case_id, "response": response}
            if session is not None:
                answer["replay"] = session.report()
            text = json.dumps(answer, ensure_ascii=False, default=_plain)
        except (Exception, SystemExit) as exc:  # sys.exit() in the agent fails its case, not the worker
            failed = {
                "id": case_id,
                "error": f"agent raised {type(exc).__name__}: {exc}",
                "traceback": _agent_traceback(exc),
            }
            if session is not None:
                failed["replay"] = session.report()
            _write(protocol, failed)
            continue
        protocol.write(text + "\n")
        protocol.flush()
    loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
