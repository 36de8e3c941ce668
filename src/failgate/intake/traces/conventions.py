"""Where each GenAI attribute convention keeps a run's facts: one table, read by every span reader.

The GenAI world writes the same facts (the user's question, the answer, each tool call with its
arguments, result and error, each model call's messages) under a handful of attribute
conventions. Each family is one `Convention` entry below; a span follows the families whose
`marks` it carries (plus the OpenTelemetry GenAI base, which every family extends). The span
readers (`genai`, over OTLP/JSON, OpenTelemetry SDK span JSON, any-agent's trace JSON and
AgentOps' API output) look a role up with `lookup(span, role)`; `openinference` and `vercel`
take their keys from their own entries. Adding a family is an entry here plus a fixture in
`tests/unit/intake/traces/test_traces_families.py`, which fails for a family without one.

The keys come from each convention's own specification or tracer source (docs/reference/trace-formats.md
lists them with their sources).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from typing import Any

# Words a tool-status attribute uses for a failed call (Strands writes the tool result's
# status, `success` / `error`, whatever the span status says).
ERROR_WORDS = frozenset({"error", "failed", "failure", "fail", "timeout", "cancelled", "exception"})


@dataclasses.dataclass(frozen=True)
class Convention:
    family: str
    marks: tuple[str, ...]  # attribute keys (a trailing "." means a prefix) that show a span follows it
    run_input: tuple[str, ...] = ()  # a run's, agent's or workflow's own input (text or JSON)
    run_output: tuple[str, ...] = ()  # ... and its final answer
    request_messages: tuple[str, ...] = ()  # a model call's messages (list, JSON, "role: text" lines)
    response: tuple[str, ...] = ()  # a model call's answer
    system: tuple[str, ...] = ()  # system instructions: never the case input
    tool_name: tuple[str, ...] = ()
    tool_arguments: tuple[str, ...] = ()
    tool_result: tuple[str, ...] = ()
    tool_status: tuple[str, ...] = ()  # an error word here fails the call (ERROR_WORDS)
    tool_call_id: tuple[str, ...] = ()
    tool_kinds: tuple[tuple[str, str], ...] = ()  # (attribute, value) marking a tool span
    model_kinds: tuple[tuple[str, str], ...] = ()  # ... a model call
    run_kinds: tuple[tuple[str, str], ...] = ()  # ... an agent run or workflow
    spec: str = ""


_OP = "gen_ai.operation.name"

OTEL_GENAI = Convention(
    family="otel-genai",
    marks=("gen_ai.",),
    request_messages=("gen_ai.input.messages", "gen_ai.prompt"),
    response=("gen_ai.output.messages", "gen_ai.completion"),
    system=("gen_ai.system_instructions",),
    tool_name=("gen_ai.tool.name",),
    tool_arguments=("gen_ai.tool.call.arguments",),
    tool_result=("gen_ai.tool.call.result",),
    tool_call_id=("gen_ai.tool.call.id",),
    tool_kinds=((_OP, "execute_tool"),),
    model_kinds=((_OP, "chat"), (_OP, "text_completion"), (_OP, "generate_content"), (_OP, "completion")),
    run_kinds=((_OP, "invoke_agent"), (_OP, "invoke_workflow"), (_OP, "create_agent")),
    spec="OpenTelemetry semantic conventions, GenAI spans and events (current and deprecated attributes)",
)

CONVENTIONS: tuple[Convention, ...] = (
    OTEL_GENAI,
    Convention(
        family="openllmetry",
        marks=("traceloop.span.kind", "traceloop.entity.name", "traceloop.workflow.name"),
        run_input=("traceloop.entity.input",),
        run_output=("traceloop.entity.output",),
        tool_name=("traceloop.entity.name",),
        tool_arguments=("traceloop.entity.input",),
        tool_result=("traceloop.entity.output",),
        tool_kinds=(("traceloop.span.kind", "tool"),),
        run_kinds=(("traceloop.span.kind", "workflow"), ("traceloop.span.kind", "agent")),
        spec="traceloop/openllmetry, opentelemetry-semantic-conventions-ai (TraceloopSpanKindValues)",
    ),
    Convention(
        family="openlit",
        marks=("gen_ai.sdk.version", "telemetry.sdk.name=openlit"),
        request_messages=("gen_ai.content.prompt",),
        response=("gen_ai.content.completion",),
        tool_arguments=("gen_ai.tool.args", "gen_ai.tool.arguments"),
        tool_result=("gen_ai.tool.result",),
        spec="openlit/openlit, sdk/python semcov: prompts and completions as 'role: content' lines",
    ),
    Convention(
        family="strands",
        marks=("gen_ai.system=strands-agents", "gen_ai.provider.name=strands-agents", "event_loop.cycle_id"),
        system=("gen_ai.agent.system_prompt", "system_prompt"),
        tool_status=("gen_ai.tool.status", "tool.status"),
        spec="strands-agents/sdk-python, src/strands/telemetry/tracer.py (both the latest and the older events)",
    ),
    Convention(
        family="pydantic-ai",
        marks=("logfire.msg", "pydantic_ai.all_messages", "all_messages_events", "final_result", "tool_arguments"),
        run_input=("pydantic_ai.all_messages", "all_messages_events"),
        run_output=("final_result",),
        system=("gen_ai.system_instructions",),
        tool_arguments=("tool_arguments",),
        tool_result=("tool_response",),
        spec="pydantic/pydantic-ai, pydantic_ai/_instrumentation + logfire agent-run spans",
    ),
    Convention(
        family="semantic-kernel",
        marks=("gen_ai.system=microsoft.semantic_kernel", "semantic_kernel."),
        tool_arguments=("gen_ai.tool.call.arguments", "gen_ai.tool.arguments"),
        tool_result=("gen_ai.tool.call.result", "gen_ai.tool.result"),
        spec="microsoft/semantic-kernel, ModelDiagnostics: messages in gen_ai.*.message / gen_ai.choice events",
    ),
    Convention(
        family="gemini-cli",
        marks=tuple(f"event.name=gemini_cli.{e}" for e in ("user_prompt", "tool_call", "api_request", "api_response")),
        run_input=("prompt",),
        run_output=("response_text",),
        request_messages=("request_text",),
        response=("response_text",),
        tool_name=("function_name",),
        tool_arguments=("function_args",),
        tool_status=("success=false",),
        tool_kinds=(("event.name", "gemini_cli.tool_call"),),
        spec="google-gemini/gemini-cli, docs/telemetry.md: gemini_cli.* log events (one record each, read as spans)",
    ),
    Convention(
        family="any-agent",
        marks=("any_agent.version", "gen_ai.output", "gen_ai.tool.args"),
        response=("gen_ai.output",),
        tool_arguments=("gen_ai.tool.args",),
        tool_result=("gen_ai.output",),
        model_kinds=((_OP, "call_llm"),),
        spec="mozilla-ai/any-agent, src/any_agent/tracing/span_attrs.py",
    ),
    Convention(
        family="agentops",
        marks=("agentops.", "workflow.final_output", "workflow.input", "agent.instructions"),
        run_input=("workflow.input",),
        run_output=("workflow.final_output",),
        system=("agent.instructions",),
        tool_name=("tool.name",),
        tool_arguments=("tool.parameters",),  # AgentOps' function spans: the call's input, not a schema
        tool_result=("tool.result",),
        tool_status=("tool.status",),
        tool_kinds=(("agentops.span.kind", "tool"), ("agentops.span.kind", "function"), ("span.kind", "tool")),
        model_kinds=(("agentops.span.kind", "request"), ("agentops.span.kind", "llm")),
        spec="AgentOps-AI/agentops, agentops/semconv + instrumentation/openai_agents (API output shape)",
    ),
    Convention(
        family="openinference",
        marks=("openinference.span.kind",),
        run_input=("input.value",),
        run_output=("output.value",),
        request_messages=("llm.input_messages",),
        response=("llm.output_messages",),
        tool_name=("tool.name",),
        tool_arguments=("input.value",),  # tool.parameters is the tool's JSON schema, never the arguments
        tool_result=("output.value",),
        tool_kinds=(("openinference.span.kind", "TOOL"),),
        model_kinds=(("openinference.span.kind", "LLM"),),
        run_kinds=(("openinference.span.kind", "AGENT"), ("openinference.span.kind", "CHAIN")),
        spec="Arize-ai/openinference, spec/semantic_conventions.md",
    ),
    Convention(
        family="vercel-ai",
        marks=("ai.operationId", "ai.prompt", "ai.prompt.messages", "ai.response.text", "ai.toolCall.name"),
        run_input=("ai.prompt",),
        run_output=("ai.response.text",),
        request_messages=("ai.prompt.messages",),
        response=("ai.response.text",),
        tool_name=("ai.toolCall.name",),
        tool_arguments=("ai.toolCall.args", "ai.toolCall.input"),
        tool_result=("ai.toolCall.result", "ai.toolCall.output"),
        tool_call_id=("ai.toolCall.id",),
        tool_kinds=(("ai.operationId", "ai.toolCall"),),
        spec="vercel/ai, AI SDK docs 'Telemetry' (ai.* span attributes)",
    ),
)

BY_FAMILY: Mapping[str, Convention] = {c.family: c for c in CONVENTIONS}
ROLES = tuple(
    f.name
    for f in dataclasses.fields(Convention)
    if f.name not in ("family", "marks", "spec") and "kinds" not in f.name
)


class Families:
    """The conventions one span follows, with each role's keys merged in order (built once per
    combination: a trace's spans share a handful)."""

    def __init__(self, members: tuple[Convention, ...]) -> None:
        self.members = members
        self.keys: dict[str, tuple[str, ...]] = {}
        for role in ROLES:
            merged: list[str] = []
            for convention in members:
                merged += [k for k in getattr(convention, role) if k not in merged and "=" not in k]
            self.keys[role] = tuple(merged)
        self.kinds = {
            kind: tuple(pair for c in members for pair in getattr(c, f"{kind}_kinds"))
            for kind in ("tool", "model", "run")
        }
        self.failure_marks = tuple(m.partition("=")[::2] for c in members for m in c.tool_status if "=" in m)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.family for c in self.members)


# The marks, indexed for one pass over a span's keys: exact keys, key=value pairs, prefixes.
_EXACT: dict[str, set[int]] = {}
_VALUED: dict[str, list[tuple[str, int]]] = {}
_PREFIXES: list[tuple[str, int]] = []
for _index, _convention in enumerate(CONVENTIONS[1:], 1):
    for _mark in _convention.marks:
        if "=" in _mark:
            _key, _, _value = _mark.partition("=")
            _VALUED.setdefault(_key, []).append((_value, _index))
        elif _mark.endswith("."):
            _PREFIXES.append((_mark, _index))
        else:
            _EXACT.setdefault(_mark, set()).add(_index)
_PREFIX_TUPLE = tuple(p for p, _ in _PREFIXES)


@functools.lru_cache(maxsize=256)
def _combination(indices: tuple[int, ...]) -> Families:
    return Families(tuple(CONVENTIONS[i] for i in indices) + (OTEL_GENAI,))


def families(attrs: Mapping[str, Any]) -> Families:
    """The conventions a span follows, in table order; the GenAI base always last."""
    hit: set[int] = set()
    for key in attrs:
        found = _EXACT.get(key)
        if found:
            hit |= found
        valued = _VALUED.get(key)
        if valued:
            text = str(attrs[key]).lower()
            hit.update(i for value, i in valued if text == value)
        if _PREFIX_TUPLE and key.startswith(_PREFIX_TUPLE):
            hit.update(i for prefix, i in _PREFIXES if key.startswith(prefix))
    return _combination(tuple(sorted(hit)))


def lookup(attrs: Mapping[str, Any], found: Families, role: str) -> tuple[str, Any] | None:
    """(key, value) of the first attribute present for `role` under the span's conventions."""
    for key in found.keys[role]:
        value = attrs.get(key)
        if value is not None and value != "":
            return key, value
    return None


def is_kind(attrs: Mapping[str, Any], found: Families, kind: str) -> bool:
    """Whether the span is a `tool`, `model` or `run` span by its conventions' kind attributes."""
    return any(attrs.get(key) == value for key, value in found.kinds[kind])


def tool_failed(attrs: Mapping[str, Any], found: Families) -> str | None:
    """The failure a tool-status attribute reports (`gen_ai.tool.status = "error"`), whatever the span status."""
    for key in found.keys["tool_status"]:
        value = attrs.get(key)
        if isinstance(value, str) and value.strip().lower() in ERROR_WORDS:
            return f"{key} = {value}"
    for key, value in found.failure_marks:  # e.g. gemini-cli's success=false
        if key in attrs and str(attrs[key]).lower() == value:
            return f"{key} = {value}"
    return None
