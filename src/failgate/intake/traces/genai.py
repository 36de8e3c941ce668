"""One run from its spans, read through the conventions table (`conventions`).

Every span reader (OTLP/JSON, OpenTelemetry SDK span JSON, any-agent's trace JSON, AgentOps'
API output) hands its spans here; a trace whose spans carry OpenInference or Vercel AI SDK
attributes goes to those builders, which read messages the GenAI families do not share. The run
is read as its own tool shows it:

- input: the run's own input (a workflow's or agent run's `run_input`), else the user turns of
  the model call that saw the most of them, else a plain-text prompt that is not the agent's
  system instructions (a root span's `gen_ai.prompt` is often those);
- output: the run's own output, else the last model call's answer; reasoning parts
  (`thought: true`, `type: reasoning`) are never the answer;
- tool calls: the tool spans, once each, with their arguments; a span's error status, its
  `error.type` or a tool-status attribute in an error word (`gen_ai.tool.status = "error"`,
  whatever the span status says) is a tool error. Without tool spans, the calls the model
  asked for in its messages, each call id once;
- steps: the model turns and tool results in order, for replay (`Trace.steps`).
"""

from __future__ import annotations

import json
from typing import Any

from failgate.intake.traces import conventions as conv
from failgate.intake.traces.model import UNKNOWN_INTENT, Trace, feedback_of, parse_time
from failgate.intake.traces.shapes import (
    arguments_of,
    decoded,
    input_from,
    reply_text,
    role_of,
    text_of,
    tool_calls_in,
    tool_error_in,
    user_turns,
)
from failgate.intake.traces.spans import Span, duration_ms, indexed

INFERENCE_OPS = frozenset({"chat", "text_completion", "generate_content", "completion", "call_llm"})
TOOL_NAME_PREFIXES = ("execute_tool", "running tool:", "running tool", "tool:")
# Tools through which a framework hands back its answer (smolagents `final_answer`, any-agent's
# `final_output`, Pydantic AI's `final_result`): the run's output, not an action it took.
FINAL_ANSWER_TOOLS = frozenset({"final_answer", "final_output", "final_result"})


class _View:
    """A span with the conventions it follows, looked up once."""

    __slots__ = ("span", "families", "attrs")

    def __init__(self, span: Span) -> None:
        self.span = span
        self.attrs = span.attrs
        self.families = conv.families(span.attrs)

    def get(self, role: str) -> Any:
        found = conv.lookup(self.attrs, self.families, role)
        return None if found is None else found[1]

    def messages(self, role: str) -> Any:
        """A message attribute, or the indexed form (`gen_ai.prompt.0.role` / `.content`)."""
        value = self.get(role)
        if value is not None:
            return decoded(value)
        for key in self.families.keys[role]:
            if f"{key}.0.content" in self.attrs or f"{key}.0.role" in self.attrs:
                return [{k: v for k, v in item.items() if "." not in k} for item in indexed(self.attrs, key)]
        return None


def _is_tool(view: _View) -> bool:
    a = view.attrs
    if conv.is_kind(a, view.families, "tool") or view.span.name.startswith(TOOL_NAME_PREFIXES[:2]):
        return True
    op = a.get("gen_ai.operation.name")
    return op is None and "gen_ai.tool.name" in a and view.get("request_messages") is None


def _is_model(view: _View) -> bool:
    if _is_tool(view):
        return False
    a = view.attrs
    return (
        a.get("gen_ai.operation.name") in INFERENCE_OPS
        or conv.is_kind(a, view.families, "model")
        or view.messages("request_messages") is not None
        or view.get("response") is not None
        or "gen_ai.system" in a
    )


def _entity(value: Any) -> Any:
    """OpenLLMetry's `traceloop.entity.input` is the call's `{"args": [...], "kwargs": {...}}`."""
    value = decoded(value)
    if isinstance(value, dict) and value and set(value) <= {"args", "kwargs"}:
        args = [a for a in value.get("args") or [] if a not in (None, "")]
        given = value.get("kwargs")
        kwargs: dict[str, Any] = given if isinstance(given, dict) else {}
        if len(args) == 1 and not kwargs:
            return decoded(args[0])
        return {**kwargs, **({"args": args} if args else {})}
    return value


def _system_texts(views: list[_View]) -> set[str]:
    texts: set[str] = set()
    for view in views:
        value = view.get("system")
        if value is not None:
            texts.add(text_of(decoded(value)).strip())
        for message in _message_list(view.messages("request_messages")):
            if role_of(message) in ("system", "developer"):
                texts.add(text_of(message.get("content", message.get("parts"))).strip())
    texts.discard("")
    return texts


def _message_list(value: Any) -> list[dict[str, Any]]:
    return [m for m in value if isinstance(m, dict)] if isinstance(value, list) else []


def _input(views: list[_View], runs: list[_View], system: set[str]) -> dict[str, Any]:
    for view in runs:  # the run's own input, read as its tool shows it
        value = view.get("run_input")
        if value is None:
            continue
        value = _entity(value)
        found = input_from(value) if not (isinstance(value, str) and value.strip() in system) else {}
        if found.get("messages") or (found and not isinstance(value, str)):
            return found
    best: list[dict[str, str]] = []
    plain: list[dict[str, str]] = []
    for view in views:
        value = view.messages("request_messages")
        if isinstance(value, str):
            turns = user_turns(value)  # "user: ..." lines are role-tagged; plain text is not
            if not turns and value.strip() and value.strip() not in system and not plain:
                plain = [{"role": "user", "content": value}]
        else:
            turns = user_turns(value)
        if len(turns) > len(best):
            best = turns
    turns = best or plain
    return {"messages": turns} if turns else {}


def _as_text(value: Any) -> str:
    value = decoded(value)
    text = reply_text(value)
    if text or value in (None, ""):
        return text
    if isinstance(value, (dict, list)) and not tool_calls_in(value):  # a structured answer (output type json)
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return ""


def _tool_name(view: _View) -> str:
    name = view.get("tool_name")
    if name:
        return str(name)
    for prefix in TOOL_NAME_PREFIXES:
        if view.span.name.startswith(prefix):
            return view.span.name[len(prefix) :].strip() or "?"
    return view.span.name or "?"


def _tool_step(view: _View) -> dict[str, Any]:
    raw = view.get("tool_arguments")
    if raw is None:  # the call as an event message (Strands: gen_ai.tool.message; latest: a tool_call part)
        inputs = _message_list(view.messages("request_messages"))
        parts = tool_calls_in(inputs, ids=True)
        raw = parts[0]["arguments"] if parts else next((m.get("content") for m in inputs if role_of(m) == "tool"), None)
    result = decoded(view.get("tool_result"))
    if result is None:  # the result as an event message (Strands: gen_ai.choice; latest: a tool_call_response part)
        outputs = _message_list(view.messages("response"))
        parts = [p for m in outputs for p in m.get("parts") or [] if isinstance(p, dict)]
        found = [p.get("response") for p in parts if p.get("type") == "tool_call_response"]
        result = found[0] if found else (decoded(outputs[0].get("content")) if len(outputs) == 1 else outputs or None)
    error = view.span.error or conv.tool_failed(view.attrs, view.families) or tool_error_in(result)
    step: dict[str, Any] = {"kind": "tool", "name": _tool_name(view), "arguments": arguments_of(_entity(raw))}
    call_id = view.get("tool_call_id")
    if call_id:
        step["id"] = str(call_id)
    step["result"] = result
    if error:
        step["error"] = error
    return step


def _message_calls(models: list[_View], root: _View) -> list[dict[str, Any]]:
    """Without tool spans: the calls in the conversation (the assistant turns of the longest request),
    then what the last model call asked for; a call id seen twice is one call."""
    longest: list[dict[str, Any]] = []
    for view in models:
        found = _message_list(view.messages("request_messages"))
        if len(found) > len(longest):
            longest = found
    calls = [c for m in longest if role_of(m) == "assistant" for c in tool_calls_in(m, ids=True)]
    for view in [root, *reversed(models)]:
        asked = tool_calls_in(view.messages("response"), ids=True)
        if asked:
            calls += asked
            break
    seen: set[str] = set()
    kept = []
    for call in calls:
        if call.get("id"):
            if call["id"] in seen:
                continue
            seen.add(call["id"])
        kept.append(call)
    return kept


def build(spans: list[Span], path: str) -> Trace | None:
    """One run from its spans: OpenInference and AI SDK traces by their own builders, the rest here."""
    from failgate.intake.traces import openinference_run, vercel

    if any("openinference.span.kind" in s.attrs for s in spans):
        return openinference_run.build(spans, path)
    if any(vercel.is_vercel(s) for s in spans):
        return vercel.build(spans, path)
    return build_genai(spans, path)


def build_genai(spans: list[Span], path: str) -> Trace | None:
    views = [_View(s) for s in spans]
    root = next((v for v in views if v.span.is_root), views[0])
    runs = [root] + [v for v in views if v is not root and (conv.is_kind(v.attrs, v.families, "run"))]
    runs += [v for v in views if v not in runs and v.get("run_input") is not None and not _is_tool(v)]
    system = _system_texts(views)
    case_input = _input(views, runs, system)
    if not case_input:
        return None  # not an agent run (no GenAI content): nothing intake could replay
    tools = [v for v in views if _is_tool(v)]
    tool_ids = {id(v) for v in tools}
    models = [v for v in views if id(v) not in tool_ids and _is_model(v)]
    model_ids = {id(v) for v in models}
    output = next((_as_text(v.get("run_output")) for v in runs if v.get("run_output") is not None), "")
    for view in [root, *reversed(models)]:
        if output:
            break
        if id(view) in tool_ids:
            continue
        output = _as_text(view.messages("response"))
    # Steps: the model calls proper when the spans say which they are (agent runs and event-loop
    # cycles carry messages too, but are not a model turn of their own).
    calls = [
        v
        for v in models
        if v.attrs.get("gen_ai.operation.name") in INFERENCE_OPS or conv.is_kind(v.attrs, v.families, "model")
    ]
    turn_ids = {id(v) for v in calls} or model_ids
    steps: list[dict[str, Any]] = []
    for view in views:
        if id(view) in tool_ids:
            steps.append(_tool_step(view))
        elif id(view) in turn_ids:
            response = view.messages("response")
            steps.append(
                {
                    "kind": "model",
                    "name": view.span.name,
                    "output": _as_text(response),
                    "tool_calls": tool_calls_in(response, ids=True),
                }
            )
    answers = [s for s in steps if s["kind"] == "tool" and s["name"] in FINAL_ANSWER_TOOLS]
    if not output and answers:
        arguments = answers[-1]["arguments"]
        output = _as_text(arguments.get("answer", arguments.get("input", arguments)))
    if tools:
        tool_calls = [
            {"name": s["name"], "arguments": s["arguments"], **({"error": s["error"]} if s.get("error") else {})}
            for s in steps
            if s["kind"] == "tool" and s not in answers
        ]
    else:
        tool_calls = [{"name": c["name"], "arguments": c["arguments"]} for c in _message_calls(models, root)]
    error = root.span.error if id(root) not in tool_ids else None
    error = error or next((v.span.error for v in models if v.span.error), None)
    look = [root] + [v for v in views if v is not root]
    intent = next(
        (str(v.attrs[k]) for v in look for k in ("failgate.intent", "intent", "app.intent") if v.attrs.get(k)),
        UNKNOWN_INTENT,
    )
    feedback = next((v.attrs[k] for v in look for k in ("failgate.feedback", "user.feedback") if k in v.attrs), None)
    verdict, comment = feedback_of(decoded(feedback))
    tags = root.attrs.get("failgate.tags")
    start = min((s.start_ns for s in spans if s.start_ns), default=None)
    return Trace(
        trace_id=root.span.trace_id,
        input=case_input,
        output=output,
        tool_calls=tool_calls,
        latency_ms=duration_ms(spans),
        error=error,
        feedback=verdict,
        feedback_comment=comment,
        intent=intent,
        timestamp=parse_time(start),
        tags=tuple(map(str, tags)) if isinstance(tags, list) else (),
        steps=steps,
        where=f"{path}:{root.span.line}",
    )
