"""A model swap behind llm_rubric is a judge change the gate sees, for the cases that use it only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import commit_all, git
from gate_repo import DS, failgate, on_a_branch_from_a_green_baseline, setup_consumer

from failgate.examples.judge_server import JudgeServer, Reply, rubric_and_reply, verdict


def says_ok(body: dict[str, Any]) -> Reply:
    _, reply = rubric_and_reply(body)
    return verdict("ok" in reply, "says ok" if "ok" in reply else "does not say ok")


@pytest.fixture
def judge() -> Iterator[JudgeServer]:
    with JudgeServer(says_ok) as server:
        yield server


@pytest.fixture
def consumer(git_repo: Path, judge: JudgeServer) -> Path:
    config = f'base_branch = "main"\n\n[judge.llm]\nbase_url = "{judge.base_url}"\nmodel = "judge-a"\n'
    setup_consumer(git_repo, config=config)
    cases = git_repo / DS / "cases.yaml"
    cases.write_text(cases.read_text().replace('      - contains: "ok 3"\n', '      - llm_rubric: "Says ok"\n'))
    commit_all(git_repo, "case 3 is judged by a judge model")
    on_a_branch_from_a_green_baseline(git_repo)
    return git_repo


def test_same_judge_model_passes_the_gate(consumer: Path, judge: JudgeServer) -> None:
    (consumer / "README.md").write_text("unrelated\n")
    commit_all(consumer, "docs")
    result = failgate(consumer, "gate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Judge changes" not in result.stdout
    assert len(judge.requests) == 1  # the baseline's verdict came back from the cache


def test_a_model_swap_on_the_branch_is_a_judge_change_it_pays_for(consumer: Path) -> None:
    toml = consumer / "failgate.toml"
    toml.write_text(toml.read_text().replace('model = "judge-a"', 'model = "judge-b"'))
    commit_all(consumer, "a cheaper judge model")
    result = failgate(consumer, "gate")
    assert result.returncode == 1, result.stdout
    assert "POLICY judge:" in result.stdout and '"judge-b"' in result.stdout  # listed for review
    assert "Judge change in this range: sha256:" in result.stdout and "judge settings" in result.stdout
    assert "failgate judge-change --reason" in result.stdout


def test_a_model_swap_that_reached_main_without_the_flow_is_one_note_not_a_block(consumer: Path) -> None:
    # The swap lands on main directly, without re-recording the baseline.
    git(consumer, "checkout", "-q", "main")
    toml = consumer / "failgate.toml"
    toml.write_text(toml.read_text().replace('model = "judge-a"', 'model = "judge-b"'))
    commit_all(consumer, "a cheaper judge model")
    swap = git(consumer, "rev-parse", "HEAD").stdout.strip()
    git(consumer, "checkout", "-q", "feature")
    git(consumer, "merge", "-q", "--ff-only", "main")
    (consumer / "README.md").write_text("unrelated\n")
    commit_all(consumer, "docs")
    result = failgate(consumer, "gate")
    assert result.returncode == 0, result.stdout
    assert "Judge changes against the baseline" not in result.stdout and "UNEXPLAINED" not in result.stdout
    (note,) = [line for line in result.stdout.splitlines() if line.startswith("Judge: ")]
    assert f"the judge changed on the base in {swap[:10]} without a judge_changed decision" in note
    assert "failgate judge-change" in note


def test_a_judge_that_is_down_fails_the_case_and_the_gate(consumer: Path, judge: JudgeServer) -> None:
    judge.decide = lambda body: Reply(status=503, raw=b"down")
    (consumer / "README.md").write_text("unrelated\n")
    commit_all(consumer, "docs")
    result = failgate(consumer, "eval", "--no-cache")
    assert result.returncode == 1 and "FAIL AGTFAIL-0003" in result.stdout and "HTTP 503" in result.stdout
    assert "1 judge call(s) FAILED" in result.stdout
