"""Cassettes from the traces teams already have: one from each format intake reads (the project's own
fixtures), and end to end: ingest writes a redacted cassette beside the review file, promote
reproduces the candidate by replay (its refund never runs) and lands the cassette next to the case."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from replay_support import failgate

from failgate.dataset.cassette import parse_cassette, render_cassette
from failgate.intake.traces import read_traces
from failgate.intake.traces.model import ReadStats

FIXTURES = Path(__file__).parents[2] / "data" / "traces"


@pytest.mark.parametrize(
    ("name", "kinds", "results"),
    [
        ("otlp.json", ["model", "tool"], True),
        ("openinference.jsonl", ["model", "tool"], False),  # its TOOL span records no output.value
        ("langfuse.json", ["model", "tool"], False),  # its TOOL observation records no output
        ("failgate.jsonl", ["tool"], True),
        ("otlp-lines.jsonl", ["model"], True),  # the deprecated flattened gen_ai.prompt.N / gen_ai.completion.N
    ],
)
def test_a_cassette_from_each_trace_format(name: str, kinds: list[str], results: bool) -> None:
    traces = list(read_traces([FIXTURES / name], stats=ReadStats()))
    recorded = [t for t in traces if t.interactions]
    assert recorded, f"{name}: no trace gave a cassette"
    interactions = recorded[0].interactions
    assert sorted(set(i["type"] for i in interactions)) == sorted(set(kinds))
    tools = [i for i in interactions if i["type"] == "tool"]
    assert all(("result" in t or "error" in t) == results for t in tools)
    cassette, findings = parse_cassette(render_cassette("AGTFAIL-0001", interactions), "c.jsonl")
    assert findings == [] and cassette is not None


def _attr(key: str, value: str) -> dict[str, object]:
    return {"key": key, "value": {"stringValue": value}}


def _span(n: int, name: str, attrs: list[dict[str, object]], parent: int | None = 1) -> dict[str, object]:
    start = 1_778_148_000_000_000_000 + n * 1000
    span = {"traceId": "a" * 32, "spanId": f"{n:016x}", "name": name, "attributes": attrs, "status": {}}
    span.update({"startTimeUnixNano": str(start), "endTimeUnixNano": str(start + 500)})
    if parent:
        span["parentSpanId"] = f"{parent:016x}"
    return span


def genai_trace(email: str = "dana@example.com") -> dict[str, object]:
    """An OTLP/JSON export as the OpenTelemetry GenAI conventions write it: the agent asked the model,
    which asked for a refund; the agent refunded twice; the customer gave a thumbs-down."""
    asked = [{"role": "user", "parts": [{"type": "text", "content": f"Refund order 8812 please, I am {email}."}]}]
    answer = [{"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "issue_refund",
                                               "arguments": {"order_id": "8812"}}]}]  # fmt: skip
    refund = [
        _attr("gen_ai.operation.name", "execute_tool"),
        _attr("gen_ai.tool.name", "issue_refund"),
        _attr("gen_ai.tool.call.arguments", '{"order_id": "8812"}'),
        _attr("gen_ai.tool.call.result", json.dumps({"refunded": "8812", "mailed": email})),
    ]
    spans = [
        _span(
            1,
            "invoke_agent support",
            [_attr("gen_ai.operation.name", "invoke_agent"), _attr("failgate.feedback", "thumbs_down")],
            parent=None,
        ),  # fmt: skip
        _span(
            2,
            "chat dice",
            [
                _attr("gen_ai.operation.name", "chat"),
                _attr("gen_ai.request.model", "dice"),
                _attr("gen_ai.input.messages", json.dumps(asked)),
                _attr("gen_ai.output.messages", json.dumps(answer)),
            ],
        ),  # fmt: skip
        _span(3, "execute_tool issue_refund", refund),
        _span(4, "execute_tool issue_refund", refund),
    ]
    return {
        "resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"scope": {"name": "t"}, "spans": spans}]}]
    }


AGENT = """
import os
import failgate_replay

@failgate_replay.tool(mutating=True)
def issue_refund(order_id):
    with open(os.environ["REFUND_LEDGER"], "a") as ledger:
        ledger.write(order_id + "\\n")
    return {"refunded": order_id}

def no_model():
    raise RuntimeError("this test has no model: only a replay answers")

def run(inp):
    reply = failgate_replay.model({"model": "dice", "messages": inp["messages"]}, no_model)
    calls = []
    for call in reply["tool_calls"]:
        for _ in range(2):  # the bug the trace caught: one refund per line item
            issue_refund(**call["arguments"])
            calls.append(call)
    return {"output": "Refunded.", "tool_calls": calls}
"""


def review_it(review: Path) -> None:
    text = review.read_text()
    text = re.sub(r"title: '?TODO[^\n]*", "title: Refunded twice", text, count=1)
    text = re.sub(r"severity: '?TODO[^\n]*", "severity: P1", text, count=1)
    text = re.sub(r"blast_radius: '?TODO[^\n]*(\n      [^\n]*)?", "blast_radius: irreversible_write", text, count=1)
    text = re.sub(r"owner: '?TODO[^\n]*", 'owner: "@support"', text, count=1)
    text = re.sub(
        r"    expected:\n(      [^\n]*\n)+",
        "    expected:\n      - tool_called: {name: issue_refund, times: 1}\n",
        text,
    )
    review.write_text(text)


def test_ingest_then_promote_by_replay(git_repo: Path, tmp_path: Path) -> None:
    env = {**os.environ, "REFUND_LEDGER": str(tmp_path / "refunds.txt")}
    (git_repo / "refundbot.py").write_text(AGENT)
    (git_repo / "pyproject.toml").write_text('[tool.failgate]\nagent = "refundbot:run"\n')
    assert failgate(git_repo, "init", env=env).returncode == 0
    (git_repo / "trace.json").write_text(json.dumps(genai_trace()))
    proc = failgate(git_repo, "ingest", "trace.json", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    dataset = git_repo / "evals" / "failures"
    (review,) = (dataset / "_intake").glob("*.yaml")
    (pending,) = (dataset / "_intake" / "cassettes").glob("*.jsonl")
    assert "dana@example.com" not in pending.read_text()  # redacted like everything intake writes
    assert "1 model call(s), 2 tool call(s) (issue_refund), redacted" in review.read_text()

    review_it(review)
    proc = failgate(git_repo, "promote", str(review.relative_to(git_repo)), "--candidate", "1", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "expected issue_refund called exactly 1 time(s); got 2" in proc.stdout
    assert not Path(env["REFUND_LEDGER"]).exists()  # the refund never ran during promote
    landed = dataset / "cassettes" / "AGTFAIL-0001.jsonl"
    cassette, findings = parse_cassette(landed.read_bytes(), "c")
    assert findings == [] and cassette is not None and cassette.case_id == "AGTFAIL-0001"
    assert not pending.exists()
    assert "cassette: cassettes/AGTFAIL-0001.jsonl" in (dataset / "cases.yaml").read_text()
    assert failgate(git_repo, "validate", env=env).returncode == 0

    # the fix: the case now passes, by replay, with no model and no refund
    agent = git_repo / "refundbot.py"
    agent.write_text(agent.read_text().replace("range(2)", "range(1)"))
    proc = failgate(git_repo, "eval", "--format", "json", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    replay = json.loads(proc.stdout)["cases"][0]["replay"]
    # The fix refunds once where the failing run refunded twice: the rest of the recording never comes.
    assert replay["describe"].startswith("diverged at step 3 (the run ended; recorded tool issue_refund")
    assert replay["model_calls"] == {"replayed": 1, "live": 0}
    assert not Path(env["REFUND_LEDGER"]).exists()


def test_a_cassette_from_vercel_ai_sdk_spans(tmp_path: Path) -> None:
    """The AI SDK's provider call (doGenerate) and tool run (ai.toolCall) become the cassette; the outer
    generateText span, which repeats them, does not."""
    prompt = [{"role": "user", "content": [{"type": "text", "text": "Where is order 8812?"}]}]
    asked = [{"toolCallType": "function", "toolCallId": "c1", "toolName": "lookup_order", "args": '{"id":"8812"}'}]
    spans = [
        _span(
            1,
            "ai.generateText",
            [
                _attr("ai.operationId", "ai.generateText"),
                _attr("ai.prompt", json.dumps({"prompt": "Where is order 8812?"})),
                _attr("ai.response.text", "It ships tomorrow."),
            ],
            parent=None,
        ),  # fmt: skip
        _span(
            2,
            "ai.generateText.doGenerate",
            [
                _attr("ai.operationId", "ai.generateText.doGenerate"),
                _attr("ai.model.id", "gpt-x"),
                _attr("ai.prompt.messages", json.dumps(prompt)),
                _attr("ai.response.toolCalls", json.dumps(asked)),
            ],
        ),  # fmt: skip
        _span(
            3,
            "ai.toolCall",
            [
                _attr("ai.operationId", "ai.toolCall"),
                _attr("ai.toolCall.name", "lookup_order"),
                _attr("ai.toolCall.args", '{"id": "8812"}'),
                _attr("ai.toolCall.result", '{"eta": "tomorrow"}'),
            ],
        ),  # fmt: skip
    ]
    export = {
        "resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"scope": {"name": "ai"}, "spans": spans}]}]
    }
    path = tmp_path / "vercel.json"
    path.write_text(json.dumps(export))
    (trace,) = list(read_traces([path], stats=ReadStats()))
    model, tool = trace.interactions
    assert model["request"] == {"messages": [{"role": "user", "content": "Where is order 8812?"}], "model": "gpt-x"}
    assert model["response"]["tool_calls"] == [{"name": "lookup_order", "arguments": {"id": "8812"}}]
    assert tool == {"type": "tool", "name": "lookup_order", "arguments": {"id": "8812"}, "result": {"eta": "tomorrow"}}
