"""Where failgate keeps its caches: judge-model verdicts, validate's clean verdicts, the last
failures. Under the repository's git directory, which git never tracks, so that a cache file a
branch commits is never read and a CI checkout starts with none (the manual's "What the gate
trusts"). Read from the files (no pygit2): hooks pay only for what they use.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from failgate.dataset.model import CACHE_DIR

GIT_CACHE_DIR = "failgate-cache"


def cache_location(root: Path) -> Path:
    """Where failgate keeps its caches (judge-model verdicts, validate's clean verdicts, the
    last failures) for the project at `root`: under the repository's git directory, which git
    never tracks. A cache file a branch commits is then never read, and a CI checkout starts
    with none (the manual's "What the gate trusts"). Worktrees share their repository's common
    git directory, so the gate's temporary worktree reuses the checkout's verdicts. Outside a
    repository: `.failgate-cache/` in the project. Read from the files (no pygit2): hooks pay
    only for what they use."""
    start = Path(os.path.abspath(root))
    for candidate in (start, *start.parents):
        dotgit = candidate / ".git"
        if dotgit.is_dir():
            git_dir = dotgit
        elif dotgit.is_file():
            text = dotgit.read_text(encoding="utf-8", errors="replace").strip()
            if not text.startswith("gitdir:"):
                break
            git_dir = candidate / text[len("gitdir:") :].strip()
        else:
            continue
        common = git_dir / "commondir"
        if common.is_file():
            git_dir = git_dir / common.read_text(encoding="utf-8", errors="replace").strip()
        relative = start.relative_to(candidate).as_posix()
        # One project per configuration root: a monorepo's projects keep separate caches.
        project = "" if relative == "." else "-" + hashlib.sha256(relative.encode("utf-8")).hexdigest()[:12]
        return Path(os.path.normpath(git_dir / (GIT_CACHE_DIR + project)))
    return start / CACHE_DIR
