"""The stochastic step of the demo, end to end, as `failgate demo --step stochastic` runs it."""

from __future__ import annotations

import subprocess
import sys

from gate_repo import env


def test_demo_stochastic_step_gates_by_the_record() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "failgate", "demo", "--step", "stochastic"],
        env=env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "19/20 at base \u2192 10/20 now (p = 0.00167)" in output  # the prompt change: a flip above the floor
    assert "18/20 now" in output and "holds" in output  # the control: within chance, the gate passes
