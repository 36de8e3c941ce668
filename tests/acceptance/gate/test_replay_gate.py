"""Replay in the gate: a case with a cassette replays from the commit under test, its mutating
tool never executes, and a cassette edited on the branch is a redefinition run from the base's."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import commit_all, git
from replay_support import failgate, make_project, serving

pytest.importorskip("openai")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "REFUND_LEDGER": str(tmp_path / "refunds.txt"), "AGENT_BASE_URL": "http://127.0.0.1:9/v1"}


@pytest.fixture
def recorded(git_repo: Path, env: dict[str, str]) -> Path:
    dataset = make_project(git_repo)
    with serving() as server:
        proc = failgate(git_repo, "eval", "--record-cassettes", env={**env, "AGENT_BASE_URL": server.url})
        assert proc.returncode == 0, proc.stdout + proc.stderr
    Path(env["REFUND_LEDGER"]).unlink()
    commit_all(git_repo, "the refund case with its cassette")
    git(git_repo, "checkout", "-q", "-b", "feature")
    return dataset


def test_gate_replays_with_no_server_and_never_refunds(git_repo: Path, env: dict[str, str], recorded: Path) -> None:
    (git_repo / "README.md").write_text("docs\n")
    commit_all(git_repo, "an unrelated change")
    proc = failgate(git_repo, "gate", "--base", "main", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not Path(env["REFUND_LEDGER"]).exists()


def test_gate_catches_a_double_refund_without_a_model_or_a_refund(
    git_repo: Path, env: dict[str, str], recorded: Path
) -> None:
    text = (git_repo / "refundagent.py").read_text()
    (git_repo / "refundagent.py").write_text(text.replace("REFUNDS_PER_CALL = 1", "REFUNDS_PER_CALL = 2"))
    commit_all(git_repo, "refund per line item")
    proc = failgate(git_repo, "gate", "--base", "main", env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "AGTFAIL-0001" in proc.stdout
    assert "mutating tool issue_refund not executed under replay" in proc.stdout
    assert not Path(env["REFUND_LEDGER"]).exists()


def test_a_cassette_rerecorded_on_the_branch_is_run_from_the_base(
    git_repo: Path, env: dict[str, str], recorded: Path
) -> None:
    # The base recorded a pass. The branch changes the prompt and re-records the cassette to match:
    # its own definition replays clean, but the base's cassette diverges at step 1 and, with no
    # model reachable, fails: a flip of a redefined case, blocked until someone records a decision.
    git(git_repo, "checkout", "-q", "main")
    assert failgate(git_repo, "eval", "--record", env=env).returncode == 0
    commit_all(git_repo, "record the pass")
    git(git_repo, "checkout", "-q", "feature")
    git(git_repo, "merge", "-q", "main")
    text = (git_repo / "refundagent.py").read_text()
    (git_repo / "refundagent.py").write_text(text.replace("a careful support agent", "a terse support agent"))
    with serving() as server:
        proc = failgate(git_repo, "eval", "--record-cassettes", env={**env, "AGENT_BASE_URL": server.url})
        assert proc.returncode == 0, proc.stdout + proc.stderr
    Path(env["REFUND_LEDGER"]).unlink()
    commit_all(git_repo, "new prompt, new recording")
    now = failgate(git_repo, "eval", env=env)
    assert now.returncode == 0, now.stdout  # the branch's own definition replays clean
    proc = failgate(git_repo, "gate", "--base", "main", env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "its definition was changed in the range" in proc.stdout
    assert "replay diverged at step 1" in proc.stdout
    assert not Path(env["REFUND_LEDGER"]).exists()


def test_the_gate_page_says_what_replayed(git_repo: Path, env: dict[str, str], recorded: Path) -> None:
    text = (git_repo / "refundagent.py").read_text()
    (git_repo / "refundagent.py").write_text(text.replace("REFUNDS_PER_CALL = 1", "REFUNDS_PER_CALL = 2"))
    commit_all(git_repo, "refund per line item")
    page = git_repo / "gate.html"
    proc = failgate(git_repo, "gate", "--base", "main", "--html", str(page), env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    html = page.read_text()
    assert "replay: 1 diverged; model calls: 2 replayed, 0 live; 1 mutating tool call(s) not executed" in html
    assert "replay diverged at step 5 (tool issue_refund called where a model call was recorded)" in html


def test_the_pull_request_that_introduces_replay_never_refunds_in_the_gate(git_repo: Path, env: dict[str, str]) -> None:
    # The base has no [tool.failgate.replay] yet: the branch's tools are intercepted all the same.
    make_project(git_repo)
    config = (git_repo / "pyproject.toml").read_text()
    (git_repo / "pyproject.toml").write_text(config.split("[tool.failgate.replay]")[0])
    commit_all(git_repo, "the agent, before replay")
    git(git_repo, "checkout", "-q", "-b", "feature")
    (git_repo / "pyproject.toml").write_text(config)
    with serving() as server:
        proc = failgate(git_repo, "eval", "--record-cassettes", env={**env, "AGENT_BASE_URL": server.url})
        assert proc.returncode == 0, proc.stdout + proc.stderr
    Path(env["REFUND_LEDGER"]).unlink()
    commit_all(git_repo, "replay, with the refund case's cassette")
    proc = failgate(git_repo, "gate", "--base", "main", env=env)
    # Both tools were intercepted: every recorded step replayed (a tool left live shifts the steps).
    assert "replay: 1 replayed; model calls: 3 replayed, 0 live" in proc.stdout, proc.stdout
    assert not Path(env["REFUND_LEDGER"]).exists()
