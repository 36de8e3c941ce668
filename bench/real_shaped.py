"""Records shaped like real exports, for bench_ingest: a Strands Agents export (8 spans, ~14 KB,
~300 brackets per record) and an opencode span (the AI SDK's ai.streamText, one 54 KB span).

The shapes follow the tracers' sources (Strands' telemetry/tracer.py older events; the AI SDK's
telemetry attributes), filled with the same run mix as the synthetic records."""

from __future__ import annotations

import json
import random
from pathlib import Path


def _runs(n: int, seed: int = 7):  # type: ignore[no-untyped-def]
    """(index, question, output, latency_ms) per run, the same mix for every format."""
    rng = random.Random(seed)
    for i in range(n):
        user = f"user{rng.randrange(10**6)}@example.com"
        failed = rng.random() < 0.10
        shape = rng.randrange(300)
        question = (
            f"Failure shape {shape}: reach me at {user}"
            if failed
            else f"Question {i} about order {rng.randrange(9000, 9999)}, reach me at {user}"
        )
        output = "I'm sorry, but I can't help with that." if failed and shape % 2 else "Here is your answer."
        yield i, question, output, 12000 if failed and not shape % 2 else 300


def _attr(key: str, value: object) -> dict:
    return {"key": key, "value": {"stringValue": value if isinstance(value, str) else json.dumps(value)}}


def _span(trace: str, span_id: str, parent: str, name: str, attrs: dict, events: list, start: int) -> dict:
    return {
        "traceId": trace,
        "spanId": span_id,
        "parentSpanId": parent,
        "name": name,
        "kind": 1,
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(start + 900_000_000),
        "status": {"code": 1},
        "attributes": [
            _attr(k, v) if not isinstance(v, int) else {"key": k, "value": {"intValue": str(v)}}
            for k, v in attrs.items()
        ],
        "events": [
            {"name": n, "timeUnixNano": str(start), "attributes": [_attr(k, v) for k, v in a.items()]}
            for n, a in events
        ],
    }


TOOL_SPECS = [
    {
        "name": f"tool_{k}",
        "description": "Looks things up in the order system. " * 3,
        "inputSchema": {
            "json": {
                "type": "object",
                "properties": {
                    "order_id": {"type": "string"},
                    "fields": {"type": "array", "items": {"type": "string"}},
                },
                "required": ["order_id"],
            }
        },
    }
    for k in range(6)
]


def write_strands(path: Path, n: int) -> None:
    """Shaped like a Strands Agents export (older tracer: messages in span events): 8 spans,
    ~13 KB and ~250 brackets per record, one OTLP request per line."""
    start = 1778148000000000000
    common = {"gen_ai.system": "strands-agents"}
    with path.open("w") as out:
        for i, question, output, _latency in _runs(n):
            trace = f"{i:032x}"

            def sid(k: int, i: int = i) -> str:
                return f"{i:014x}{k:02x}"

            user = [("gen_ai.user.message", {"content": json.dumps([{"text": question}])})]
            result = [
                {
                    "toolResult": {
                        "toolUseId": f"t{k}",
                        "status": "success",
                        "content": [{"text": "Order 8812 shipped on 2026-05-01 via carrier; tracking pending. " * 6}],
                    }
                }
                for k in range(2)
            ]
            turn = user + [
                (
                    "gen_ai.assistant.message",
                    {
                        "content": json.dumps(
                            [
                                {
                                    "toolUse": {
                                        "toolUseId": "t0",
                                        "name": "tool_0",
                                        "input": {"order_id": "8812", "fields": ["status", "eta"]},
                                    }
                                }
                            ]
                        )
                    },
                ),
                ("gen_ai.tool.message", {"content": json.dumps(result)}),
            ]
            answer = [("gen_ai.choice", {"message": json.dumps([{"text": output}]), "finish_reason": "end_turn"})]
            spans = [
                _span(
                    trace,
                    sid(0),
                    "",
                    "invoke_agent Strands Agents",
                    {
                        **common,
                        "gen_ai.operation.name": "invoke_agent",
                        "gen_ai.agent.name": "Strands Agents",
                        "gen_ai.agent.tools": json.dumps([t["name"] for t in TOOL_SPECS]),
                        "gen_ai.usage.input_tokens": 1800,
                        "gen_ai.usage.output_tokens": 200,
                    },
                    user + answer,
                    start,
                ),
            ]
            for cycle in range(2):
                spans.append(
                    _span(
                        trace,
                        sid(1 + 3 * cycle),
                        sid(0),
                        "execute_event_loop_cycle",
                        {"event_loop.cycle_id": f"c{cycle}"},
                        turn if cycle else user,
                        start + cycle,
                    )
                )
                spans.append(
                    _span(
                        trace,
                        sid(2 + 3 * cycle),
                        sid(1 + 3 * cycle),
                        "chat",
                        {
                            **common,
                            "gen_ai.operation.name": "chat",
                            "gen_ai.request.model": "claude-sonnet",
                            "gen_ai.tool.definitions": json.dumps(TOOL_SPECS[:3]),
                        },
                        turn if cycle else user,
                        start + cycle,
                    )
                )
                spans.append(
                    _span(
                        trace,
                        sid(3 + 3 * cycle),
                        sid(1 + 3 * cycle),
                        f"execute_tool tool_{cycle}",
                        {
                            **common,
                            "gen_ai.operation.name": "execute_tool",
                            "gen_ai.tool.name": f"tool_{cycle}",
                            "gen_ai.tool.call.id": f"t{cycle}",
                            "gen_ai.tool.status": "success",
                        },
                        [
                            ("gen_ai.tool.message", {"content": json.dumps({"order_id": "8812"}), "id": f"t{cycle}"}),
                            ("gen_ai.choice", {"message": json.dumps(result[0]["toolResult"]["content"])}),
                        ],
                        start + cycle,
                    )
                )
            spans.append(
                _span(
                    trace, sid(7), sid(0), "chat", {**common, "gen_ai.operation.name": "chat"}, turn + answer, start + 3
                )
            )
            request = {
                "resourceSpans": [
                    {
                        "resource": {"attributes": [_attr("service.name", "strands")]},
                        "scopeSpans": [{"scope": {"name": "strands.telemetry.tracer"}, "spans": spans}],
                    }
                ]
            }
            out.write(json.dumps(request) + "\n")


def write_opencode(path: Path, n: int) -> None:
    """Shaped like an opencode span (the AI SDK's ai.streamText with the whole session in
    ai.prompt.messages and the tool schemas): one span of ~54 KB per record."""
    start = 1778148000000000000
    system = "You are opencode, an interactive CLI tool that helps users with software engineering tasks. " * 60
    tools = [
        {
            "type": "function",
            "name": f"tool_{k}",
            "description": "Reads, edits or searches files. " * 8,
            "parameters": {
                "type": "object",
                "properties": {"path": {"type": "string"}, "limit": {"type": "number"}, "pattern": {"type": "string"}},
                "required": ["path"],
            },
        }
        for k in range(14)
    ]
    with path.open("w") as out:
        for i, question, output, _latency in _runs(n):
            messages = [
                {"role": "system", "content": system},
                {"role": "user", "content": [{"type": "text", "text": question}]},
            ]
            for k in range(12):
                messages.append(
                    {
                        "role": "assistant",
                        "content": [
                            {
                                "type": "tool-call",
                                "toolCallId": f"c{k}",
                                "toolName": f"tool_{k % 14}",
                                "input": {"path": f"src/module_{k}.ts"},
                            }
                        ],
                    }
                )
                messages.append(
                    {
                        "role": "tool",
                        "content": [
                            {
                                "type": "tool-result",
                                "toolCallId": f"c{k}",
                                "toolName": f"tool_{k % 14}",
                                "output": {
                                    "type": "text",
                                    "value": "export function handler(req: Request) { return route(req); }\n" * 48,
                                },
                            }
                        ],
                    }
                )
            attrs = {
                "ai.operationId": "ai.streamText",
                "ai.model.id": "claude-sonnet-4",
                "ai.prompt.messages": json.dumps(messages),
                "ai.prompt.tools": [json.dumps(t) for t in tools],
                "ai.response.text": output,
            }
            span = _span(f"{i:032x}", f"{i:016x}", "", "ai.streamText", attrs, [], start)
            span["attributes"][3] = {
                "key": "ai.prompt.tools",
                "value": {"arrayValue": {"values": [{"stringValue": json.dumps(t)} for t in tools]}},
            }
            request = {
                "resourceSpans": [
                    {
                        "resource": {"attributes": [_attr("service.name", "opencode")]},
                        "scopeSpans": [{"scope": {"name": "ai"}, "spans": [span]}],
                    }
                ]
            }
            out.write(json.dumps(request) + "\n")
