"""Which Python runs the consumer's agent, and what it imports first.

failgate itself often runs in an environment that is not the consumer's:
pre-commit installs a `language: python` hook into a venv of its own (and sets
`VIRTUAL_ENV` to it), where `import shopbot` fails. So the agent runs in the
interpreter the consumer uses, chosen in this order:

1. `[tool.failgate] python = "..."` (a path, relative to the project root,
   or a command name on PATH);
2. `$VIRTUAL_ENV`, unless it is failgate's own environment or one of
   pre-commit's hook environments (both are failgate's, not the consumer's);
3. `.venv/` or `venv/` at the project root (or at the repository's top);
4. the interpreter failgate runs in.

Import path: the code under test must shadow an editable install of the
same package. `pip install -e .` leaves a `.pth` entry (or a path-hook
finder, appended after the path finder) pointing at the working checkout, so a
temporary worktree of another commit would still import the checkout's code.
Entries at the front of `sys.path` (PYTHONPATH for a subprocess) win over
both: `[tool.failgate] pythonpath`, then the tree's `src/`, then the tree's root.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from failgate.dotted import import_paths
from failgate.findings import FailgateError

VENV_DIRS = (".venv", "venv")


@dataclasses.dataclass(frozen=True)
class AgentPython:
    executable: str
    source: str  # how it was chosen, said in every report
    in_process: bool  # it is the interpreter failgate runs in: the agent is imported directly
    import_paths: tuple[str, ...] = ()  # put first on sys.path / PYTHONPATH

    def describe(self) -> str:
        return f"{self.executable} ({self.source})"

    def env(self, base: Mapping[str, str]) -> dict[str, str]:
        """The environment of an agent subprocess: the code under test first on
        PYTHONPATH, and no VIRTUAL_ENV pointing at an environment it is not."""
        env = dict(base)
        existing = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        env["PYTHONPATH"] = os.pathsep.join([*self.import_paths, *existing])
        venv = venv_of(Path(self.executable))
        if venv is not None:
            env["VIRTUAL_ENV"] = str(venv)
        else:
            env.pop("VIRTUAL_ENV", None)
        return env


def _python_in(venv: Path) -> Path | None:
    for candidate in (venv / "bin" / "python", venv / "Scripts" / "python.exe"):
        if candidate.is_file():
            return candidate
    return None


def venv_of(executable: Path) -> Path | None:
    """The virtualenv an interpreter path belongs to (`<venv>/bin/python`), if any.
    Symlinks are not followed: a venv's python links to the base interpreter."""
    directory = Path(os.path.abspath(executable)).parent.parent
    return directory if (directory / "pyvenv.cfg").is_file() else None


def _same_dir(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _pre_commit_homes(environ: Mapping[str, str]) -> list[Path]:
    homes = []
    if environ.get("PRE_COMMIT_HOME"):
        homes.append(Path(environ["PRE_COMMIT_HOME"]))
    cache = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    homes.append(Path(cache) / "pre-commit")
    return homes


def is_failgates_own(venv: Path, environ: Mapping[str, str]) -> bool:
    """failgate's own environment, or a pre-commit hook environment (the hook sets
    VIRTUAL_ENV to it): neither is where the consumer installed the agent."""
    if _same_dir(venv, Path(sys.prefix)):
        return True
    try:
        resolved = venv.resolve()
    except OSError:
        return False
    return any(resolved.is_relative_to(home.resolve()) for home in _pre_commit_homes(environ) if home.exists())


def _configured(value: str, root: Path) -> Path:
    path = Path(value).expanduser()
    if not path.is_absolute() and (os.sep in value or "/" in value):
        path = root / path
    elif not path.is_absolute():
        found = shutil.which(value)
        if found is None:
            raise FailgateError(f"[tool.failgate] python = {value!r}: no such command on PATH", exit_code=2)
        return Path(found)
    if path.is_dir():  # a venv directory instead of its interpreter
        inner = _python_in(path)
        if inner is not None:
            return inner
    if not path.is_file():
        raise FailgateError(
            f"[tool.failgate] python = {value!r}: {path} does not exist "
            "(give the interpreter of the environment the agent is installed in)",
            exit_code=2,
        )
    return path


def _own(executable: Path) -> bool:
    if os.path.abspath(executable) == os.path.abspath(sys.executable):
        return True
    venv = venv_of(executable)
    return venv is not None and _same_dir(venv, Path(sys.prefix))


def find_python(
    root: Path, configured: str | None, environ: Mapping[str, str] | None = None, top: Path | None = None
) -> tuple[Path, str]:
    """(interpreter, how it was chosen); `top` is the repository's top when the
    project root is a subdirectory of it."""
    environ = os.environ if environ is None else environ
    if configured:
        return _configured(configured, root), "[tool.failgate] python"
    virtual_env = environ.get("VIRTUAL_ENV")
    if virtual_env and not is_failgates_own(Path(virtual_env), environ):
        inner = _python_in(Path(virtual_env))
        if inner is not None:
            return inner, "$VIRTUAL_ENV"
    for directory in dict.fromkeys([root, top or root]):
        for name in VENV_DIRS:
            inner = _python_in(directory / name)
            if inner is not None and not is_failgates_own(directory / name, environ):
                return inner, f"{name}/ at the {'project root' if directory == root else 'repository top'}"
    return Path(sys.executable), "the interpreter failgate runs in"


def agent_python(
    *,
    python_root: Path,
    code_root: Path,
    python: str | None = None,
    pythonpath: Sequence[str] | None = None,
    top: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> AgentPython:
    """`python_root`: the consumer's checkout (where its untracked venv lives);
    `code_root`: the tree whose code is under test (a temporary worktree in the gate)."""
    executable, source = find_python(python_root, python, environ, top)
    return AgentPython(str(executable), source, _own(executable), import_paths(code_root, pythonpath))


def _repository_top(start: Path) -> Path | None:
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return None


def for_config(config: Any, *, code_root: Path | None = None, python_root: Path | None = None) -> AgentPython:
    """From `[tool.failgate] python` and `pythonpath`; `code_root` defaults to the
    project root (the gate passes its temporary worktree's)."""
    python_root = python_root or config.root
    return agent_python(
        python_root=python_root,
        code_root=code_root or config.root,
        python=config.get("python"),
        pythonpath=config.get("pythonpath"),
        top=_repository_top(python_root),
    )
