"""Replay against live: what a cassette saves, and what replaying costs.

    python bench/bench_replay.py [--cases 200] [--latency-ms 200] [--jobs 8] [--rounds 3]

Scenario: an agent on the real `openai` SDK makes 3 chat.completions calls and
4 tool calls per case (lookup, stock, refund twice over two items) against a
local OpenAI-compatible endpoint that answers after `--latency-ms`. Measured
side by side in one run, each the whole `failgate eval` command (start-up
included), median of `--rounds`:

1. live: `eval --live` (the recording run is `eval --record-cassettes`, once);
2. replayed: `eval`, every case from its cassette, the endpoint stopped;
3. trivial: the same cases with an agent that answers at once and calls nothing.

Overhead per replayed call = (replayed - trivial) / (cases x 7). Then memory:
the same replayed run with every cassette padded to ~1 MB (a large tool
result), peak RSS of the eval process, against the trivial run's.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

AGENT = """
import json, os
import openai
from benchtools import lookup_order, check_stock, issue_refund

TOOLS = [{"type": "function", "function": {"name": n, "parameters": {"type": "object"}}}
         for n in ("lookup_order", "check_stock", "issue_refund")]
DISPATCH = {"lookup_order": lookup_order, "check_stock": check_stock, "issue_refund": issue_refund}
_client = None

def run(inp):
    global _client
    if _client is None:
        _client = openai.OpenAI(base_url=os.environ["BENCH_URL"], api_key="sk-bench", max_retries=0, timeout=30)
    messages = [{"role": "system", "content": "Support agent."}, *inp["messages"]]
    calls = []
    for _ in range(3):
        reply = _client.chat.completions.create(model="bench", messages=messages, tools=TOOLS)
        message = reply.choices[0].message
        if not message.tool_calls:
            return {"output": message.content, "tool_calls": calls}
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls:
            args = json.loads(call.function.arguments)
            result = DISPATCH[call.function.name](**args)
            calls.append({"name": call.function.name, "arguments": args})
            shown = {k: v for k, v in result.items() if k != "notes"}  # the model sees a summary
            messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(shown)})
    return {"output": "gave up", "tool_calls": calls}

def trivial(inp):
    return {"output": "Refunded order %s." % inp["order"], "tool_calls": []}
"""

TOOLS = """
def lookup_order(order_id):
    return {"order_id": order_id, "items": 2, "notes": ""}

def check_stock(order_id):
    return {"order_id": order_id, "in_stock": False}

def issue_refund(order_id, item):
    return {"refunded": order_id, "item": item}
"""


def _completion(message: dict[str, Any], n: int) -> bytes:
    body = {
        "id": f"chatcmpl-{n}",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "bench",
        "choices": [
            {"index": 0, "message": message, "finish_reason": "tool_calls" if "tool_calls" in message else "stop"}
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }
    return json.dumps(body).encode()


def _calls(order: str, names: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": f"call_{i}", "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
            for i, (n, a) in enumerate(names)
        ],
    }


class Endpoint:
    """chat.completions after `latency` s: lookup+stock, then two refunds, then the answer."""

    def __init__(self, latency: float) -> None:
        count = [0]

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                time.sleep(latency)
                order = body["messages"][1]["content"].split()[-1]
                done = sum(1 for m in body["messages"] if m.get("role") == "tool")
                count[0] += 1
                if done == 0:
                    message = _calls(
                        order, [("lookup_order", {"order_id": order}), ("check_stock", {"order_id": order})]
                    )
                elif done == 2:
                    message = _calls(
                        order,
                        [
                            ("issue_refund", {"order_id": order, "item": 1}),
                            ("issue_refund", {"order_id": order, "item": 2}),
                        ],
                    )
                else:
                    message = {"role": "assistant", "content": f"Refunded order {order}."}
                data = _completion(message, count[0])
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.count = count
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def make_project(root: Path, cases: int, agent: str) -> None:
    root.mkdir(parents=True)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    (root / "benchagent.py").write_text(AGENT)
    (root / "benchtools.py").write_text(TOOLS)
    (root / "pyproject.toml").write_text(
        f'[tool.failgate]\nagent = "benchagent:{agent}"\n\n[tool.failgate.replay]\n'
        'tools = ["benchtools:lookup_order", "benchtools:check_stock"]\nmutating_tools = ["benchtools:issue_refund"]\n'
    )
    from failgate.dataset.hashing import input_hash
    from failgate.dataset.model import FAILURE_MODES_V1

    dataset = root / "evals" / "failures"
    dataset.mkdir(parents=True)
    lines = ["schema_version: 1", "failure_modes:", *(f"  - {m}" for m in FAILURE_MODES_V1), "cases:"]
    for n in range(1, cases + 1):
        order = str(8000 + n)
        case_input = {"messages": [{"role": "user", "content": f"Refund order {order}"}], "order": order}
        lines += [
            f"  - id: AGTFAIL-{n:04d}",
            f"    title: Refund case {n}",
            "    failure_mode: tool_invocation",
            "    severity: P1",
            "    blast_radius: irreversible_write",
            "    status: active",
            "    owner: bench@example.com",
            "    discovered_at: '2026-05-02'",
            "    discovered_by: [trace:bench]",
            "    intent: refund_request",
            "    input:",
            "      messages:",
            f"        - {{role: user, content: Refund order {order}}}",
            f"      order: '{order}'",
            f"    input_hash: {input_hash(case_input)}",
            "    observed_behavior: refunded twice",
            "    expected:",
            f'      - contains: "Refunded order {order}"',
            "    remediation: []",
            "    regressed_count: 0",
        ]
    (dataset / "cases.yaml").write_text("\n".join(lines) + "\n")
    (dataset / "cases_removed.yaml").write_text("schema_version: 1\nremoved: []\n")
    (dataset / "history.jsonl").write_text("")


_MEASURED = (
    "import atexit, resource, sys\n"
    "atexit.register(lambda: sys.stderr.write('MAXRSS_KB %d\\n' % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))\n"
    "from failgate.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def timed(root: Path, args: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """(wall seconds, peak RSS of the eval process in kB, its verdict line)."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURED, "eval", "--no-progress", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(
            f"eval {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        )
    rss = next((int(line.split()[1]) for line in proc.stderr.splitlines() if line.startswith("MAXRSS_KB")), 0)
    verdict = next((line for line in proc.stdout.splitlines() if line.startswith(("PASS", "FAIL"))), "")
    replay = next((line for line in proc.stdout.splitlines() if line.startswith("replay:")), "")
    return wall, rss, f"{verdict}; {replay}" if replay else verdict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    opts = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="failgate-bench-replay-"))
    try:
        endpoint = Endpoint(opts.latency_ms / 1000)
        env = {**os.environ, "BENCH_URL": endpoint.url, "FAILGATE_NO_CACHE": "1"}
        jobs = ["--jobs", str(opts.jobs)]
        project, trivial = scratch / "agent", scratch / "trivial"
        make_project(project, opts.cases, "run")
        make_project(trivial, opts.cases, "trivial")
        wall, _, _ = timed(project, [*jobs, "--record-cassettes"], env)
        recorded_calls = endpoint.count[0]
        print(f"recording run: {wall:.2f} s, {recorded_calls} model calls ({recorded_calls / opts.cases:.1f} per case)")
        live = [timed(project, [*jobs, "--live"], env)[0] for _ in range(1)]  # one round: it is the slow one
        endpoint.stop()
        dead = {**env, "BENCH_URL": "http://127.0.0.1:9/v1"}  # nothing listens: a live call would fail
        replayed, plain = [], []
        for _ in range(opts.rounds):  # interleaved: the machine's load hits both alike
            replayed.append(timed(project, jobs, dead))
            plain.append(timed(trivial, jobs, dead))
        r, t, lv = statistics.median(w for w, _, _ in replayed), statistics.median(w for w, _, _ in plain), live[0]
        calls = opts.cases * 7
        print(
            f"cases {opts.cases}, 3 model + 4 tool calls each, endpoint latency {opts.latency_ms} ms, jobs {opts.jobs}"
        )
        print(f"  live      {lv:7.2f} s")
        print(f"  replayed  {r:7.2f} s   ({lv / r:.1f}x faster than live; {replayed[0][2]})")
        print(f"  trivial   {t:7.2f} s   (replayed / trivial = {r / t:.2f})")
        print(f"  overhead per replayed call: {(r - t) / calls * 1000:.2f} ms ({calls} calls)")

        # memory: every cassette ~1 MB
        for cassette in (project / "evals" / "failures" / "cassettes").glob("*.jsonl"):
            lines = cassette.read_text().splitlines()
            padded = []
            for line in lines:
                item = json.loads(line)
                if item.get("name") == "lookup_order":
                    item["result"]["notes"] = "x" * 1_000_000
                padded.append(json.dumps(item))
            cassette.write_text("\n".join(padded) + "\n")
        total = sum(p.stat().st_size for p in (project / "evals" / "failures" / "cassettes").glob("*.jsonl"))
        heavy_wall, heavy_rss, _ = timed(project, jobs, dead)
        base_wall, base_rss, _ = timed(trivial, jobs, dead)
        print(
            f"  {opts.cases} cassettes of ~1 MB ({total / 1e6:.0f} MB): replayed {heavy_wall:.2f} s, "
            f"peak RSS {heavy_rss / 1024:.0f} MB (trivial run: {base_rss / 1024:.0f} MB)"
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
