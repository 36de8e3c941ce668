"""The funnel: the per-intent cap is a share of the candidate budget, and different failure
modes of one input stay separate candidates."""

from __future__ import annotations

from failgate.intake.pipeline import run_pipeline
from failgate.intake.rules import IntakeRules
from failgate.intake.settings import IntakeSettings
from failgate.intake.similarity import NgramSimilarity
from failgate.intake.traces.model import Trace

REFUSAL = "I'm sorry, but I can't help with that."


def run(traces: list[Trace], limit: int = 50) -> object:
    return run_pipeline(
        traces,
        rules=IntakeRules(IntakeSettings(latency_budget_ms=None)),
        redact=lambda t: t,
        similarity=NgramSimilarity(),
        known={},
        cases=[],
        limit=limit,
        share=0.3,
        threshold=0.92,
    )


def trace(tid: str, text: str, **kw: object) -> Trace:
    return Trace(trace_id=tid, input={"messages": [{"role": "user", "content": text}]}, intent="refund", **kw)  # type: ignore[arg-type]


def test_few_failures_of_one_intent_are_all_kept() -> None:
    few = [trace(f"t{i}", f"question {i}", output=REFUSAL) for i in range(3)]
    result = run(few)
    assert len(result.candidates) == 3 and result.cap == 15  # type: ignore[attr-defined]
    many = [trace(f"t{i}", f"question {i}", output=REFUSAL) for i in range(40)]
    capped = run(many)  # control: past the cap, the cap holds
    assert len(capped.candidates) == 15 and capped.dropped["refund"] == 25  # type: ignore[attr-defined]


def test_same_input_different_modes_are_separate_candidates() -> None:
    refused = trace("t1", "refund 8812", output=REFUSAL)
    tool_failed = trace(
        "t2",
        "refund 8812",
        output="done",
        tool_calls=[{"name": "issue_refund", "arguments": {}, "error": "gateway timeout"}],
    )
    result = run([refused, tool_failed])
    modes = sorted(c.group.failure.mode for c in result.candidates)  # type: ignore[attr-defined]
    assert modes == ["refusal_overreach", "tool_invocation"]
    assert result.distinct == 1  # type: ignore[attr-defined]


def test_same_mode_keeps_every_reason() -> None:
    a = trace("t1", "refund 8812", tool_calls=[{"name": "issue_refund", "arguments": {}, "error": "gateway 502"}])
    b = trace("t2", "refund 8812", tool_calls=[{"name": "lookup_order", "arguments": {}, "error": "not found"}])
    (candidate,) = run([a, b]).candidates  # type: ignore[attr-defined]
    reasons = " ".join(candidate.group.failure.reasons)
    assert "gateway 502" in reasons and "not found" in reasons and candidate.group.count == 2


def test_the_funnel_lists_each_file_and_why_one_gave_no_run(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import json

    from failgate.cli import main
    from unit.intake.test_intake import dataset_repo

    repo = dataset_repo(tmp_path, monkeypatch)
    (repo / "good.jsonl").write_text(json.dumps({"trace_id": "a", "input": "refund 8812", "output": REFUSAL}) + "\n")
    http = {
        "resourceSpans": [
            {
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": "ab" * 16,
                                "spanId": "cd" * 8,
                                "name": "GET",
                                "attributes": [{"key": "http.method", "value": {"stringValue": "GET"}}],
                            }
                        ]
                    }
                ]
            }
        ]
    }
    (repo / "http.json").write_text(json.dumps(http))
    assert main(["ingest", "good.jsonl", "http.json"]) == 0
    out = capsys.readouterr()
    assert "http.json: NO_RUNS" in out.err and "http.method" in out.err
    assert "1 records read as otlp, 0 runs" in out.out and "1 records read as jsonl, 1 run" in out.out
    assert "of a budget of 50 candidates" in out.out
