"""Replay end to end with the real `openai` SDK against an OpenAI-compatible server on 127.0.0.1:
record a cassette, stop the server, replay; a prompt change diverges at step 1; a tool dispatch
that refunds twice fails with no model call; the refund (mutating) never runs under replay."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from replay_support import case_report, failgate, make_project, serving

pytest.importorskip("openai")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "REFUND_LEDGER": str(tmp_path / "refunds.txt"), "AGENT_BASE_URL": "http://127.0.0.1:9/v1"}


def record(root: Path, env: dict[str, str]) -> int:
    with serving() as server:
        proc = failgate(
            root, "eval", "--record-cassettes", "--format", "json", env={**env, "AGENT_BASE_URL": server.url}
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return len(server.requests)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_record_then_replay_with_no_server_and_no_refund(git_repo: Path, env: dict[str, str]) -> None:
    dataset = make_project(git_repo)
    assert record(git_repo, env) == 3
    ledger = Path(env["REFUND_LEDGER"])
    assert ledger.read_text() == "8812\n"  # recording is a live run: the refund happened once
    assert "cassette: cassettes/AGTFAIL-0001.jsonl" in (dataset / "cases.yaml").read_text()
    lines = (dataset / "cassettes" / "AGTFAIL-0001.jsonl").read_text().splitlines()
    assert len(lines) == 1 + 3 + 2  # header, 3 model calls, 2 tool calls
    assert failgate(git_repo, "validate", env=env).returncode == 0

    ledger.unlink()
    proc = failgate(git_repo, "eval", "--format", "json", env=env)  # the server is gone
    assert proc.returncode == 0, proc.stdout + proc.stderr
    replay = case_report(proc)["replay"]
    assert replay["status"] == "replayed"
    assert replay["model_calls"] == {"replayed": 3, "live": 0}
    assert not ledger.exists()  # the mutating tool never executed

    # control: --live runs the agent for real, and without a server it fails
    live = failgate(git_repo, "eval", "--live", "--format", "json", env=env)
    assert live.returncode == 1
    assert "replay" not in case_report(live)


def test_prompt_change_diverges_at_step_1_and_goes_live_but_never_refunds(git_repo: Path, env: dict[str, str]) -> None:
    make_project(git_repo)
    record(git_repo, env)
    Path(env["REFUND_LEDGER"]).unlink()
    edit(git_repo / "refundagent.py", "You are a careful support agent.", "You are a terse support agent.")
    with serving() as server:
        proc = failgate(git_repo, "eval", "--format", "json", env={**env, "AGENT_BASE_URL": server.url})
        live_requests = len(server.requests)
    replay = case_report(proc)["replay"]
    assert replay["divergence"]["step"] == 1
    assert "model call: message 1 differs" in replay["describe"]
    assert replay["model_calls"]["live"] >= 1 and live_requests >= 1
    # the run went live up to the refund, which it refused to execute
    assert not Path(env["REFUND_LEDGER"]).exists()
    assert proc.returncode == 1
    assert "mutating tool issue_refund not executed under replay" in proc.stdout


def test_refunding_twice_fails_deterministically_with_no_model_call(git_repo: Path, env: dict[str, str]) -> None:
    make_project(git_repo)
    record(git_repo, env)
    Path(env["REFUND_LEDGER"]).unlink()
    edit(git_repo / "refundagent.py", "REFUNDS_PER_CALL = 1", "REFUNDS_PER_CALL = 2")
    outcomes = []
    for _ in range(2):
        proc = failgate(git_repo, "eval", "--format", "json", env=env)  # no server: no model call can happen
        report = case_report(proc)
        outcomes.append((proc.returncode, report["replay"]["describe"], report["reasons"]))
    assert outcomes[0] == outcomes[1]
    code, describe, reasons = outcomes[0]
    assert code == 1
    assert describe == "diverged at step 5 (tool issue_refund called where a model call was recorded)"
    assert report["replay"]["model_calls"] == {"replayed": 2, "live": 0}
    assert any("mutating tool issue_refund not executed under replay" in r for r in reasons)
    assert not Path(env["REFUND_LEDGER"]).exists()


def test_on_divergence_fail_fails_the_case_at_the_divergence(git_repo: Path, env: dict[str, str]) -> None:
    make_project(git_repo, replay='on_divergence = "fail"')
    record(git_repo, env)
    edit(git_repo / "refundagent.py", "You are a careful support agent.", "You are a terse support agent.")
    with serving() as server:
        proc = failgate(git_repo, "eval", "--format", "json", env={**env, "AGENT_BASE_URL": server.url})
        assert server.requests == []  # not even the first model call went out
    assert proc.returncode == 1
    assert "on_divergence = fail" in " ".join(case_report(proc)["reasons"])


def test_replay_in_the_out_of_process_worker_without_failgate_installed(git_repo: Path, env: dict[str, str]) -> None:
    """The consumer's interpreter (here: the base Python, with only the SDK's site-packages on its
    path) cannot import failgate: the worker loads the stdlib-only failgate_replay by path."""
    base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    if not base.exists() or Path(sys.base_prefix) == Path(sys.prefix):
        pytest.skip("needs a virtualenv over a base interpreter")
    site = next(p for p in sys.path if p.endswith("site-packages") and p.startswith(sys.prefix))
    worker_env = {**env, "PYTHONPATH": site}
    make_project(git_repo, python=f'python = "{base}"')
    record(git_repo, worker_env)
    Path(env["REFUND_LEDGER"]).unlink()
    proc = failgate(git_repo, "eval", "--format", "json", env=worker_env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert case_report(proc)["replay"]["model_calls"] == {"replayed": 3, "live": 0}
    assert not Path(env["REFUND_LEDGER"]).exists()
