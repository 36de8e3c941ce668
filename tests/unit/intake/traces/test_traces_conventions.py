"""Each GenAI convention family read as its own tool shows the run: fixtures written from each
convention's specification or tracer source (not copied from real exports), an attack per defect
and beside it the control that passes without the fault."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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
