"""`failgate demo --step replay` tells the truth: the step asserts what it narrates (a flapping case,
20/20 replays, no refund, the divergence point of a prompt change) and fails loudly otherwise."""

from __future__ import annotations

import subprocess
import sys

from gate_repo import env


def test_demo_replay_step() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "failgate", "demo", "--step", "replay"],
        env=env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "replay: 1 replayed; model calls: 20 replayed, 0 live" in output
    assert "diverged at step 1 (model call: message 1 differs)" in output
    assert "mutating tool issue_refund not executed under replay" in output
