"""What decides which code runs as the agent is listed as an agent change, with who and where.

`python` and `pythonpath` choose the interpreter and what it imports first: a
branch that puts an old copy of the agent first on `pythonpath`, or points
`python` at a wrapper, changes the code under test as surely as `agent` does.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import commit_all, git
from gate_channels import CHANNELS, World, attempt, make_world

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

OLD_COPY = "def run(inp):\n    return {'output': inp.get('say', '')}\n"


@pytest.fixture
def world(git_repo: Path, tmp_path: Path) -> World:
    return make_world(git_repo, tmp_path)


def listed_everywhere(world: World, name: str, *needles: str) -> None:
    for channel in CHANNELS:
        refused, output = attempt(world, channel, name)
        assert not refused, f"{channel}:\n{output}"
        for needle in needles:
            assert needle in output, f"{channel}: {needle!r} missing:\n{output}"


def test_an_old_copy_of_the_agent_first_on_pythonpath_is_listed(world: World) -> None:
    repo = world.repo
    git(repo, "checkout", "-q", "-B", "vendored", "main")
    (repo / "vendor").mkdir()
    (repo / "vendor" / "gateagent.py").write_text(OLD_COPY)
    toml = repo / "failgate.toml"
    toml.write_text(toml.read_text() + 'pythonpath = ["vendor"]\n')
    commit_all(repo, "vendor a copy")
    listed_everywhere(
        world,
        "vendored",
        "Policy and agent changes in this range (1):",
        'AGENT pythonpath: (unset) -> ["vendor"] by Test Author <author@example.com> in ',
        "(failgate.toml) (the gate judges the branch's agent",
    )


def test_a_python_wrapper_is_listed(world: World) -> None:
    repo = world.repo
    git(repo, "checkout", "-q", "-B", "wrapped", "main")
    toml = repo / "failgate.toml"
    import sys

    toml.write_text(toml.read_text() + f'python = "{sys.executable}"\n')
    commit_all(repo, "pin the interpreter")
    listed_everywhere(world, "wrapped", "AGENT python: (unset) -> ")


def test_control_the_same_code_without_touching_the_configuration_lists_nothing(world: World) -> None:
    repo = world.repo
    git(repo, "checkout", "-q", "-B", "plain", "main")
    (repo / "vendor").mkdir()
    (repo / "vendor" / "gateagent.py").write_text(OLD_COPY)
    commit_all(repo, "a copy nobody imports")
    listed_everywhere(world, "plain", "Policy and agent changes in this range: none")
