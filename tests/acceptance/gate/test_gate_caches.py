"""Caches live where git cannot track them: a committed cache entry is never read.

A branch that commits `.failgate-cache/llm-verdicts/` entries flipped to pass
would make a gate that reads caches from the checkout skip the judge model
(CI's fresh clone included). The caches are under the repository's git
directory instead (`config.cache_location`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import commit_all, git
from gate_channels import CHANNELS, World, attempt, make_world, push
from gate_repo import DS, break_cases, failgate

from failgate.examples.judge_server import JudgeServer, Reply, rubric_and_reply, verdict

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def says_ok(body: dict[str, Any]) -> Reply:
    _, reply = rubric_and_reply(body)
    return verdict("ok" in reply, "says ok" if "ok" in reply else "does not say ok")


@pytest.fixture
def judge() -> Iterator[JudgeServer]:
    with JudgeServer(says_ok) as server:
        yield server


@pytest.fixture
def world(git_repo: Path, tmp_path: Path, judge: JudgeServer) -> World:
    config = f'base_branch = "main"\n\n[judge.llm]\nbase_url = "{judge.base_url}"\nmodel = "judge-a"\n'
    world = make_world(git_repo, tmp_path, config=config, push=False)
    cases = world.repo / DS / "cases.yaml"
    cases.write_text(cases.read_text().replace('      - contains: "ok 3"\n', '      - llm_rubric: "Says ok"\n'))
    commit_all(world.repo, "case 3 is judged by a judge model")
    assert failgate(world.repo, "eval", "--record").returncode == 0
    commit_all(world.repo, "baseline")
    assert push(world, "precommit", "main", "-u").returncode == 0
    return world


def cached_verdicts(repo: Path) -> list[Path]:
    from failgate.config import cache_location

    places = [repo / ".failgate-cache" / "llm-verdicts", cache_location(repo) / "llm-verdicts"]
    return sorted({p for place in places for p in place.glob("*/*.json")})


def test_a_committed_verdict_flipped_to_pass_is_never_read(world: World, judge: JudgeServer) -> None:
    git(world.repo, "checkout", "-q", "-B", "planted", "main")
    repo = world.repo
    break_cases(repo, 3)
    commit_all(repo, "case 3 regresses")
    assert failgate(repo, "eval").returncode == 1  # the judge model says fail, and that verdict is cached
    fails = [p for p in cached_verdicts(repo) if not json.loads(p.read_text())["passed"]]
    assert fails, "the judge's fail verdict was not cached"
    for entry in fails:
        planted = repo / ".failgate-cache" / "llm-verdicts" / entry.parent.name / entry.name
        planted.parent.mkdir(parents=True, exist_ok=True)
        planted.write_text(json.dumps({"passed": True, "reason": "says ok"}))
    git(repo, "add", "-f", ".failgate-cache")
    commit_all(repo, "a cache, committed")
    for channel in CHANNELS:
        refused, output = attempt(world, channel, "planted")
        assert refused and "FLIP AGTFAIL-0003" in output, f"{channel}:\n{output}"


def test_control_an_honest_branch_with_a_judged_case_goes_through(world: World) -> None:
    git(world.repo, "checkout", "-q", "-B", "honest", "main")
    (world.repo / "NOTES.md").write_text("unrelated\n")
    commit_all(world.repo, "docs")
    for channel in CHANNELS:
        refused, output = attempt(world, channel, "honest")
        assert not refused, f"{channel}:\n{output}"


def test_caches_are_under_the_git_directory_and_shared_by_worktrees(git_repo: Path, tmp_path: Path) -> None:
    from failgate.config import cache_location

    (git_repo / "README.md").write_text("x\n")
    commit_all(git_repo, "init")
    assert cache_location(git_repo) == git_repo / ".git" / "failgate-cache"
    other = tmp_path / "other-worktree"
    git(git_repo, "worktree", "add", "-q", "--detach", str(other))
    assert cache_location(other) == git_repo / ".git" / "failgate-cache"
    (git_repo / "sub").mkdir()
    assert cache_location(git_repo / "sub").parent == git_repo / ".git"
    assert cache_location(git_repo / "sub") != cache_location(git_repo)
    outside = tmp_path / "no-repo"
    outside.mkdir()
    assert cache_location(outside) == outside / ".failgate-cache"
