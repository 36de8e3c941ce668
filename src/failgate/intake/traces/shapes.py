"""Message, reply and tool-call shapes as agent frameworks record them.

A trace format (Langfuse, OTLP, OpenInference) says where a run's input and
output are; what sits there depends on the framework that wrote it. The
shapes read here are those seen in real exports:

- OpenAI chat (`{"role", "content", "tool_calls": [{"function": {...}}]}`),
  chat completions (`{"choices": [{"message": ...}]}`) and the Responses API
  (`{"output": [{"type": "message", "content": [{"type": "output_text"}]},
  {"type": "function_call"}]}`);
- OpenTelemetry GenAI message parts (`{"role", "parts": [{"type": "text",
  "content"}, {"type": "tool_call", "name", "arguments"}]}`);
- Gemini / Vertex (`{"contents": ...}`, `{"candidates": [{"content":
  {"parts": [{"text"}, {"function_call"}]}}]}`), Google ADK (`new_message`);
- LangChain messages (`type: human/ai`, serialised `{"lc": 1, "kwargs"}`),
  Anthropic content blocks (`tool_use`), OpenInference `message_content`;
- text that is JSON, or a Python literal (`repr()` of a list of dicts, as some
  SDKs log it), decoded once.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

USER_ROLES = frozenset({"user", "human", "humanmessage"})
ASSISTANT_ROLES = frozenset({"assistant", "ai", "model", "aimessage", "bot"})
# Request parameters ride along with the messages in many inputs (`{"model",
# "temperature", "messages"}`); they are how the run was called, not what the
# user said, and must stay out of the case input and its hash.
REQUEST_PARAMS = frozenset(
    {
        "model",
        "temperature",
        "top_p",
        "top_k",
        "max_tokens",
        "max_completion_tokens",
        "max_output_tokens",
        "n",
        "stream",
        "stop",
        "seed",
        "frequency_penalty",
        "presence_penalty",
        "logprobs",
        "top_logprobs",
        "user",
        "tools",
        "tool_choice",
        "functions",
        "function_call",
        "response_format",
        "parallel_tool_calls",
        "config",
        "generation_config",
        "safety_settings",
        "system_instruction",
        "stream_options",
        "reasoning",
        "metadata",
        "extra_headers",
        "extra_body",
        "timeout",
        "invocation_parameters",
    }
)
_LITERAL_LIMIT = 1 << 20  # ast.literal_eval on megabytes of text is slow; such text stays text


def decoded(value: Any) -> Any:
    """JSON (or a Python literal of dicts and lists) given as a string, decoded; anything else as it is.

    Some SDKs encode twice (`"\"{\\\"content\\\": ...}\""`, a JSON string holding JSON):
    a decoded string is decoded again, a few times at most."""
    for _ in range(3):
        if not isinstance(value, str):
            return value
        text = value.strip()
        if len(text) > 1 and text[0] == '"' and text[-1] == '"':
            try:
                value = json.loads(text)
            except ValueError:
                return value
            continue
        if not text or text[0] not in "[{":
            return value
        from failgate.dataset.jsonstrict import loads_or_none

        parsed = loads_or_none(text)  # too deep, too large a number or not JSON: None
        if parsed is not None:
            return parsed
        if len(text) < _LITERAL_LIMIT and (text[:2] in ("{'", "[]", "{}") or text[:3] == "[{'"):
            try:
                found = ast.literal_eval(text)
            except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
                return value
            if isinstance(found, (dict, list)):
                return found
        return value
    return value


def role_of(message: Mapping[str, Any]) -> str:
    role = message.get("role") or message.get("type") or ""
    if message.get("lc") and isinstance(message.get("id"), list) and message["id"]:
        role = str(message["id"][-1])
    role = str(role).lower()
    if role in USER_ROLES:
        return "user"
    if role in ASSISTANT_ROLES:
        return "assistant"
    return role


def text_of(value: Any) -> str:
    """The readable text of a message content: a string, a list of parts, or a mapping."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(t for t in (text_of(part) for part in value) if t)
    if isinstance(value, dict):
        kind = value.get("type")
        if kind not in (None, "text", "output_text", "input_text", "message") or value.get("thought") is True:
            # A tool call, tool result, image or reasoning part carries no reply text; Gemini marks
            # its hidden reasoning as a text part with `thought: true`.
            return ""
        for key in ("content", "text", "parts", "contents", "message_content", "value", "kwargs"):
            if key in value:
                return text_of(value[key])
        return ""
    return str(value)


def _messages_in(value: Any) -> list[Mapping[str, Any]] | None:
    """The message list a value holds, if it holds one."""
    value = decoded(value)
    if isinstance(value, list):
        found: list[Mapping[str, Any]] = [m for m in value if isinstance(m, dict)]
        return found if found and len(found) == len(value) else None
    if isinstance(value, dict):
        for key in ("messages", "contents", "input"):
            inner = decoded(value.get(key))
            if isinstance(inner, list):
                return _messages_in(inner)
        if isinstance(value.get("new_message"), dict):  # Google ADK's run request
            return [value["new_message"]]
    return None


def _content(message: Mapping[str, Any]) -> Any:
    if message.get("lc") and isinstance(message.get("kwargs"), dict):
        return message["kwargs"].get("content")
    for key in ("parts", "content", "contents", "text"):
        if key in message:
            return decoded(message[key]) if key == "content" else message[key]
    return None


def user_turns(value: Any) -> list[dict[str, str]]:
    """The user turns of a message list (any shape above), as `{"role": "user", "content": text}`:
    the agent regenerates its own turns."""
    if isinstance(value, str) and not value.lstrip().startswith(("[", "{")):
        return transcript_turns(value)
    out = []
    for message in _messages_in(value) or []:
        if role_of(message) != "user":
            continue
        text = text_of(_content(message))
        if text:
            out.append({"role": "user", "content": text})
    return out


_TRANSCRIPT = re.compile(r"^(system|developer|user|human|assistant|ai|tool): ", re.MULTILINE)


def transcript_turns(text: str) -> list[dict[str, str]]:
    """The user turns of a chat flattened to text (`system: ...\nuser: ...`), as some SDKs log it
    (OpenLIT writes every prompt as `role: content` lines, a lone `user: ...` included)."""
    marks = list(_TRANSCRIPT.finditer(text))
    if not marks or marks[0].start() != 0 or (len(marks) == 1 and marks[0].group(1) not in ("user", "human")):
        return []
    out = []
    for mark, after in zip(marks, marks[1:] + [None]):
        if mark.group(1) in ("user", "human"):
            body = text[mark.end() : after.start() if after else len(text)].strip()
            if body:
                out.append({"role": "user", "content": body})
    return out


def input_from(value: Any) -> dict[str, Any]:
    """A case input from whatever a format recorded as the run's input."""
    value = decoded(value)
    if isinstance(value, str):
        turns = transcript_turns(value)
        if turns:
            return {"messages": turns}
        return {"messages": [{"role": "user", "content": value}]} if value.strip() else {}
    turns = user_turns(value)
    if turns:
        return {"messages": turns}
    if isinstance(value, dict):
        inner = value.get("contents")
        if isinstance(inner, str) and inner.strip():  # Gemini: contents="What is ...?"
            return {"messages": [{"role": "user", "content": inner}]}
        for key in ("input", "query", "question", "prompt", "message", "text", "user_input"):
            if isinstance(value.get(key), str) and value[key].strip():
                return {"messages": [{"role": "user", "content": value[key]}]}
        rest = {k: v for k, v in value.items() if k not in REQUEST_PARAMS}
        return dict(rest)
    return {}


def reply_text(value: Any, depth: int = 0) -> str:
    """The final answer text of a recorded output, in any of the shapes above."""
    value = decoded(value)
    if depth > 6 or value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        messages = [m for m in value if isinstance(m, dict)]
        replies = [m for m in messages if role_of(m) == "assistant" or m.get("type") == "message"]
        for message in reversed(replies or messages):
            content = _content(message) if message.get("type") != "message" else message.get("content")
            text = text_of(content)
            if not text and isinstance(content, dict):  # a whole response object as the content
                text = reply_text(content, depth + 1)
            if text:
                return text
        return text_of(value)
    if not isinstance(value, dict):
        return str(value)
    if isinstance(value.get("output_text"), str) and value["output_text"]:
        return value["output_text"]
    for key in ("choices", "candidates"):
        items = value.get(key)
        if isinstance(items, list) and items and isinstance(items[0], dict):
            first = items[0]
            return reply_text(first.get("message") or first.get("content") or first.get("text"), depth + 1)
    for key in ("output", "messages", "message", "response", "result", "answer", "final_output", "completion"):
        if key in value and value[key] not in (None, ""):
            text = reply_text(value[key], depth + 1)
            if text:
                return text
    text = text_of(_content(value)) if role_of(value) in ("assistant", "") else ""
    if text:
        return text
    strings = [v for v in value.values() if isinstance(v, str) and v.strip()]
    return strings[0] if len(strings) == 1 and len(value) <= 2 else ""


def _call(name: Any, arguments: Any, call_id: Any = None) -> dict[str, Any] | None:
    if not isinstance(name, str) or not name:
        return None
    call = {"name": name, "arguments": arguments_of(arguments)}
    if isinstance(call_id, (str, int)) and call_id != "":
        call["id"] = str(call_id)
    return call


def arguments_of(value: Any) -> dict[str, Any]:
    value = decoded(value)
    if isinstance(value, dict):
        return dict(value)
    if value in (None, ""):
        return {}
    return {"input": value}


def tool_calls_in(value: Any, *, ids: bool = False) -> list[dict[str, Any]]:
    """The tool calls a recorded output asked for, in any of the shapes above; with `ids`, each
    keeps the call id its shape records (to tell one call seen twice from two calls)."""
    value = decoded(value)
    calls = [c for c in _calls(value, 0) if c is not None]
    if not ids:
        for call in calls:
            call.pop("id", None)
    return calls


def _calls(value: Any, depth: int) -> Iterator[dict[str, Any] | None]:
    if depth > 6:
        return
    if isinstance(value, list):
        for item in value:
            yield from _calls(decoded(item), depth + 1)
        return
    if not isinstance(value, dict):
        return
    kind = value.get("type")
    if kind in ("tool_call", "function_call") and "name" in value:  # GenAI part, Responses API item
        yield _call(value.get("name"), value.get("arguments", value.get("args")), value.get("call_id", value.get("id")))
        return
    if kind == "tool_use":  # Anthropic content block
        yield _call(value.get("name"), value.get("input"), value.get("id"))
        return
    if isinstance(value.get("toolUse"), dict):  # Bedrock Converse / Strands content block
        use = value["toolUse"]
        yield _call(use.get("name"), use.get("input"), use.get("toolUseId"))
        return
    if "tool.name" in value:  # any-agent's model output: [{"tool.name", "tool.args"}]
        yield _call(value.get("tool.name"), value.get("tool.args"))
        return
    if isinstance(value.get("function_call"), dict):  # Gemini part
        call = value["function_call"]
        yield _call(call.get("name"), call.get("args"), call.get("id"))
        return
    for call in value.get("tool_calls") or (value.get("additional_kwargs") or {}).get("tool_calls") or []:
        if isinstance(call, dict):
            inner = call.get("function")
            function: dict[str, Any] = inner if isinstance(inner, dict) else call
            yield _call(function.get("name"), function.get("arguments", function.get("args")), call.get("id"))
    for key in ("choices", "candidates", "output", "parts", "content", "message", "kwargs", "messages"):
        inner = value.get(key)
        if isinstance(inner, (list, dict)) and not (key == "messages"):
            yield from _calls(inner, depth + 1)


_ERROR_STATUSES = frozenset({"error", "failed", "failure", "fail"})


def tool_error_in(output: Any) -> str | None:
    """An error a tool reported in its own result (`{"status": "error", "message": ...}`,
    `{"error": "..."}`) while its span or observation says nothing went wrong."""
    output = decoded(output)
    if not isinstance(output, dict):
        return None
    error = output.get("error")
    if isinstance(error, str) and error.strip():
        return error
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return error["message"]
    status = output.get("status", output.get("response_status"))
    if isinstance(status, str) and status.strip().lower() in _ERROR_STATUSES:
        message = output.get("message") or output.get("detail") or output.get("error_message")
        return str(message) if message else f"status {status}"
    return None


def history_calls(messages: Any) -> list[dict[str, Any]]:
    """Tool calls the assistant made earlier in a conversation (its turns in the input)."""
    found = _messages_in(messages) or []
    return [c for m in found if role_of(m) == "assistant" for c in tool_calls_in(m)]
