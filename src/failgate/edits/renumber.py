"""`failgate renumber [ID...]`, the use case: the one-command fix for an id collision.

Run while a merge, cherry-pick or rebase is stopped on a cases.yaml conflict that the
driver called an id collision. Reads the three versions from the index's conflict
stages and each side's history from HEAD and the incoming commit, computes the new
texts (`failgate.merge.renumber`, pure), writes cases.yaml and history.jsonl in one
`Transaction` under the dataset lock, and stages both — the files are then exactly
what the commit should hold, so the user's next command is `git commit` (or
`--continue`). When cases.yaml still has other conflicts, the file is written with
their markers and nothing is staged.

A renamed case's cassette moves with it (`failgate.merge.cassettes`): theirs' recording,
read from theirs' revision, lands at the new id's path with its header renamed, ours'
file goes back to what HEAD holds, all in the same transaction and staged with the rest.

Both sides renumbered (`failgate.merge.crossed`): when the two sides hold the same
events filed under crossed case ids, the command keeps one numbering instead of
minting a third. The numbering the base branch (`base_branch`, origin/main) already
published wins, since published lines are never rewritten; else ours, since HEAD's
lines are committed and the pre-commit ledger check refuses an edit of them. When the
published numbering is theirs, no commit of this merge can satisfy both rules, so it
refuses, writes nothing, and names the way out: abort, then rebase onto the base branch
(the rebased commits have one parent each, and the renumbering merge is dropped).
"""

from __future__ import annotations

import dataclasses
import json
import posixpath
import re
import sys
from pathlib import Path
from typing import Any

from failgate.atomic import locked, write_atomic
from failgate.config import load_config
from failgate.dataset.cassette import cassette_ref, default_path, path_problem
from failgate.dataset.ids import ids_ever_used
from failgate.dataset.model import CASES_FILE, HISTORY_FILE, REMOVED_FILE, WATCHLIST_FILE
from failgate.dataset.parse import parse_dataset
from failgate.exit_codes import PROBLEM
from failgate.findings import FailgateError
from failgate.gitrepo import GitRepo, open_repo
from failgate.merge import RENUMBERED, rebase_state_dir, renumbered_in_this_rebase
from failgate.merge.cassettes import CassetteMove, crossed_recording, moved_ref, plan_move, sharers
from failgate.merge.crossed import CROSSED, Crossing, CrossingError, cases_by_id, event_pairs, find_crossing
from failgate.merge.renumber import Renamed, Renumbering, renumber, renumber_crossed
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
    crossing: Crossing | None = None  # both sides had renumbered: theirs' ids were refiled under ours'
    refiled: int = 0  # theirs' history.jsonl lines refiled
    kept_because: str = ""  # why ours' numbering is the one kept
    cassettes: tuple[CassetteMove, ...] = ()  # theirs' recordings that followed their case's new id
    directory: str = ""  # the dataset directory as git names it (cassette paths are relative to it)
    kept_cassettes: tuple[str, ...] = ()  # both sides renumbered: ours' recordings kept under ours' numbering


# The ref naming the incoming side, per operation, and the command that finishes it.
OPERATIONS = (
    ("MERGE_HEAD", "git commit"),
    ("CHERRY_PICK_HEAD", "git cherry-pick --continue"),
    ("REBASE_HEAD", "git rebase --continue"),
)


def _operation(finish: str) -> str:
    """`merge`, `cherry-pick` or `rebase`, from the command that finishes it."""
    return "merge" if finish == "git commit" else finish.split()[1]


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
    and history.jsonl in one transaction and, when no other conflict remains, stage both.
    When both sides had renumbered the same cases, keep one numbering (module docstring)."""
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
    history_stages = repo.get_conflict_stages(history_path)
    stages = repo.get_conflict_stages(cases_path)
    ours_history = (repo.get_blob("HEAD", history_path) or b"").decode("utf-8", "replace")
    theirs_history = (repo.get_blob(theirs_rev, history_path) or b"").decode("utf-8", "replace")
    # Each side's cases as committed, parsed once: the crossing, the cassettes and the recordings read them.
    ours_cases = cases_by_id((repo.get_blob("HEAD", cases_path) or b"").decode("utf-8", "replace"))
    theirs_cases = cases_by_id((repo.get_blob(theirs_rev, cases_path) or b"").decode("utf-8", "replace"))
    crossing = _crossing(theirs_rev, finish, ours_history, theirs_history, ours_cases, theirs_cases)
    kept_because = ""
    if crossing is not None:
        kept_because = _keep_ours_or_refuse(repo, config.base_branch, history_path, crossing, finish)
    elif history_stages is not None:
        raise FailgateError(
            f"{history_path} is in conflict too; resolve it first (keep both sides' events, "
            f"`git add` it), then run `failgate renumber`",
            exit_code=PROBLEM,
        )
    if stages is None and (crossing is None or history_stages is None):
        raise FailgateError(
            f"nothing to renumber: {cases_path} is not in conflict (it merged cleanly or is already resolved)",
            exit_code=PROBLEM,
        )
    work_history = config.dataset_dir / HISTORY_FILE
    work_cases = config.dataset_dir / CASES_FILE
    for path, work, conflicted in ((cases_path, work_cases, stages), (history_path, work_history, history_stages)):
        if conflicted is not None and work.is_file() and not re.search(rb"^<<<<<<< ", work.read_bytes(), re.M):
            # Resolved in the work tree but not staged: by hand, or by a renumber killed before it staged
            # (failgate.journal finished its writes). Renumbering again would renumber twice.
            raise FailgateError(
                f"{path} is already resolved in the work tree but not staged (resolved by hand, or "
                f"by an earlier `failgate renumber` interrupted before staging): check it with `failgate "
                f"validate`, then `git add {cases_path} {history_path}` (and any cassette it moved: `git status` "
                f"lists them) and `{finish}`",
                exit_code=PROBLEM,
            )
    used = (
        _ids(directory, repo.read_tree_files("HEAD", directory))
        | _ids(directory, repo.read_tree_files(theirs_rev, directory))
        | _ids(directory, {CASES_FILE: stages[0]} if stages else {})
    )
    if crossing is None:
        # The merged history (with a crossing it holds conflict markers; its ids are both sides' anyway).
        used |= _ids(directory, {HISTORY_FILE: work_history.read_bytes()} if work_history.is_file() else {})
    with locked(config.dataset_dir):
        history = work_history.read_text(encoding="utf-8") if work_history.is_file() else ""
        result: Renumbering
        if crossing is not None:
            result = renumber_crossed(
                crossing,
                cases=stages if stages is not None else work_cases.read_bytes(),
                history=history_stages if history_stages is not None else history,
                ours_history=ours_history,
                theirs_history=theirs_history,
                used=used,
                replay=_operation(finish) != "merge",
                path=cases_path,
                history_path=history_path,
            )
        else:
            assert stages is not None
            base, ours, theirs = stages
            result = renumber(
                base=base,
                ours=ours,
                theirs=theirs,
                history=history,
                ours_history=ours_history,
                theirs_history=theirs_history,
                used=used,
                only=only,
                path=cases_path,
            )
        # Planned before anything is written: a cassette renumber will not move is refused whole.
        sides = (ours_cases, theirs_cases)
        moves = _cassette_moves(repo, theirs_rev, finish, sides, prefix, config.dataset_dir, result.renamed)
        kept = _crossed_recordings(repo, theirs_rev, theirs_cases, prefix, crossing) if crossing else {}
        transaction = Transaction(config.dataset_dir)
        transaction.write(work_cases, result.cases)
        if result.history != history or history_stages is not None:
            transaction.write(work_history, result.history)
        for move in moves:
            transaction.write(config.dataset_dir / move.target, move.data)
            if not move.moved:
                continue
            if move.restore is not None:
                transaction.write(config.dataset_dir / move.source, move.restore)  # ours', as HEAD has it
            elif (config.dataset_dir / move.source).is_file():
                transaction.unlink(config.dataset_dir / move.source)  # theirs' alone: it moved away
        for ref, data in kept.items():
            transaction.write(config.dataset_dir / ref, data)  # ours', as HEAD has it
        transaction.commit()
    staged: list[str] = []
    if result.clean:
        moved = {r.old: r.new for r in result.renamed}
        _remember_for_this_rebase({**(crossing.mapping if crossing else {}), **moved})
        staged = [cases_path] + ([history_path] if work_history.is_file() else [])
        staged += [prefix + p for m in moves for p in ((m.target, m.source) if m.moved else (m.target,))]
        staged += [prefix + ref for ref in kept]
        repo.stage(*staged)
    return Renumbered(
        result.renamed,
        result.clean,
        result.remaining,
        cases_path,
        history_path,
        finish,
        staged,
        result.crossing,
        result.refiled,
        kept_because,
        cassettes=tuple(moves),
        directory=directory,
        kept_cassettes=tuple(kept),
    )


def _cassette_moves(
    repo: GitRepo,
    theirs_rev: str,
    finish: str,
    sides: tuple[dict[str, Any], dict[str, Any]],
    prefix: str,
    dataset_dir: Path,
    renamed: list[Renamed],
) -> list[CassetteMove]:
    """Where each renamed case's cassette goes (`failgate.merge.cassettes`), read from theirs'
    revision, HEAD and the base, never from the work tree (it may hold conflict markers).
    `sides`: ours' and theirs' cases as committed (id -> case)."""
    with_cassette = [r for r in renamed if r.cassette is not None]
    if not with_cassette:
        return []
    ours_cases, theirs_cases = sides
    if _operation(finish) == "merge":
        base = repo.merge_base("HEAD", theirs_rev)
    else:  # a replayed commit's base is its parent
        base = next(iter(repo.get_parents(theirs_rev)), None)
    moves = []
    for r in with_cassette:
        assert r.cassette is not None
        if path_problem(r.cassette) is not None:
            continue  # not a path inside the dataset: validate names it, there is no file to move
        source = posixpath.normpath(r.cassette)
        target = moved_ref(r.cassette, r.old, r.new)
        moves.append(
            plan_move(
                r.old,
                r.new,
                r.cassette,
                theirs=repo.get_blob(theirs_rev, prefix + source),
                ours=repo.get_blob("HEAD", prefix + source),
                base=repo.get_blob(base, prefix + source) if base else None,
                target_taken=target is not None
                and (
                    (dataset_dir / target).exists()
                    or repo.get_blob("HEAD", prefix + target) is not None
                    or repo.get_blob(theirs_rev, prefix + target) is not None
                ),
                others=sharers(r.cassette, r.old, ours_cases, theirs_cases),
                directory=prefix.rstrip("/"),
            )
        )
    return moves


def _crossed_recordings(
    repo: GitRepo, theirs_rev: str, theirs_cases: dict[str, Any], prefix: str, crossing: Crossing
) -> dict[str, bytes]:
    """Both sides renumbered and ours' numbering is kept: each of theirs' recordings at its id's
    default path is ours' at the kept id's (`merge.cassettes.crossed_recording`), so ours' file is
    put back as HEAD has it (dataset-relative path -> bytes); a recording that differs is refused."""
    kept: dict[str, bytes] = {}
    for t, o in crossing.pairs():
        case = theirs_cases.get(t)
        ref = moved_ref(cassette_ref(case), t, o) if case is not None else None
        if ref is None:
            continue
        kept[ref] = crossed_recording(
            t,
            o,
            theirs=repo.get_blob(theirs_rev, prefix + default_path(t)),
            ours=repo.get_blob("HEAD", prefix + ref),
            shown=prefix + ref,
        )
    return kept


def _crossing(
    theirs_rev: str,
    finish: str,
    ours_history: str,
    theirs_history: str,
    ours_cases: dict[str, Any],
    theirs_cases: dict[str, Any],
) -> Crossing | None:
    """The crossed renumbering between HEAD and the incoming commit, if any; a crossing
    that cannot be undone here is refused with the way out."""
    operation = _operation(finish)
    try:
        # A merge commit is checked against both parents: no id may vanish from either, so only
        # the same ids swapped can be undone. A replayed commit has one parent.
        return find_crossing(ours_history, theirs_history, ours_cases, theirs_cases, closed=operation == "merge")
    except CrossingError as exc:
        if operation == "merge":
            way_out = (
                f"`git merge --abort`, then replay your own commits onto theirs instead of merging: "
                f"`git rebase {theirs_rev[:12]}` (run `failgate renumber` and `git rebase --continue` "
                "wherever it stops on the dataset)"
            )
        else:
            way_out = (
                f"resolve by hand: keep HEAD's lines as they are, file the replayed commit's own events under "
                f"HEAD's ids, `git add` both files, then `{finish}`"
            )
        raise FailgateError(
            f"{CROSSED} the same cases, but the two numberings cannot be reconciled automatically: {exc}. "
            f"Nothing was written. The way out: {way_out}",
            exit_code=PROBLEM,
        ) from None


def _keep_ours_or_refuse(repo: GitRepo, base_branch: str, history_path: str, crossing: Crossing, finish: str) -> str:
    """Why ours' numbering is kept; refuses when the base branch published theirs."""
    try:
        published = event_pairs((repo.get_blob(repo.resolve(base_branch), history_path) or b"").decode("utf-8"))
    except (FailgateError, UnicodeDecodeError):
        return f"{base_branch} is not here to say which is published, and HEAD's lines are committed"
    if any((event_id, ours) in published for event_id, (_, ours) in crossing.events.items()):
        return f"{base_branch} published it"
    if not any((event_id, theirs) in published for event_id, (theirs, _) in crossing.events.items()):
        return f"neither is on {base_branch} yet, and HEAD's lines are committed"
    operation = _operation(finish)
    raise FailgateError(
        f"{CROSSED} the same cases, in opposite merge orders: {crossing.describe()} (the same events under "
        f"crossed ids). {base_branch} has published theirs' numbering, so theirs' must be kept, and this "
        f"{operation} cannot keep it: HEAD's committed history.jsonl lines would change, which the ledger check "
        f"refuses. Nothing was written. The way out: `git {operation} --abort`, then `git rebase {base_branch}` "
        "(it drops your renumbering merge and replays your own commits onto the published numbering; wherever it "
        "stops on the dataset, run `failgate renumber` and `git rebase --continue`), then push with "
        "`--force-with-lease`",
        exit_code=PROBLEM,
    )


def _remember_for_this_rebase(renamed: dict[str, str]) -> None:
    """In a rebase, the commits still to replay call the renamed case by its old id: the
    history driver reads this (in git's rebase state directory, removed with it) and
    files their events under the new id."""
    state = rebase_state_dir()
    if state is None or not renamed:
        return
    write_atomic(state / RENUMBERED, json.dumps({**renumbered_in_this_rebase(), **renamed}, indent=2) + "\n")
