"""Ingest throughput and memory per reader: N records (~10 % failed runs) against a 200-case dataset.

    python bench/bench_ingest.py                      # every reader, 10,000 and 100,000 records
    python bench/bench_ingest.py 250000 --format otlp

    python bench/bench_ingest.py 2000 --format strands --compare /work/main/src   # before/after

Two rates: the reader alone, and the whole ingest funnel (the judge-based rules
dominate it). Readers: failgate JSONL (one run per line), OTLP/JSON lines (one export
request per line, an inference span and a tool span each, GenAI attributes),
OpenInference spans as Phoenix exports them (one span per line, root first:
two spans per run) and Langfuse API trace objects (one per line, two
observations each, JSON-encoded inputs). A record is one line.

Runs the real pipeline (reader, judge-based intake rules, redaction, hashing,
dedupe, stratification, n-gram similarity) in-process; peak memory is
tracemalloc's peak of Python allocations during the run (the streaming claim:
it stays flat as the file grows). tracemalloc slows Python down ~4x, so
throughput comes from a second run without it. Failed runs repeat 300 shapes with varying
PII, as production failures do.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from failgate.dataset.hashing import input_hash
from failgate.intake.pipeline import run_pipeline
from failgate.intake.redact import redact_text
from failgate.intake.rules import IntakeRules
from failgate.intake.settings import IntakeSettings
from failgate.intake.similarity import NgramSimilarity
from failgate.intake.traces import read_traces
from failgate.intake.traces.model import ReadStats

sys.path.insert(0, str(Path(__file__).parent))
from real_shaped import _attr, _runs, write_opencode, write_strands  # noqa: E402

INTENTS = ["order_status"] * 6 + ["refund_request", "policy_question", "delivery_change", "account_help", "complaint"]


def write_traces(path: Path, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w") as out:
        for i in range(n):
            user = f"user{rng.randrange(10**6)}@example.com"
            failed = rng.random() < 0.10
            shape = rng.randrange(300)
            record = {
                "trace_id": f"{i:016x}",
                "timestamp": "2026-05-07T10:00:00Z",
                "intent": rng.choice(INTENTS),
                "input": {
                    "messages": [
                        {
                            "role": "user",
                            "content": f"Question {shape if failed else i} about order "
                            f"{rng.randrange(9000, 9999)}, reach me at {user} or +44 20 7946 {rng.randrange(1000, 9999)}",
                        }
                    ]
                },
                "output": "I'm sorry, but I can't help with that." if failed and shape % 2 else "Here is your answer.",
                "tool_calls": [{"name": "lookup_order", "arguments": {"order_id": "8812"}}],
                "latency_ms": 12000 if failed and not shape % 2 else 300,
            }
            if failed:
                record["input"]["messages"][0]["content"] = f"Failure shape {shape}: reach me at {user}"
            out.write(json.dumps(record) + "\n")


def write_otlp(path: Path, n: int) -> None:
    start = 1778148000000000000
    with path.open("w") as out:
        for i, question, output, latency in _runs(n):
            trace = f"{i:032x}"
            chat = {
                "traceId": trace,
                "spanId": f"{i:015x}1",
                "name": "chat gpt-4o",
                "kind": 3,
                "startTimeUnixNano": str(start),
                "endTimeUnixNano": str(start + latency * 1_000_000),
                "status": {"code": 1},
                "attributes": [
                    _attr("gen_ai.operation.name", "chat"),
                    _attr(
                        "gen_ai.input.messages", [{"role": "user", "parts": [{"type": "text", "content": question}]}]
                    ),
                    _attr(
                        "gen_ai.output.messages",
                        [{"role": "assistant", "parts": [{"type": "text", "content": output}]}],
                    ),
                ],
            }
            tool = {
                "traceId": trace,
                "spanId": f"{i:015x}2",
                "parentSpanId": f"{i:015x}1",
                "name": "execute_tool lookup_order",
                "startTimeUnixNano": str(start),
                "endTimeUnixNano": str(start + 1000),
                "status": {"code": 1},
                "attributes": [
                    _attr("gen_ai.operation.name", "execute_tool"),
                    _attr("gen_ai.tool.name", "lookup_order"),
                    _attr("gen_ai.tool.call.arguments", {"order_id": "8812"}),
                ],
            }
            request = {
                "resourceSpans": [
                    {
                        "resource": {"attributes": [_attr("service.name", "support-bot")]},
                        "scopeSpans": [{"scope": {"name": "bench"}, "spans": [tool, chat]}],
                    }
                ]
            }
            out.write(json.dumps(request) + "\n")


def write_openinference(path: Path, n: int) -> None:
    with path.open("w") as out:
        written = 0
        for i, question, output, latency in _runs(n // 2):
            root = {
                "name": "agent",
                "context": {"trace_id": f"t{i}", "span_id": f"s{i}a"},
                "parent_id": None,
                "span_kind": "AGENT",
                "start_time": "2026-05-07T10:00:00+00:00",
                "end_time": f"2026-05-07T10:00:{latency // 1000:02d}.{latency % 1000:03d}+00:00",
                "status_code": "OK",
                "attributes": {"input.value": question, "output.value": output},
            }
            tool = {
                "name": "lookup_order",
                "context": {"trace_id": f"t{i}", "span_id": f"s{i}b"},
                "parent_id": f"s{i}a",
                "span_kind": "TOOL",
                "start_time": "2026-05-07T10:00:00+00:00",
                "end_time": "2026-05-07T10:00:00.100+00:00",
                "status_code": "OK",
                "attributes": {"tool.name": "lookup_order", "input.value": '{"order_id": "8812"}'},
            }
            out.write(json.dumps(root) + "\n" + json.dumps(tool) + "\n")
            written += 2


def write_langfuse(path: Path, n: int) -> None:
    with path.open("w") as out:
        for i, question, output, latency in _runs(n):
            trace = {
                "id": f"lf-{i}",
                "timestamp": "2026-05-07T10:00:00.000Z",
                "latency": latency / 1000,
                "input": json.dumps({"messages": [{"role": "user", "content": question}]}),
                "output": json.dumps({"role": "assistant", "content": output}),
                "metadata": "{}",
                "scores": [],
                "observations": [
                    {
                        "id": f"g{i}",
                        "type": "GENERATION",
                        "name": "chat",
                        "level": "DEFAULT",
                        "startTime": "2026-05-07T10:00:00.000Z",
                        "input": json.dumps([{"role": "user", "content": question}]),
                        "output": json.dumps({"role": "assistant", "content": output}),
                    },
                    {
                        "id": f"o{i}",
                        "type": "TOOL",
                        "name": "lookup_order",
                        "level": "DEFAULT",
                        "startTime": "2026-05-07T10:00:00.100Z",
                        "input": '{"order_id": "8812"}',
                    },
                ],
            }
            out.write(json.dumps(trace) + "\n")


WRITERS = {
    "jsonl": write_traces,
    "otlp": write_otlp,
    "openinference": write_openinference,
    "langfuse": write_langfuse,
    "strands": write_strands,  # real-shaped: read as otlp
    "opencode": write_opencode,  # real-shaped: read as otlp
}
CPU_READING = 0.0  # records per CPU second of the last reader run: what a loaded machine hides
CPU_INGEST = 0.0  # ... and of the last whole-funnel run
SPANS_PER_RECORD = {"jsonl": 1, "otlp": 2, "openinference": 1, "langfuse": 1, "strands": 8, "opencode": 1}
READ_AS = {"strands": "otlp", "opencode": "otlp"}


def cases(n: int = 200) -> list[dict]:
    out = []
    for i in range(n):
        case_input = {"messages": [{"role": "user", "content": f"Known case {i}"}]}
        out.append(
            {
                "id": f"AGTFAIL-{i + 1:04d}",
                "failure_mode": ["refusal_overreach", "latency_breach"][i % 2],
                "title": f"case {i}",
                "observed_behavior": f"The agent refused question {i} about an order.",
                "input": case_input,
                "input_hash": input_hash(case_input),
            }
        )
    return out


def _once(path: Path, dataset: list[dict], fmt: str = "jsonl") -> int:
    known = {c["input_hash"]: c["id"] for c in dataset}
    result = run_pipeline(
        read_traces([path], fmt, stats=ReadStats()),
        rules=IntakeRules(IntakeSettings()),
        redact=redact_text,
        similarity=NgramSimilarity(),
        known=known,
        cases=dataset,
        limit=50,
        share=0.3,
        threshold=0.92,
    )
    return result.failed


def run(n: int, fmt: str = "jsonl") -> tuple[float, float, float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"traces.{fmt}.jsonl"
        WRITERS[fmt](path, n)
        dataset = cases()
        start, cpu = time.perf_counter(), time.process_time()
        for _ in read_traces([path], READ_AS.get(fmt, fmt), stats=ReadStats()):
            pass
        reading = n / (time.perf_counter() - start)
        global CPU_READING
        CPU_READING = n / (time.process_time() - cpu)
        start, cpu = time.perf_counter(), time.process_time()
        failed = _once(path, dataset, READ_AS.get(fmt, fmt))
        elapsed = time.perf_counter() - start
        global CPU_INGEST
        CPU_INGEST = n / (time.process_time() - cpu)
        tracemalloc.start()
        _once(path, dataset, READ_AS.get(fmt, fmt))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return reading, n / elapsed, peak / 2**20, failed


def compare(old_src: str, argv: list[str]) -> int:
    """The same benchmark under another checkout's code (`--compare /work/main/src`), interleaved
    with this one's in one run, so both see the same machine load."""
    import os
    import subprocess

    here = str(Path(__file__).resolve().parents[1] / "src")
    rows: dict[str, list[str]] = {}
    for _ in range(2):
        for label, src in (("before", old_src), ("after", here)):
            env = {**os.environ, "PYTHONPATH": src}
            done = subprocess.run(
                [sys.executable, __file__, *argv], env=env, capture_output=True, text=True, check=True
            )
            rows.setdefault(label, []).extend(line for line in done.stdout.splitlines()[1:-1])
    print(
        f"{'code':<7} {'reader':<14} {'records':>8} {'read/s':>9} {'spans/s':>9} {'cpu spans/s':>11} "
        f"{'ingest/s':>9} {'peak MB':>8} {'failed':>7} {'cpu funnel/reader':>17}"
    )
    for label, lines in rows.items():
        for line in lines:
            print(f"{label:<7} {line}")
    return 0


def main(argv: list[str]) -> int:
    if "--compare" in argv:
        at = argv.index("--compare")
        return compare(argv[at + 1], argv[:at] + argv[at + 2 :])
    formats = list(WRITERS)
    if "--format" in argv:
        at = argv.index("--format")
        formats = [argv[at + 1]]
        argv = argv[:at] + argv[at + 2 :]
    sizes = [int(a) for a in argv] or [10_000, 100_000]
    print(
        f"{'reader':<14} {'records':>8} {'read/s':>9} {'spans/s':>9} {'cpu spans/s':>11} {'ingest/s':>9} "
        f"{'peak MB':>8} {'failed':>7} {'cpu funnel/reader':>17}"
    )
    for fmt in formats:
        for n in sizes:
            reading, rate, peak, failed = run(n, fmt)
            spans = reading * SPANS_PER_RECORD[fmt]
            cpu_spans = CPU_READING * SPANS_PER_RECORD[fmt]
            print(
                f"{fmt:<14} {n:>8} {reading:>9,.0f} {spans:>9,.0f} {cpu_spans:>11,.0f} {rate:>9,.0f} "
                f"{peak:>8.1f} {failed:>7} {CPU_READING / CPU_INGEST:>17.2f}"
            )
    print(
        "read/s: the reader alone (records to runs); ingest/s: the whole funnel (rules, redaction, hashing, "
        "dedupe, stratification, similarity); strands and opencode are real-shaped records read as otlp"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
