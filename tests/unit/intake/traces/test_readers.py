"""Trace readers against hand-written samples (tests/data/traces, from the specs), and streaming."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from failgate.intake.traces import detect_format, read_traces
from failgate.intake.traces.model import ReadStats, feedback_of, parse_time
from failgate.intake.traces.stream import RecordError, iter_records

DATA = Path(__file__).parents[3] / "data" / "traces"


def read(name: str, fmt: str = "auto") -> tuple[dict, ReadStats]:
    stats = ReadStats()
    found = {t.trace_id: t for t in read_traces([DATA / name], fmt, stats=stats, display=lambda p: p.name)}
    return found, stats


@pytest.mark.parametrize(
    "name, fmt",
    [
        ("failgate.jsonl", "jsonl"),
        ("otlp.json", "otlp"),
        ("otlp-lines.jsonl", "otlp"),
        ("openinference.jsonl", "openinference"),
        ("langfuse.json", "langfuse"),
    ],
)
def test_format_is_detected(name: str, fmt: str) -> None:
    assert detect_format(DATA / name) == fmt


def test_failgate_jsonl_fields_and_malformed_lines() -> None:
    traces, stats = read("failgate.jsonl")
    assert sorted(traces) == ["fg-001", "fg-002", "fg-003", "fg-006"]
    first = traces["fg-001"]
    assert first.intent == "refund_request" and first.latency_ms == 2310
    assert first.tool_calls[1] == {
        "name": "issue_refund",
        "arguments": {"order_id": "8812", "amount": 49.0},
        "error": "gateway timeout after 30s",
    }
    assert traces["fg-002"].input == {
        "messages": [{"role": "user", "content": "How long do I have to return my shoes?"}]
    }
    assert traces["fg-003"].feedback == "negative" and traces["fg-003"].feedback_comment == "useless bot"
    assert traces["fg-006"].error == "upstream timeout: carrier API" and traces["fg-006"].timestamp.year == 2026
    # The blank line is not a record; the broken line and the record without an id are skipped at their lines.
    assert stats.skipped == 2 and stats.traces == 4
    assert [str(f.location) for f in stats.findings] == ["failgate.jsonl:5", "failgate.jsonl:6"]
    assert traces["fg-003"].where == "failgate.jsonl:4"


def test_otlp_assembles_one_run_from_its_spans() -> None:
    traces, stats = read("otlp.json")
    run = traces["5b8efff798038103d269b633813fc60c"]
    assert run.intent == "refund_request"
    assert run.input == {
        "messages": [{"role": "user", "content": "Please refund order 8812, call me on +44 20 7946 0958"}]
    }
    assert run.output == "Your refund is on its way."  # the last inference span's text, not the tool-call turn
    assert run.tool_calls == [
        {
            "name": "issue_refund",
            "arguments": {"order_id": "8812", "amount": 49.0},
            "error": "GatewayTimeout: payment gateway timed out",
        }
    ]
    assert run.latency_ms == pytest.approx(2500.0) and run.error is None
    # Deprecated gen_ai.prompt / gen_ai.completion / gen_ai.system still read.
    legacy = traces["0af7651916cd43dd8448eb211c80319c"]
    assert legacy.input["messages"][0]["content"] == "Where is order 8815?"
    assert legacy.output == "It should arrive on May 14." and legacy.intent == "order_status"
    assert legacy.latency_ms == pytest.approx(9500.0)
    assert len(traces) == 2 and stats.skipped == 0  # the healthcheck span carries no GenAI content


def test_otlp_json_lines_across_batches_and_indexed_legacy_attributes() -> None:
    traces, stats = read("otlp-lines.jsonl")
    (run,) = traces.values()
    assert run.intent == "product_question"  # from the resource of the batch holding the root
    assert run.input["messages"] == [{"role": "user", "content": "Is the jacket waterproof?"}]
    assert run.output == "As an AI, I cannot know that."
    assert stats.skipped == 1 and str(stats.findings[0].location) == "otlp-lines.jsonl:3"


def test_openinference_spans() -> None:
    traces, stats = read("openinference.jsonl")
    run = traces["oi-trace-1"]
    assert run.intent == "delivery_change"
    assert run.input == {"messages": [{"role": "user", "content": "Change the address of order 8815 to 3 Elm Street"}]}
    assert run.output.startswith("Done: order 8815")
    assert run.tool_calls == [{"name": "update_address", "arguments": {"order_id": "8815", "address": "3 Elm Street"}}]
    assert run.latency_ms == pytest.approx(3500.0)
    nested = traces["oi-trace-2"]  # nested attributes, error status
    assert nested.input["messages"][0]["content"] == "What is your warranty on headphones?"
    assert nested.error == "RateLimitError: 429"
    assert stats.skipped == 1 and str(stats.findings[0].location) == "openinference.jsonl:5"


def test_openinference_tool_calls_from_llm_span_when_no_tool_spans(tmp_path: Path) -> None:
    lines = (DATA / "openinference.jsonl").read_text().splitlines()[:2]
    path = tmp_path / "oi.jsonl"
    path.write_text("\n".join(lines) + "\n")
    stats = ReadStats()
    (run,) = list(read_traces([path], "openinference", stats=stats))
    assert run.tool_calls == [{"name": "update_address", "arguments": {"order_id": "8815", "address": "3 Elm Street"}}]


def test_langfuse_export() -> None:
    traces, stats = read("langfuse.json")
    run = traces["lf-7f3a"]
    assert run.intent == "price_match" and run.feedback == "negative"
    assert run.feedback_comment == "it never refunded anything"
    assert run.output.startswith("Sure, I've matched that price")
    assert run.tool_calls == [{"name": "issue_refund", "arguments": {"order_id": "8820", "amount": 10}}]
    assert run.latency_ms == pytest.approx(1420.0)
    errored = traces["lf-8b1c"]
    assert errored.error == "context length exceeded" and errored.intent == "shipping_question"
    assert stats.skipped == 1 and "lf-empty" in stats.findings[0].message


def test_big_single_json_array_streams_with_line_numbers(tmp_path: Path) -> None:
    """Items are decoded one by one across 1 MB chunk boundaries; lines stay right."""
    path = tmp_path / "big.json"
    records = [{"trace_id": f"t{i}", "input": "x" * 300, "n": i} for i in range(12_000)]  # ~4 MB
    path.write_text("[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]\n")
    seen = list(iter_records(path))
    assert len(seen) == 12_000
    assert all(not isinstance(v, RecordError) for _, v in seen)
    assert seen[0][0] == 2 and seen[-1][0] == 12_001 and seen[5000] == (5002, records[5000])


def test_wrapped_array_and_truncated_file(tmp_path: Path) -> None:
    path = tmp_path / "wrapped.json"
    path.write_text('{\n  "meta": {"x": 1},\n  "data": [\n    {"id": 1},\n    {"id": 2}\n  ]\n}\n')
    assert list(iter_records(path)) == [(4, {"id": 1}), (5, {"id": 2})]
    cut = tmp_path / "cut.json"
    cut.write_text('[{"id": 1}, {"id": 2}, {"id": ')
    seen = list(iter_records(cut))
    assert seen[:2] == [(1, {"id": 1}), (1, {"id": 2})] and isinstance(seen[2][1], RecordError)


def test_unknown_format_is_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"hello": "world"}\n')
    stats = ReadStats()
    assert list(read_traces([path], stats=stats)) == []
    assert stats.skipped == 1 and "--format" in stats.findings[0].message


def test_helpers() -> None:
    assert feedback_of(-1) == ("negative", None)
    assert feedback_of({"score": 1, "comment": "ok"}) == ("positive", "ok")
    assert feedback_of("thumbs_down")[0] == "negative" and feedback_of("meh")[0] is None
    assert parse_time("2026-05-07T10:00:00.123456789Z").microsecond == 123456
    assert parse_time("1778145600000000000") == parse_time(1778145600) == parse_time("2026-05-07T09:20:00Z")
