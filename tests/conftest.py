from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# Locally, property tests explore new examples on every run (that is how they
# find bugs); in CI they replay a fixed sequence so a green main stays green
# and a red run is reproducible. `HYPOTHESIS_PROFILE=dev` opts CI out.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


TESTS = Path(__file__).resolve().parent
# The layout (tests/README.md): tests/unit runs in-process; everything else is
# acceptance. slow: the folders and files whose tests cost the most (consumer
# venvs, demo runs, pre-commit try-repo, the browser, the Action, pushes through every channel).
SLOW = (
    "acceptance/action/",
    "acceptance/consumer/",
    "acceptance/demo/",
    "acceptance/hooks/",
    "acceptance/packaging/",
    "acceptance/eval/agents/test_interpreter.py",
    "acceptance/gate/test_integrity.py",
    "acceptance/report/test_browser.py",
)


# Fixtures that hand a test a real git repository: a unit test asking for one
# belongs in tests/acceptance (tests/README.md, "Where a new test goes").
ACCEPTANCE_FIXTURES = frozenset({"git_repo", "scenarios"})


def misplaced_unit_test(relative: str, fixtures: list[str] | tuple[str, ...]) -> str | None:
    """Why a test at `relative` (below tests/) breaks the layout's rule, or None."""
    wanted = sorted(ACCEPTANCE_FIXTURES.intersection(fixtures))
    if relative.startswith("unit/") and wanted:
        return f"{relative} uses {', '.join(wanted)}: a test with a real git repository goes in tests/acceptance/"
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        try:
            relative = item.path.resolve().relative_to(TESTS).as_posix()
        except ValueError:  # a test file outside tests/ (pytest given another path)
            continue
        problem = misplaced_unit_test(relative, getattr(item, "fixturenames", ()))
        if problem:
            raise pytest.UsageError(problem)
        if not relative.startswith("unit/"):
            item.add_marker(pytest.mark.acceptance)
        if relative.startswith(SLOW):
            item.add_marker(pytest.mark.slow)


def no_git_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment without the GIT_* variables git exports inside hooks.

    Like pre-commit's `no_git_env`: a test run from inside a git hook would
    otherwise point every temporary repo at the outer repo's index.
    """
    env = dict(os.environ if env is None else env)
    keep = {"GIT_EXEC_PATH", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_SSL_CAINFO", "GIT_SSL_NO_VERIFY"}
    return {k: v for k, v in env.items() if not k.startswith("GIT_") or k in keep}


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, check=check, capture_output=True, text=True, env=no_git_env())


def rebase_continue(cwd: Path, *, check: bool = False) -> subprocess.CompletedProcess[str]:
    """`git rebase --continue` with the commit message kept (no editor)."""
    return subprocess.run(
        ["git", "rebase", "--continue"],
        cwd=cwd,
        check=check,
        capture_output=True,
        text=True,
        env={**no_git_env(), "GIT_EDITOR": "true"},
    )


def commit_all(cwd: Path, message: str = "commit") -> str:
    git(cwd, "add", "-A")
    git(cwd, "commit", "-q", "--no-verify", "--allow-empty", "-m", message)
    return git(cwd, "rev-parse", "HEAD").stdout.strip()


@pytest.fixture(autouse=True)
def _isolate_from_machine(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the developer's git config or a hook's GIT_* vars."""
    isolate_from_machine(monkeypatch, tmp_path_factory.mktemp("home"))


def isolate_from_machine(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """A HOME of our own with a known git identity, and no GIT_* of an enclosing hook."""
    home.mkdir(parents=True, exist_ok=True)
    for key in list(os.environ):
        if key.startswith("GIT_") and key not in {"GIT_SSL_CAINFO"}:
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Test Author\n\temail = author@example.com\n[init]\n\tdefaultBranch = main\n"
        '[protocol "file"]\n\tallow = always\n'
    )


@pytest.fixture(scope="session")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Expensive scenarios (a consumer repo with its remote and hooks...) built once, copied per test."""
    from scenarios import Scenarios

    return Scenarios(tmp_path_factory.mktemp("scenarios"), tmp_path_factory.mktemp("scenario-home"))


@pytest.fixture
def git_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A real, empty git repository as the current directory."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    monkeypatch.chdir(repo)
    yield repo


@pytest.fixture(scope="session")
def demo_judge() -> Any:
    """The bundled example's llm_rubric case needs a judge model: the demo's scripted
    one on 127.0.0.1, started once for the session."""
    from failgate.examples import support_bot_judge

    server = support_bot_judge.start()
    yield server
    server.stop()


def example_config(judge: Any) -> str:
    """failgate.toml for a copy of the bundled example: its agent and the scripted judge."""
    from failgate.examples.support_bot_judge import config_lines

    return 'agent = "failgate.examples.support_bot:run"\n' + config_lines(judge.base_url)


@pytest.fixture
def example_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_judge: Any) -> Path:
    """A copy of the bundled example dataset in `repo/` (not yet a git repository),
    configured with its agent and the scripted judge; the current directory."""
    import shutil

    root = tmp_path / "repo"
    (root / "evals").mkdir(parents=True)
    from failgate.demo.step_validate import RUNTIME_FILES

    shutil.copytree(
        Path(__file__).parents[1] / "src" / "failgate" / "examples" / "support-bot",
        root / "evals" / "failures",
        ignore=shutil.ignore_patterns(*RUNTIME_FILES),  # a lock the project's own hooks left there
    )
    (root / "failgate.toml").write_text(example_config(demo_judge))
    monkeypatch.chdir(root)
    monkeypatch.delenv("FAILGATE_DEMO_BUG", raising=False)
    return root
