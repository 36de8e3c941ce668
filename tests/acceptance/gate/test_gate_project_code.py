"""A project-local redactor or embedder is the tree's code, known by its content.

The redactor decides what personal data intake keeps out of git; the embedder, which
failures it calls the same as a case. Neither changes a verdict, so a branch that edits
them is not refused, but the edit is listed among the policy changes at the top of every
report, with who and where, like a judge plugin's: by the content of the module and of
every module under the tree it imports, never by a version string (the package here
carries a `__version__` that stays the same).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import commit_all, git
from gate_channels import CHANNELS, World, attempt, make_world

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

PATTERNS = 'import re\nTICKET = re.compile(r"TCK-[0-9]+")\n'
GUTTED = 'import re\nTICKET = re.compile(r"(?!)")  # matches nothing\n'
CODE = {
    "redactor": "from shoppii.patterns import TICKET\n\n\ndef scrub(text):\n    return TICKET.sub('<TICKET>', text)\n",
    "embedder": "from shoppii.patterns import TICKET\n\n\ndef embed(texts):\n"
    "    return [[len(TICKET.findall(t)), len(t)] for t in texts]\n",
}
REF = {"redactor": "shoppii.scrub:scrub", "embedder": "shoppii.scrub:embed"}


@pytest.fixture(params=sorted(CODE))
def world(request: pytest.FixtureRequest, git_repo: Path, tmp_path: Path) -> tuple[World, str]:
    key = request.param
    world = make_world(
        git_repo, tmp_path, config=f'base_branch = "main"\n\n[intake]\n{key} = "{REF[key]}"\n', push=False
    )
    package = world.repo / "src" / "shoppii"  # a src layout: found where the import path finds it
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('__version__ = "2.1"\n')
    (package / "patterns.py").write_text(PATTERNS)
    (package / "scrub.py").write_text(CODE[key])
    commit_all(world.repo, f"a project-local {key}")
    pushed = git(world.repo, "push", "-q", "--no-verify", "-u", "origin", "main", check=False)
    assert pushed.returncode == 0, pushed.stderr
    return world, key


def test_gutting_a_module_the_project_code_imports_is_listed_with_who(world: tuple[World, str]) -> None:
    world_, key = world
    git(world_.repo, "checkout", "-q", "-B", "gutted", "main")
    (world_.repo / "src" / "shoppii" / "patterns.py").write_text(GUTTED)
    commit_all(world_.repo, "simplify the patterns")
    for channel in CHANNELS:
        refused, output = attempt(world_, channel, "gutted")
        assert not refused, f"{channel}:\n{output}"
        assert "Policy and agent changes in this range (1):" in output, f"{channel}:\n{output}"
        assert f"intake.{key}: '{REF[key]}' -> '{REF[key]}' by Test Author <author@example.com> in " in output
        assert "its code changed: src/shoppii/patterns.py" in output, output


def test_control_a_module_nobody_imports_is_no_change(world: tuple[World, str]) -> None:
    world_, _ = world
    git(world_.repo, "checkout", "-q", "-B", "unrelated", "main")
    (world_.repo / "src" / "shoppii" / "other.py").write_text("X = 1\n")
    commit_all(world_.repo, "another module nobody imports")
    for channel in CHANNELS:
        refused, output = attempt(world_, channel, "unrelated")
        assert not refused and "Policy and agent changes in this range: none" in output, f"{channel}:\n{output}"
