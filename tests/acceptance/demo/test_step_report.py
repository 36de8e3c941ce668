"""The report's demo step, as `failgate demo --step report` runs it (it runs the gate step first)."""

from __future__ import annotations

import subprocess
import sys

from gate_repo import env


def test_demo_report_step_writes_both_pages() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "failgate", "demo", "--step", "report"],
        env=env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # Without --keep the pages go with the demo repository: the demo says so instead of pointing at them.
    assert "Both pages go with the demo repository when the demo ends" in output
