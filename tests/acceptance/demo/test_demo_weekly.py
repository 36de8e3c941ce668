"""The weekly-cycle demo step, as `failgate demo --step weekly` runs it: the week's failures pulled
from a real Phoenix (when installed; required in CI), a P0 flip routed to a webhook, the comment body."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from gate_repo import env
from store_servers import store_executable


def test_demo_weekly_step_pulls_routes_and_shows_the_comment() -> None:
    try:
        phoenix = str(store_executable("phoenix"))
    except pytest.skip.Exception:
        phoenix = None  # the step still routes and comments; it says how to get Phoenix
    extra = {"FAILGATE_PHOENIX": phoenix} if phoenix else {}
    environment = env(**extra)
    if not phoenix:
        environment.pop("FAILGATE_PHOENIX", None)
        environment["PATH"] = os.pathsep.join(
            p for p in environment["PATH"].split(os.pathsep) if not os.path.exists(os.path.join(p, "phoenix"))
        )
    result = subprocess.run(
        [sys.executable, "-m", "failgate", "demo", "--step", "weekly"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    if phoenix:
        assert "ingest --from 'phoenix+http://127.0.0.1:" in output and "wrote evals/failures/_intake/" in output
    else:
        assert "Arize Phoenix is not installed here" in output
    assert "notify: sent page: AGTFAIL-0001" in output
    assert "The webhook received one message: AGTFAIL-0001 (P0, irreversible_write" in output
    assert "<!-- failgate:gate-report -->" in output and "### Flips (passed at the baseline, fail now)" in output
