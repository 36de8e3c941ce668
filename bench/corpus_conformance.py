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


def _short(text: Any, width: int = 110) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 3] + "..."


def report(path: Path, shown: str, rules: IntakeRules, runs_shown: int, note: str = "") -> tuple[int, int]:
    stats = ReadStats()
    traces = list(read_traces([path], stats=stats, display=lambda _: shown))
    failed = [(t, rules.classify(t)) for t in traces]
    failed = [(t, f) for t, f in failed if f is not None]
    read = stats.files[0] if stats.files else None
    print(
        f"{shown}{note}\n  records {stats.records}, read as {read.format if read else '?'}, runs {len(traces)}, "
        f"failed {len(failed)}, skipped {stats.skipped}"
    )
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
    return len(traces), len(failed)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=3, help="runs to show per file (default 3)")
    args = parser.parse_args(argv)
    files = sorted(p for root in args.paths for p in ([root] if root.is_file() else root.rglob("*.json*")))
    rules = IntakeRules(IntakeSettings())
    totals = [0, 0, 0]
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            shown = str(path)
            if _is_attribute_map(path):
                runs, failed = report(
                    wrap_span(path, Path(tmp)),
                    shown,
                    rules,
                    args.runs,
                    "  [a span attribute map, wrapped into one OTLP span]",
                )
            else:
                runs, failed = report(path, shown, rules, args.runs)
            totals = [totals[0] + 1, totals[1] + runs, totals[2] + failed]
            print()
    print(f"{totals[0]} files, {totals[1]} runs, {totals[2]} failed under the default intake rules")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
