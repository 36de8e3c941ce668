"""What a new user reads is true: the README's set-up lines work as typed, the demo and ingest say what happened.

Found by following the README on a fresh Debian machine: `pre-commit autoupdate --freeze` exited 127 (the
adoption steps never installed pre-commit), `pip install` refused Debian's system Python (nothing said "in a
virtual environment"); ingest called candidates that look like each other "like an existing case"; the demo
said a cap dropped candidates when none was dropped and pointed at pages it had already deleted; the HTML
page's dataset-size chart left hand-written cases out.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from gate_repo import env

README = Path(__file__).resolve().parents[3] / "README.md"


def section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else len(text)]


def shell_lines(text: str) -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    return [line.split("#")[0].strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_the_adoption_steps_install_every_command_they_run() -> None:
    lines = shell_lines(section("Adopt it in your repository"))
    installs = [i for i, line in enumerate(lines) if line.startswith("pip install")]
    uses = [i for i, line in enumerate(lines) if line.startswith("pre-commit ")]
    assert installs and uses, lines
    assert "pre-commit" in lines[installs[0]].split() and installs[0] < uses[0], lines


def test_the_set_up_makes_a_virtual_environment_before_installing() -> None:
    lines = shell_lines(section("Set up a fresh machine"))
    venv = next(i for i, line in enumerate(lines) if "-m venv" in line)
    assert venv < next(i for i, line in enumerate(lines) if "pip install" in line)
    assert "virtual environment" in section("Adopt it in your repository")


def test_the_readme_no_longer_calls_judge_check_a_command_to_come() -> None:
    assert "judge-check` is not a command yet" not in README.read_text()


def funnel(likely: list[str | None]) -> str:
    from failgate.commands.ingest import funnel_text
    from failgate.intake.pipeline import Candidate, IngestResult, Neighbour
    from failgate.intake.traces.model import ReadStats

    result = IngestResult(traces=len(likely), failed=len(likely))
    for number, ref in enumerate(likely, 1):
        same = Neighbour(ref, 0.97, "hallucination", "t", "o") if ref else None
        result.candidates.append(Candidate(number, None, "text", [], same))  # type: ignore[arg-type]
    return funnel_text(result, ReadStats(), limit=50, share=0.3, since=None)


def test_ingest_tells_a_likely_existing_case_from_a_likely_sibling_candidate() -> None:
    text = funnel([None, "candidate 1", "candidate 1"])
    row = next(line for line in text.splitlines() if line.startswith("new candidates"))
    assert "like an existing case" not in row and "2 like another candidate in this file" in row
    mixed = next(line for line in funnel(["AGTFAIL-0003", "candidate 1"]).splitlines() if "new candidates" in line)
    assert "1 look like an existing case, 1 like another candidate in this file" in mixed  # control


def demo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "failgate", "demo", *args], env=env(), capture_output=True, text=True, timeout=600
    )


def test_the_demo_points_at_pages_only_when_it_keeps_them() -> None:
    kept = demo("--step", "report", "--keep")
    assert kept.returncode == 0, kept.stdout + kept.stderr
    match = re.search(r"Open them in a browser: (\S+) and (\S+)\.", kept.stdout.replace("\n", " "))
    assert match, kept.stdout
    repo = re.search(r"The demo repository is kept: (\S+)", kept.stdout)
    try:
        assert Path(match.group(1)).is_file() and Path(match.group(2)).is_file()
    finally:
        if repo:
            shutil.rmtree(Path(repo.group(1)).parent, ignore_errors=True)
    gone = demo("--step", "report")
    assert gone.returncode == 0 and "Open them in a browser" not in gone.stdout
    assert "failgate demo --keep` keeps" in gone.stdout.replace("\n", " ")


def test_the_demo_says_a_cap_dropped_candidates_only_when_the_funnel_did() -> None:
    result = demo("--step", "intake")
    out = result.stdout.replace("\n", " ")
    assert result.returncode == 0, result.stdout + result.stderr
    funnel_dropped = "; dropped " in result.stdout
    assert ("the cap on one intent's share dropped" in out) == funnel_dropped
    assert ("no intent went over its share" in out) == (not funnel_dropped)


def test_the_size_chart_counts_hand_written_cases(tmp_path: Path) -> None:
    from failgate.report.timeline import build_timeline

    cases: list[dict[str, Any]] = [
        {"id": f"AGTFAIL-{n:04d}", "title": "t", "failure_mode": "hallucination", "status": "active"} for n in (1, 2, 3)
    ]
    events = [
        {"case_id": "AGTFAIL-0003", "type": "promoted", "ts": "2026-05-01T00:00:00Z"},
        {"case_id": "AGTFAIL-0001", "type": "result", "outcome": "pass", "commit": "c1", "ts": "2026-05-02T00:00:00Z"},
    ]
    timeline = build_timeline(events, cases=cases)
    assert timeline.sizes[-1].active == 3, timeline.sizes  # 1 promoted + 2 written by hand
    control = build_timeline(events[:1], cases=cases[2:])
    assert [p.active for p in control.sizes] == [1]  # only promoted cases: unchanged
