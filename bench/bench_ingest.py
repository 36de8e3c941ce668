"""Ingest throughput and memory: N failgate-JSONL trace records (~10 % failed) against a 200-case dataset.

    python bench/bench_ingest.py            # 10,000 and 100,000 records
    python bench/bench_ingest.py 250000

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
from failgate.intake.rules import IntakeRules
from failgate.intake.settings import IntakeSettings
from failgate.intake.similarity import NgramSimilarity
from failgate.intake.redact import redact_text
from failgate.intake.traces import read_traces
from failgate.intake.traces.model import ReadStats

INTENTS = ["order_status"] * 6 + ["refund_request", "policy_question", "delivery_change", "account_help", "complaint"]


def write_traces(path: Path, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w") as out:
        for i in range(n):
            user = f"user{rng.randrange(10**6)}@example.com"
            failed = rng.random() < 0.10
            shape = rng.randrange(300)
            record = {
                "trace_id": f"{i:016x}", "timestamp": "2026-05-07T10:00:00Z", "intent": rng.choice(INTENTS),
                "input": {"messages": [{"role": "user", "content": f"Question {shape if failed else i} about order "
                                        f"{rng.randrange(9000, 9999)}, reach me at {user} or +44 20 7946 {rng.randrange(1000, 9999)}"}]},
                "output": "I'm sorry, but I can't help with that." if failed and shape % 2 else "Here is your answer.",
                "tool_calls": [{"name": "lookup_order", "arguments": {"order_id": "8812"}}],
                "latency_ms": 12000 if failed and not shape % 2 else 300,
            }
            if failed:
                record["input"]["messages"][0]["content"] = f"Failure shape {shape}: reach me at {user}"
            out.write(json.dumps(record) + "\n")


def cases(n: int = 200) -> list[dict]:
    out = []
    for i in range(n):
        case_input = {"messages": [{"role": "user", "content": f"Known case {i}"}]}
        out.append({"id": f"AGTFAIL-{i + 1:04d}", "failure_mode": ["refusal_overreach", "latency_breach"][i % 2],
                    "title": f"case {i}", "observed_behavior": f"The agent refused question {i} about an order.",
                    "input": case_input, "input_hash": input_hash(case_input)})
    return out


def _once(path: Path, dataset: list[dict]) -> int:
    known = {c["input_hash"]: c["id"] for c in dataset}
    result = run_pipeline(read_traces([path], "jsonl", stats=ReadStats()), rules=IntakeRules(IntakeSettings()),
                          redact=redact_text, similarity=NgramSimilarity(), known=known, cases=dataset,
                          limit=50, share=0.3, threshold=0.92)
    return result.failed


def run(n: int) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "traces.jsonl"
        write_traces(path, n)
        dataset = cases()
        start = time.perf_counter()
        failed = _once(path, dataset)
        elapsed = time.perf_counter() - start
        tracemalloc.start()
        _once(path, dataset)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return n / elapsed, peak / 2**20, failed


def main(argv: list[str]) -> int:
    sizes = [int(a) for a in argv] or [10_000, 100_000]
    print(f"{'records':>8} {'records/s':>10} {'peak MB':>8} {'failed':>7}")
    for n in sizes:
        rate, peak, failed = run(n)
        print(f"{n:>8} {rate:>10,.0f} {peak:>8.1f} {failed:>7}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
