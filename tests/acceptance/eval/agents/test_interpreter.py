"""Which Python runs the agent, and what it imports first (failgate.eval.agents.interpreter)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from failgate.eval.agents import AgentRequest, build_agent
from failgate.eval.agents.interpreter import AgentPython, agent_python, find_python, import_paths
from failgate.findings import FailgateError


def fake_venv(path: Path) -> Path:
    (path / "bin").mkdir(parents=True)
    (path / "pyvenv.cfg").write_text("home = /usr/bin\n")
    python = path / "bin" / "python"
    python.write_text("")
    return python


def test_the_configured_python_wins(tmp_path: Path) -> None:
    python = fake_venv(tmp_path / "envs" / "agent")
    fake_venv(tmp_path / ".venv")
    assert find_python(tmp_path, "envs/agent/bin/python", {}) == (python, "[tool.failgate] python")
    assert find_python(tmp_path, "envs/agent", {}) == (python, "[tool.failgate] python")  # the venv itself
    with pytest.raises(FailgateError, match="does not exist"):
        find_python(tmp_path, "envs/nope/bin/python", {})


def test_pre_commits_virtual_env_is_not_the_consumers(tmp_path: Path) -> None:
    """Attack: inside a `language: python` hook VIRTUAL_ENV is pre-commit's hook env
    (under PRE_COMMIT_HOME), which lacks the agent. Control: the consumer's own
    activated venv is taken."""
    home = tmp_path / "pre-commit-home"
    fake_venv(home / "repoabc" / "py_env-python3")
    consumer = fake_venv(tmp_path / "consumer-env")
    project_venv = fake_venv(tmp_path / "project" / ".venv")
    environ = {"PRE_COMMIT_HOME": str(home), "VIRTUAL_ENV": str(home / "repoabc" / "py_env-python3")}
    assert find_python(tmp_path / "project", None, environ) == (project_venv, ".venv/ at the project root")
    # The default cache location counts too, without PRE_COMMIT_HOME.
    cache = tmp_path / "cache"
    fake_venv(cache / "pre-commit" / "repoxyz" / "py_env-python3")
    environ = {"XDG_CACHE_HOME": str(cache), "VIRTUAL_ENV": str(cache / "pre-commit" / "repoxyz" / "py_env-python3")}
    assert find_python(tmp_path / "project", None, environ)[1] == ".venv/ at the project root"
    # control
    environ = {"PRE_COMMIT_HOME": str(home), "VIRTUAL_ENV": str(consumer.parent.parent)}
    assert find_python(tmp_path / "project", None, environ) == (consumer, "$VIRTUAL_ENV")


def test_failgates_own_env_is_not_taken_for_the_consumers(tmp_path: Path) -> None:
    project_venv = fake_venv(tmp_path / "venv")
    assert find_python(tmp_path, None, {"VIRTUAL_ENV": sys.prefix}) == (project_venv, "venv/ at the project root")


def test_fallback_is_failgates_interpreter_in_process(tmp_path: Path) -> None:
    python = agent_python(python_root=tmp_path, code_root=tmp_path, environ={})
    assert (python.executable, python.source, python.in_process) == (
        sys.executable,
        "the interpreter failgate runs in",
        True,
    )
    other = agent_python(python_root=tmp_path, code_root=tmp_path, python=str(fake_venv(tmp_path / "e")), environ={})
    assert other.in_process is False


def test_repository_top_venv_when_the_project_is_a_subdirectory(tmp_path: Path) -> None:
    top_venv = fake_venv(tmp_path / ".venv")
    (tmp_path / "agent").mkdir()
    assert find_python(tmp_path / "agent", None, {}, tmp_path) == (top_venv, ".venv/ at the repository top")


def test_import_paths_put_the_tree_first(tmp_path: Path) -> None:
    assert import_paths(tmp_path) == (str(tmp_path),)  # flat layout
    (tmp_path / "src").mkdir()
    assert import_paths(tmp_path) == (str(tmp_path / "src"), str(tmp_path))
    assert import_paths(tmp_path, ["libs/a", "libs/b"]) == (
        str(tmp_path / "libs/a"),
        str(tmp_path / "libs/b"),
        str(tmp_path / "src"),
        str(tmp_path),
    )


def _package(root: Path, says: str) -> None:
    package = root / "src" / "shadowpkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "agent.py").write_text(f"def run(inp):\n    return {{'output': {says!r}}}\n")


def test_the_tree_shadows_an_editable_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An editable install puts the checkout on the agent's import path; the tree under test
    (the gate's temporary worktree) must win. Control: without the tree's paths,
    the checkout's code is what runs -- the bug this prevents."""
    import dataclasses

    checkout, tree = tmp_path / "checkout", tmp_path / "tree"
    _package(checkout, "checkout's code")
    _package(tree, "tree's code")
    monkeypatch.setenv("PYTHONPATH", str(checkout / "src"))  # on the path, like a .pth line

    def answer(python: AgentPython) -> str:
        agent = build_agent(root=tree, agent="shadowpkg.agent:run", python=python)
        try:
            return str(agent.call(AgentRequest("AGTFAIL-0001", {})).raw["output"])
        finally:
            agent.close()

    chosen = agent_python(python_root=tree, code_root=tree, environ={})
    assert answer(dataclasses.replace(chosen, import_paths=())) == "checkout's code"  # control
    assert answer(chosen) == "tree's code"


def test_python_and_pythonpath_come_from_the_configuration(tmp_path: Path) -> None:
    from failgate.config import load_config
    from failgate.eval.agents.interpreter import for_config

    python = fake_venv(tmp_path / "envs" / "agent")
    (tmp_path / "failgate.toml").write_text('agent = "a:b"\npython = "envs/agent"\npythonpath = ["libs/core", "."]\n')
    chosen = for_config(load_config(tmp_path))
    assert (chosen.executable, chosen.source, chosen.in_process) == (str(python), "[tool.failgate] python", False)
    assert chosen.import_paths == (str(tmp_path / "libs/core"), str(tmp_path))  # "." is the root: once
    (tmp_path / "failgate.toml").write_text('agent = "a:b"\npythonpath = "libs"\n')
    with pytest.raises(FailgateError) as caught:
        load_config(tmp_path)
    assert "pythonpath" in str(caught.value.findings or caught.value)


def test_the_worker_script_imports_only_the_standard_library() -> None:
    """It runs in the consumer's Python, where failgate is usually not installed."""
    import ast

    from failgate.eval.agents.callable_process import WORKER_SCRIPT

    tree = ast.parse(WORKER_SCRIPT.read_text())
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    imported |= {
        node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported and imported <= set(sys.stdlib_module_names), imported - set(sys.stdlib_module_names)


def test_an_agent_command_starting_with_python_gets_the_agents_interpreter(tmp_path: Path) -> None:
    """Inside a pre-commit hook, `python` on PATH is the hook's venv; `python` in
    agent_command means the agent's interpreter. Control: another program is left alone."""
    other = tmp_path / "elsewhere" / "python"
    other.parent.mkdir()
    os.symlink(os.path.realpath(sys.executable), other)
    (tmp_path / "worker.py").write_text(
        "import json, sys\nfor line in sys.stdin:\n"
        "    print(json.dumps({'id': json.loads(line)['id'], 'output': sys.executable}), flush=True)\n"
    )
    python = agent_python(python_root=tmp_path, code_root=tmp_path, python=str(other), environ={})
    for command, expected in (
        (["python", "worker.py"], str(other)),
        ([os.path.realpath(sys.executable), "worker.py"], os.path.realpath(sys.executable)),
    ):
        agent = build_agent(root=tmp_path, agent_command=command, python=python)
        try:
            assert agent.call(AgentRequest("AGTFAIL-0001", {}, timeout_s=30)).raw["output"] == expected
        finally:
            agent.close()


def test_async_and_dataclass_agents_in_another_interpreter(tmp_path: Path) -> None:
    other = tmp_path / "elsewhere" / "python"
    other.parent.mkdir()
    os.symlink(os.path.realpath(sys.executable), other)
    (tmp_path / "asyncagent.py").write_text(
        "import asyncio, dataclasses\n\n@dataclasses.dataclass\nclass Reply:\n    output: str\n\n"
        "async def run(inp):\n    await asyncio.sleep(0)\n    return Reply(f\"async {inp['n']}\")\n\n"
        "def plain(inp):\n    return 'just text'\n"
    )
    python = agent_python(python_root=tmp_path, code_root=tmp_path, python=str(other), environ={})
    for ref, expected in (("asyncagent:run", {"output": "async 7"}), ("asyncagent:plain", {"output": "just text"})):
        agent = build_agent(root=tmp_path, agent=ref, python=python, jobs=2)
        try:
            assert agent.interpreter == f"{other} ([tool.failgate] python)"  # type: ignore[attr-defined]
            assert agent.call(AgentRequest("AGTFAIL-0001", {"n": 7}, timeout_s=30)).raw == expected
        finally:
            agent.close()
