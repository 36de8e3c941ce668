"""A fixture that is a symbolic link inside the repository is judged by what it points at."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import commit_all, git
from gate_channels import World, make_world, push
from gate_repo import DS, failgate

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def world(git_repo: Path, tmp_path: Path) -> World:
    """Case 1 reads fixtures/order.json, where `fixtures` is a link to a shared folder of the repository."""
    world = make_world(git_repo, tmp_path, push=False)
    repo = world.repo
    (repo / "shared").mkdir()
    (repo / "shared" / "order.json").write_text('{"order": 1}\n')
    os.symlink("../../shared", repo / DS / "fixtures")
    cases = repo / DS / "cases.yaml"
    text = cases.read_text().replace(
        '      say: "ok 1"\n', '      say: "ok 1"\n      fixtures:\n        - fixtures/order.json\n', 1
    )
    cases.write_text(text)
    commit_all(repo, "case 1 reads a linked fixture")
    assert failgate(repo, "fmt").returncode in (0, 1)
    commit_all(repo, "fmt")
    assert failgate(repo, "eval", "--record").returncode == 0
    commit_all(repo, "baseline")
    assert push(world, "precommit", "main", "-u").returncode == 0
    return world


def test_editing_the_target_of_a_linked_fixture_is_a_redefinition(world: World) -> None:
    git(world.repo, "checkout", "-q", "-B", "edit-target", "main")
    (world.repo / "shared" / "order.json").write_text('{"order": 2}\n')
    commit_all(world.repo, "touch the shared fixture")
    result = failgate(world.repo, "gate", "--format", "json")
    data = json.loads(result.stdout)
    assert data["redefined"] == [{"id": "AGTFAIL-0001", "changed": ["fixtures"]}], result.stdout + result.stderr


def test_control_an_unrelated_file_in_the_shared_folder_is_no_redefinition(world: World) -> None:
    git(world.repo, "checkout", "-q", "-B", "other", "main")
    (world.repo / "shared" / "other.json").write_text("{}\n")
    commit_all(world.repo, "another shared file")
    result = failgate(world.repo, "gate", "--format", "json")
    assert json.loads(result.stdout)["redefined"] == [], result.stdout + result.stderr


def test_retiring_a_case_whose_fixtures_folder_is_a_link_is_not_refused(world: World) -> None:
    git(world.repo, "checkout", "-q", "-B", "retire", "main")
    cases = world.repo / DS / "cases.yaml"
    cases.write_text(
        cases.read_text().replace(
            "    status: active\n", "    status: deprecated\n    deprecated_reason: obsolete\n", 1
        )
    )
    commit_all(world.repo, "retire case 1")
    result = failgate(world.repo, "gate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "AGTFAIL-0001 deprecated" in result.stdout
