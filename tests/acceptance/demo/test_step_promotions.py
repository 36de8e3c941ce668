"""The concurrent-promotions demo step, end to end, as `failgate demo --step promotions` runs it."""

from __future__ import annotations

import subprocess
import sys

from conftest import no_git_env


def test_demo_promotions_step_merges_cleanly_then_fixes_a_collision_in_one_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "failgate", "demo", "--step", "promotions"],
        env=no_git_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Auto-merging evals/failures/cases.yaml\n  Merge made by" in output  # the clean merge
    assert "id collision: AGTFAIL-" in output and "was given to two different cases" in output
    assert "$ failgate renumber\n  renumbered theirs' AGTFAIL-" in output
    assert "check-ledger: ok" in output
