"""What running the callable agent out of failgate's process costs: this tree against a reference tree.

    python bench/bench_agent_process.py --reference /path/to/old/src [--rounds 5] [--jobs 16] [--cases 200]

`failgate eval` over the same project (bench_eval's: N cases, a 50 ms callable agent), run with the reference
tree's code (where a callable in failgate's own interpreter was imported in process) and with this tree's
(where it always runs in callable_worker.py processes), interleaved round by round on one machine, so that
the ratio survives a loaded box. Prints both medians and new / old.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
from pathlib import Path

from bench_eval import SCRATCH, timed, write_project

HERE = Path(__file__).resolve().parent
THIS_SRC = HERE.parent / "src"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, required=True, help="the src/ folder of the tree to compare with")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=16)
    parser.add_argument("--cases", type=int, default=200)
    args = parser.parse_args(argv)
    root = SCRATCH / "agent-process-project"
    shutil.rmtree(root, ignore_errors=True)
    write_project(root, args.cases)
    command = [sys.executable, "-m", "failgate", "eval", "--no-progress", "--jobs", str(args.jobs)]
    trees = {"reference (old)": args.reference.resolve(), "this tree (new)": THIS_SRC}
    times: dict[str, list[float]] = {name: [] for name in trees}
    for _ in range(args.rounds):
        for name, src in trees.items():
            env = {**os.environ, "PYTHONPATH": str(src)}
            times[name].append(timed(command, root, env))
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, value in medians.items():
        print(f"{name:<18} {value:6.2f} s  (median of {args.rounds}; {args.cases} cases, --jobs {args.jobs})")
    print(f"new / old          {medians['this tree (new)'] / medians['reference (old)']:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
