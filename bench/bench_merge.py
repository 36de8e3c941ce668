"""Benchmark: `failgate merge-driver` vs `git merge-file --union` on history.jsonl.

    python bench/bench_merge.py                   # 1,000,000-event base (~150 MB), as in docs/performance.md
    python bench/bench_merge.py --events 100000   # a quicker run

Generates a base of --events events (~150 bytes each) and two sides that each
append --per-side events, --shared of them identical on both sides (as after a
cherry-pick) but at different places. Then, side by side in one run:

1. the driver alone vs `git merge-file --union` on the same three files: median
   wall time and peak memory (max RSS, from /usr/bin/time -v when present,
   else getrusage of the child), plus what each produced (union keeps the
   shared events twice);
2. a real `git merge` end to end in a scratch repository, once with
   `merge=failgate-history` and once with `merge=union` (set through
   `.git/info/attributes`, which overrides `.gitattributes`).

Data lives in bench/.scratch (gitignored). Ratios are what to read; the box
these figures come from is a noisy shared 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRATCH = HERE / ".scratch" / "merge"
TIME = "/usr/bin/time"


def event(i: int, tag: str, ts: str) -> bytes:
    # ~150 bytes, the shape docs/reference/history-events.md gives for a recorded result.
    return (
        f'{{"id":"{tag}{i:020d}","ts":"{ts}","case_id":"AGTFAIL-{i % 200:04d}","type":"result",'
        f'"outcome":"{"pass" if i % 7 else "fail"}","commit":"{i * 2654435761 % (1 << 48):012x}","actor":"ci"}}\n'
    ).encode()


def generate(directory: Path, events: int, per_side: int, shared: int) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = {name: directory / f"{name}.jsonl" for name in ("base", "ours", "theirs")}
    stamp = directory / f"generated-{events}-{per_side}-{shared}"
    if stamp.exists() and all(p.exists() for p in paths.values()):
        return paths
    with paths["base"].open("wb") as out:
        batch = []
        for i in range(events):
            batch.append(event(i, "B", f"2026-01-{1 + i * 27 // max(events, 1):02d}T00:00:00Z"))
            if len(batch) == 10000:
                out.write(b"".join(batch))
                batch = []
        out.write(b"".join(batch))
    common = [event(i, "S", f"2026-02-{1 + i % 27:02d}T06:00:00Z") for i in range(shared)]
    for name, tag in (("ours", "O"), ("theirs", "T")):
        own = [event(i, tag, f"2026-02-{1 + i % 27:02d}T{(i % 23):02d}:00:00Z") for i in range(per_side - shared)]
        # Shared events sit at different places on each side, as after a cherry-pick.
        where = 0 if name == "ours" else len(own)
        tail = own[:where] + common + own[where:]
        shutil.copyfile(paths["base"], paths[name])
        with paths[name].open("ab") as out:
            out.write(b"".join(tail))
    stamp.write_text("ok\n")
    return paths


def measure(argv: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB, exit code) of one command."""
    if os.path.exists(TIME):
        start = time.perf_counter()
        proc = subprocess.run(
            [TIME, "-v", *argv], cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        wall = time.perf_counter() - start
        match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
        rss = int(match.group(1)) / 1024 if match else float("nan")
        return wall, rss, proc.returncode

    runner = (
        "import resource,subprocess,sys,time;t=time.perf_counter();"
        "r=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL).returncode;"
        "print(time.perf_counter()-t,resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024,r)"
    )
    out = subprocess.run([sys.executable, "-c", runner, *argv], cwd=cwd, env=env, capture_output=True, text=True).stdout
    wall_s, rss_s, code_s = out.split()
    return float(wall_s), float(rss_s), int(code_s)


def bench_files(paths: dict[str, Path], runs: int, work: Path) -> dict[str, dict[str, float]]:
    failgate = [sys.executable, "-m", "failgate"]
    results: dict[str, dict[str, float]] = {}
    tools = {
        "failgate merge-driver": lambda a: [
            *failgate,
            "merge-driver",
            str(paths["base"]),
            str(a),
            str(paths["theirs"]),
            "history.jsonl",
            "7",
        ],
        "git merge-file --union": lambda a: [
            "git",
            "merge-file",
            "--union",
            str(a),
            str(paths["base"]),
            str(paths["theirs"]),
        ],
    }
    for name, build in tools.items():
        walls, peaks = [], []
        for _ in range(runs):
            target = work / "A.jsonl"
            shutil.copyfile(paths["ours"], target)
            wall, rss, code = measure(build(target))
            if code != 0:
                raise SystemExit(f"{name} exited {code}")
            walls.append(wall)
            peaks.append(rss)
        lines = sum(1 for _ in target.open("rb"))
        added = set()
        with target.open("rb") as handle:
            for line in handle:
                if not line.startswith(b'{"id":"B'):
                    added.add(line)
        results[name] = {
            "wall": statistics.median(walls),
            "rss": max(peaks),
            "lines": lines,
            "added_lines": lines - (sum(1 for _ in paths["base"].open("rb"))),
            "distinct_added": len(added),
        }
    return results


def bench_git(paths: dict[str, Path], runs: int, work: Path) -> dict[str, float]:
    repo = work / "repo"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_AUTHOR_NAME="bench",
        GIT_AUTHOR_EMAIL="b@example.com",
        GIT_COMMITTER_NAME="bench",
        GIT_COMMITTER_EMAIL="b@example.com",
    )
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)

    if not (repo / ".git").exists():
        repo.mkdir(parents=True)
        git("init", "-q", "-b", "main")
        subprocess.run([sys.executable, "-m", "failgate", "install", "--quiet"], cwd=repo, env=env, check=True)
        shutil.copyfile(paths["base"], repo / "history.jsonl")
        git("add", "history.jsonl")
        git("commit", "-q", "-m", "base")
        git("checkout", "-q", "-b", "theirs")
        shutil.copyfile(paths["theirs"], repo / "history.jsonl")
        git("commit", "-q", "-am", "theirs")
        git("checkout", "-q", "main")
        shutil.copyfile(paths["ours"], repo / "history.jsonl")
        git("commit", "-q", "-am", "ours")
        git("tag", "ours")
    figures = {}
    for label, attr in (("git merge, merge=failgate-history", "failgate-history"), ("git merge, merge=union", "union")):
        (repo / ".git" / "info").mkdir(exist_ok=True)
        (repo / ".git" / "info" / "attributes").write_text(f"history.jsonl merge={attr}\n")
        walls, peaks = [], []
        for _ in range(runs):
            git("reset", "-q", "--hard", "ours")
            wall, rss, code = measure(["git", "merge", "-q", "--no-edit", "theirs"], cwd=repo, env=env)
            if code != 0:
                raise SystemExit(f"{label}: git merge exited {code}")
            walls.append(wall)
            peaks.append(rss)
        git("reset", "-q", "--hard", "ours")
        figures[label] = {"wall": statistics.median(walls), "rss": max(peaks)}
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="events in the base (default 1,000,000)")
    parser.add_argument("--per-side", type=int, default=1000, help="events each side appends (default 1,000)")
    parser.add_argument("--shared", type=int, default=100, help="appended events both sides share (default 100)")
    parser.add_argument("--runs", type=int, default=3, help="runs per tool; the median is reported")
    parser.add_argument("--no-git", action="store_true", help="skip the end-to-end `git merge` part")
    parser.add_argument("--scratch", type=Path, default=SCRATCH)
    args = parser.parse_args()

    work = args.scratch / f"n{args.events}"
    started = time.perf_counter()
    paths = generate(work, args.events, args.per_side, args.shared)
    size = paths["base"].stat().st_size / 1e6
    print(
        f"base: {args.events:,} events, {size:.0f} MB; {args.per_side:,} appended per side, "
        f"{args.shared} shared (generated in {time.perf_counter() - started:.1f} s)"
    )
    print(
        f"git {subprocess.run(['git', '--version'], capture_output=True, text=True).stdout.split()[-1]}, "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; median of {args.runs} runs\n"
    )

    files = bench_files(paths, args.runs, work)
    print(f"{'three-way merge of the files':34} {'wall':>8} {'peak RSS':>10}  result")
    for name, r in files.items():
        dupes = r["added_lines"] - r["distinct_added"]
        print(
            f"{name:34} {r['wall']:7.2f}s {r['rss']:8.0f} MB  +{r['added_lines']:.0f} lines"
            + (f" ({dupes:.0f} duplicated)" if dupes else " (no duplicates)")
        )
    d, u = files["failgate merge-driver"], files["git merge-file --union"]
    print(f"{'driver / union':34} {d['wall'] / u['wall']:7.2f}x {d['rss'] / u['rss']:9.2f}x\n")

    if not args.no_git:
        figures = bench_git(paths, args.runs, work)
        print(f"{'end to end (git holds the blobs)':34} {'wall':>8} {'peak RSS':>10}")
        for label, f in figures.items():
            print(f"{label:34} {f['wall']:7.2f}s {f['rss']:8.0f} MB")
        a, b = figures.values()
        print(f"{'driver / union':34} {a['wall'] / b['wall']:7.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
