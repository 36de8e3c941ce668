"""Benchmark: `failgate report --html` for 200 cases x 500 recorded commits.

    python bench/bench_report.py                  # both history shapes, 5 runs each
    python bench/bench_report.py --runs 7 --no-browser

Two histories, both 200 cases over 500 commits:

- `dense`: every case recorded at every commit (100,000 result lines): the
  worst case, a history written by something that records every run;
- `changes`: what `eval --record` writes (only changes): each commit records
  the ~4 % of the cases whose outcome changed (about 4,000 result lines).

Side by side, the median wall time (and CPU time: user + sys, what a quiet
machine's wall time would be) of the whole command (`failgate report --html`,
interpreter start and imports included) against `failgate report` (text
only) on the same dataset, and the page's size. With Chromium and
Playwright present it also opens the page (1280x800) and times the load event
and one tooltip (timed inside the page), the "stays responsive" half of the claim.
Figures are for ratios, not promises (a noisy, shared 2-core box).
"""

from __future__ import annotations

import argparse
import json
import os
import random
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

from gate_repo import DS, cases_text, promoted  # noqa: E402

CASES, COMMITS = 200, 500


def env() -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    clean.update(GITHUB_ACTIONS="", NO_COLOR="1")
    clean["PATH"] = str(Path(sys.executable).parent) + os.pathsep + clean.get("PATH", "")
    return clean


def history(shape: str, rng: random.Random) -> str:
    lines = [promoted(n) for n in range(1, CASES + 1)]
    state = {n: "pass" for n in range(1, CASES + 1)}
    serial = 0
    for commit in range(COMMITS):
        sha = f"{commit + 1:040x}"
        ts = f"2026-{1 + commit * 12 // COMMITS:02d}-{1 + commit % 28:02d}T10:00:00Z"
        for n in range(1, CASES + 1):
            changed = rng.random() < 0.04
            if changed:
                state[n] = "fail" if state[n] == "pass" else "pass"
            if shape == "dense" or changed or commit == 0:
                serial += 1
                lines.append(
                    json.dumps(
                        {
                            "id": f"01R{serial:023d}",
                            "ts": ts,
                            "case_id": f"AGTFAIL-{n:04d}",
                            "type": "result",
                            "outcome": state[n],
                            "commit": sha,
                            "judge": "sha256:" + "ab" * 32,
                            "actor": "ci",
                        }
                    )
                    + "\n"
                )
    return "".join(lines)


def make_repo(where: Path, shape: str) -> Path:
    repo = where / shape
    directory = repo / DS
    directory.mkdir(parents=True)
    (repo / "failgate.toml").write_text('agent = "nowhere:run"\n')
    (directory / "cases.yaml").write_text(cases_text(range(1, CASES + 1)))
    (directory / "cases_removed.yaml").write_text("schema_version: 1\nremoved: []\n")
    (directory / "history.jsonl").write_text(history(shape, random.Random(17)))
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True, env=env())
    return repo


def timed(repo: Path, *args: str, runs: int) -> tuple[float, float]:
    """(median wall time, median CPU time) of the command. CPU time (user + sys of the
    child) is what a quiet machine's wall time would be: it reads through a shared box's load."""
    import resource

    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "failgate", *args], cwd=repo, env=env(), check=True, capture_output=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def browser_times(page_path: Path, runs: int) -> tuple[float, float] | None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        return None
    args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    loads, hovers = [], []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium, args=args)
        for _ in range(runs):
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            start = time.perf_counter()
            page.goto(page_path.as_uri(), wait_until="load")
            loads.append(time.perf_counter() - start)
            # The tooltip's own cost, timed inside the page (a Playwright hover adds its own
            # actionability waits): dispatch the event the grid listens to, force layout.
            hovers.append(
                page.evaluate(
                    """() => {
                const cell = document.querySelectorAll('.row')[%d].querySelectorAll('.cells i')[40];
                const start = performance.now();
                cell.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));
                document.getElementById('tip').offsetWidth;
                return (performance.now() - start) / 1000;
            }"""
                    % (CASES // 2)
                )
            )
            page.close()
        browser.close()
    return statistics.median(loads), statistics.median(hovers)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-browser", action="store_true")
    options = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="failgate-bench-report-"))
    try:
        print(
            f"{CASES} cases x {COMMITS} commits, median of {options.runs}; wall (CPU) seconds; "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        print(
            f"{'history':<9}{'lines':>8}{'report (text)':>17}{'report --html':>17}{'ratio':>7}{'page':>9}"
            f"{'browser load':>14}{'tooltip':>10}"
        )
        for shape in ("changes", "dense"):
            repo = make_repo(scratch, shape)
            lines = (repo / DS / "history.jsonl").read_text().count("\n")
            text = timed(repo, "report", runs=options.runs)
            page = repo / "report.html"
            html = timed(repo, "report", "--html", str(page), runs=options.runs)
            size = page.stat().st_size / 1e6
            browser = None if options.no_browser else browser_times(page, options.runs)
            load, hover = (f"{browser[0]:.2f} s", f"{browser[1] * 1000:.1f} ms") if browser else ("-", "-")
            print(
                f"{shape:<9}{lines:>8}{text[0]:>9.2f} ({text[1]:.2f}){html[0]:>9.2f} ({html[1]:.2f})"
                f"{html[0] / text[0]:>6.1f}x{size:>7.1f}MB{load:>14}{hover:>10}"
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
