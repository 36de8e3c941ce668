"""The judge-model demo step, end to end, as `failgate demo --step llm_judge` runs it."""

from __future__ import annotations

import subprocess
import sys

from gate_repo import env


def test_demo_llm_judge_step_judges_grades_and_records(tmp_path: object) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "failgate", "demo", "--step", "llm_judge"],
        env=env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "judge model: 1 call(s), 0 verdict(s) from the cache" in output
    assert "judge model: 0 call(s), 1 verdict(s) from the cache" in output
    assert "FAIL AGTFAIL-0025" in output and "which the rubric rules out" in output
    assert "PASS: agreement 0.900 >= floor 0.9" in output and "appended a judge_graded event" in output
    assert "points base_url at its own model" in output
