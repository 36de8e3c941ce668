"""What the restructuring (named seams, registries, use cases out of the commands) costs
the hooks, side by side: the same commands of a source tree before it and of this one,
run interleaved as subprocesses on a copy of the bundled example dataset.

    python bench/bench_layers.py OLD_SRC [--rounds 15]

OLD_SRC is the `src/` of a checkout before the change (`git archive REV src | tar -x`).
Each round runs every command once with each tree, alternating which goes first, so
the load of a shared machine falls on both alike. Medians; read the ratios.
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
from pathlib import Path

NEW_SRC = Path(__file__).resolve().parents[1] / "src"
EXAMPLE = NEW_SRC / "failgate" / "examples" / "support-bot"
COMMANDS = {
    "validate (cached)": ["validate"],
    "validate --no-cache": ["validate", "--no-cache"],
    "fmt --check": ["fmt", "--check"],
    "check-ledger": ["check-ledger"],
    "report": ["report"],
}


def _project(root: Path) -> Path:
    repo = root / "repo"
    shutil.copytree(EXAMPLE, repo / "evals" / "failures", ignore=shutil.ignore_patterns(".failgate.lock"))
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "b"}
    env["GIT_COMMITTER_EMAIL"] = "b@x"
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "example"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True)
    return repo


def _run(src: Path, argv: list[str], cwd: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(src)}
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "failgate", *argv], cwd=cwd, env=env, capture_output=True)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        raise SystemExit(f"{src}: failgate {' '.join(argv)} exited {result.returncode}: {result.stderr.decode()}")
    return elapsed * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("old_src", type=Path)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        repo = _project(Path(scratch))
        times: dict[str, dict[str, list[float]]] = {name: {"old": [], "new": []} for name in COMMANDS}
        for round_number in range(args.rounds):
            order = [("old", args.old_src), ("new", NEW_SRC)]
            if round_number % 2:
                order.reverse()
            for name, argv in COMMANDS.items():
                for label, src in order:
                    times[name][label].append(_run(src, argv, repo))
    print(f"{'command':<22}{'old ms':>9}{'new ms':>9}{'new/old':>9}")
    for name, runs in times.items():
        old, new = statistics.median(runs["old"]), statistics.median(runs["new"])
        print(f"{name:<22}{old:>9.0f}{new:>9.0f}{new / old:>9.2f}")


if __name__ == "__main__":
    main()
