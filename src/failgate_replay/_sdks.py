"""The OpenAI and Anthropic SDKs' model calls, intercepted on their resource classes.

Standard library only: the SDKs are the consumer's, imported only where
installed. Patching the class (`Completions.create`, not a client's attribute)
covers every client the agent makes, before or after the patch, and any
OpenAI-compatible endpoint reached through the SDK. An SDK the agent imports
inside its first call is patched as it loads. A streaming call
(`stream=True`) is not intercepted: it runs live and is counted as nothing.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import json
import sys
from typing import Any

# api -> (resource module, sync and async classes, response type module, response class)
APIS: dict[str, tuple[str, tuple[str, str], str, str]] = {
    "openai.chat": (
        "openai.resources.chat.completions",
        ("Completions", "AsyncCompletions"),
        "openai.types.chat",
        "ChatCompletion",
    ),
    "openai.responses": (
        "openai.resources.responses",
        ("Responses", "AsyncResponses"),
        "openai.types.responses",
        "Response",
    ),
    "anthropic.messages": ("anthropic.resources.messages", ("Messages", "AsyncMessages"), "anthropic.types", "Message"),
}
_patched: set[str] = set()


def patch_sdks(session: Any) -> None:
    """Patch each SDK once per process: the ones the agent has imported, one the recording says a
    call went through, and any imported later (a hook on the import system patches a resource module
    as it loads). Nothing else is imported: an installed SDK the agent does not use costs it nothing."""
    _hook_imports()
    named = {str(item.get("api") or "").split(".")[0] for item in session.recorded if item.get("type") == "model"}
    for api, (module_name, _, _, _) in APIS.items():
        sdk = module_name.split(".")[0]
        if api in _patched or (sdk not in sys.modules and (sdk not in named or importlib.util.find_spec(sdk) is None)):
            continue
        try:
            _patch_module(api, importlib.import_module(module_name))
        except ImportError:
            continue


def _patch_module(api: str, module: Any) -> None:
    if api in _patched:
        return
    for name in APIS[api][1]:
        cls = getattr(module, name, None)
        if isinstance(cls, type):
            _wrap(cls, api, name.startswith("Async"))
    _patched.add(api)


_BY_MODULE = {module_name: api for api, (module_name, _, _, _) in APIS.items()}
_hooked: list[Any] = []


def _hook_imports() -> None:
    """A meta path finder that lets the normal finders find the SDKs' resource modules, then patches
    each right after it executes: an agent that imports its SDK inside the call is covered too."""
    if _hooked:
        return
    import importlib.abc

    busy: set[str] = set()

    class PatchOnImport(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
            api = _BY_MODULE.get(fullname)
            if api is None or fullname in busy or api in _patched:
                return None
            busy.add(fullname)
            try:
                spec = importlib.util.find_spec(fullname)
            finally:
                busy.discard(fullname)
            if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
                return spec
            loader = spec.loader
            execute = loader.exec_module

            def exec_module(module: Any) -> None:
                execute(module)
                _patch_module(api, module)

            loader.exec_module = exec_module  # type: ignore[method-assign]  # this spec's own loader instance
            return spec

    finder = PatchOnImport()
    sys.meta_path.insert(0, finder)
    _hooked.append(finder)


def _wrap(cls: type, api: str, is_async: bool) -> None:
    original = cls.__dict__.get("create")
    if original is None or getattr(original, "__failgate_replay__", False):
        return
    from failgate_replay import _session

    if is_async:

        async def create(self: Any, *args: Any, **kwargs: Any) -> Any:
            session = _session()
            if session is None or kwargs.get("stream") is True:
                return await original(self, *args, **kwargs)
            outcome = session.model(normalise(api, kwargs))
            if isinstance(outcome, dict):
                return rebuild(api, outcome, kwargs)
            result = await original(self, *args, **kwargs)
            session.ran(outcome[0], api=api, response=neutral(api, result))
            return result

    else:

        def create(self: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
            session = _session()
            if session is None or kwargs.get("stream") is True:
                return original(self, *args, **kwargs)
            outcome = session.model(normalise(api, kwargs))
            if isinstance(outcome, dict):
                return rebuild(api, outcome, kwargs)
            result = original(self, *args, **kwargs)
            session.ran(outcome[0], api=api, response=neutral(api, result))
            return result

    functools.update_wrapper(create, original)
    create.__failgate_replay__ = True  # type: ignore[attr-defined]
    cls.create = create  # type: ignore[attr-defined]


def normalise(api: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The request as a cassette holds it: model, messages (a system prompt as the first), tools."""
    from failgate_replay import _plain, _unset

    messages: list[Any] = []
    if api == "openai.responses":
        if kwargs.get("instructions") and not _unset(kwargs["instructions"]):
            messages.append({"role": "system", "content": kwargs["instructions"]})
        given = kwargs.get("input")
        if isinstance(given, str):
            messages.append({"role": "user", "content": given})
        elif given is not None and not _unset(given):
            messages.extend(_plain(list(given)))
    else:
        system = kwargs.get("system")
        if api == "anthropic.messages" and system is not None and not _unset(system):
            messages.append({"role": "system", "content": _plain(system)})
        messages.extend(_plain(list(kwargs.get("messages") or [])))
    request: dict[str, Any] = {"model": kwargs.get("model"), "messages": messages}
    tools = kwargs.get("tools")
    if tools and not _unset(tools):
        request["tools"] = list(tools)
    return _plain(request)  # type: ignore[no-any-return]


def _arguments(text: Any) -> dict[str, Any]:
    if isinstance(text, dict):
        return text
    try:
        value = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        value = None
    return value if isinstance(value, dict) else {"_raw": text}


def neutral(api: str, result: Any) -> dict[str, Any]:
    """The SDK's response as a cassette holds it: text, tool calls, usage, and the raw object."""
    from failgate_replay import _plain

    raw = _plain(result)
    raw = raw if isinstance(raw, dict) else {"value": raw}
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    if api == "openai.chat":
        message = ((raw.get("choices") or [{}])[0] or {}).get("message") or {}
        if message.get("content") is not None:
            texts.append(str(message["content"]))
        for call in message.get("tool_calls") or []:
            function = call.get("function") or {}
            calls.append(
                {"id": call.get("id"), "name": function.get("name"), "arguments": _arguments(function.get("arguments"))}
            )
    elif api == "openai.responses":
        for item in raw.get("output") or []:
            if item.get("type") == "message":
                texts += [c.get("text", "") for c in item.get("content") or [] if c.get("type") == "output_text"]
            elif item.get("type") == "function_call":
                calls.append(
                    {
                        "id": item.get("call_id"),
                        "name": item.get("name"),
                        "arguments": _arguments(item.get("arguments")),
                    }
                )
    else:
        for block in raw.get("content") or []:
            if block.get("type") == "text":
                texts.append(block.get("text", ""))
            elif block.get("type") == "tool_use":
                calls.append({"id": block.get("id"), "name": block.get("name"), "arguments": block.get("input") or {}})
    response: dict[str, Any] = {
        "text": "".join(texts) if texts else None,
        "tool_calls": [{k: v for k, v in call.items() if v is not None} for call in calls],
        "raw": raw,
    }
    if isinstance(raw.get("usage"), dict):
        response["usage"] = raw["usage"]
    return response


def rebuild(api: str, interaction: dict[str, Any], kwargs: dict[str, Any]) -> Any:
    """The SDK's own response object for a recorded interaction: its raw JSON when it was recorded
    through the same API, else one made from the neutral text and tool calls (a cassette from a trace)."""
    _, _, module_name, class_name = APIS[api]
    cls = getattr(importlib.import_module(module_name), class_name)
    response = interaction.get("response") or {}
    raw = response.get("raw") if interaction.get("api") == api else None
    if not isinstance(raw, dict):
        raw = _synthesise(api, response, str(kwargs.get("model") or "replay"))
    try:
        return cls.model_validate(raw)
    except Exception:  # an SDK whose model changed shape since the recording: keep the data as it is
        return cls.model_construct(**raw)


def _synthesise(api: str, response: dict[str, Any], model: str) -> dict[str, Any]:
    text = response.get("text")
    calls = response.get("tool_calls") or []

    def call_id(index: int, call: dict[str, Any]) -> str:
        return str(call.get("id") or f"call_replay_{index}")

    if api == "openai.chat":
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if calls:
            message["tool_calls"] = [
                {
                    "id": call_id(i, c),
                    "type": "function",
                    "function": {"name": c.get("name"), "arguments": json.dumps(c.get("arguments") or {})},
                }
                for i, c in enumerate(calls)
            ]
        return {
            "id": "chatcmpl-replay",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [{"index": 0, "finish_reason": "tool_calls" if calls else "stop", "message": message}],
        }
    if api == "openai.responses":
        output: list[dict[str, Any]] = []
        if text is not None:
            output.append(
                {
                    "type": "message",
                    "id": "msg_replay",
                    "role": "assistant",
                    "status": "completed",
                    "content": [{"type": "output_text", "text": text, "annotations": []}],
                }
            )
        output += [
            {
                "type": "function_call",
                "id": f"fc_replay_{i}",
                "call_id": call_id(i, c),
                "name": c.get("name"),
                "arguments": json.dumps(c.get("arguments") or {}),
                "status": "completed",
            }
            for i, c in enumerate(calls)
        ]
        return {
            "id": "resp_replay",
            "object": "response",
            "created_at": 0,
            "model": model,
            "output": output,
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
            "status": "completed",
        }
    content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text is not None else []
    content += [
        {"type": "tool_use", "id": call_id(i, c), "name": c.get("name"), "input": c.get("arguments") or {}}
        for i, c in enumerate(calls)
    ]
    return {
        "id": "msg_replay",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": "tool_use" if calls else "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 0, "output_tokens": 0},
    }
