"""Benchmark: `failgate check-ledger --base` vs `failgate validate` (docs/performance.md, "Ledger check").

    python bench/bench_ledger.py                       # 2,000 and 20,000 commits
    python bench/bench_ledger.py --commits 20000 --runs 7

For each commit count, generates a repository with `git fast-import` (seconds,
not minutes): one dataset of --cases cases and a history.jsonl that ends at
--history-lines lines, then commits that touch other files, and in the last
--back commits a few batches of appended events. Branch `main` sits --back
commits behind `feature` (HEAD). Then, side by side, the median wall time of:

- `failgate check-ledger --base main` (merge-base 1,000 commits back; reads
  both sides' blobs from git objects, parses both, compares);
- `failgate validate` on the same tree (checked out).

The claim to read off: check-ledger costs at most ~2x validate, and the same at
2,000 and 20,000 commits (it resolves one merge-base and reads blobs; it never
walks the history). Figures are for ratios, not promises (a noisy 2-core box).
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

TYPES_CYCLE = ("pass", "pass", "pass", "fail")


def env() -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    clean.update(GIT_CONFIG_NOSYSTEM="1", GITHUB_ACTIONS="")
    clean["PATH"] = str(Path(sys.executable).parent) + os.pathsep + clean.get("PATH", "")
    return clean


def event_line(n: int, cases: int) -> bytes:
    case = n % cases + 1
    payload = {
        "id": f"01J{n:023d}",
        "ts": f"2026-{1 + n // 2_600_000 % 12:02d}-01T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z",
        "case_id": f"AGTFAIL-{case:04d}",
        "type": "promoted" if n < cases else "result",
        "actor": "ci",
    }
    if n >= cases:
        payload.update(
            outcome=TYPES_CYCLE[n % 4] if case % 5 else "pass", commit=f"{n:040x}", judge="sha256:" + "ab" * 32
        )
    return (json.dumps(payload) + "\n").encode()


def build_repo(path: Path, commits: int, cases: int, history_lines: int, back: int, batch: int = 10) -> None:
    from ledger_data import LEDGER_EMPTY, cases_text

    path.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "feature", str(path)], check=True, env=env())
    appends = [i for i in range(commits - back + 1, commits + 1) if (commits - i) % 100 == 0]
    first_lines = history_lines - batch * len(appends)
    lines = [event_line(n, cases) for n in range(history_lines)]
    cases_blob = cases_text(*range(1, cases + 1)).encode()
    ds = "evals/failures"

    def inline(out: list[bytes], name: str, data: bytes) -> None:
        out.append(f"M 100644 inline {name}\ndata {len(data)}\n".encode())
        out.append(data)
        out.append(b"\n")

    proc = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=path, stdin=subprocess.PIPE, env=env())
    assert proc.stdin is not None
    history_count = first_lines
    for i in range(1, commits + 1):
        chunk: list[bytes] = []
        message = f"commit {i}\n".encode()
        chunk.append(
            f"commit refs/heads/feature\nmark :{i}\n"
            f"committer Bench <bench@example.com> {1_700_000_000 + i * 60} +0000\n"
            f"data {len(message)}\n".encode()
            + message
        )
        if i > 1:
            chunk.append(f"from :{i - 1}\n".encode())
        if i == 1:
            inline(chunk, f"{ds}/cases.yaml", cases_blob)
            inline(chunk, f"{ds}/cases_removed.yaml", LEDGER_EMPTY.encode())
            inline(chunk, f"{ds}/history.jsonl", b"".join(lines[:first_lines]))
        if i in appends:
            history_count += batch
            inline(chunk, f"{ds}/history.jsonl", b"".join(lines[:history_count]))
        inline(chunk, "src/app.txt", f"build {i}\n".encode())
        chunk.append(b"\n")
        proc.stdin.write(b"".join(chunk))
    proc.stdin.write(f"reset refs/heads/main\nfrom :{commits - back}\n\n".encode())
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "reset", "-q", "--hard"], cwd=path, check=True, env=env())
    assert history_count == history_lines


def timed(argv: list[str], cwd: Path, runs: int) -> tuple[float, int, str]:
    times, code, out = [], 0, ""
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=env())
        times.append(time.perf_counter() - start)
        code, out = result.returncode, result.stdout + result.stderr
    return statistics.median(times), code, out


def breakdown(repo: Path) -> dict[str, float]:
    """In-process split of check-ledger's time (one run, after the timed ones)."""
    code = (
        "import time, os, json\n"
        "t0 = time.perf_counter(); import pygit2; t1 = time.perf_counter()\n"
        "from failgate.gate.ledger_check import load_comparisons\n"
        "from failgate.checks.ledger import check_ledger\n"
        "from failgate.gitrepo import open_repo\n"
        "r = open_repo('.'); t2 = time.perf_counter(); mb = r.merge_base('HEAD', 'main'); t3 = time.perf_counter()\n"
        "c = load_comparisons('main')[0]; t4 = time.perf_counter(); f = check_ledger(c.base, c.now); t5 = time.perf_counter()\n"
        "print(json.dumps({'import pygit2': t1 - t0, 'merge-base': t3 - t2, "
        "'read + parse both sides': t4 - t2, 'compare': t5 - t4, 'findings': len(f)}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, env=env())
    if result.returncode:
        return {"error": result.stderr[-500:]}  # type: ignore[dict-item]
    return json.loads(result.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commits", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--history-lines", type=int, default=100_000)
    parser.add_argument("--back", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the generated repositories")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="failgate-bench-ledger-"))
    rows = []
    try:
        for commits in args.commits:
            repo = scratch / f"repo-{commits}"
            start = time.perf_counter()
            build_repo(repo, commits, args.cases, args.history_lines, args.back)
            built = time.perf_counter() - start
            size = (repo / "evals/failures/history.jsonl").stat().st_size
            ledger_t, ledger_code, ledger_out = timed(["failgate", "check-ledger", "--base", "main"], repo, args.runs)
            validate_t, validate_code, validate_out = timed(["failgate", "validate", "--no-cache"], repo, args.runs)
            floor_t, _, _ = timed([sys.executable, "-c", "import failgate.cli"], repo, args.runs)
            if ledger_code != 0:
                print(f"check-ledger exited {ledger_code}:\n{ledger_out[-2000:]}", file=sys.stderr)
            if validate_code != 0:
                print(f"validate exited {validate_code}:\n{validate_out[-2000:]}", file=sys.stderr)
            rows.append(
                (commits, built, size, ledger_t, ledger_code, validate_t, validate_code, floor_t, breakdown(repo))
            )
    finally:
        if args.keep:
            print(f"repositories kept in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)

    print(
        f"\nhistory.jsonl: {args.history_lines:,} lines; {args.cases} cases; base {args.back:,} commits back; "
        f"median of {args.runs} runs (python {sys.version.split()[0]})\n"
    )
    print(
        f"{'commits':>8} {'build':>7} {'history':>9} {'check-ledger --base':>20} {'validate':>10} "
        f"{'ratio':>6} {'import floor':>13}"
    )
    for commits, built, size, lt, lc, vt, vc, ft, _ in rows:
        print(
            f"{commits:>8,} {built:>6.1f}s {size / 1e6:>7.1f}MB {lt * 1000:>15.0f} ms{'' if lc == 0 else '!'}"
            f" {vt * 1000:>7.0f} ms{'' if vc == 0 else '!'} {lt / vt:>6.2f} {ft * 1000:>10.0f} ms"
        )
    print()
    for commits, *_, parts in rows:
        shown = ", ".join(f"{k} {v * 1000:.0f} ms" if isinstance(v, float) else f"{k} {v}" for k, v in parts.items())
        print(f"{commits:>8,} commits, in-process: {shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
