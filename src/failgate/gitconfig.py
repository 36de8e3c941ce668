"""Writing this clone's git config through the `git config` command.

Merge-driver registration is three `git config` keys per driver. The git
module over pygit2 (`failgate.gitrepo`) reads objects; writing config is left
to git itself so that includes, worktrees (`config.worktree`) and file locking
behave exactly as git users expect.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from failgate.exit_codes import USAGE
from failgate.findings import FailgateError


def _env() -> dict[str, str]:
    # Inside a hook git exports GIT_DIR, GIT_INDEX_FILE & co.; keep GIT_DIR
    # and GIT_WORK_TREE (they name the repo we were called for) but drop the
    # rest, which would otherwise leak into unrelated repos.
    keep = {"GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_CONFIG_NOSYSTEM", "GIT_EXEC_PATH"}
    return {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in keep}


def _git(args: list[str], cwd: Path | None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, env=_env(), capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise FailgateError("git is not installed or not on PATH", exit_code=USAGE) from None


def repo_root(cwd: Path | None = None) -> Path:
    result = _git(["rev-parse", "--show-toplevel"], cwd)
    if result.returncode != 0:
        where = cwd or Path.cwd()
        raise FailgateError(f"{where} is not inside a git work tree; run this in your repository", exit_code=USAGE)
    return Path(result.stdout.strip())


def get_local(key: str, cwd: Path | None = None) -> str | None:
    result = _git(["config", "--local", "--get", key], cwd)
    return result.stdout.rstrip("\n") if result.returncode == 0 else None


def set_local(key: str, value: str, cwd: Path | None = None) -> bool:
    """Set `key` in this clone's config; returns True when it changed."""
    if get_local(key, cwd) == value:
        return False
    result = _git(["config", "--local", key, value], cwd)
    if result.returncode != 0:
        raise FailgateError(f"git config {key} failed: {result.stderr.strip()}", exit_code=USAGE)
    return True
