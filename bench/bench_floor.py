"""Benchmark: the five hot paths of the performance floor, old code vs new, interleaved in one run.

    python bench/bench_floor.py --old /work/main/src          # all five, 5 rounds
    python bench/bench_floor.py --old ../main/src --only gate,validate --rounds 3

`--old` is the `src` directory of a checkout before the change (`git worktree add`
one); the new code is this checkout's. Each round runs old then new (then the next
scenario), so both see the same machine load; what to read are the ratios, each
given as the median of the per-round ratios with their min-max.

- gate: `failgate gate` on bench_gate's 2,000-commit repository with a 100,000-line
  (30 MB) history, a plain push (the branch touches another file) and a push that
  recorded a result (the branch appended one line to history.jsonl). Goals: a plain
  push < 0.3 s, a recorded push <= 1.2x a plain one.
- eval: `failgate eval` (no --record) on 200 cases with a 200-line and a
  200,000-line history. Goal: <= 1.1x between the two.
- ingest: the funnel (reader, rules, redaction, hashing, dedupe, similarity) over
  10,000 JSONL records vs the reader alone. Goal: funnel <= 2x its reader.
- validate: cold `failgate validate --no-cache` at 200 and 10,000 cases, peak RSS of
  the process (wait4), RSS per case between the two sizes, and the warm run (the
  clean-verdict cache, the hook's steady state). Goals: cold 10,000 <= 1 s,
  <= 5 KB RSS per case, warm <= 0.1 s.
- stale index: the plain push again, after `touch`ing history.jsonl once (what a
  checkout or a restored CI cache leaves): each version in its own copy of the
  repository, every run after the touch timed. Goal: no tax after the first run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
NEW = HERE.parent / "src"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

PYCACHE = Path(tempfile.gettempdir()) / "failgate-bench-floor-pycache"
ZERO_AGENT = 'def run(inp):\n    return {"output": "answer %s" % inp["n"], "latency_ms": 0}\n'


def env_for(src: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and not k.startswith("PRE_COMMIT")}
    clean.update(GIT_CONFIG_NOSYSTEM="1", GITHUB_ACTIONS="", NO_COLOR="1", PYTHONPATH=str(src))
    clean.pop("GITHUB_STEP_SUMMARY", None)
    # Byte-compiled modules, as a user's install has them (this box sets PYTHONDONTWRITEBYTECODE,
    # which makes every run compile every module), kept outside both source trees.
    clean.pop("PYTHONDONTWRITEBYTECODE", None)
    clean["PYTHONPYCACHEPREFIX"] = str(PYCACHE / ("old" if src != NEW else "new"))
    clean["PATH"] = str(Path(sys.executable).parent) + os.pathsep + clean.get("PATH", "")
    return clean


class Sample(NamedTuple):
    wall: float  # seconds
    cpu: float  # user + system seconds of the command and every process it waited for
    rss: float  # peak resident set of the failgate process, MB


def run(src: Path, cwd: Path, *args: str, expect: int = 0) -> Sample:
    """`python -m failgate ARGS` with `src` first on the path.

    CPU time is what to read on a loaded machine: wall time waits for the other
    processes. The peak RSS comes from /usr/bin/time: Linux carries a process's
    high-water mark across exec, so a child forked from this (large) benchmark
    process would report this process's size, not its own.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss_file:
        start = time.perf_counter()
        proc = subprocess.Popen(
            ["/usr/bin/time", "-f", "%M", "-o", rss_file.name, sys.executable, "-m", "failgate", *args],
            cwd=cwd,
            env=env_for(src),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        out = proc.stdout.read() if proc.stdout else b""
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        rss = float(rss_file.read().split()[-1]) / 1024
    if proc.returncode != expect:
        raise SystemExit(f"failgate {' '.join(args)} exited {proc.returncode} in {cwd}:\n{out.decode()[-3000:]}")
    return Sample(wall, usage.ru_utime + usage.ru_stime, rss)


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def row(name: str, old: list[float], new: list[float], unit: str = "s") -> None:
    ratios = [n / o for o, n in zip(old, new)]
    print(f"| {name} | {statistics.median(old):.3f} {unit} | {statistics.median(new):.3f} {unit} | {spread(ratios)} |")


def rows(name: str, old: list[Sample], new: list[Sample]) -> None:
    row(f"{name}, wall", [s.wall for s in old], [s.wall for s in new])
    row(f"{name}, CPU", [s.cpu for s in old], [s.cpu for s in new])
    row(f"{name}, peak RSS", [s.rss for s in old], [s.rss for s in new], "MB")


def header(title: str) -> None:
    print(f"\n### {title}\n\n| measure | old | new | new / old, median (min-max) |\n|---|---:|---:|---:|")


def bench_gate(old: Path, work: Path, rounds: int) -> None:
    from bench_gate import build

    plain, recorded = work / "gate-plain", work / "gate-recorded"
    build(plain, 2_000, 200, 100_000)
    build(recorded, 2_000, 200, 100_000, branch_records=True)
    samples: dict[tuple[str, str], list[Sample]] = {}
    for _ in range(rounds):
        for kind, repo in (("plain", plain), ("recorded", recorded)):
            for version, src in (("old", old), ("new", NEW)):
                samples.setdefault((kind, version), []).append(run(src, repo, "gate"))
    header("gate, 2,000 commits, 30 MB history, 200 cases, zero-latency agent")
    for kind in ("plain", "recorded"):
        rows(f"gate, {kind} push", samples[(kind, "old")], samples[(kind, "new")])
    for version in ("old", "new"):
        plain_runs, recorded_runs = samples[("plain", version)], samples[("recorded", version)]
        for what in ("wall", "cpu"):
            ratios = [getattr(r, what) / getattr(p, what) for p, r in zip(plain_runs, recorded_runs)]
            print(f"| recorded / plain push, {version} code, {what} | | | {spread(ratios)} |")


def eval_project(root: Path, cases: int, history_lines: int) -> None:
    import json

    root.mkdir(parents=True)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    (root / "benchagent.py").write_text(ZERO_AGENT)
    (root / "failgate.toml").write_text('agent = "benchagent:run"\njobs = 8\n')
    lines = ["schema_version: 1", "cases:"]
    for i in range(cases):
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
    directory = root / "evals" / "failures"
    directory.mkdir(parents=True)
    (directory / "cases.yaml").write_text("\n".join(lines) + "\n")
    with (directory / "history.jsonl").open("w") as handle:
        for n in range(history_lines):
            event = {"id": f"01J{n:023d}", "ts": "2026-05-01T10:00:00Z", "case_id": f"AGTFAIL-{n % cases:04d}"}
            event.update(type="result", outcome="pass", commit=f"{n:040x}", judge="sha256:" + "0" * 64, actor="ci")
            handle.write(json.dumps(event) + "\n")


def bench_eval(old: Path, work: Path, rounds: int) -> None:
    small, large = work / "eval-200", work / "eval-200000"
    eval_project(small, 200, 200)
    eval_project(large, 200, 200_000)
    samples: dict[tuple[str, str], list[Sample]] = {}
    for _ in range(rounds):
        for size, repo in (("200", small), ("200000", large)):
            for version, src in (("old", old), ("new", NEW)):
                samples.setdefault((size, version), []).append(run(src, repo, "eval", "--no-progress"))
    size_mb = (large / "evals/failures/history.jsonl").stat().st_size / 1e6
    header(f"eval without --record, 200 cases, zero-latency agent (200,000 lines = {size_mb:.0f} MB)")
    rows("eval, 200-line history", samples[("200", "old")], samples[("200", "new")])
    rows("eval, 200,000-line history", samples[("200000", "old")], samples[("200000", "new")])
    for version in ("old", "new"):
        for what in ("wall", "cpu"):
            small_runs, large_runs = samples[("200", version)], samples[("200000", version)]
            ratios = [getattr(b, what) / getattr(s, what) for s, b in zip(small_runs, large_runs)]
            print(f"| 200,000-line / 200-line history, {version} code, {what} | | | {spread(ratios)} |")


INGEST = """
import sys, tempfile, time
from pathlib import Path
sys.path.insert(0, {bench!r})
from bench_ingest import WRITERS, _once, cases
from failgate.intake.traces import read_traces
from failgate.intake.traces.model import ReadStats
path = Path({path!r})
dataset = cases()
start = time.process_time()
for _ in read_traces([path], "jsonl", stats=ReadStats()):
    pass
reader = time.process_time() - start
start = time.process_time()
_once(path, dataset, "jsonl")
print(reader, time.process_time() - start)
"""


def bench_ingest(old: Path, work: Path, rounds: int, records: int = 10_000) -> None:
    from bench_ingest import WRITERS

    path = work / "traces.jsonl"
    WRITERS["jsonl"](path, records)
    code = INGEST.format(bench=str(HERE), path=str(path))
    results: dict[str, list[tuple[float, float]]] = {"old": [], "new": []}
    for _ in range(rounds):
        for version, src in (("old", old), ("new", NEW)):
            out = subprocess.run(
                [sys.executable, "-c", code], env=env_for(src), capture_output=True, text=True, check=True
            ).stdout
            reader, funnel = (float(x) for x in out.split())
            results[version].append((reader, funnel))
    header(f"ingest, {records:,} JSONL records (~10 % failed), 200-case dataset")
    row("reader alone, CPU", [r for r, _ in results["old"]], [r for r, _ in results["new"]])
    row("whole funnel, CPU", [f for _, f in results["old"]], [f for _, f in results["new"]])
    for version in ("old", "new"):
        print(f"| funnel / reader, {version} code, CPU | | | {spread([f / r for r, f in results[version]])} |")


def bench_validate(old: Path, work: Path, rounds: int) -> None:
    from bench_validate import make_dataset

    repos = {}
    for size in (200, 10_000):
        repo = work / f"validate-{size}"
        make_dataset(repo / "evals" / "failures", size)
        subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
        repos[size] = repo
    cold: dict[tuple[int, str], list[Sample]] = {}
    warm: dict[str, list[Sample]] = {"old": [], "new": []}
    floor: list[float] = []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        floor.append(time.perf_counter() - start)
        for size, repo in repos.items():
            for version, src in (("old", old), ("new", NEW)):
                cold.setdefault((size, version), []).append(run(src, repo, "validate", "--no-cache"))
        for version, src in (("old", old), ("new", NEW)):
            run(src, repos[10_000], "validate")  # remember the clean verdict (each version keys its own)
            warm[version].append(run(src, repos[10_000], "validate"))
    header("validate, generated cases (~1 KB of YAML each)")
    print(f"| python -c pass (the floor) | {statistics.median(floor):.3f} s | | |")
    for size in repos:
        rows(f"cold validate, {size:,} cases", cold[(size, "old")], cold[(size, "new")])
    per_case = {
        v: [(b.rss - s.rss) * 1024 / (10_000 - 200) for s, b in zip(cold[(200, v)], cold[(10_000, v)])]
        for v in ("old", "new")
    }
    row("RSS per case between 200 and 10,000 cases", per_case["old"], per_case["new"], "KB")
    rows("warm validate, 10,000 cases (clean-verdict cache)", warm["old"], warm["new"])


DIRTY = """
import time
from failgate.gitrepo import open_repo
repo = open_repo(".")
start = time.perf_counter()
assert repo.get_dirty_paths() == []
print(time.perf_counter() - start)
"""


def bench_stale_index(old: Path, work: Path, rounds: int) -> None:
    from bench_gate import build

    base = work / "stale-base"
    build(base, 2_000, 200, 100_000)
    copies = {}
    for version in ("old", "new"):
        copies[version] = work / f"stale-{version}"
        shutil.copytree(base, copies[version], symlinks=True)
    fresh: dict[str, list[Sample]] = {"old": [], "new": []}
    for _ in range(rounds):
        for version, src in (("old", old), ("new", NEW)):
            fresh[version].append(run(src, copies[version], "gate"))
    for version in ("old", "new"):
        history = copies[version] / "evals/failures/history.jsonl"
        # A touch some seconds ago (a checkout before the push): dated in the future, the
        # file would be "racily clean", re-hashed on every read whatever is written back.
        earlier = time.time() - 10
        os.utime(history, (earlier, earlier))
    stale: dict[str, list[Sample]] = {"old": [], "new": []}
    for _ in range(rounds):
        for version, src in (("old", old), ("new", NEW)):
            stale[version].append(run(src, copies[version], "gate"))
    # The step itself, as the gate takes it: which tracked paths differ from HEAD.
    dirty: dict[str, list[float]] = {"old": [], "new": []}
    for version in ("old", "new"):
        history = copies[version] / "evals/failures/history.jsonl"
        # A touch some seconds ago (a checkout before the push): dated in the future, the
        # file would be "racily clean", re-hashed on every read whatever is written back.
        earlier = time.time() - 10
        os.utime(history, (earlier, earlier))
    for _ in range(rounds):
        for version, src in (("old", old), ("new", NEW)):
            out = subprocess.run(
                [sys.executable, "-c", DIRTY], cwd=copies[version], env=env_for(src), capture_output=True, text=True
            )
            dirty[version].append(float(out.stdout.split()[-1]))
    header("gate after the history's stat data went stale (a touch), each version in its own copy")
    rows("plain push, fresh index", fresh["old"], fresh["new"])
    rows("plain push, every run after the touch", stale["old"], stale["new"])
    row("which paths are dirty, each run after a touch (wall)", dirty["old"], dirty["new"])
    for version in ("old", "new"):
        for what in ("wall", "cpu"):
            ratios = [getattr(s, what) / getattr(f, what) for f, s in zip(fresh[version], stale[version])]
            print(f"| after the touch / fresh, {version} code, {what} | | | {spread(ratios)} |")


SCENARIOS: dict[str, Callable[[Path, Path, int], None]] = {
    "gate": bench_gate,
    "eval": bench_eval,
    "ingest": bench_ingest,
    "validate": bench_validate,
    "stale-index": bench_stale_index,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old", type=Path, required=True, help="src/ of a checkout before the change")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", default=",".join(SCENARIOS), help=f"comma-separated: {', '.join(SCENARIOS)}")
    args = parser.parse_args()
    old = args.old.resolve()
    if not (old / "failgate" / "__init__.py").is_file():
        raise SystemExit(f"--old {old}: no failgate package there")
    load = os.getloadavg()
    print(f"# old {old} vs new {NEW}; {args.rounds} rounds; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    work = Path(tempfile.mkdtemp(prefix="failgate-bench-floor-"))
    for src in (old, NEW):  # compile both versions once, before anything is timed
        subprocess.run([sys.executable, "-m", "failgate", "--help"], env=env_for(src), capture_output=True)
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(src)], env=env_for(src), capture_output=True)
    try:
        for name in args.only.split(","):
            SCENARIOS[name](old, work, args.rounds)
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()
    print(f"\nload average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
