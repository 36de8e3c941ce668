"""The CLI only parses, calls one use case and renders (ARCHITECTURE.md, "Rules that
hold across areas"): a command module opens no repository, loads no configuration,
takes no lock and writes no file itself, and returns exit codes by name
(`failgate.exit_codes`). Read from the source with `ast`; the commands that other
work is changing now (gate, eval, ingest, promote) are not held to it yet."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from failgate import exit_codes

COMMANDS = Path(__file__).resolve().parents[2] / "src" / "failgate" / "commands"
NOT_YET = {"gate", "eval", "ingest", "promote"}
# What only a use case does: the configuration, the repository, the lock, the writes.
ORCHESTRATION = {"load_config", "open_repo", "locked", "Transaction", "write_atomic", "open_atomic", "repo_root"}


def problems(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name in ORCHESTRATION:
                found.append(f"line {node.lineno}: calls {name}")
            for keyword in node.keywords:
                if keyword.arg == "exit_code" and isinstance(keyword.value, ast.Constant):
                    found.append(f"line {node.lineno}: exit_code={keyword.value.value!r}")
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Constant) and type(node.value.value) is int:
            found.append(f"line {node.lineno}: return {node.value.value}")
    return sorted(found, key=lambda problem: int(problem.split()[1].rstrip(":")))


@pytest.mark.parametrize(
    "path", [p for p in sorted(COMMANDS.glob("*.py")) if p.stem not in NOT_YET | {"__init__"}], ids=lambda p: p.stem
)
def test_a_command_only_parses_calls_and_renders(path: Path) -> None:
    assert problems(path.read_text(encoding="utf-8")) == []


def test_the_check_sees_orchestration_and_bare_exit_codes() -> None:
    good = "def command() -> int:\n    outcome = use_case()\n    return OK if outcome else PROBLEM\n"
    assert problems(good) == []
    bad = (
        "def command() -> int:\n"
        "    config = load_config()\n"
        "    with locked(config.dataset_dir):\n"
        "        raise FailgateError('x', exit_code=2)\n"
        "    return 1\n"
    )
    assert problems(bad) == [
        "line 2: calls load_config",
        "line 3: calls locked",
        "line 4: exit_code=2",
        "line 5: return 1",
    ]


def test_the_exit_codes_are_the_contract() -> None:
    assert (exit_codes.OK, exit_codes.PROBLEM, exit_codes.USAGE) == (0, 1, 2)
