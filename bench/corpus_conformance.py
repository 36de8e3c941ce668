"""What failgate's readers see in real trace exports, file by file, to compare with the source tool.

    python bench/corpus_conformance.py ../shared/corpus/traces
    python bench/corpus_conformance.py export.json other.jsonl --runs 5

For each file: records read, the format it was read as, runs found, how many
failed under the default intake rules (and why), then for the first runs the
input, the output and the tool calls, as a person would compare them with
the trace in Langfuse, Phoenix or an OTLP viewer. Files that hold a bare span
attribute map (as OpenInference's test fixtures do) are not exports: they are
wrapped into a one-span OTLP/JSON request first (proto3 JSON: ints as
strings), and the line says so.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from failgate.intake.rules import IntakeRules
from failgate.intake.settings import IntakeSettings
from failgate.intake.traces import detect_format, read_traces
from failgate.intake.traces.model import ReadStats


def _is_attribute_map(path: Path) -> bool:
    try:
        value = json.loads(path.read_text(encoding="utf-8-sig"))
    except (ValueError, OSError):
        return False
    return (
        isinstance(value, dict)
        and detect_format(path) is None
        and bool(value)
        and sum("." in k for k in value) >= len(value) / 2
    )


def _any_value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, list):
        return {"arrayValue": {"values": [_any_value(v) for v in value]}}
    return {"stringValue": value if isinstance(value, str) else json.dumps(value)}


def wrap_span(path: Path, out: Path) -> Path:
    attrs = json.loads(path.read_text(encoding="utf-8-sig"))
    span = {
        "traceId": "0af7651916cd43dd8448eb211c80319c",
        "spanId": "b7ad6b7169203331",
        "name": path.stem,
        "kind": 3,
        "startTimeUnixNano": "1778148000000000000",
        "endTimeUnixNano": "1778148001000000000",
        "attributes": [{"key": k, "value": _any_value(v)} for k, v in attrs.items()],
        "status": {"code": 1},
    }
    target = out / (path.stem + ".otlp.json")
    target.write_text(
        json.dumps(
            {
                "resourceSpans": [
                    {"resource": {"attributes": []}, "scopeSpans": [{"scope": {"name": "wrapped"}, "spans": [span]}]}
                ]
            }
        )
    )
    return target


ANY_AGENT_TOOLS = [("get_current_time", {"timezone": "America/New_York"}), ("write_file", {"text": "2025"})]


def _input_text(trace: Any) -> str:
    return " | ".join(str(m.get("content")) for m in trace.input.get("messages", []) if isinstance(m, dict))


def _one_run(
    traces: list[Any], *, input_starts: str = "", output: str = "", tools: list[Any] | None = None
) -> list[str]:
    if len(traces) != 1:
        return [f"{len(traces)} runs, expected 1"]
    run, problems = traces[0], []
    if not _input_text(run).strip():
        problems.append("no input")
    if input_starts and not _input_text(run).startswith(input_starts):
        problems.append(f"input {_short(_input_text(run), 60)!r}, expected {input_starts!r}...")
    if not run.output.strip():
        problems.append("no output")
    if output and run.output.strip() != output:
        problems.append(f"output {_short(run.output, 60)!r}, expected {output!r}")
    if tools is not None:
        seen = [(c["name"], c.get("arguments")) for c in run.tool_calls]
        if seen != tools:
            problems.append(f"tool calls {seen}, expected {tools}")
        if any(c.get("error") for c in run.tool_calls):
            problems.append("a tool call read as failed")
    return problems


def _phoenix_turn(traces: list[Any]) -> list[str]:
    problems = _one_run(traces, input_starts="can you save this trace")
    calls = traces[0].tool_calls if traces else []
    if len(calls) != 8 or sum(1 for c in calls if c.get("error")) != 1:
        problems.append(
            f"{len(calls)} tool calls with {sum(1 for c in calls if c.get('error'))} failed, expected 8 with 1"
        )
    return problems


# What each file of the shared corpus should give, from its README (which says what its source
# tool shows): a file with no entry is only listed.
EXPECTED: dict[str, Any] = {
    "langfuse/openai-assistants-2024-05-29.json": lambda t, s: _one_run(t, input_starts="I need to solve the equation"),
    "langfuse/": lambda t, s: _one_run(t),
    "phoenix/pxi_turn_trace.json": lambda t, s: _phoenix_turn(t),
    "phoenix/pxi_suggestion_traces.json": lambda t, s: [] if len(t) >= 2 else [f"{len(t)} runs, expected several"],
    "openinference/otel_genai_tool_execution_span.json": lambda t, s: (
        [] if not t and any(f.code == "NO_RUNS" for f in s.findings) else ["a lone tool span read as a run"]
    ),
    "openinference/openinference_client_span_input_output_only.json": lambda t, s: _one_run(
        t, input_starts="Weather in Paris"
    ),
    "openinference/": lambda t, s: _one_run(
        t, input_starts="Weather in Paris", tools=[("get_weather", {"location": "Paris"})]
    ),
    "otlp/otel-proto-example-trace.json": lambda t, s: (
        [] if not t and any(f.code == "NO_RUNS" for f in s.findings) else ["runs from a non-GenAI export"]
    ),
    "any-agent/": lambda t, s: _one_run(t, input_starts="", tools=ANY_AGENT_TOOLS),
    "strands-agents/": lambda t, s: _one_run(t, input_starts="testing", tools=[("get_user_location", {})]),
    "semantic-kernel/": lambda t, s: _one_run(
        t, input_starts="What is the capital of France?", output="The capital of France is Paris."
    ),
    "agentops/": lambda t, s: _one_run(t, input_starts="Tell me about recursion in programming."),
}


def verdict(shown: str, traces: list[Any], stats: Any) -> str | None:
    """OK, WRONG: why, or None for a file the corpus README says nothing about."""
    path = shown.replace("\\", "/")
    for key, check in EXPECTED.items():
        if key in path:
            problems = check(traces, stats)
            return "OK" if not problems else "WRONG: " + "; ".join(problems)
    return None


def _short(text: Any, width: int = 110) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 3] + "..."


def report(path: Path, shown: str, rules: IntakeRules, runs_shown: int, note: str = "") -> tuple[int, int, str | None]:
    stats = ReadStats()
    traces = list(read_traces([path], stats=stats, display=lambda _: shown))
    failed = [(t, rules.classify(t)) for t in traces]
    failed = [(t, f) for t, f in failed if f is not None]
    read = stats.files[0] if stats.files else None
    print(
        f"{shown}{note}\n  records {stats.records}, read as {read.format if read else '?'}, runs {len(traces)}, "
        f"failed {len(failed)}, skipped {stats.skipped}"
    )
    checked = verdict(shown, traces, stats)
    if checked:
        print(f"  {checked}")
    for finding in stats.findings[:4]:
        print(f"  ! {finding.code}: {_short(finding.message, 160)}")
    reasons = {t.trace_id: f for t, f in failed}
    for trace in traces[:runs_shown]:
        turns = [m.get("content") for m in trace.input.get("messages", []) if isinstance(m, dict)]
        shown_input = " | ".join(_short(t, 70) for t in turns) if turns else _short(trace.input)
        print(f"  run {trace.trace_id}  ({trace.intent}, {trace.latency_ms and round(trace.latency_ms)} ms)")
        print(f"    input:  {shown_input}")
        print(f"    output: {_short(trace.output) or '(none)'}")
        calls = ", ".join(
            f"{c['name']}({_short(json.dumps(c.get('arguments'), ensure_ascii=False), 40)})"
            + (" ERROR" if c.get("error") else "")
            for c in trace.tool_calls[:8]
        )
        more = f" +{len(trace.tool_calls) - 8} more" if len(trace.tool_calls) > 8 else ""
        print(f"    tools:  {calls or '(none)'}{more}")
        if trace.scores:
            print("    scores: " + ", ".join(f"{s['name']}={s['value']} ({s['source'] or '?'})" for s in trace.scores))
        if trace.trace_id in reasons:
            failure = reasons[trace.trace_id]
            print(f"    FAILED as {failure.mode}: {_short('; '.join(failure.reasons), 150)}")
    return len(traces), len(failed), checked


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=3, help="runs to show per file (default 3)")
    args = parser.parse_args(argv)
    files = sorted(p for root in args.paths for p in ([root] if root.is_file() else root.rglob("*.json*")))
    rules = IntakeRules(IntakeSettings())
    totals = [0, 0, 0]
    verdicts: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            shown = str(path)
            if _is_attribute_map(path):
                runs, failed, checked = report(
                    wrap_span(path, Path(tmp)),
                    shown,
                    rules,
                    args.runs,
                    "  [a span attribute map, wrapped into one OTLP span]",
                )
            else:
                runs, failed, checked = report(path, shown, rules, args.runs)
            if checked:
                verdicts.append((shown, checked))
            totals = [totals[0] + 1, totals[1] + runs, totals[2] + failed]
            print()
    print(f"{totals[0]} files, {totals[1]} runs, {totals[2]} failed under the default intake rules")
    wrong = [(p, v) for p, v in verdicts if v != "OK"]
    print(f"{len(verdicts) - len(wrong)} of {len(verdicts)} checked files read as their source tool shows them")
    for shown, why in wrong:
        print(f"  {shown}: {why}")
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
