"""Benchmark: `failgate gate`'s own time at 2,000 and 20,000 commits (docs/performance.md, "Gate").

    python bench/bench_gate.py                         # 2,000 and 20,000 commits, 5 runs each
    python bench/bench_gate.py --commits 20000 --runs 7

For each commit count, `git fast-import` builds a repository (seconds): a
dataset of --cases cases (200) and a history.jsonl of --history-lines lines
(100,000, ~15 MB, each case's last result a pass under today's judge), then
commits that touch another file; `main` is the tip, `feature` (HEAD) one
commit ahead. The agent is a zero-latency Python callable (`return` at once),
so the wall time of `failgate gate` is the gate's own time: interpreter start,
imports, config, merge-base, reading and folding the history at the
merge-base, both cases.yaml, running and judging 200 cases, the report.

Columns: median wall time of `failgate gate` on a clean HEAD (the usual
pre-push), and `failgate gate --rev main` (not HEAD: a temporary worktree is
checked out and removed). Figures are for ratios, not promises (noisy box).
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
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))

AGENT = 'def run(inp):\n    return {"output": inp["say"], "latency_ms": 0}\n'


def env() -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and not k.startswith("PRE_COMMIT")}
    clean.update(GIT_CONFIG_NOSYSTEM="1", GITHUB_ACTIONS="", NO_COLOR="1")
    # Byte-compiled modules, as a user's install has them: a shell with PYTHONDONTWRITEBYTECODE
    # would time compiling every module the gate imports, on every run.
    clean.pop("PYTHONDONTWRITEBYTECODE", None)
    clean.pop("GITHUB_STEP_SUMMARY", None)
    clean["PATH"] = str(Path(sys.executable).parent) + os.pathsep + clean.get("PATH", "")
    return clean


def dataset(cases: int, lines: int) -> tuple[bytes, bytes]:
    from gate_repo import HEADER, case_block, case_id

    from failgate.eval.judge import case_fingerprint

    text = HEADER + "".join(case_block(n) for n in range(1, cases + 1))
    from failgate.dataset.yamlstrict import load_yaml_text

    parsed = load_yaml_text(text, "cases.yaml").data["cases"]
    judges = {c["id"]: case_fingerprint(c) for c in parsed}
    out = []
    for n in range(lines):
        number = n % cases + 1
        # the last `cases` lines are each case's final, passing result
        outcome = "pass" if n >= lines - cases or n % 3 else "fail"
        event = {
            "id": f"01J{n:023d}",
            "ts": f"2026-05-{1 + n * 27 // lines:02d}T10:00:00Z",
            "case_id": case_id(number),
            "type": "promoted" if n < cases else "result",
            "actor": "ci",
        }
        if n >= cases:
            event.update(outcome=outcome, commit=f"{n:040x}", judge=judges[case_id(number)], dirty=False)
        out.append(json.dumps(event) + "\n")
    return text.encode(), "".join(out).encode()


def build(repo: Path, commits: int, cases: int, lines: int, branch_records: bool = False) -> None:
    cases_yaml, history = dataset(cases, lines)
    repo.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=env())
    files = {
        "failgate.toml": b'agent = "benchagent:run"\nbase_branch = "main"\njobs = 8\n',
        "benchagent.py": AGENT.encode(),
        ".gitignore": b".failgate-cache/\n__pycache__/\n",
        "evals/failures/cases.yaml": cases_yaml,
        "evals/failures/cases_removed.yaml": b"schema_version: 1\nremoved: []\n",
        "evals/failures/history.jsonl": history,
    }
    chunks: list[bytes] = []
    stamp = 1_700_000_000

    def commit(ref: str, n: int, changes: dict[str, bytes], parent: str | None = None) -> None:
        message = f"commit {n}\n".encode()
        chunks.append(f"commit {ref}\nmark :{n + 1}\ncommitter Bench <bench@example.com> {stamp + n} +0000\n".encode())
        chunks.append(f"data {len(message)}\n".encode() + message)
        if parent:
            chunks.append(f"from {parent}\n".encode())
        for path, data in changes.items():
            chunks.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")

    commit("refs/heads/main", 0, files)
    for n in range(1, commits - 1):
        commit("refs/heads/main", n, {"counter.txt": f"{n}\n".encode()})
    change = {"NOTES.md": b"the change under test\n"}
    if branch_records:
        # The branch also recorded a result (a copy of the last, passing one): the gate then
        # checks the range's ledger and that the recorded outcome agrees with its own run.
        last = json.loads(history.splitlines()[-1])
        last.update(id="01K" + "9" * 23, ts="2026-06-01T10:00:00Z")
        change["evals/failures/history.jsonl"] = history + (json.dumps(last) + "\n").encode()
    commit("refs/heads/feature", commits - 1, change, parent=f":{commits - 1}")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=b"".join(chunks), check=True, env=env())
    subprocess.run(["git", "checkout", "-q", "feature"], cwd=repo, check=True, env=env())


def _once(repo: Path, source: Path | None, *args: str) -> tuple[float, str]:
    run_env = env()
    if source is not None:  # another checkout's failgate, first on the path: old vs new in one run
        run_env["PYTHONPATH"] = str(source / "src")
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "failgate", "gate", *args], cwd=repo, env=run_env, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"gate failed in {repo}:\n{result.stdout}{result.stderr}")
    return elapsed, result.stdout + result.stderr


def timed(repo: Path, runs: int, *args: str, against: Path | None = None) -> tuple[float, str, float | None]:
    """Median wall time of this checkout's gate, and of `against`'s when given, runs interleaved."""
    times, others, last = [], [], ""
    for _ in range(runs):
        elapsed, last = _once(repo, None, *args)
        times.append(elapsed)
        if against is not None:
            others.append(_once(repo, against, *args)[0])
    return statistics.median(times), last, statistics.median(others) if others else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commits", type=int, nargs="+", default=[2_000, 20_000])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--history-lines", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--branch-records",
        action="store_true",
        help="the commit under test also appends a result event to history.jsonl",
    )
    parser.add_argument(
        "--against",
        type=Path,
        metavar="CHECKOUT",
        help="also time the failgate of another checkout (e.g. a worktree of main), interleaved, and print the ratio",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="failgate-bench-gate-"))
    rows = []
    compared: list[tuple[int, float, float | None, float, float | None]] = []
    try:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        python_s = time.perf_counter() - start
        for commits in args.commits:
            repo = work / f"repo-{commits}"
            began = time.perf_counter()
            build(repo, commits, args.cases, args.history_lines, args.branch_records)
            built = time.perf_counter() - began
            size = (repo / "evals/failures/history.jsonl").stat().st_size / 1e6
            clean, output, clean_other = timed(repo, args.runs, against=args.against)
            worktree, _, worktree_other = timed(repo, args.runs, "--rev", "main", against=args.against)
            rows.append((commits, built, size, clean, worktree))
            if args.against is not None:
                compared.append((commits, clean, clean_other, worktree, worktree_other))
            if "PASS: all" not in output:
                raise SystemExit(output)
        print(
            f"failgate gate: {args.cases} cases, {args.history_lines:,}-line history, zero-latency agent, "
            f"median of {args.runs} (python startup alone {python_s * 1000:.0f} ms)"
        )
        print(
            f"{'commits':>8} {'build s':>8} {'history MB':>11} {'gate (clean HEAD) s':>20} {'gate --rev (worktree) s':>24}"
        )
        for commits, built, size, clean, worktree in rows:
            print(f"{commits:>8,} {built:>8.1f} {size:>11.1f} {clean:>20.3f} {worktree:>24.3f}")
        if compared:
            print(f"\nagainst {args.against} (interleaved runs): this / that")
            for commits, clean, clean_other, worktree, worktree_other in compared:
                print(
                    f"{commits:>8,} clean HEAD {clean:.3f} / {clean_other:.3f} s = {clean / (clean_other or 1):.2f}x; "
                    f"--rev {worktree:.3f} / {worktree_other:.3f} s = {worktree / (worktree_other or 1):.2f}x"
                )
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
