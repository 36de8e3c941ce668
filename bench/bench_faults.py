"""What crash safety and the judge's time budget cost, side by side.

    python bench/bench_faults.py [--rounds 7]

1. A three-file transaction (remove's: cases.yaml 200 cases, the ledger,
   history.jsonl 20,000 lines): temp files + renames without a journal (the
   old commit) against the journalled `Transaction.commit`.
2. The check every command now runs first (`failgate.journal.recover` on a
   clean dataset) against `load_config` itself, and a cached `failgate validate`
   (the pre-commit hook's usual run) in-process with and without it.
3. Judge patterns: Python `re` against the `regex` package with `timeout=`,
   the default refusal patterns over 2,000 ordinary answers.

Medians of --rounds; read the ratios, not the milliseconds.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))


def median_ms(func: Callable[[], object], rounds: int, inner: int = 1) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(inner):
            func()
        times.append((time.perf_counter() - start) * 1000 / inner)
    return statistics.median(times)


def row(label: str, old: float, new: float) -> None:
    print(f"{label:<58} {old:9.3f} ms {new:9.3f} ms   x{new / old:5.2f}")


def dataset(root: Path) -> Path:
    from dataset_builder import case_block, event, write_dataset

    cases = "".join(case_block(f"AGTFAIL-{n:04d}", title=f"Case {n}", trace=f"t{n}") for n in range(1, 201))
    history = "".join(
        event(f"01J{n:023d}", f"AGTFAIL-{n % 200 + 1:04d}", "result", outcome="pass") for n in range(20000)
    )
    directory = root / "evals" / "failures"
    write_dataset(directory, history=history)
    header = (directory / "cases.yaml").read_text().split("cases:\n")[0]
    (directory / "cases.yaml").write_text(header + "cases:\n" + cases)
    (root / "failgate.toml").write_text("")
    return directory


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    from failgate import atomic
    from failgate.config import load_config
    from failgate.journal import recover

    print(f"{'':<58} {'before':>12} {'after':>12}   ratio")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        directory = dataset(root)
        payloads = {
            directory / name: (directory / name).read_bytes() + b"\n"
            for name in ("cases.yaml", "cases_removed.yaml", "history.jsonl")
        }

        def unjournalled() -> None:
            temps = [(atomic._temp_for(path, data), path) for path, data in payloads.items()]
            for tmp, path in temps:
                os.replace(tmp, path)
            atomic._fsync_dir(directory)

        def journalled() -> None:
            transaction = atomic.Transaction(directory)
            for path, data in payloads.items():
                transaction.write(path, data)
            transaction.commit()

        row("3-file transaction (remove), 1.6 MB", median_ms(unjournalled, rounds, 5), median_ms(journalled, rounds, 5))

        os.chdir(root)
        row(
            "load_config, then the recovery check (clean dataset)",
            median_ms(lambda: load_config(recover=False), rounds, 200),
            median_ms(lambda: load_config(), rounds, 200),
        )
        row(
            "  the recovery check alone vs load_config",
            median_ms(lambda: load_config(recover=False), rounds, 200),
            median_ms(lambda: recover(directory, (directory / "_intake",)), rounds, 200),
        )
        from failgate.commands.validate import run_validate

        def validate() -> None:
            with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
                assert run_validate(()) == 0

        validate()  # fill the cache: the hook's usual run is a hit
        import failgate.journal as journal

        real = journal.recover
        journal.recover = lambda *a, **k: []  # type: ignore[assignment]
        try:
            without = median_ms(validate, rounds, 20)
        finally:
            journal.recover = real  # type: ignore[assignment]
        row("cached `failgate validate` (in-process), without / with", without, median_ms(validate, rounds, 20))

    import re

    from failgate.eval.judge.text import DEFAULT_REFUSAL_PATTERNS, search

    patterns = [re.compile(p, re.IGNORECASE) for p in DEFAULT_REFUSAL_PATTERNS]
    answers = [
        f"Refund of ${n}.00 issued for order {8800 + n}; it reaches your card in 3-5 days." * 3 for n in range(2000)
    ]

    def with_re() -> None:
        for text in answers:
            for pattern in patterns:
                pattern.search(text)

    def with_regex() -> None:
        for text in answers:
            for pattern in patterns:
                search(pattern, text)

    with_regex()  # compile once, as a run does
    row(
        "refusal patterns x 2,000 answers: re / regex with timeout",
        median_ms(with_re, rounds),
        median_ms(with_regex, rounds),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
