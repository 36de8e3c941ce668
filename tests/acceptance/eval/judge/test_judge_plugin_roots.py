"""Where a project-local judge lives, and whose copy of it decides the verdict.

- A plugin in a src layout (`src/<pkg>`) or under a configured `pythonpath` entry is the
  tree's code like one at the root: fingerprinted by content, so gutting a helper it
  imports is a judge change. It used to be looked up at the root only, and a plugin found
  nowhere there was fingerprinted by its installed version: the edit shipped as PASS.
- The blocking verdict is the base's judge, its plugin code included. A branch that edits
  the plugin *and* pays for the judge change with its decision still has its agent judged
  by the base's plugin code; the branch's only decides the comparison. It used to import
  the branch's plugin for both, so a gutted plugin with its decision let a broken agent
  through.

Each attack is tried through the real channels (pre-commit pre-push, hooks/pre-push, CI as
the server runs it) beside a control that goes through.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import commit_all, git
from gate_channels import CHANNELS, World, attempt, make_world, push
from gate_repo import DS, break_cases, failgate

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

HELPER = 'def needle():\n    return "ok 1"\n'
GUTTED = 'def needle():\n    return ""\n'  # every answer contains "": passes anything
PLUGIN = """\
from {package}.helper import needle


def check(case, response, options):
    return needle() in response.output, "needs " + repr(needle())
"""


def _world(git_repo: Path, tmp_path: Path, where: str, package: str, config: str, only_plugin: bool) -> World:
    world = make_world(git_repo, tmp_path, push=False, config='base_branch = "main"\n' + config)
    repo = world.repo
    code = repo / where / package
    code.mkdir(parents=True)
    (code / "__init__.py").write_text('__version__ = "1.0"\n')  # a version string must not stand for the code
    (code / "helper.py").write_text(HELPER)
    (code / "local.py").write_text(PLUGIN.format(package=package))
    rule = f'      - judge: {{use: "{package}.local:check"}}\n'
    cases = repo / DS / "cases.yaml"
    # only_plugin: case 1 is judged by the plugin alone, so the plugin is all that stands
    # between a broken agent and a pass.
    replacement = rule if only_plugin else '      - contains: "ok 1"\n' + rule
    cases.write_text(cases.read_text().replace('      - contains: "ok 1"\n', replacement, 1))
    commit_all(repo, "a project-local judge")
    recorded = failgate(repo, "eval", "--record")
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    commit_all(repo, "baseline")
    assert push(world, "precommit", "main", "-u").returncode == 0
    return world


@pytest.fixture
def src_world(git_repo: Path, tmp_path: Path) -> World:
    return _world(git_repo, tmp_path, "src", "shopjudges", "", only_plugin=False)


@pytest.fixture
def lib_world(git_repo: Path, tmp_path: Path) -> World:
    return _world(git_repo, tmp_path, "libs", "libjudges", 'pythonpath = ["libs"]\n', only_plugin=False)


@pytest.fixture
def plugin_only_world(git_repo: Path, tmp_path: Path) -> World:
    return _world(git_repo, tmp_path, "", "judges", "", only_plugin=True)


@pytest.mark.parametrize(
    ("fixture", "helper"),
    [("src_world", "src/shopjudges/helper.py"), ("lib_world", "libs/libjudges/helper.py")],
)
def test_gutting_a_helper_of_a_plugin_off_the_root_is_a_judge_change(
    fixture: str, helper: str, request: pytest.FixtureRequest
) -> None:
    world: World = request.getfixturevalue(fixture)
    git(world.repo, "checkout", "-q", "-B", "gutted", "main")
    (world.repo / helper).write_text(GUTTED)
    commit_all(world.repo, "simplify the helper")
    for channel in CHANNELS:
        refused, output = attempt(world, channel, "gutted")
        assert refused, f"{channel}:\n{output}"
        assert f"plugin code {helper}" in output and "failgate judge-change" in output, output


@pytest.mark.parametrize("fixture", ["src_world", "lib_world"])
def test_control_a_module_the_plugin_never_imports_is_no_judge_change(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    world: World = request.getfixturevalue(fixture)
    git(world.repo, "checkout", "-q", "-B", "unrelated", "main")
    package = "src/shopjudges" if fixture == "src_world" else "libs/libjudges"
    (world.repo / package / "other.py").write_text("X = 1\n")
    commit_all(world.repo, "another module nobody imports")
    for channel in CHANNELS:
        refused, output = attempt(world, channel, "unrelated")
        assert not refused and "Judge change in this range" not in output, f"{channel}:\n{output}"


def _pay_for_the_judge_change(world: World) -> None:
    result = failgate(world.repo, "judge-change", "--reason", "the helper was too strict", "--by", "dana@example.com")
    assert result.returncode == 0, result.stdout + result.stderr
    commit_all(world.repo, "decided: the judge change")


def test_a_gutted_plugin_with_its_decision_still_judges_the_agent_by_the_base_code(plugin_only_world: World) -> None:
    world = plugin_only_world
    git(world.repo, "checkout", "-q", "-B", "gutted", "main")
    (world.repo / "judges" / "helper.py").write_text(GUTTED)
    break_cases(world.repo, 1)  # the agent now answers "nope": only the base's plugin sees it
    commit_all(world.repo, "simplify the helper; a new agent path")
    _pay_for_the_judge_change(world)
    for channel in CHANNELS:
        refused, output = attempt(world, channel, "gutted")
        assert refused, f"{channel}:\n{output}"
        assert "AGTFAIL-0001" in output and "needs 'ok 1'" in output, output
        assert "the base's code" in output, output


def test_control_the_same_paid_judge_change_with_a_working_agent_goes_through(plugin_only_world: World) -> None:
    world = plugin_only_world
    git(world.repo, "checkout", "-q", "-B", "gutted-ok", "main")
    (world.repo / "judges" / "helper.py").write_text(GUTTED)
    commit_all(world.repo, "simplify the helper")
    _pay_for_the_judge_change(world)
    for channel in CHANNELS:
        refused, output = attempt(world, channel, "gutted-ok")
        assert not refused, f"{channel}:\n{output}"
        assert "judge_changed" in output, output


@pytest.mark.parametrize(("fixture", "helper"), [("src_world", "src/shopjudges/helper.py")])
def test_control_the_owner_command_pays_for_a_plugin_off_the_root(
    fixture: str, helper: str, request: pytest.FixtureRequest
) -> None:
    # `judge-change` reads the work tree as the gate reads a revision: the decision it writes
    # names the fingerprint the gate computes, so the paid change goes through.
    world: World = request.getfixturevalue(fixture)
    git(world.repo, "checkout", "-q", "-B", "paid", "main")
    (world.repo / helper).write_text(HELPER.replace('"ok 1"', '"ok"'))  # looser, still passes
    commit_all(world.repo, "loosen the helper")
    _pay_for_the_judge_change(world)
    for channel in CHANNELS:
        refused, output = attempt(world, channel, "paid")
        assert not refused, f"{channel}:\n{output}"
        assert f"plugin code {helper}" in output and "judge_changed" in output, output
