"""Benchmark: `failgate validate` vs `check-jsonschema` on the same cases.yaml.

    python bench/bench_validate.py                 # failgate and the floor only
    python bench/bench_validate.py --with-peers    # also check-jsonschema (installed
                                                   # into bench/.scratch, never a
                                                   # project dependency)

Both tools validate the same generated `cases.yaml` against the same schema
(`schemas/cases.schema.json`), at 200 and at 10,000 cases; `python -c pass` is
the floor (interpreter start-up). failgate does more on top: strict YAML,
cross-file invariants (history, ledger), input_hash checks and line numbers.
Each figure is the median wall time of --runs runs, measured side by side in
one run; ratios are what to read, not the absolute numbers. failgate runs
with --no-cache (a cold validation, what a changed dataset costs); the last
column is the hook on a dataset that validated clean before, unchanged.
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
ROOT = HERE.parent
SCRATCH = HERE / ".scratch"
SCHEMA = ROOT / "schemas" / "cases.schema.json"

sys.path.insert(0, str(ROOT / "tests"))

MODES = [
    "tool_invocation",
    "retrieval_miss",
    "hallucination",
    "multi_turn_drift",
    "refusal_overreach",
    "latency_breach",
    "blast_radius_breach",
]
RADII = ["customer_visible", "internal_visible", "irreversible_write", "reversible_write", "no_external_effect"]
# The classic billion laughs: nine levels of nine aliases (9^8 leaves once expanded).
BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{name}: &{name} [{','.join('*' + prev for _ in range(9))}]\n" for prev, name in zip("abcdefgh", "bcdefghi")
)


def make_case(number: int) -> str:
    from failgate.dataset.hashing import input_hash

    case_input = {
        "messages": [
            {"role": "user", "content": f"Where is my order {number}? It was due last week."},
            {"role": "user", "content": f"Please refund order {number} if it is lost."},
        ]
    }
    content0 = case_input["messages"][0]["content"]
    content1 = case_input["messages"][1]["content"]
    return f"""\
  - id: AGTFAIL-{number:05d}
    title: Refund promised for order {number} without lookup
    failure_mode: {MODES[number % 7]}
    severity: P{number % 4}
    blast_radius: {RADII[number % 5]}
    status: active
    owner: team-{number % 9}@example.com
    discovered_at: 2026-05-{1 + number % 28:02d}
    discovered_by:
      - trace:{number:08x}
      - ticket:SUP-{number}
    intent: intent_{number % 23}
    input:
      messages:
        - role: user
          content: "{content0}"
        - role: user
          content: "{content1}"
    input_hash: {input_hash(case_input)}
    observed_behavior: The agent promised a refund without calling lookup_order first.
    expected:
      - contains: "order {number}"
      - tool_called: {{name: lookup_order, args: {{order_id: "{number}"}}}}
      - tool_order: [lookup_order, issue_refund]
      - not_refused: true
      - max_latency_ms: 8000
    remediation:
      - date: 2026-05-{1 + number % 28:02d}
        change: Lookup before any refund promise.
    regressed_count: 0
"""


def make_dataset(directory: Path, count: int) -> Path:
    from failgate.scaffold.project import cases_header

    directory.mkdir(parents=True, exist_ok=True)
    header = cases_header().replace("cases: []\n", "cases:\n")
    (directory / "cases.yaml").write_text(header + "".join(make_case(n) for n in range(1, count + 1)))
    (directory / "cases_removed.yaml").write_text("schema_version: 1\nremoved: []\n")
    events = [
        json.dumps(
            {
                "id": f"01J{n:023d}",
                "ts": "2026-05-02T10:00:00Z",
                "case_id": f"AGTFAIL-{n:05d}",
                "type": "promoted",
                "actor": "bench",
            }
        )
        for n in range(1, count + 1)
    ]
    (directory / "history.jsonl").write_text("\n".join(events) + "\n")
    return directory


def timed(argv: list[str], cwd: Path, runs: int, timeout: float = 120.0) -> tuple[float, int, str]:
    times = []
    code, output = 0, ""
    for _ in range(runs):
        started = time.perf_counter()
        try:
            proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return float("inf"), -1, f"killed after {timeout:.0f} s"
        times.append(time.perf_counter() - started)
        code, output = proc.returncode, proc.stdout + proc.stderr
    return statistics.median(times), code, output


def check_jsonschema() -> str | None:
    exe = SCRATCH / "peers" / "bin" / "check-jsonschema"
    if exe.exists():
        return str(exe)
    SCRATCH.mkdir(parents=True, exist_ok=True)
    print("installing check-jsonschema into bench/.scratch/peers (default install) ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(SCRATCH / "peers")], check=True)
    pip = SCRATCH / "peers" / "bin" / "pip"
    proc = subprocess.run([str(pip), "install", "-q", "check-jsonschema"], capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"could not install check-jsonschema: {proc.stderr[-400:]}", file=sys.stderr)
        return None
    return str(exe)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--with-peers", action="store_true", help="also run check-jsonschema")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="200,10000")
    args = parser.parse_args()

    failgate = shutil.which("failgate") or "failgate"
    peer = check_jsonschema() if args.with_peers else None
    work = SCRATCH / "validate"
    shutil.rmtree(work, ignore_errors=True)
    env_note = f"python {sys.version.split()[0]}, {os.cpu_count()} cores"
    print(f"# failgate validate vs check-jsonschema ({env_note}), median of {args.runs} runs\n")
    print(
        "| cases | python -c pass | failgate validate | check-jsonschema | failgate / check-jsonschema |"
        " failgate, unchanged dataset |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for size in (int(s) for s in args.sizes.split(",")):
        repo = work / f"repo-{size}"
        dataset = make_dataset(repo / "evals" / "failures", size)
        subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
        floor, _, _ = timed([sys.executable, "-c", "pass"], repo, args.runs)
        ours, code, output = timed([failgate, "validate", "--no-cache"], repo, args.runs)
        if code != 0:
            print(f"failgate validate failed on the generated dataset:\n{output}", file=sys.stderr)
            return 1
        timed([failgate, "validate"], repo, 1)  # remember the clean verdict
        warm, _, _ = timed([failgate, "validate"], repo, args.runs)
        if peer:
            theirs, peer_code, peer_out = timed(
                [peer, "--schemafile", str(SCHEMA), str(dataset / "cases.yaml")], repo, max(1, args.runs // 2)
            )
            if peer_code != 0:
                print(f"check-jsonschema disagreed:\n{peer_out}", file=sys.stderr)
            ratio = f"{ours / theirs:.2f}"
            peer_cell = f"{theirs:.3f} s"
        else:
            peer_cell, ratio = "(--with-peers)", "-"
        print(f"| {size:,} | {floor:.3f} s | {ours:.3f} s | {peer_cell} | {ratio} | {warm:.3f} s |")

    bomb_dir = work / "bomb"
    make_dataset(bomb_dir / "evals" / "failures", 1)
    (bomb_dir / "evals" / "failures" / "cases.yaml").write_text(BOMB)
    subprocess.run(["git", "init", "-q"], cwd=bomb_dir, check=True)
    ours, code, output = timed([failgate, "validate"], bomb_dir, 1)
    print(f"\nalias bomb ({len(BOMB)} bytes): failgate {ours:.3f} s, exit {code}: {output.splitlines()[0]}")
    if peer:
        theirs, peer_code, peer_out = timed(
            [peer, "--schemafile", str(SCHEMA), str(bomb_dir / "evals" / "failures" / "cases.yaml")],
            bomb_dir,
            1,
            timeout=30,
        )
        print(f"alias bomb: check-jsonschema {'killed after 30 s' if theirs == float('inf') else f'{theirs:.3f} s'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
