"""The gate's demo step, end to end, as `failgate demo --step gate` runs it (the first step sets up the repo)."""

from __future__ import annotations

import subprocess
import sys

from gate_repo import env


def test_demo_gate_step_blocks_the_deprecation_dodge(tmp_path: object) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "failgate", "demo", "--step", "gate"],
        env=env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "FLIP AGTFAIL-0001" in output and "deprecated in the range" in output
    assert "error: failed to push some refs" in output  # the branch push was refused
