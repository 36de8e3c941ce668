"""Each GenAI convention family read as its own tool shows the run: fixtures written from each
convention's specification or tracer source (not copied from real exports), an attack per defect
and beside it the control that passes without the fault."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from failgate.intake.rules import IntakeRules
from failgate.intake.settings import IntakeSettings
from failgate.intake.traces import read_traces
from failgate.intake.traces.model import ReadStats, Trace

TRACE = "5b8efff798038103d269b633813fc60c"


def _value(value: Any) -> dict[str, Any]:
    """Proto3 JSON AnyValue: ints as strings, nested values as JSON text (as exporters write them)."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    return {"stringValue": value if isinstance(value, str) else json.dumps(value)}


def span(
    span_id: str,
    name: str,
    attrs: dict[str, Any],
    *,
    parent: str = "",
    start: int = 0,
    status: int = 0,
    events: list[tuple[str, dict[str, Any]]] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    base = 1_778_148_000_000_000_000 + start * 1_000_000
    return {
        "traceId": TRACE,
        "spanId": span_id.ljust(16, "0"),
        "parentSpanId": parent.ljust(16, "0") if parent else "",
        "name": name,
        "kind": 1,
        "startTimeUnixNano": str(base),
        "endTimeUnixNano": str(base + 500_000_000),
        "attributes": [{"key": k, "value": _value(v)} for k, v in attrs.items()],
        "events": [
            {"name": n, "timeUnixNano": str(base), "attributes": [{"key": k, "value": _value(v)} for k, v in a.items()]}
            for n, a in events
        ],
        "status": {"code": status} if status else {},
    }


def read_otlp(tmp_path: Path, spans: list[dict[str, Any]], resource: dict[str, Any] | None = None) -> list[Trace]:
    request = {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": k, "value": _value(v)} for k, v in (resource or {}).items()]},
                "scopeSpans": [{"scope": {"name": "fixture"}, "spans": spans}],
            }
        ]
    }
    path = tmp_path / "export.json"
    path.write_text(json.dumps(request))
    return list(read_traces([path], stats=ReadStats()))


def one(tmp_path: Path, spans: list[dict[str, Any]], resource: dict[str, Any] | None = None) -> Trace:
    runs = read_otlp(tmp_path, spans, resource)
    assert len(runs) == 1, runs
    return runs[0]


def failed(trace: Trace) -> bool:
    return IntakeRules(IntakeSettings()).classify(trace) is not None


USER = [{"role": "user", "parts": [{"type": "text", "content": "Where is my order 8812?"}]}]


# -- Strands Agents: a failed tool is `gen_ai.tool.status = "error"`, the span status untouched ---------
def _strands(tool_status: str) -> list[dict[str, Any]]:
    common = {"gen_ai.system": "strands-agents"}
    return [
        span(
            "a1",
            "invoke_agent Strands Agents",
            {**common, "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "Strands Agents"},
            events=[("gen_ai.user.message", {"content": json.dumps([{"text": "Where is my order 8812?"}])})],
        ),
        span(
            "b2",
            "execute_tool lookup_order",
            {
                **common,
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": "lookup_order",
                "gen_ai.tool.call.id": "tooluse_1",
                "gen_ai.tool.status": tool_status,
            },
            parent="a1",
            start=1,
            events=[
                (
                    "gen_ai.tool.message",
                    {"role": "tool", "content": json.dumps({"order_id": "8812"}), "id": "tooluse_1"},
                ),
                ("gen_ai.choice", {"message": json.dumps([{"text": "order service unavailable"}]), "id": "tooluse_1"}),
            ],
        ),
    ]


def test_strands_tool_status_error_is_a_failed_call_though_the_span_status_is_unset(tmp_path: Path) -> None:
    run = one(tmp_path, _strands("error"))
    assert run.tool_calls == [
        {"name": "lookup_order", "arguments": {"order_id": "8812"}, "error": "gen_ai.tool.status = error"}
    ]
    assert failed(run)


def test_strands_tool_status_success_is_not_a_failure(tmp_path: Path) -> None:
    run = one(tmp_path, _strands("success"))
    assert run.tool_calls == [{"name": "lookup_order", "arguments": {"order_id": "8812"}}]
    assert run.input == {"messages": [{"role": "user", "content": "Where is my order 8812?"}]}
    assert not failed(run)


# -- a root span's plain-string gen_ai.prompt is the agent's instructions, not the user's message -------
INSTRUCTIONS = "You are a helpful assistant. Answer questions about programming concepts."


def _agent_with_instructions(user_span: bool) -> list[dict[str, Any]]:
    spans = [
        span(
            "a1",
            "invoke_agent Helper",
            {"gen_ai.operation.name": "invoke_agent", "gen_ai.prompt": INSTRUCTIONS, "gen_ai.system": "openai"},
        )
    ]
    if user_span:
        spans.append(
            span(
                "b2",
                "chat gpt-4o",
                {
                    "gen_ai.operation.name": "chat",
                    "gen_ai.input.messages": [
                        {"role": "user", "parts": [{"type": "text", "content": "Tell me about recursion."}]}
                    ],
                    "gen_ai.output.messages": [
                        {"role": "assistant", "parts": [{"type": "text", "content": "Recursion is ..."}]}
                    ],
                },
                parent="a1",
                start=1,
            )
        )
    return spans


def test_root_plain_prompt_does_not_win_over_the_users_message(tmp_path: Path) -> None:
    run = one(tmp_path, _agent_with_instructions(user_span=True))
    assert run.input == {"messages": [{"role": "user", "content": "Tell me about recursion."}]}
    assert run.output == "Recursion is ..."


def test_a_plain_prompt_is_still_the_input_when_nothing_else_says_what_the_user_asked(tmp_path: Path) -> None:
    run = one(tmp_path, _agent_with_instructions(user_span=False))
    assert run.input == {"messages": [{"role": "user", "content": INSTRUCTIONS}]}


# -- Gemini reasoning parts (`thought: true`) are not the answer ----------------------------------------
def _gemini(thought: bool) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = [{"text": "The user wants 2+2; adding gives 4.", "thought": thought}]
    parts.append({"text": "2 + 2 = 4."})
    return [
        span(
            "a1",
            "generate_content gemini-2.5-pro",
            {
                "gen_ai.operation.name": "generate_content",
                "gen_ai.input.messages": [{"role": "user", "parts": [{"text": "What is 2+2?"}]}],
                "gen_ai.output.messages": [{"role": "model", "parts": parts}],
            },
        )
    ]


def test_thought_parts_are_not_read_as_the_answer(tmp_path: Path) -> None:
    assert one(tmp_path, _gemini(thought=True)).output == "2 + 2 = 4."


def test_parts_not_marked_as_thought_are_all_the_answer(tmp_path: Path) -> None:
    assert one(tmp_path, _gemini(thought=False)).output == "The user wants 2+2; adding gives 4.\n2 + 2 = 4."


# -- one tool call seen as a tool span and in the chat messages is one call -----------------------------
def _tool_in_span_and_messages(ids: tuple[str, str]) -> list[dict[str, Any]]:
    asked = [
        {"role": "assistant", "parts": [{"type": "tool_call", "id": i, "name": "lookup_order", "arguments": {"id": 1}}]}
        for i in ids
    ]
    return [
        span("a1", "invoke_agent Support", {"gen_ai.operation.name": "invoke_agent"}),
        span(
            "b2",
            "chat gpt-4o",
            {"gen_ai.operation.name": "chat", "gen_ai.input.messages": USER, "gen_ai.output.messages": asked},
            parent="a1",
            start=1,
        ),
        *[
            span(
                f"c{n}",
                "execute_tool lookup_order",
                {
                    "gen_ai.operation.name": "execute_tool",
                    "gen_ai.tool.name": "lookup_order",
                    "gen_ai.tool.call.id": i,
                    "gen_ai.tool.call.arguments": {"id": 1},
                },
                parent="a1",
                start=2 + n,
            )
            for n, i in enumerate(dict.fromkeys(ids))
        ],
        span(
            "d4",
            "chat gpt-4o",
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.input.messages": USER + asked,
                "gen_ai.output.messages": [{"role": "assistant", "parts": [{"type": "text", "content": "Shipped."}]}],
            },
            parent="a1",
            start=5,
        ),
    ]


def test_a_call_in_a_tool_span_and_in_the_messages_counts_once(tmp_path: Path) -> None:
    run = one(tmp_path, _tool_in_span_and_messages(("call_1", "call_1")))
    assert run.tool_calls == [{"name": "lookup_order", "arguments": {"id": 1}}]
    assert [s["kind"] for s in run.steps] == ["model", "tool", "model"]


def test_two_calls_with_the_same_arguments_stay_two(tmp_path: Path) -> None:
    run = one(tmp_path, _tool_in_span_and_messages(("call_1", "call_2")))
    assert run.tool_calls == [{"name": "lookup_order", "arguments": {"id": 1}}] * 2


def test_without_tool_spans_a_call_repeated_in_later_requests_counts_once(tmp_path: Path) -> None:
    spans = [s for s in _tool_in_span_and_messages(("call_1", "call_1")) if "execute_tool" not in s["name"]]
    run = one(tmp_path, spans)
    assert run.tool_calls == [{"name": "lookup_order", "arguments": {"id": 1}}]


# -- OpenLIT writes prompts as "role: content" lines --------------------------------------------------
def _openlit(prompt: str) -> list[dict[str, Any]]:
    return [
        span(
            "a1",
            "chat gpt-4o-mini",
            {"gen_ai.operation.name": "chat", "gen_ai.system": "openai", "gen_ai.sdk.version": "1.34.0"},
            events=[
                ("gen_ai.content.prompt", {"gen_ai.prompt": prompt}),
                ("gen_ai.content.completion", {"gen_ai.completion": "Refunds take 5 days."}),
            ],
        )
    ]


def test_openlit_role_prefix_is_not_left_in_the_input(tmp_path: Path) -> None:
    run = one(tmp_path, _openlit("user: How long do refunds take?"))
    assert run.input == {"messages": [{"role": "user", "content": "How long do refunds take?"}]}
    assert run.output == "Refunds take 5 days."


def test_text_that_merely_mentions_a_role_is_kept_whole(tmp_path: Path) -> None:
    run = one(tmp_path, _openlit("How long do refunds take for user: 42?"))
    assert run.input == {"messages": [{"role": "user", "content": "How long do refunds take for user: 42?"}]}


# -- OpenLLMetry: a run whose only data is its workflow span's entity input/output ----------------------
def _traceloop(kind: str) -> list[dict[str, Any]]:
    return [
        span(
            "a1",
            "support_flow.workflow",
            {
                "traceloop.span.kind": kind,
                "traceloop.entity.name": "support_flow",
                "traceloop.entity.input": {"args": ["Cancel order 8812"], "kwargs": {}},
                "traceloop.entity.output": json.dumps("Order 8812 is cancelled."),
            },
        ),
        span(
            "b2",
            "cancel_order.tool",
            {
                "traceloop.span.kind": "tool",
                "traceloop.entity.name": "cancel_order",
                "traceloop.entity.input": {"args": [], "kwargs": {"order_id": "8812"}},
                "traceloop.entity.output": json.dumps({"status": "error", "message": "already shipped"}),
            },
            parent="a1",
            start=1,
        ),
    ]


def test_traceloop_workflow_entity_input_and_output_make_a_run(tmp_path: Path) -> None:
    run = one(tmp_path, _traceloop("workflow"))
    assert run.input == {"messages": [{"role": "user", "content": "Cancel order 8812"}]}
    assert run.output == "Order 8812 is cancelled."
    assert run.tool_calls == [{"name": "cancel_order", "arguments": {"order_id": "8812"}, "error": "already shipped"}]


def test_spans_without_any_genai_or_entity_content_give_no_run(tmp_path: Path) -> None:
    spans = [span("a1", "GET /orders", {"http.method": "GET"})]
    assert read_otlp(tmp_path, spans) == []


# -- the other families of the table -------------------------------------------------------------------
def _pydantic_ai() -> list[dict[str, Any]]:
    messages = [
        {"role": "system", "parts": [{"type": "text", "content": "Be terse."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]},
    ]
    return [
        span(
            "a1",
            "agent run",
            {
                "logfire.msg": "agent run",
                "gen_ai.agent.name": "agent",
                "pydantic_ai.all_messages": messages,
                "final_result": "Rainy, 14 C.",
            },
        ),
        span(
            "b2",
            "running tool",
            {"gen_ai.tool.name": "get_weather", "tool_arguments": {"city": "Paris"}, "tool_response": "rain"},
            parent="a1",
            start=1,
        ),
    ]


def _semantic_kernel() -> list[dict[str, Any]]:
    return [
        span(
            "a1",
            "chat.completions gpt-4o",
            {"gen_ai.operation.name": "chat.completions", "gen_ai.system": "openai"},
            events=[
                ("gen_ai.system.message", {"gen_ai.event.content": "ignored", "content": "Be terse."}),
                ("gen_ai.user.message", {"content": "What is the capital of France?"}),
                ("gen_ai.choice", {"message": json.dumps({"role": "assistant", "content": "Paris."})}),
            ],
        )
    ]


def _vercel() -> list[dict[str, Any]]:
    return [
        span(
            "a1",
            "ai.generateText",
            {
                "ai.operationId": "ai.generateText",
                "ai.prompt": {"prompt": "Weather in Paris?"},
                "ai.response.text": "Rainy.",
            },
        ),
        span(
            "b2",
            "ai.toolCall",
            {"ai.operationId": "ai.toolCall", "ai.toolCall.name": "weather", "ai.toolCall.args": {"city": "Paris"}},
            parent="a1",
            start=1,
        ),
    ]


def _openinference() -> list[dict[str, Any]]:
    return [
        span(
            "a1",
            "agent",
            {"openinference.span.kind": "AGENT", "input.value": "Weather in Paris?", "output.value": "Rainy."},
        ),
        span(
            "b2",
            "weather",
            {"openinference.span.kind": "TOOL", "tool.name": "weather", "input.value": {"city": "Paris"}},
            parent="a1",
            start=1,
        ),
    ]


def _any_agent() -> list[dict[str, Any]]:
    return [
        span("a1", "invoke_agent [any_agent]", {"gen_ai.operation.name": "invoke_agent", "any_agent.version": "1.9"}),
        span(
            "b2",
            "call_llm gpt-4.1",
            {
                "gen_ai.operation.name": "call_llm",
                "gen_ai.input.messages": [{"role": "user", "content": "Weather in Paris?"}],
                "gen_ai.output": [{"tool.name": "weather", "tool.args": json.dumps({"city": "Paris"})}],
                "gen_ai.output.type": "json",
            },
            parent="a1",
            start=1,
        ),
        span(
            "c3",
            "execute_tool weather",
            {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": "weather",
                "gen_ai.tool.args": {"city": "Paris"},
                "gen_ai.output": "rain",
            },
            parent="a1",
            start=2,
        ),
        span(
            "d4",
            "call_llm gpt-4.1",
            {"gen_ai.operation.name": "call_llm", "gen_ai.output": "Rainy.", "gen_ai.output.type": "text"},
            parent="a1",
            start=3,
        ),
    ]


def _agentops() -> list[dict[str, Any]]:
    return [
        span(
            "a1",
            "agents.run.Weather Agent",
            {
                "agent.instructions": "Be terse.",
                "gen_ai.prompt": "Be terse.",
                "workflow.input": json.dumps("Weather in Paris?"),
                "workflow.final_output": "Rainy.",
            },
        ),
        span(
            "b2",
            "agents.function.weather",
            {"agentops.span.kind": "tool", "tool.name": "weather", "tool.parameters": {"city": "Paris"}},
            parent="a1",
            start=1,
        ),
    ]


def _gemini_cli() -> list[dict[str, Any]]:
    return [
        span("a1", "gemini_cli.user_prompt", {"event.name": "gemini_cli.user_prompt", "prompt": "Weather in Paris?"}),
        span(
            "b2",
            "gemini_cli.tool_call",
            {"event.name": "gemini_cli.tool_call", "function_name": "weather", "function_args": {"city": "Paris"}},
            parent="a1",
            start=1,
        ),
        span(
            "c3",
            "gemini_cli.api_response",
            {"event.name": "gemini_cli.api_response", "response_text": "Rainy."},
            parent="a1",
            start=2,
        ),
    ]


def _otel_genai() -> list[dict[str, Any]]:
    return [
        span(
            "a1",
            "chat gpt-4o",
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.input.messages": [
                    {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}
                ],
                "gen_ai.output.messages": [{"role": "assistant", "parts": [{"type": "text", "content": "Rainy."}]}],
            },
        ),
        span(
            "b2",
            "execute_tool weather",
            {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": "weather",
                "gen_ai.tool.call.arguments": {"city": "Paris"},
            },
            parent="a1",
            start=1,
        ),
    ]


def _strands_family() -> list[dict[str, Any]]:
    return _strands("success")


def _openllmetry() -> list[dict[str, Any]]:
    spans = _traceloop("workflow")
    spans[1]["attributes"] = [a for a in spans[1]["attributes"] if a["key"] != "traceloop.entity.output"]
    return spans


def _openlit_family() -> list[dict[str, Any]]:
    return _openlit("user: Weather in Paris?")


FAMILY_FIXTURES = {
    "otel-genai": (_otel_genai, "Weather in Paris?", "Rainy.", ["weather"]),
    "openllmetry": (_openllmetry, "Cancel order 8812", "Order 8812 is cancelled.", ["cancel_order"]),
    "openlit": (_openlit_family, "Weather in Paris?", "Refunds take 5 days.", []),
    "strands": (_strands_family, "Where is my order 8812?", "", ["lookup_order"]),
    "pydantic-ai": (_pydantic_ai, "Weather in Paris?", "Rainy, 14 C.", ["get_weather"]),
    "semantic-kernel": (_semantic_kernel, "What is the capital of France?", "Paris.", []),
    "gemini-cli": (_gemini_cli, "Weather in Paris?", "Rainy.", ["weather"]),
    "any-agent": (_any_agent, "Weather in Paris?", "Rainy.", ["weather"]),
    "agentops": (_agentops, "Weather in Paris?", "Rainy.", ["weather"]),
    "openinference": (_openinference, "Weather in Paris?", "Rainy.", ["weather"]),
    "vercel-ai": (_vercel, "Weather in Paris?", "Rainy.", ["weather"]),
}


def test_every_family_in_the_table_has_a_fixture() -> None:
    from failgate.intake.traces.conventions import CONVENTIONS

    assert set(FAMILY_FIXTURES) == {c.family for c in CONVENTIONS}


@pytest.mark.parametrize("family", sorted(FAMILY_FIXTURES))
def test_each_family_reads_the_users_question_the_answer_and_each_tool_once(tmp_path: Path, family: str) -> None:
    build, question, answer, tools = FAMILY_FIXTURES[family]
    run = one(tmp_path, build())
    assert run.input == {"messages": [{"role": "user", "content": question}]}
    assert run.output == answer
    assert [c["name"] for c in run.tool_calls] == tools
    if tools:
        assert run.tool_calls[0]["arguments"], "a tool call read without its arguments"
