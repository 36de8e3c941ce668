"""`failgate renumber [ID...]`: the one-command fix for an id collision (issue 8).

Run while a merge, cherry-pick or rebase is stopped on a cases.yaml conflict
that the driver called an id collision. Reads the three versions from the
index's conflict stages and each side's history from HEAD and the incoming
commit, computes the new texts (`failgate.dataset.renumber`, pure), writes cases.yaml
and history.jsonl in one `Transaction` under the dataset lock, and stages
both — the files are then exactly what the commit should hold, so the user's
next command is `git commit` (or `--continue`). When cases.yaml still has
other conflicts, the file is written with their markers and nothing is staged.
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from failgate.dataset.model import CASES_FILE, HISTORY_FILE
from failgate.findings import FailgateError

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
                    exit_code=1,
                )
            return words[0], finish
    raise FailgateError(
        "nothing to renumber: no merge, cherry-pick or rebase is in progress. `failgate renumber` resolves an id "
        "collision that `git merge` (or cherry-pick / rebase) just reported in cases.yaml",
        exit_code=1,
    )


def _ids(directory: str, files: dict[str, bytes]) -> set[str]:
    from failgate.dataset.ids import ids_ever_used
    from failgate.dataset.model import REMOVED_FILE, WATCHLIST_FILE
    from failgate.dataset.parse import parse_dataset

    dataset = parse_dataset(
        directory,
        cases=files.get(CASES_FILE),
        removed=files.get(REMOVED_FILE),
        history=files.get(HISTORY_FILE),
        watchlist=files.get(WATCHLIST_FILE),
    )
    return ids_ever_used(dataset)


def run(only: tuple[str, ...]) -> int:
    from failgate.atomic import Transaction, locked
    from failgate.config import load_config
    from failgate.dataset.renumber import renumber
    from failgate.gitrepo import open_repo

    config = load_config()
    repo = open_repo(config.root)
    cleared = repo.clear_stale_lock()
    if cleared:
        click.echo(f"failgate: {cleared}", err=True)
    directory = repo.relpath(config.dataset_dir)
    prefix = f"{directory}/" if directory else ""
    cases_path, history_path = prefix + CASES_FILE, prefix + HISTORY_FILE
    theirs_rev, finish = _incoming(repo.git_dir)
    index = repo.staged_index()
    index.read()
    conflicts = index.conflicts
    stages = None
    if conflicts is not None:
        try:
            stages = conflicts[cases_path]
        except KeyError:
            stages = None
        try:
            conflicts[history_path]
            raise FailgateError(
                f"{history_path} is in conflict too; resolve it first (keep both sides' events, "
                f"`git add` it), then run `failgate renumber`",
                exit_code=1,
            )
        except KeyError:
            pass
    if stages is None:
        raise FailgateError(
            f"nothing to renumber: {cases_path} is not in conflict (it merged cleanly or is already resolved)",
            exit_code=1,
        )
    work_cases = config.dataset_dir / CASES_FILE
    if work_cases.is_file() and not re.search(rb"^<<<<<<< ", work_cases.read_bytes(), re.MULTILINE):
        # Resolved in the work tree but not staged: by hand, or by a renumber killed before it staged
        # (failgate.journal finished its writes). Renumbering again would renumber twice.
        raise FailgateError(
            f"{cases_path} is already resolved in the work tree but not staged (resolved by hand, or "
            f"by an earlier `failgate renumber` interrupted before staging): check it with `failgate "
            f"validate`, then `git add {cases_path} {history_path}` and `{finish}`",
            exit_code=1,
        )
    base, ours, theirs = (bytes(repo.repo[e.id].data) if e is not None else b"" for e in stages)
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
    for r in result.renamed:
        click.echo(
            f'renumbered theirs\' {r.old} "{r.title}" -> {r.new} (ours\' "{r.kept_title}" keeps {r.old}); '
            f"{r.events} {history_path} event(s) rewritten"
        )
    if not result.clean:
        click.echo(f"{cases_path} still has conflicts failgate cannot resolve:", err=True)
        for message in result.remaining:
            click.echo(f"  {message}", err=True)
        click.echo(f"Resolve the marked blocks, then `git add {cases_path} {history_path}` and `{finish}`.", err=True)
        return 1
    _remember_for_this_rebase({r.old: r.new for r in result.renamed})
    staged = [cases_path] + ([history_path] if work_history.is_file() else [])
    repo.stage(*staged)
    click.echo(f"staged {' and '.join(staged)}; finish with `{finish}` (then `failgate validate` passes)")
    return 0


def _remember_for_this_rebase(renamed: dict[str, str]) -> None:
    """In a rebase, the commits still to replay call the renamed case by its old id: the
    history driver reads this (in git's rebase state directory, removed with it) and
    files their events under the new id."""
    import json

    from failgate.merge import RENUMBERED, rebase_state_dir, renumbered_in_this_rebase

    state = rebase_state_dir()
    if state is None or not renamed:
        return
    from failgate.atomic import write_atomic

    write_atomic(state / RENUMBERED, json.dumps({**renumbered_in_this_rebase(), **renamed}, indent=2) + "\n")


@click.command("renumber")
@click.argument("only", nargs=-1, metavar="[ID]...")
def command(only: tuple[str, ...]) -> int:
    """Resolve an id collision in cases.yaml during a merge, cherry-pick or rebase: the incoming side's case
    gets the next free id, its history.jsonl events follow, both files are staged.

    Give IDs to renumber only those collisions (default: all)."""
    return run(only)
