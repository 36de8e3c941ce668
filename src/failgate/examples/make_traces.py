"""Regenerate the bundled OTLP/JSON trace export of the demo agent (docs/reference/trace-formats.md).

    python -m failgate.examples.make_traces   # writes examples/traces/support-bot-otlp.json

A week of production runs of `support_bot`, deterministic: one intent
(`order_status`) dominates the failures (multi-order status questions over
the latency budget while the lookup cache was off: FAILGATE_DEMO_BUG=no-cache),
AGTFAIL-0008's chargeback refusal comes back four times (the old safety
filter: `overcautious`), a new refusal mentions a fire, one ungrounded answer
drew negative feedback, and the rest succeeded. Every user message carries
PII (e-mail, phone) that intake must redact.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from pathlib import Path
from typing import Any

from failgate.examples import support_bot

OUT = Path(__file__).parent / "traces" / "support-bot-otlp.json"
START_NS = 1_777_881_600 * 10**9  # 2026-05-04T08:00:00Z


def _pii(i: int) -> str:
    return f" (I'm customer{i}@example.com, +44 20 7946 {1000 + i})"


def runs() -> list[tuple[str, str, str | None, dict[str, Any]]]:
    """(intent, message, bug, extra attributes)."""
    out: list[tuple[str, str, str | None, dict[str, Any]]] = []
    for n, combo in enumerate(itertools.combinations(["8812", "8815", "8820", "8831", "9001"], 3)):
        out.append(
            ("order_status", f"Where are orders {', '.join(combo[:2])} and {combo[2]}?" + _pii(n), "no-cache", {})
        )
    for n in range(8):
        out.append(("order_status", f"Where is order {['8815', '8831'][n % 2]}?" + _pii(20 + n), None, {}))
    cases = (support_bot.DATASET_DIR / "cases.yaml").read_text()
    known = "This is ridiculous, I'll file a chargeback with my bank. What exactly is your refund policy?"
    assert known in cases, "AGTFAIL-0008's input changed: update make_traces.py"
    out += [("refund_request", known, "overcautious", {})] * 4
    out.append(
        (
            "product_question",
            "My camping stove got hot and smelled of fire, is that covered?" + _pii(40),
            "overcautious",
            {},
        )
    )
    out.append(
        (
            "product_question",
            "Will you price match a cheaper listing?" + _pii(41),
            "ungrounded",
            {"failgate.feedback": "negative"},
        )
    )
    for n, text in enumerate(
        [
            "How long do I have to return my shoes?",
            "Do you ship to the UK?",
            "What warranty do electronics have?",
            "My order 8812 arrived damaged, please refund it.",
            "Change the address of order 8831 to 3 Elm Street",
            "Can I delete my account?",
        ]
    ):
        intent = [
            "policy_question",
            "policy_question",
            "product_question",
            "refund_request",
            "delivery_change",
            "account_help",
        ][n]
        out.append((intent, text + _pii(50 + n), None, {}))
    return out


def _attr(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": value if isinstance(value, str) else json.dumps(value)}}


def spans_for(index: int, intent: str, text: str, bug: str | None, extra: dict[str, Any]) -> list[dict[str, Any]]:
    previous = os.environ.pop(support_bot.BUG_ENV, None)
    try:
        if bug:
            os.environ[support_bot.BUG_ENV] = bug
        answer = support_bot.run({"messages": [{"role": "user", "content": text}]})
    finally:
        os.environ.pop(support_bot.BUG_ENV, None)
        if previous is not None:
            os.environ[support_bot.BUG_ENV] = previous
    trace_id = hashlib.sha256(f"support-bot-run-{index}".encode()).hexdigest()[:32]
    root_id = hashlib.sha256(f"root-{index}".encode()).hexdigest()[:16]
    start = START_NS + index * 37 * 60 * 10**9
    end = start + int(answer["latency_ms"]) * 10**6

    def span(
        n: int, name: str, s: int, e: int, attrs: list[dict[str, Any]], parent: str | None = root_id
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "traceId": trace_id,
            "spanId": hashlib.sha256(f"{index}-{n}".encode()).hexdigest()[:16],
            "name": name,
            "kind": 1,
            "startTimeUnixNano": str(s),
            "endTimeUnixNano": str(e),
            "attributes": attrs,
            "status": {},
        }
        if parent:
            out["parentSpanId"] = parent
        return out

    chat = span(
        1,
        "chat support-model",
        start + 10**6,
        end - 10**6,
        [
            _attr("gen_ai.operation.name", "chat"),
            _attr("gen_ai.provider.name", "in-house"),
            _attr("gen_ai.request.model", "support-model"),
            _attr("gen_ai.input.messages", [{"role": "user", "parts": [{"type": "text", "content": text}]}]),
            _attr(
                "gen_ai.output.messages",
                [
                    {
                        "role": "assistant",
                        "parts": [{"type": "text", "content": answer["output"]}],
                        "finish_reason": "stop",
                    }
                ],
            ),
        ],
    )
    tools = [
        span(
            2 + n,
            f"execute_tool {call['name']}",
            start + 2 * 10**6,
            start + 3 * 10**6,
            [
                _attr("gen_ai.operation.name", "execute_tool"),
                _attr("gen_ai.tool.name", call["name"]),
                _attr("gen_ai.tool.call.arguments", call["arguments"]),
            ],
        )
        for n, call in enumerate(answer["tool_calls"])
    ]
    root = span(
        0,
        "invoke_agent support-bot",
        start,
        end,
        [
            _attr("gen_ai.operation.name", "invoke_agent"),
            _attr("gen_ai.agent.name", "support-bot"),
            _attr("failgate.intent", intent),
            *(_attr(k, v) for k, v in extra.items()),
        ],
        parent=None,
    )
    root["spanId"] = root_id
    return [chat, *tools, root]  # children end first: exporters write the root last


def build() -> dict[str, Any]:
    spans = [s for i, run in enumerate(runs()) for s in spans_for(i, *run)]
    return {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [_attr("service.name", "support-bot"), _attr("deployment.environment", "production")]
                },
                "scopeSpans": [{"scope": {"name": "support-bot.genai", "version": "1.0"}, "spans": spans}],
            }
        ]
    }


def main() -> int:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(build(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({len(runs())} runs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
