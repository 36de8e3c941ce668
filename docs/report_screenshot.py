"""Regenerate docs/report.png, the manual's screenshot (docs/reference/report.md) of `failgate report --html`.

    python docs/report_screenshot.py          # needs Chromium and Playwright (the test extra)

A made-up history: 30 cases over 60 recorded commits, with flips, a flaky
case, a removal and a deprecation, rendered and photographed at 1280x800
with one cell hovered.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from dataset_builder import MODES_V1_YAML  # noqa: E402
from gate_repo import DS, case_block, promoted  # noqa: E402

MODES = (
    "tool_invocation",
    "retrieval_miss",
    "hallucination",
    "multi_turn_drift",
    "refusal_overreach",
    "latency_breach",
    "blast_radius_breach",
)


def build(where: Path) -> Path:
    rng = random.Random(7)
    numbers = range(1, 31)
    header = "schema_version: 1\n" + MODES_V1_YAML + "cases:\n"
    blocks = []
    for n in numbers:
        block = case_block(n, severity=("P0", "P1", "P2", "P3")[n % 4], mode=MODES[n % len(MODES)])
        if n == 9:
            block = block.replace(
                "    status: active\n", "    status: deprecated\n    deprecated_reason: upstream API retired\n"
            )
        blocks.append(block)
    lines = [promoted(n) for n in numbers]
    state = {n: "fail" for n in numbers}
    serial = 0
    for commit in range(60):
        sha = f"{rng.getrandbits(160):040x}"
        ts = f"2026-{3 + commit // 20:02d}-{1 + commit % 20:02d}T09:00:00Z"
        for n in numbers:
            if n == 9 and commit > 30 or n == 30 and commit > 44:
                continue
            flip = commit == 0 or rng.random() < (0.25 if n == 14 else 0.03)
            if commit == 3:
                state[n] = "pass"
                flip = True
            elif flip:
                state[n] = "fail" if state[n] == "pass" else "pass"
            if flip:
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
                            "judge": "sha256:" + "3c" * 32,
                            "actor": "ci",
                        }
                    )
                    + "\n"
                )
        if commit == 30:
            lines.append(
                json.dumps(
                    {
                        "id": "01S0",
                        "ts": ts,
                        "case_id": "AGTFAIL-0009",
                        "type": "status_changed",
                        "actor": "dana",
                        "detail": {"from": "active", "to": "deprecated"},
                    }
                )
                + "\n"
            )
        if commit == 44:
            lines.append(
                json.dumps(
                    {
                        "id": "01X0",
                        "ts": ts,
                        "case_id": "AGTFAIL-0030",
                        "type": "removed",
                        "actor": "dana",
                        "detail": {"reason": "duplicate of AGTFAIL-0012"},
                    }
                )
                + "\n"
            )
    repo = where / "consumer"
    directory = repo / DS
    directory.mkdir(parents=True)
    (repo / "failgate.toml").write_text('agent = "nowhere:run"\n')
    (directory / "cases.yaml").write_text(header + "".join(b for n, b in zip(numbers, blocks) if n != 30))
    snapshot = "".join("      " + line[4:] + "\n" for line in blocks[-1].splitlines())
    (directory / "cases_removed.yaml").write_text(
        "schema_version: 1\nremoved:\n  - id: AGTFAIL-0030\n    removed_at: 2026-05-05\n    removed_by: dana\n"
        "    reason: duplicate of AGTFAIL-0012\n    case:\n" + snapshot
    )
    (directory / "history.jsonl").write_text("".join(lines))
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    return repo


def main() -> int:
    from playwright.sync_api import sync_playwright

    scratch = Path(tempfile.mkdtemp(prefix="failgate-shot-"))
    try:
        repo = build(scratch)
        page_path = repo / "report.html"
        subprocess.run(
            [sys.executable, "-m", "failgate", "report", "--html", str(page_path)],
            cwd=repo,
            check=True,
            capture_output=True,
        )
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
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=args)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(page_path.as_uri())
            page.locator('.row[data-case="AGTFAIL-0014"] .cells i').nth(22).hover()
            page.screenshot(path=str(ROOT / "docs" / "report.png"))
            browser.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(ROOT / "docs" / "report.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
