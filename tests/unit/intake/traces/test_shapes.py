"""Readers against the shapes real exports take, each from its format's spec.

Fixtures are written here, in the shapes of: Langfuse's UI trace download, its
public API trace object and list page; OTLP/JSON with the OpenTelemetry GenAI
conventions (current, deprecated, span events); OpenInference over OTLP and
as Phoenix stores spans; the Vercel AI SDK's `ai.*` spans. Each attack has its
control beside it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from failgate.intake.rules import IntakeRules
from failgate.intake.settings import IntakeSettings
from failgate.intake.traces import ReadStats, read_traces


def read(path: Path, fmt: str = "auto") -> tuple[list[Any], ReadStats]:
    stats = ReadStats()
    return list(read_traces([path], fmt, stats=stats)), stats


def write(tmp_path: Path, name: str, value: Any, *, bom: bool = False) -> Path:
    path = tmp_path / name
    text = value if isinstance(value, str) else json.dumps(value, indent=2)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


# -- Langfuse -----------------------------------------------------------------
def langfuse_trace(scores: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": "lf-1",
        "timestamp": "2026-05-07T12:00:00.000Z",
        "name": "support",
        # JSON-encoded strings, as the UI and OTel-based SDKs store them
        "input": json.dumps(
            {"messages": [{"role": "user", "content": "Where is order 8812?"}], "model": "gpt-4o", "temperature": 0.2}
        ),
        "output": json.dumps({"role": "assistant", "content": "It ships tomorrow."}),
        "metadata": json.dumps({"intent": "order_status"}),
        "latency": 1.5,
        "tags": [],
        "scores": scores or [],
        **extra,
    }


def langfuse_observations() -> list[dict[str, Any]]:
    return [
        {
            "id": "o1",
            "traceId": "lf-1",
            "type": "GENERATION",
            "name": "chat",
            "level": "DEFAULT",
            "startTime": "2026-05-07T12:00:00.100Z",
            "endTime": "2026-05-07T12:00:01.000Z",
            "input": json.dumps([{"role": "user", "content": "Where is order 8812?"}]),
            "output": json.dumps(
                {
                    "role": "assistant",
                    "content": "",
                    "tool_calls": [{"function": {"name": "lookup_order", "arguments": '{"id": "8812"}'}}],
                }
            ),
        },
        {
            "id": "o2",
            "traceId": "lf-1",
            "type": "TOOL",
            "name": "lookup_order",
            "level": "DEFAULT",
            "startTime": "2026-05-07T12:00:01.000Z",
            "endTime": "2026-05-07T12:00:01.200Z",
            "input": json.dumps({"id": "8812"}),
            "parentObservationId": "o1",
        },
    ]


def test_langfuse_ui_download_is_one_run_not_its_observations(tmp_path: Path) -> None:
    download = {
        "trace": {**langfuse_trace(), "observations": langfuse_observations()},
        "observations": langfuse_observations(),
    }
    (run,), stats = read(write(tmp_path, "download.json", download))
    assert stats.records == 1 and run.trace_id == "lf-1"
    assert run.input == {"messages": [{"role": "user", "content": "Where is order 8812?"}]}  # no model, temperature
    assert run.output == "It ships tomorrow." and run.intent == "order_status"
    assert run.tool_calls == [{"name": "lookup_order", "arguments": {"id": "8812"}}]


def test_langfuse_api_object_and_list_page(tmp_path: Path) -> None:
    (one,), _ = read(write(tmp_path, "api.json", {**langfuse_trace(), "observations": langfuse_observations()}))
    page = {
        "data": [langfuse_trace(), {**langfuse_trace(), "id": "lf-2", "observations": ["o9"]}],
        "meta": {"page": 1, "limit": 50, "totalItems": 2, "totalPages": 1},
    }
    runs, stats = read(write(tmp_path, "page.json", page))
    assert one.tool_calls[0]["name"] == "lookup_order"
    assert [r.trace_id for r in runs] == ["lf-1", "lf-2"] and stats.skipped == 0


def test_eval_scores_are_not_feedback_but_user_feedback_is(tmp_path: Path) -> None:
    rules = IntakeRules(IntakeSettings(latency_budget_ms=None, refusal=False))
    evals = [
        {"name": "toxicity", "value": 0, "source": "EVAL"},
        {"name": "hallucination", "value": 0, "source": "EVAL"},
    ]
    (attack,), _ = read(write(tmp_path, "evals.json", {"trace": langfuse_trace(evals), "observations": []}))
    assert rules.classify(attack) is None  # a toxicity of 0 is good news
    user = [{"name": "user-feedback", "value": 0, "source": "API", "comment": "wrong order"}]
    (control,), _ = read(write(tmp_path, "user.json", {"trace": langfuse_trace(user), "observations": []}))
    failure = rules.classify(control)
    assert failure is not None and "feedback" in failure.signals and "wrong order" in failure.reasons[0]


def test_configured_feedback_names_and_score_rules(tmp_path: Path) -> None:
    scores = [
        {"name": "csat", "value": 0, "source": "ANNOTATION"},
        {"name": "correctness", "value": 0.2, "source": "EVAL"},
    ]
    (run,), _ = read(write(tmp_path, "s.json", {"trace": langfuse_trace(scores), "observations": []}))
    plain = IntakeRules(IntakeSettings(latency_budget_ms=None, refusal=False))
    assert plain.classify(run) is None
    named = IntakeRules(IntakeSettings(latency_budget_ms=None, refusal=False, feedback_scores=("csat",)))
    assert named.classify(run) is not None and "feedback" in named.classify(run).signals  # type: ignore[union-attr]
    rule = IntakeRules(
        IntakeSettings(
            latency_budget_ms=None, refusal=False, score_rules=(("correctness", "below", 0.5, "hallucination"),)
        )
    )
    failure = rule.classify(run)
    assert failure is not None and failure.mode == "hallucination" and "correctness" in failure.reasons[0]
    passing = IntakeRules(
        IntakeSettings(
            latency_budget_ms=None, refusal=False, score_rules=(("correctness", "below", 0.1, "hallucination"),)
        )
    )
    assert passing.classify(run) is None


def test_responses_api_output_and_python_literal_messages(tmp_path: Path) -> None:
    responses = {
        "id": "resp_1",
        "object": "response",
        "output": [
            {"type": "reasoning", "summary": []},
            {"type": "function_call", "name": "lookup_order", "arguments": '{"id": "8812"}', "call_id": "c1"},
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "It ships tomorrow."}],
            },
        ],
    }
    trace = {**langfuse_trace(), "output": json.dumps(responses)}
    generation = {
        "id": "g",
        "type": "GENERATION",
        "name": "responses",
        "output": json.dumps(responses),
        "input": str([{"role": "user", "parts": [{"type": "text", "content": "Where is order 8812?"}]}]),
    }
    (run,), _ = read(write(tmp_path, "r.json", {"trace": trace, "observations": [generation]}))
    assert run.output == "It ships tomorrow."
    assert run.tool_calls == [{"name": "lookup_order", "arguments": {"id": "8812"}}]


def test_bom_is_accepted(tmp_path: Path) -> None:
    (attack,), _ = read(write(tmp_path, "bom.json", {"trace": langfuse_trace(), "observations": []}, bom=True))
    line = json.dumps({"trace_id": "t1", "input": "hello"})
    (jsonl,), _ = read(write(tmp_path, "bom.jsonl", line + "\n", bom=True))
    (control,), _ = read(write(tmp_path, "plain.json", {"trace": langfuse_trace(), "observations": []}))
    assert attack.input == control.input and jsonl.input["messages"][0]["content"] == "hello"


# -- OTLP / GenAI -------------------------------------------------------------
def attr(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}  # proto3 JSON: int64 as a string
    if isinstance(value, float):
        return {"key": key, "value": {"doubleValue": value}}
    if not isinstance(value, str):
        value = json.dumps(value)
    return {"key": key, "value": {"stringValue": value}}


def span(
    span_id: str,
    name: str,
    attrs: dict[str, Any],
    parent: str | None = None,
    *,
    status: int = 1,
    events: list[dict[str, Any]] | None = None,
    start: Any = "1778148000000000000",
    end: Any = "1778148001500000000",
) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "traceId": "5b8efff798038103d269b633813fc60c",
        "spanId": span_id,
        "name": name,
        "kind": 3,
        "startTimeUnixNano": start,
        "endTimeUnixNano": end,
        "attributes": [attr(k, v) for k, v in attrs.items()],
        "status": {"code": status},
    }
    if parent:
        raw["parentSpanId"] = parent
    if events:
        raw["events"] = [
            {"name": e["name"], "timeUnixNano": start, "attributes": [attr(k, v) for k, v in e.items() if k != "name"]}
            for e in events
        ]
    return raw


def otlp(*spans: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": [attr("service.name", "support-bot")]},
                "scopeSpans": [{"scope": {"name": "test"}, "spans": list(spans)}],
            }
        ]
    }


USER = [{"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}]
REPLY = [{"role": "assistant", "parts": [{"type": "text", "content": "Rainy, 14 C."}], "finish_reason": "stop"}]


def test_otlp_current_genai_attributes_and_execute_tool(tmp_path: Path) -> None:
    export = otlp(
        span("a1", "invoke_agent weather", {"gen_ai.operation.name": "invoke_agent"}),
        span(
            "c1",
            "chat gpt-4",
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "gpt-4",
                "gen_ai.request.max_tokens": 200,
                "gen_ai.input.messages": USER,
                "gen_ai.output.messages": REPLY,
            },
            "a1",
        ),
        span(
            "t1",
            "get_weather",
            {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": "get_weather",
                "gen_ai.tool.call.arguments": {"city": "Paris"},
            },
            "a1",
            status=2,
        ),
    )
    (run,), _ = read(write(tmp_path, "genai.json", export))
    assert run.input == {"messages": [{"role": "user", "content": "Weather in Paris?"}]}
    assert run.output == "Rainy, 14 C."
    assert run.tool_calls == [{"name": "get_weather", "arguments": {"city": "Paris"}, "error": "error status"}]


def test_otlp_deprecated_attributes_as_text_and_as_object(tmp_path: Path) -> None:
    as_object = otlp(
        span(
            "c1",
            "chat",
            {
                "gen_ai.system": "openai",
                "gen_ai.prompt": USER,
                "gen_ai.completion": {"text": "Rainy.", "finish_reason": "stop"},
            },
        )
    )
    as_text = otlp(
        span(
            "c1",
            "chat",
            {"gen_ai.system": "openai", "gen_ai.prompt": "Weather in Paris?", "gen_ai.completion": "Rainy."},
        )
    )
    (a,), _ = read(write(tmp_path, "obj.json", as_object))
    (b,), _ = read(write(tmp_path, "text.json", as_text))
    assert a.input == b.input == {"messages": [{"role": "user", "content": "Weather in Paris?"}]}
    assert a.output == b.output == "Rainy."


def test_otlp_messages_in_span_events(tmp_path: Path) -> None:
    old = otlp(
        span(
            "c1",
            "chat",
            {"gen_ai.system": "openai"},
            events=[
                {"name": "gen_ai.content.prompt", "gen_ai.prompt": USER},
                {"name": "gen_ai.content.completion", "gen_ai.completion": REPLY},
            ],
        )
    )
    new = otlp(
        span(
            "c1",
            "chat",
            {"gen_ai.operation.name": "chat"},
            events=[
                {
                    "name": "gen_ai.client.inference.operation.details",
                    "gen_ai.input.messages": USER,
                    "gen_ai.output.messages": REPLY,
                }
            ],
        )
    )
    (a,), _ = read(write(tmp_path, "old.json", old))
    (b,), _ = read(write(tmp_path, "new.json", new))
    assert a.input == b.input and a.output == b.output == "Rainy, 14 C."


def test_tool_span_recognised_by_its_attributes_not_its_name(tmp_path: Path) -> None:
    export = otlp(
        span(
            "c1",
            "chat",
            {"gen_ai.operation.name": "chat", "gen_ai.input.messages": USER, "gen_ai.output.messages": REPLY},
        ),
        span(
            "t1",
            "weather lookup",
            {"gen_ai.tool.name": "get_weather", "gen_ai.tool.call.arguments": {"city": "Paris"}},
            "c1",
        ),
    )
    (run,), _ = read(write(tmp_path, "tool.json", export))
    assert run.tool_calls == [{"name": "get_weather", "arguments": {"city": "Paris"}}]


def test_non_numeric_time_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    good = span("c1", "chat", {"gen_ai.operation.name": "chat", "gen_ai.input.messages": USER})
    bad = dict(good, startTimeUnixNano="2026-05-07T10:00:00Z")
    (attack,), stats = read(write(tmp_path, "bad.json", otlp(bad)))
    assert attack.input["messages"][0]["content"] == "Weather in Paris?"
    assert any(f.code == "TRACE_PARTLY_READ" and "not a number" in f.message for f in stats.findings)
    (control,), clean = read(write(tmp_path, "good.json", otlp(good)))
    assert control.latency_ms == 1500.0 and not clean.findings


def test_not_genai_export_says_why_it_has_no_run(tmp_path: Path) -> None:
    export = otlp(span("s1", "GET /orders", {"http.method": "GET"}))
    runs, stats = read(write(tmp_path, "http.json", export))
    assert runs == [] and stats.files[0].runs == 0 and stats.files[0].format == "otlp"
    (finding,) = [f for f in stats.findings if f.code == "NO_RUNS"]
    assert "http.method" in finding.message and "otlp" in finding.message
    unknown, stats2 = read(write(tmp_path, "odd.json", {"rows": [1, 2]}))
    assert unknown == [] and "rows" in stats2.findings[0].message


# -- OpenInference --------------------------------------------------------------
def test_openinference_over_otlp_contents_list_and_request_parameters(tmp_path: Path) -> None:
    llm = {
        "openinference.span.kind": "LLM",
        "llm.model_name": "gpt-4",
        "llm.invocation_parameters": {"temperature": 0.5, "max_completion_tokens": 200},
        "input.value": {"model": "gpt-4", "temperature": 0.5, "max_completion_tokens": 200, "messages": USER},
        "llm.input_messages.0.message.role": "user",
        "llm.input_messages.0.message.contents.0.message_content.type": "text",
        "llm.input_messages.0.message.contents.0.message_content.text": "Weather in Paris?",
        "output.value": {"text": "Rainy, 14 C.", "finish_reason": "stop"},
    }
    tool = {
        "openinference.span.kind": "TOOL",
        "tool.name": "get_weather",
        "tool.parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        "input.value": {"city": "Paris"},
    }
    (run,), _ = read(
        write(tmp_path, "oi.json", otlp(span("l1", "ChatCompletion", llm), span("t1", "get_weather", tool, "l1")))
    )
    assert run.input == {"messages": [{"role": "user", "content": "Weather in Paris?"}]}
    assert run.output == "Rainy, 14 C."  # output.value of a root LLM span
    assert run.tool_calls == [{"name": "get_weather", "arguments": {"city": "Paris"}}]  # never the schema
    only_list = {k: v for k, v in llm.items() if k != "input.value"}
    (listed,), _ = read(write(tmp_path, "oi2.json", otlp(span("l1", "ChatCompletion", only_list))))
    assert listed.input == run.input


def test_phoenix_span_array_and_named_span_lists(tmp_path: Path) -> None:
    def phoenix(
        trace: str, sid: str, kind: str, parent: str | None, status: str = "OK", **attrs: Any
    ) -> dict[str, Any]:
        return {
            "name": kind.lower(),
            "context": {"trace_id": trace, "span_id": sid},
            "span_kind": kind,
            "parent_id": parent,
            "start_time": "2026-07-09T00:00:00+00:00",
            "end_time": "2026-07-09T00:00:02+00:00",
            "status_code": status,
            "status_message": "",
            "attributes": attrs,
        }

    turn = [
        phoenix("t1", "s1", "AGENT", None, **{"input.value": "save this trace", "output.value": "Done."}),
        phoenix("t1", "s2", "TOOL", "s1", "ERROR", **{"tool.name": "add_spans", "input.value": '{"n": 1}'}),
    ]
    (run,), _ = read(write(tmp_path, "turn.json", turn))
    assert run.output == "Done." and run.tool_calls[0]["name"] == "add_spans" and run.tool_calls[0]["error"]
    named = {
        "first": turn,
        "second": [phoenix("t2", "x1", "AGENT", None, **{"input.value": "hi", "output.value": "hey"})],
    }
    runs, stats = read(write(tmp_path, "named.json", named))
    assert sorted(r.trace_id for r in runs) == ["t1", "t2"] and stats.files[0].format == "openinference"


# -- Vercel AI SDK -------------------------------------------------------------
def test_vercel_ai_sdk_spans(tmp_path: Path) -> None:
    prompt = [
        {"role": "system", "content": "You are a support bot."},
        {"role": "user", "content": [{"type": "text", "text": "Where is order 8812?"}]},
    ]
    export = otlp(
        span(
            "g1",
            "ai.generateText",
            {
                "ai.operationId": "ai.generateText",
                "ai.model.id": "gpt-4o",
                "ai.prompt": {"prompt": "Where is order 8812?"},
                "ai.response.text": "It ships tomorrow.",
            },
        ),
        span(
            "d1",
            "ai.generateText.doGenerate",
            {
                "ai.operationId": "ai.generateText.doGenerate",
                "ai.prompt.messages": prompt,
                "ai.response.text": "",
                "ai.response.toolCalls": [
                    {
                        "toolCallType": "function",
                        "toolCallId": "c1",
                        "toolName": "lookup_order",
                        "args": '{"id":"8812"}',
                    }
                ],
            },
            "g1",
        ),
        span(
            "t1",
            "ai.toolCall",
            {
                "ai.operationId": "ai.toolCall",
                "ai.toolCall.name": "lookup_order",
                "ai.toolCall.id": "c1",
                "ai.toolCall.args": {"id": "8812"},
            },
            "g1",
            status=2,
        ),
    )
    (run,), _ = read(write(tmp_path, "vercel.json", export))
    assert run.input == {"messages": [{"role": "user", "content": "Where is order 8812?"}]}
    assert run.output == "It ships tomorrow."
    assert run.tool_calls == [{"name": "lookup_order", "arguments": {"id": "8812"}, "error": "error status"}]


def test_tool_result_reporting_an_error_is_a_tool_error(tmp_path: Path) -> None:
    def download(output: dict[str, Any]) -> dict[str, Any]:
        tool = {
            "id": "t",
            "type": "TOOL",
            "name": "get_report",
            "level": "DEFAULT",
            "input": "{}",
            "output": json.dumps(output),
        }
        return {"trace": langfuse_trace(), "observations": [tool]}

    (attack,), _ = read(write(tmp_path, "err.json", download({"response_status": "Error", "message": "No data found"})))
    assert attack.tool_calls[0].get("error") == "No data found"
    (control,), _ = read(write(tmp_path, "ok.json", download({"response_status": "OK", "rows": 3})))
    assert "error" not in control.tool_calls[0]


def test_single_llm_span_keeps_the_tool_calls_of_its_conversation(tmp_path: Path) -> None:
    history = USER + [
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "id": "1", "name": "get_weather", "arguments": {"location": "Paris"}}],
        },
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "1", "response": "rainy"}]},
    ]
    export = otlp(
        span(
            "c1",
            "chat",
            {"gen_ai.operation.name": "chat", "gen_ai.input.messages": history, "gen_ai.output.messages": REPLY},
        )
    )
    (run,), _ = read(write(tmp_path, "h.json", export))
    assert run.tool_calls == [{"name": "get_weather", "arguments": {"location": "Paris"}}]
    assert run.input == {"messages": [{"role": "user", "content": "Weather in Paris?"}]}  # the user turn only
