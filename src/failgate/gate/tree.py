"""Which commit the gate judges, and the tree it runs the agent in.

- Commit under test: `--rev`, else `PRE_COMMIT_TO_REF` (pre-commit's pre-push
  stage: the pushed commit, not the index, which pre-commit leaves holding
  staged-but-uncommitted changes), else HEAD -- said out loud when running
  as a pre-commit hook without the ref variables (`pre-commit run
  --hook-stage pre-push --all-files` sets none).
- When the work tree differs from the commit under test (or that commit is
  not HEAD), the eval runs in a temporary `git worktree add --detach` of it,
  removed afterwards: uncommitted edits neither hide nor cause a failure.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ZERO = "0" * 40


def choose_commit(repo: Any, rev: str | None) -> tuple[str, list[str]]:
    if rev:
        return repo.resolve(rev), []
    to_ref = os.environ.get("PRE_COMMIT_TO_REF")
    if to_ref and to_ref != ZERO:
        branch = os.environ.get("PRE_COMMIT_REMOTE_BRANCH") or "the remote"
        sha = repo.resolve(to_ref)
        return sha, [f"pre-push: judging the pushed commit {sha[:10]} (PRE_COMMIT_TO_REF) for {branch}, not the index"]
    head = repo.resolve("HEAD")
    if os.environ.get("PRE_COMMIT") == "1":
        return head, [
            "PRE_COMMIT_TO_REF is not set (e.g. `pre-commit run --hook-stage pre-push --all-files`): "
            f"judging HEAD ({head[:10]}) against the configured base instead"
        ]
    return head, []


@contextlib.contextmanager
def evaluation_tree(repo: Any, commit: str, notes: list[str]) -> Iterator[Path]:
    """The work tree to run the agent in: this one when it *is* the commit, else a temporary worktree."""
    head = repo.head_commit()
    dirty = repo.get_dirty_paths()
    if commit == head and not dirty:
        yield repo.workdir
        return
    if commit == head:
        notes.append(
            f"the work tree differs from {commit[:10]} ({len(dirty)} changed path(s), e.g. {dirty[0]}): "
            "evaluating a clean temporary worktree of the commit"
        )
    else:
        notes.append(f"{commit[:10]} is not the checked-out HEAD: evaluating a clean temporary worktree of it")
    with revision_tree(repo, commit) as tree:
        yield tree


@contextlib.contextmanager
def revision_tree(repo: Any, commit: str) -> Iterator[Path]:
    """A clean temporary worktree of `commit`, removed afterwards."""
    import shutil
    import tempfile

    holder = Path(tempfile.mkdtemp(prefix="failgate-gate-"))
    tree = holder / "tree"
    try:
        repo.add_worktree(commit, tree)
        yield tree
    finally:
        repo.remove_worktree(tree)
        shutil.rmtree(holder, ignore_errors=True)


@contextlib.contextmanager
def working_directory(path: Path) -> Iterator[None]:
    # An agent that reads files relative to its cwd must see the commit under test.
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def materialise_fixtures(repo: Any, commit: str, dataset_rel: str, cases: Sequence[Any], into: Path) -> None:
    """Retired cases run from their baseline definition, fixtures included: a removed case
    may have taken its fixture files with it."""
    for case in cases:
        raw = case.get("input") if isinstance(case.get("input"), dict) else {}
        fixtures = raw.get("fixtures")
        items = fixtures if isinstance(fixtures, list) else [fixtures] if fixtures else []
        cassette = raw.get("cassette")  # replayed from the base's recording, like its fixtures
        for item in [*items, cassette] if isinstance(cassette, str) else items:
            data = repo.get_content(commit, f"{dataset_rel}/{item}" if dataset_rel else str(item))
            if data is not None:
                target = into / str(item)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
