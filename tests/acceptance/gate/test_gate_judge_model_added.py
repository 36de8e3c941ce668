"""A judge model configured in the same branch as its first llm_rubric case is a judge change like any other."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import commit_all
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
def consumer(git_repo: Path) -> Path:
    setup_consumer(git_repo)
    return on_a_branch_from_a_green_baseline(git_repo)


def add_model_and_first_rubric(repo: Path, judge: JudgeServer) -> None:
    toml = repo / "failgate.toml"
    toml.write_text(toml.read_text() + f'\n[judge.llm]\nbase_url = "{judge.base_url}"\nmodel = "judge-a"\n')
    cases = repo / DS / "cases.yaml"
    cases.write_text(cases.read_text().replace('      - contains: "ok 3"\n', '      - llm_rubric: "Says ok"\n'))
    commit_all(repo, "case 3 is judged by a judge model")


def test_a_new_judge_model_with_its_first_rubric_is_never_not_configured(consumer: Path, judge: JudgeServer) -> None:
    add_model_and_first_rubric(consumer, judge)
    result = failgate(consumer, "gate")
    assert "no judge model configured" not in result.stdout, result.stdout
    assert "AGTFAIL-0003: the base configures no judge model; judged by the branch's" in result.stdout
    assert "no judge_changed decision names this change" in result.stdout and result.returncode == 1


def test_control_with_its_decision_it_goes_through(consumer: Path, judge: JudgeServer) -> None:
    add_model_and_first_rubric(consumer, judge)
    done = failgate(consumer, "judge-change", "--reason", "first judge model", "--by", "dana@example.com")
    assert done.returncode == 0, done.stdout + done.stderr
    commit_all(consumer, "decided")
    result = failgate(consumer, "gate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "decided: judge judge_changed" in result.stdout and len(judge.requests) >= 1
