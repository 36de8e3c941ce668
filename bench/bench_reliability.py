"""Benchmark: the reliability rule for stochastic cases (docs/reference/stochastic-cases.md).

    python bench/bench_reliability.py                 # the tables, then the gate on 200 stochastic cases
    python bench/bench_reliability.py --trials 20000 --no-gate

1. False alarms and detection: simulated agents with known pass probabilities, base and now each
   run N times; the share of runs in which the one-sided Fisher exact test at alpha flags a drop.
   With no change that share is the false-alarm rate (at or under alpha); with a real drop it is
   the detection rate. Then a family of ten unchanged cases per gate run under Holm: the share of
   gate runs with any false flip.
2. Attempts spent by `repeat: {min: 3, max: 20}` (the curtailed sequential rule) against a fixed
   N = 20, on simulated agents: median and worst.
3. The gate's wall time on 200 stochastic cases against a 50 ms agent (jobs 8), fixed `repeat: 10`
   against `repeat: {min: 3, max: 10}`, both `pass_if: {min_pass: 7}`, side by side in one run.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))

from failgate.eval.reliability import Record, drop_p_value, holm, settled  # noqa: E402


def _draw(rng: random.Random, rate: float, runs: int) -> int:
    return sum(rng.random() < rate for _ in range(runs))


def alarm_table(trials: int, alpha: float) -> list[str]:
    rng = random.Random(20261207)
    rows = ["| pass rate at base | pass rate now | N | flagged as a drop |", "|---:|---:|---:|---:|"]
    grid = [
        (0.5, 0.5, 10),
        (0.8, 0.8, 10),
        (0.9, 0.9, 10),
        (0.95, 0.95, 10),
        (1.0, 1.0, 10),
        (0.95, 0.95, 20),
        (0.95, 0.60, 10),
        (0.95, 0.60, 20),
        (0.90, 0.50, 10),
        (0.80, 0.40, 10),
        (0.95, 0.80, 20),
    ]
    for base, now, n in grid:
        hits = sum(drop_p_value(_draw(rng, base, n), n, _draw(rng, now, n), n) <= alpha for _ in range(trials))
        rows.append(f"| {base:.2f} | {now:.2f} | {n} | {hits / trials:.3f} |")
    family = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.99, 1.0]
    runs = max(1, trials // 4)
    alarms = 0
    for _ in range(runs):
        p = {str(i): drop_p_value(_draw(rng, r, 10), 10, _draw(rng, r, 10), 10) for i, r in enumerate(family)}
        alarms += bool(holm(p, alpha))
    rows.append(
        f"| ten unchanged cases (0.5-1.0), Holm | same | 10 | {alarms / runs:.3f} (any false flip per gate run) |"
    )
    return rows


def attempts_table(trials: int, alpha: float) -> list[str]:
    rng = random.Random(7)
    rows = ["| agent | base record | attempts spent (median) | worst | fixed N |", "|---|---|---:|---:|---:|"]
    for label, base_rate, now_rate in (
        ("unchanged, 0.95", 0.95, 0.95),
        ("unchanged, 1.00", 1.0, 1.0),
        ("dropped 0.95 -> 0.60", 0.95, 0.60),
        ("dropped 0.95 -> 0.20", 0.95, 0.20),
    ):
        used = []
        for _ in range(trials):
            base = Record(_draw(rng, base_rate, 20), 20)
            passes = 0
            for seen in range(1, 21):
                passes += rng.random() < now_rate
                if seen >= 3 and settled(base, passes, seen, 20, alpha, 1) is not None:
                    break
            used.append(seen)
        rows.append(f"| {label} | k/20 drawn at {base_rate} | {statistics.median(used):g} | {max(used)} | 20 |")
    return rows


AGENT = """\
import time
def run(inp):
    time.sleep(0.05)
    return {"output": inp["say"]}
"""


def gate_times(runs: int) -> list[str]:
    from conftest import commit_all, git
    from gate_repo import DS, cases_text, setup_consumer

    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(NO_COLOR="1", PATH=str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""))
    results: dict[str, list[float]] = {"fixed": [], "sequential": []}
    spent: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as scratch:
        repos = {}
        for label, repeat in (("fixed", "10"), ("sequential", "{min: 3, max: 10}")):
            repo = Path(scratch) / label
            repo.mkdir()
            subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True, env=env)
            setup_consumer(repo, tuple(range(1, 201)), module="slowagent")
            (repo / "slowagent.py").write_text(AGENT)
            (repo / "failgate.toml").write_text('agent = "slowagent:run"\njobs = 8\nbase_branch = "main"\n')
            text = cases_text(range(1, 201)).replace(
                "    expected:\n", f"    repeat: {repeat}\n    pass_if:\n      min_pass: 7\n    expected:\n"
            )
            (repo / DS / "cases.yaml").write_text(text)
            commit_all(repo, "200 stochastic cases")
            recorded = subprocess.run(
                [sys.executable, "-m", "failgate", "eval", "--record"],
                cwd=repo,
                env=env,
                capture_output=True,
                text=True,
            )
            assert recorded.returncode == 0, recorded.stdout[-2000:] + recorded.stderr[-2000:]
            commit_all(repo, "base record")
            git(repo, "checkout", "-q", "-b", "feature")
            (repo / "note.txt").write_text("x\n")
            commit_all(repo, "an unrelated change")
            repos[label] = repo
        for _ in range(runs):
            for label, repo in repos.items():  # interleaved
                start = time.perf_counter()
                out = subprocess.run(
                    [sys.executable, "-m", "failgate", "gate", "--base", "main"],
                    cwd=repo,
                    env=env,
                    capture_output=True,
                    text=True,
                )
                results[label].append(time.perf_counter() - start)
                line = next((x for x in out.stdout.splitlines() if "attempts spent" in x), "")
                spent[label] = line.strip()
    fixed, seq = statistics.median(results["fixed"]), statistics.median(results["sequential"])
    return [
        "| repeat | gate wall time (median) | min-max | attempts |",
        "|---|---:|---:|---|",
        f"| 10 (fixed) | {fixed:.2f} s | {min(results['fixed']):.2f}-{max(results['fixed']):.2f} s | {spent['fixed']} |",
        f"| {{min: 3, max: 10}} | {seq:.2f} s | {min(results['sequential']):.2f}-{max(results['sequential']):.2f} s "
        f"| {spent['sequential']} |",
        f"| ratio sequential / fixed | {seq / fixed:.2f} | | |",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10000)
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-gate", action="store_true")
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()}")
    print(f"\n## False alarms and detection (alpha = {args.alpha}, {args.trials} trials per row)\n")
    print("\n".join(alarm_table(args.trials, args.alpha)))
    print(
        f"\n## Attempts spent: repeat: {{min: 3, max: 20}} against a fixed N = 20 ({args.trials // 10} agents per row)\n"
    )
    print("\n".join(attempts_table(max(100, args.trials // 10), args.alpha)))
    if not args.no_gate:
        print(f"\n## The gate on 200 stochastic cases, 50 ms agent, jobs 8 ({args.runs} runs each, interleaved)\n")
        print("\n".join(gate_times(args.runs)))
    print(f"\nload average: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
