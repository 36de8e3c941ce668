"""failgate in a real consumer repository, as a new user meets it (see consumer_project).

Real `pre-commit install`, real commits and pushes to a local bare remote; the
hooks run in pre-commit's own venv, the agent in the consumer's `.venv/`.
Run alone with `python -m pytest -m consumer`.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator

import pytest
from consumer_project import AGENT, BUGGY_AGENT, Consumer, create_consumer

pytestmark = pytest.mark.consumer


@pytest.fixture(scope="session")
def consumer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Consumer]:
    yield create_consumer(tmp_path_factory.mktemp("consumer"))


def pushed(consumer: Consumer, branch: str) -> tuple[int, str]:
    result = consumer.run("git", "push", "-u", "origin", branch)
    return result.returncode, result.stdout + result.stderr


def test_the_consumer_venv_has_the_agent_and_failgate_does_not(consumer: Consumer) -> None:
    """The setup this file relies on: shopdeps imports only in the consumer's venv,
    and failgate is not installed there (its worker must run without it)."""
    probe = (
        "import importlib.util as u; print(u.find_spec('shopdeps') is not None, u.find_spec('failgate') is not None)"
    )
    assert consumer.run(str(consumer.python), "-c", probe, check=True).stdout.split() == ["True", "False"]
    assert (
        consumer.run(
            "python", "-c", "import importlib.util as u; print(u.find_spec('shopdeps'))", check=True
        ).stdout.strip()
        == "None"
    )


def test_the_fmt_hook_fixed_the_hand_written_cases_then_the_commit_passed(consumer: Consumer) -> None:
    fixed, passed = consumer.first_commit
    first, second = fixed.stdout + fixed.stderr, passed.stdout + passed.stderr  # git hands hook output to stderr
    assert fixed.returncode == 1, first
    assert "failgate fmt" in first and "files were modified by this hook" in first
    assert "AGTFAIL-0001: added input_hash" in first
    assert passed.returncode == 0, second
    for hook in ("failgate fmt", "failgate validate", "failgate check-ledger"):
        assert re.search(re.escape(hook) + r"\.+Passed", second), second


def test_pre_push_gate_runs_the_agent_in_the_consumers_venv(consumer: Consumer) -> None:
    """pre-commit runs failgate-gate in its own venv, where `import shopdeps` fails
    (a passing hook prints nothing: passing at all means the agent ran). Control:
    a real failure shows the report, which names the consumer's interpreter."""
    consumer.start_branch("feature-green")
    (consumer.root / "README.md").write_text("the shop\n")
    consumer.git("add", "-A")
    consumer.git("commit", "-q", "-m", "docs")
    code, out = pushed(consumer, "feature-green")
    assert code == 0 and "failgate gate" in out and "Passed" in out, out
    consumer.write_agent(BUGGY_AGENT)
    consumer.git("commit", "-q", "-am", "new wording")
    code, out = pushed(consumer, "feature-green")
    assert code != 0, out
    assert f"agent: shopbot.evals:run in {consumer.python} (.venv/ at the project root)" in out
    assert "FAIL AGTFAIL-0001" in out and "I cannot help with that." in out


def test_a_staged_bug_does_not_fail_a_clean_commit(consumer: Consumer) -> None:
    """Attack: the agent is broken in the index only. pre-commit's pre-push run stashes
    only unstaged changes, so the work tree (where the editable install points) holds
    the bug while the hook runs. The pushed commit is clean: the gate judges it in a
    temporary worktree whose code shadows the editable install, and passes."""
    consumer.start_branch("feature-staged-bug")
    (consumer.root / "CHANGELOG").write_text("nothing yet\n")
    consumer.git("add", "-A")
    consumer.git("commit", "-q", "-m", "changelog")
    consumer.write_agent(BUGGY_AGENT)
    consumer.git("add", "-A")  # staged, not committed
    code, out = pushed(consumer, "feature-staged-bug")
    assert code == 0, out
    # The same without pre-commit (a manual or CI run), with the bug unstaged: passes, and says why.
    consumer.git("reset", "-q")
    gated = consumer.failgate("gate")
    assert gated.returncode == 0, gated.stdout + gated.stderr
    assert "evaluating a clean temporary worktree" in gated.stdout
    assert f"in {consumer.python} (.venv/ at the project root)" in gated.stdout
    # control: the bug, evaluated in the work tree, does fail
    evaluated = consumer.failgate("eval")
    assert evaluated.returncode == 1, evaluated.stdout + evaluated.stderr
    assert f"agent's Python: {consumer.python}" in evaluated.stdout


def test_a_staged_fix_does_not_hide_a_committed_bug(consumer: Consumer) -> None:
    """Attack: the bug is committed, and the index holds the fix; the gate must judge
    the commit and refuse the push. Control: once the fix is committed, the push
    goes through."""
    consumer.start_branch("feature-committed-bug")
    consumer.write_agent(BUGGY_AGENT)
    consumer.git("add", "-A")
    consumer.git("commit", "-q", "-m", "new wording")
    consumer.write_agent(AGENT)
    consumer.git("add", "-A")  # the fix, staged, not committed
    code, out = pushed(consumer, "feature-committed-bug")
    assert code != 0, out
    assert "FAIL AGTFAIL-0001" in out and "evaluating a clean temporary worktree" in out
    consumer.git("commit", "-q", "-m", "fix the wording")
    code, out = pushed(consumer, "feature-committed-bug")
    assert code == 0, out


def test_eval_runs_in_the_consumers_venv_even_from_failgates_own(consumer: Consumer) -> None:
    """failgate installed elsewhere (here: the test's venv, as with pipx) still runs the
    agent where shopdeps is installed, and says which interpreter."""
    consumer.start_branch("eval-only")
    result = consumer.failgate("eval", "--case", "AGTFAIL-0002", "--show")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "| shop says: hello 2" in result.stdout
    assert f"agent's Python: {consumer.python} (.venv/ at the project root)" in result.stdout


def test_a_missing_dependency_is_a_configuration_error_naming_the_interpreter(consumer: Consumer) -> None:
    consumer.start_branch("wrong-python")
    config = consumer.root / "pyproject.toml"
    # The base interpreter: neither failgate nor shopdeps is installed there.
    config.write_text(config.read_text() + f'python = "{os.path.realpath(sys.executable)}"\n')
    result = consumer.failgate("eval")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "cannot load agent 'shopbot.evals:run'" in result.stderr
    assert "ModuleNotFoundError" in result.stderr and "Traceback (most recent call last)" in result.stderr
