"""`failgate renumber [ID...]`, the use case: the one-command fix for an id collision.

Run while a merge, cherry-pick or rebase is stopped on a cases.yaml conflict that the
driver called an id collision. Reads the three versions from the index's conflict
stages and each side's history from HEAD and the incoming commit, computes the new
texts (`failgate.merge.renumber`, pure), writes cases.yaml and history.jsonl in one
`Transaction` under the dataset lock, and stages both — the files are then exactly
what the commit should hold, so the user's next command is `git commit` (or
`--continue`). When cases.yaml still has other conflicts, the file is written with
their markers and nothing is staged.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from pathlib import Path

from failgate.atomic import locked, write_atomic
from failgate.config import load_config
from failgate.dataset.ids import ids_ever_used
from failgate.dataset.model import CASES_FILE, HISTORY_FILE, REMOVED_FILE, WATCHLIST_FILE
from failgate.dataset.parse import parse_dataset
from failgate.exit_codes import PROBLEM
from failgate.findings import FailgateError
from failgate.gitrepo import open_repo
from failgate.merge import RENUMBERED, rebase_state_dir, renumbered_in_this_rebase
from failgate.merge.renumber import Renamed, renumber
from failgate.transaction import Transaction


@dataclasses.dataclass(frozen=True)
class Renumbered:
    renamed: list[Renamed]
    clean: bool  # no other conflict remains in cases.yaml: both files are staged
    remaining: list[str]  # the conflicts renumbering does not solve
    cases_path: str  # as git names them
    history_path: str
    finish: str  # the command that finishes the operation (`git commit`, `git rebase --continue`, ...)
    staged: list[str]


# The ref naming the incoming side, per operation, and the command that finishes it.
OPERATIONS = (
    ("MERGE_HEAD", "git commit"),
    ("CHERRY_PICK_HEAD", "git cherry-pick --continue"),
    ("REBASE_HEAD", "git rebase --continue"),
)


def _incoming(git_dir: Path) -> tuple[str, str]:
    for name, finish in OPERATIONS:
        head = git_dir / name
        if head.is_file():
            if name == "REBASE_HEAD" and not any((git_dir / d).is_dir() for d in ("rebase-merge", "rebase-apply")):
                continue  # left over from a finished rebase
            words = head.read_text(encoding="utf-8", errors="replace").split()
            if not words:
                operation = name[: -len("_HEAD")].lower().replace("_", "-")
                raise FailgateError(
                    f"{head} is empty (an interrupted {operation}?): finish it (`{finish}`) or "
                    f"abort it (`git {operation} --abort`), then start it again",
                    exit_code=PROBLEM,
                )
            return words[0], finish
    raise FailgateError(
        "nothing to renumber: no merge, cherry-pick or rebase is in progress. `failgate renumber` resolves an id "
        "collision that `git merge` (or cherry-pick / rebase) just reported in cases.yaml",
        exit_code=PROBLEM,
    )


def _ids(directory: str, files: dict[str, bytes]) -> set[str]:
    dataset = parse_dataset(
        directory,
        cases=files.get(CASES_FILE),
        removed=files.get(REMOVED_FILE),
        history=files.get(HISTORY_FILE),
        watchlist=files.get(WATCHLIST_FILE),
    )
    return ids_ever_used(dataset)


def renumber_conflict(only: tuple[str, ...]) -> Renumbered:
    """Renumber theirs' colliding cases (`only` those ids, when given), write cases.yaml
    and history.jsonl in one transaction and, when no other conflict remains, stage both."""
    config = load_config()
    repo = open_repo(config.root)
    cleared = repo.clear_stale_lock()
    if cleared:
        # Said at once, like the lock's waiting notice: whatever renumbering finds next, the user
        # learns that failgate removed a lock (and why it was failgate's own).
        sys.stderr.write(f"failgate: {cleared}\n")
    directory = repo.relpath(config.dataset_dir)
    prefix = f"{directory}/" if directory else ""
    cases_path, history_path = prefix + CASES_FILE, prefix + HISTORY_FILE
    theirs_rev, finish = _incoming(repo.git_dir)
    if repo.get_conflict_stages(history_path) is not None:
        raise FailgateError(
            f"{history_path} is in conflict too; resolve it first (keep both sides' events, "
            f"`git add` it), then run `failgate renumber`",
            exit_code=PROBLEM,
        )
    stages = repo.get_conflict_stages(cases_path)
    if stages is None:
        raise FailgateError(
            f"nothing to renumber: {cases_path} is not in conflict (it merged cleanly or is already resolved)",
            exit_code=PROBLEM,
        )
    work_cases = config.dataset_dir / CASES_FILE
    if work_cases.is_file() and not re.search(rb"^<<<<<<< ", work_cases.read_bytes(), re.MULTILINE):
        # Resolved in the work tree but not staged: by hand, or by a renumber killed before it staged
        # (failgate.journal finished its writes). Renumbering again would renumber twice.
        raise FailgateError(
            f"{cases_path} is already resolved in the work tree but not staged (resolved by hand, or "
            f"by an earlier `failgate renumber` interrupted before staging): check it with `failgate "
            f"validate`, then `git add {cases_path} {history_path}` and `{finish}`",
            exit_code=PROBLEM,
        )
    base, ours, theirs = stages
    work_history = config.dataset_dir / HISTORY_FILE
    used = (
        _ids(directory, repo.read_tree_files("HEAD", directory))
        | _ids(directory, repo.read_tree_files(theirs_rev, directory))
        | _ids(
            directory,
            {
                name: (config.dataset_dir / name).read_bytes()
                for name in (HISTORY_FILE,)
                if (config.dataset_dir / name).is_file()
            },
        )
        | _ids(directory, {CASES_FILE: base})
    )
    with locked(config.dataset_dir):
        history = work_history.read_text(encoding="utf-8") if work_history.is_file() else ""
        result = renumber(
            base=base,
            ours=ours,
            theirs=theirs,
            history=history,
            ours_history=(repo.get_blob("HEAD", history_path) or b"").decode("utf-8", "replace"),
            theirs_history=(repo.get_blob(theirs_rev, history_path) or b"").decode("utf-8", "replace"),
            used=used,
            only=only,
            path=cases_path,
        )
        transaction = Transaction(config.dataset_dir)
        transaction.write(config.dataset_dir / CASES_FILE, result.cases)
        if result.history != history:
            transaction.write(work_history, result.history)
        transaction.commit()
    staged: list[str] = []
    if result.clean:
        _remember_for_this_rebase({r.old: r.new for r in result.renamed})
        staged = [cases_path] + ([history_path] if work_history.is_file() else [])
        repo.stage(*staged)
    return Renumbered(result.renamed, result.clean, result.remaining, cases_path, history_path, finish, staged)


def _remember_for_this_rebase(renamed: dict[str, str]) -> None:
    """In a rebase, the commits still to replay call the renamed case by its old id: the
    history driver reads this (in git's rebase state directory, removed with it) and
    files their events under the new id."""
    state = rebase_state_dir()
    if state is None or not renamed:
        return
    write_atomic(state / RENUMBERED, json.dumps({**renumbered_in_this_rebase(), **renamed}, indent=2) + "\n")
