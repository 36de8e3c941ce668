"""Benchmark: what the strict loaders' limits cost, next to the stdlib floor.

    python bench/bench_loaders.py                          # strict vs stdlib, this checkout
    python bench/bench_loaders.py --against /path/to/src   # also another checkout's src/ (e.g. before a change)

Three workloads, each the median of --runs runs in a fresh interpreter:
`cases.yaml` with --cases cases through `load_yaml` (strict: depth limit,
integer limit, key identity, glued comments) against `yaml.load(CSafeLoader)`;
`history.jsonl` with --events lines through `parse_history` (strict JSON per
line: depth, duplicate keys, NaN, surrogates) against `json.loads` per line;
and `validate_dataset` over both. Ratios are what to read, not the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

WORKLOADS = {
    "yaml: stdlib CSafeLoader": "import yaml; yaml.load(CASES, Loader=yaml.CSafeLoader)",
    "yaml: failgate load_yaml": "from failgate.dataset.yamlstrict import load_yaml; load_yaml(CASES, 'cases.yaml')",
    "jsonl: stdlib json.loads": "import json; [json.loads(l) for l in HISTORY.split(b'\\n') if l.strip()]",
    "jsonl: failgate parse_history": "from failgate.dataset.parse import parse_history; parse_history(HISTORY, 'h')",
    "validate_dataset (both files)": (
        "from failgate.dataset.parse import parse_dataset; from failgate.checks.validate import validate_dataset; "
        "validate_dataset(parse_dataset('ds', cases=CASES, history=HISTORY, removed=REMOVED))"
    ),
}


def run(code: str, directory: Path, src: Path, runs: int) -> float:
    program = (
        f"import time, pathlib; d = pathlib.Path({str(directory)!r}); CASES = (d / 'cases.yaml').read_bytes(); "
        "HISTORY = (d / 'history.jsonl').read_bytes(); REMOVED = (d / 'cases_removed.yaml').read_bytes(); "
        f"t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
    )
    env = {**os.environ, "PYTHONPATH": str(src)}
    times = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True)
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--against", type=Path, help="another checkout's src/ directory to time side by side")
    args = parser.parse_args()
    from bench_validate import make_dataset

    with tempfile.TemporaryDirectory() as tmp:
        directory = make_dataset(Path(tmp) / "ds", args.cases)
        events = [
            json.dumps(
                {
                    "id": f"01J{n:023d}",
                    "ts": "2026-05-02T10:00:00Z",
                    "case_id": f"AGTFAIL-{n % args.cases + 1:05d}",
                    "type": "result",
                    "outcome": "pass",
                    "commit": "9fceb02" + "0" * 33,
                    "judge": "sha256:" + "a" * 64,
                    "actor": "ci",
                    "detail": {"n": n},
                }
            )
            for n in range(args.events)
        ]
        (directory / "history.jsonl").write_text("\n".join(events) + "\n")
        sources = [("this checkout", ROOT / "src")] + ([("--against", args.against)] if args.against else [])
        print(
            f"# strict loaders, {args.cases} cases, {args.events} history lines; median of {args.runs} runs, "
            f"python {sys.version.split()[0]}, {os.cpu_count()} cores\n"
        )
        print(
            "| workload | "
            + " | ".join(name for name, _ in sources)
            + (" | this / against |" if args.against else " |")
        )
        print("|---|" + "---:|" * (len(sources) + (1 if args.against else 0)))
        for label, code in WORKLOADS.items():
            if args.against and label.startswith(("yaml: stdlib", "jsonl: stdlib")):
                continue
            figures = [run(code, directory, src, args.runs) for _, src in sources]
            ratio = f" | {figures[0] / figures[1]:.2f}" if args.against else ""
            print(f"| {label} | " + " | ".join(f"{f:.3f} s" for f in figures) + ratio + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
