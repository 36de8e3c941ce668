"""A judge plugin in the tree is fingerprinted by its content, never by a version string.

A plugin inside a package with a `__version__` used to be fingerprinted by that
version: gutting the plugin, or a helper module it imports, shipped a
regression only it would see as PASS, with no judge change. Through the real
channels, such an edit is now a judge change the range must pay for.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import commit_all, git
from gate_channels import CHANNELS, World, attempt, make_world, push
from gate_repo import DS, failgate

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

HELPER = 'def needle():\n    return "ok 1"\n'
PLUGIN = """\
from judges.helper import needle


def check(case, response, options):
    return needle() in response.output, "needs " + needle()
"""


@pytest.fixture
def world(git_repo: Path, tmp_path: Path) -> World:
    world = make_world(git_repo, tmp_path, push=False)
    repo = world.repo
    (repo / "judges").mkdir()
    (repo / "judges" / "__init__.py").write_text('__version__ = "1.0"\n')
    (repo / "judges" / "helper.py").write_text(HELPER)
    (repo / "judges" / "local.py").write_text(PLUGIN)
    cases = repo / DS / "cases.yaml"
    text = cases.read_text().replace(
        '      - contains: "ok 1"\n', '      - contains: "ok 1"\n      - judge: {use: "judges.local:check"}\n'
    )
    cases.write_text(text)
    commit_all(repo, "a project-local judge in a versioned package")
    assert failgate(repo, "eval", "--record").returncode == 0
    commit_all(repo, "baseline")
    assert push(world, "precommit", "main", "-u").returncode == 0
    return world


def test_gutting_a_helper_the_plugin_imports_is_a_judge_change(world: World) -> None:
    git(world.repo, "checkout", "-q", "-B", "gutted", "main")
    (world.repo / "judges" / "helper.py").write_text('def needle():\n    return ""\n')  # passes anything
    commit_all(world.repo, "simplify the helper")
    for channel in CHANNELS:
        refused, output = attempt(world, channel, "gutted")
        assert refused, f"{channel}:\n{output}"
        assert "plugin code judges/helper.py" in output and "failgate judge-change" in output, output


def test_control_an_unrelated_module_in_the_package_is_no_judge_change(world: World) -> None:
    git(world.repo, "checkout", "-q", "-B", "unrelated", "main")
    (world.repo / "judges" / "other.py").write_text("X = 1\n")
    commit_all(world.repo, "another module nobody imports")
    for channel in CHANNELS:
        refused, output = attempt(world, channel, "unrelated")
        assert not refused and "Judge change in this range" not in output, f"{channel}:\n{output}"


def _forget_judges() -> None:
    import sys

    from failgate.eval.judge.plugins import _CACHE

    _CACHE.clear()
    for name in [m for m in sys.modules if m == "judges" or m.startswith("judges.")]:
        del sys.modules[name]


def test_the_case_fingerprint_follows_the_content_not_the_version(world: World) -> None:
    from failgate.eval.judge.plugins import load_judge

    repo = world.repo
    try:
        first = load_judge("judges.local:check", str(repo)).version
        assert first.startswith("tree+sha256:")
        _forget_judges()
        (repo / "judges" / "helper.py").write_text('def needle():\n    return ""\n')
        assert load_judge("judges.local:check", str(repo)).version != first
    finally:
        _forget_judges()
