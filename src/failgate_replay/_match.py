"""What replay compares: a tool call by name and arguments, a model call by its normalised
request (model, messages by meaning, tools offered), and how a step is shown in reports.
Standard library only, like the rest of failgate_replay."""

from __future__ import annotations

import json
from typing import Any


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _brief(item: dict[str, Any]) -> str:
    if item.get("type") == "tool":
        return f"tool {item.get('name')}({_canonical(item.get('arguments', {}))[:200]})"
    request = item.get("request") or {}
    messages = request.get("messages") or []
    ends = messages[:1] + messages[1:][-1:]  # the first (the system prompt, usually) and the last
    shown = "; ".join(f"{m.get('role', '?')}: {message_key(m)[1][:60]!r}" for m in ends if isinstance(m, dict))
    return f"model call ({len(messages)} messages: {shown})"


_CALL_PARTS = ("tool_use", "tool_call", "function_call")


def _text_and_calls(content: Any, calls: list[list[Any]]) -> str:
    """The text of a message's content (a string, or parts as OpenAI, Anthropic and OpenTelemetry
    write them), collecting tool-call parts into `calls`."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(_text_and_calls(part, calls) for part in content)
    if isinstance(content, dict):
        if content.get("type") in _CALL_PARTS:
            calls.append([content.get("name"), _arguments_key(content.get("input", content.get("arguments")))])
            return ""
        for key in ("text", "content", "output"):
            if key in content:
                return _text_and_calls(content[key], calls)
        return ""
    return str(content)


def _arguments_key(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    return _canonical(value if value is not None else {})


def message_key(message: Any) -> list[Any]:
    """What a message means for replay: its role, its text and the tool calls it makes, whatever the
    provider's shape; call ids, which each provider mints anew, are left out."""
    if not isinstance(message, dict):
        return ["", str(message), []]
    calls: list[list[Any]] = []
    if message.get("type") in _CALL_PARTS:  # a Responses API input item
        return ["assistant", "", [[message.get("name"), _arguments_key(message.get("arguments"))]]]
    text = _text_and_calls(message.get("content", message.get("parts", message.get("output"))), calls)
    for call in message.get("tool_calls") or []:
        function = call.get("function") or call if isinstance(call, dict) else {}
        calls.append([function.get("name"), _arguments_key(function.get("arguments"))])
    role = message.get("role") or ("tool" if message.get("type") == "function_call_output" else "")
    if role == "tool" or message.get("type") in ("function_call_output", "tool_result"):
        # A tool's result is the tool interaction's to replay and compare; traces often keep only its id.
        return ["tool", "", []]
    return [role, " ".join(text.split()), calls]


def _tool_names(tools: Any) -> list[str]:
    names = []
    for tool in tools or []:
        if isinstance(tool, dict):
            names.append(str(tool.get("name") or (tool.get("function") or {}).get("name")))
    return sorted(names)


def _differs(recorded: dict[str, Any], came: dict[str, Any]) -> str | None:
    """Why `came` does not replay `recorded` (the divergence's reason), or None when it does."""
    if came["type"] == "tool":
        if recorded.get("type") != "tool":
            return f"tool {came['name']} called where a model call was recorded"
        if recorded.get("name") != came["name"]:
            return f"tool {came['name']} called where tool {recorded.get('name')} was recorded"
        if _canonical(recorded.get("arguments", {})) != _canonical(came["arguments"]):
            return f"tool {came['name']}: args differ"
        return None
    if recorded.get("type") != "model":
        return f"model call where tool {recorded.get('name')} was recorded"
    before, after = recorded.get("request") or {}, came["request"]
    # A field the recording does not hold (a trace without the model name or the tool list) is not compared.
    if before.get("model") is not None and before.get("model") != after.get("model"):
        return f"model call: model differs ({before.get('model')!r} recorded, {after.get('model')!r} came)"
    old, new = before.get("messages") or [], after.get("messages") or []
    for index, (a, b) in enumerate(zip(old, new), 1):
        if message_key(a) != message_key(b):
            return f"model call: message {index} differs"
    if len(old) != len(new):
        return f"model call: {len(new)} messages where {len(old)} were recorded"
    if "tools" in before and _tool_names(before.get("tools")) != _tool_names(after.get("tools")):
        return "model call: tools offered differ"
    return None
