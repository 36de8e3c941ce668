"""Every family of the conventions table read as its own tool shows the run: the user's question,
the answer, each tool call once with its arguments. One fixture per family, written from the
family's specification or tracer source; a family without one fails the registry test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from unit.intake.traces.test_traces_conventions import _openlit, _strands, _traceloop, one, span


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
