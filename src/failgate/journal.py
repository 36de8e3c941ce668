"""The journal that makes a multi-file `Transaction` survive a kill.

`remove` writes cases.yaml, cases_removed.yaml and history.jsonl; `promote`
writes cases.yaml (or watchlist.yaml), history.jsonl and the review file. Each
rename is atomic, the set of them is not: a kill between two renames would
leave a removed case with no ledger entry. So before the first rename the
transaction writes `<dataset>/.failgate-journal.json` (atomically) naming every
rename and deletion; after the last one it deletes the journal.

`recover(directory)` runs at the start of every command that reads or writes
the dataset (`failgate.config.load_config`): a journal left behind is rolled
forward (each staged temp file still present is renamed over its target; the
ones already renamed are gone), so validate and check-ledger — the hooks —
never see half a transaction. It also deletes temp files whose writer (the
pid in their name) is no longer running. When there is nothing to do it only
lists one directory, so a read-only checkout validates as before.

A journal is a file in the work tree, so a pull request can ship one
(`git add -f`), and recovery runs in the pre-commit hook and CI's first step.
So recovery acts only on what failgate itself left: a journal tracked by git is
refused, never replayed; every path it names is relative, inside the dataset
directory (symlinks resolved); a rename moves only a failgate temp file, named
for its target and beside it, whose content digest the journal recorded; a
deletion removes only a review file in `_intake/` whose digest matches the one
recorded. Anything else refuses the whole journal before any step runs.

`crash_point(name)` is a test hook, off unless FAILGATE_CRASH_AT names the point:
`staged`, `journal`, `rename:N` (after the N-th rename) or `renamed`.
FAILGATE_CRASH_HOW=kill makes the process SIGKILL itself there; otherwise it
raises `SimulatedCrash`.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from failgate.atomic import current_command, fsync_dir, locked, write_atomic
from failgate.exit_codes import PROBLEM, USAGE
from failgate.findings import FailgateError

JOURNAL_NAME = ".failgate-journal.json"
CRASH_AT_ENV = "FAILGATE_CRASH_AT"
CRASH_HOW_ENV = "FAILGATE_CRASH_HOW"
_TEMP_RE = re.compile(r"^\.(?P<target>.+)\.(?P<pid>\d+)\.[^.]+\.failgate-tmp$")


class SimulatedCrash(BaseException):
    """Raised at a crash point in tests; a BaseException so nothing handles it
    the way it would handle an error (a kill runs no handlers either)."""


def crash_point(name: str) -> None:
    if os.environ.get(CRASH_AT_ENV) != name:
        return
    if os.environ.get(CRASH_HOW_ENV) == "kill":
        import signal  # only here: the hooks import this module on every commit

        os.kill(os.getpid(), signal.SIGKILL)
    raise SimulatedCrash(name)


def _relative(path: Path, directory: Path) -> str:
    return os.path.relpath(os.path.abspath(path), os.path.abspath(directory))


def _digest(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def write_journal(
    directory: Path, temps: Sequence[tuple[Path, Path]], unlink: Sequence[Path], payloads: Mapping[Path, bytes]
) -> None:
    """The commit point. Each rename carries the sha256 of its new content, so
    recovery can tell "already renamed" from "temp file lost" (never a silent tear)."""
    steps: list[dict[str, str]] = [
        {
            "op": "replace",
            "tmp": _relative(tmp, directory),
            "target": _relative(target, directory),
            "sha256": _digest(payloads[target]),
        }
        for tmp, target in temps
    ]
    steps += [
        {"op": "unlink", "target": _relative(path, directory), "sha256": _digest(path.read_bytes())} for path in unlink
    ]
    record = {"version": 1, "pid": os.getpid(), "started": time.time(), "command": current_command(), "steps": steps}
    write_atomic(directory / JOURNAL_NAME, json.dumps(record, indent=1) + "\n")


def apply(
    directory: Path,
    temps: Sequence[tuple[Path, Path]],
    unlink: Sequence[Path],
    digests: Mapping[Path, str] | None = None,
) -> None:
    """The renames and deletions of a journalled transaction, then the journal's removal.
    A deletion with a digest in `digests` (recovery) happens only while the file still holds that content."""

    for number, (tmp, target) in enumerate(temps, 1):
        os.replace(tmp, target)
        crash_point(f"rename:{number}")
    for path in unlink:
        try:
            if digests and path in digests and _digest(path.read_bytes()) != digests[path]:
                continue  # written since: not the emptied review file the journal meant
            path.unlink()
        except FileNotFoundError:
            pass
    crash_point("renamed")
    for folder in {target.parent for _, target in temps} | {directory}:
        fsync_dir(folder)
    (directory / JOURNAL_NAME).unlink()
    fsync_dir(directory)


def _torn(directory: Path, record: Any, missing: Sequence[tuple[Path, Path]]) -> list[str]:
    """Targets whose temp file is gone but which do not hold the new content."""
    wanted = {step.get("target"): step.get("sha256") for step in record["steps"] if isinstance(step, dict)}
    torn = []
    for _, target in missing:
        digest = wanted.get(_relative(target, directory))
        if not isinstance(digest, str):
            continue  # a journal without digests: trust the rename happened
        try:
            ok = _digest(target.read_bytes()) == digest
        except OSError:
            ok = False
        if not ok:
            torn.append(_relative(target, directory))
    return torn


_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


def _inside(directory: Path, relative: Any) -> Path | None:
    """`directory / relative` when `relative` is a plain relative path that stays inside `directory`
    once symlinks are resolved; None for an absolute path, a `..` step, or a way out."""
    if not isinstance(relative, str) or not relative or "\0" in relative:
        return None
    parts = Path(relative).parts
    if Path(relative).is_absolute() or ".." in parts or os.path.isabs(relative):
        return None
    path = directory / relative
    root = os.path.realpath(directory)
    if os.path.commonpath([root, os.path.realpath(path.parent)]) != root:
        return None
    return path


def _steps(directory: Path, record: Any) -> tuple[list[tuple[Path, Path]], list[Path], dict[Path, str]]:
    """The journal's steps (renames, deletions, the deletions' digests), refused as a whole unless every
    step is one failgate writes: a rename of one of its temp files onto the file it was staged for, with
    the new content's digest; a deletion of a review file in `_intake/` or a cassette in `cassettes/`, with its digest."""
    from failgate.dataset.model import CASSETTE_DIR, CASSETTE_SUFFIX, INTAKE_DIR

    def bad(why: str) -> FailgateError:
        return FailgateError(
            f"{directory / JOURNAL_NAME} is not a journal failgate wrote ({why}); nothing was replayed:"
            " inspect it, then delete it",
            exit_code=USAGE,
        )

    if not isinstance(record, dict) or not isinstance(record.get("steps"), list):
        raise bad("no list of steps")
    temps: list[tuple[Path, Path]] = []
    unlink: list[Path] = []
    digests: dict[Path, str] = {}
    intake = os.path.realpath(directory / INTAKE_DIR)
    cassettes = os.path.realpath(directory / CASSETTE_DIR)
    for step in record["steps"]:
        if not isinstance(step, dict):
            raise bad("a step that is not a mapping")
        target = _inside(directory, step.get("target"))
        if target is None:
            raise bad(f"a path outside the dataset directory: {str(step.get('target'))[:200]!r}")
        digest = step.get("sha256")
        if not isinstance(digest, str) or not _SHA256_RE.match(digest):
            raise bad(f"no content digest for {step.get('target')!r}")
        if step.get("op") == "replace":
            tmp = _inside(directory, step.get("tmp"))
            match = _TEMP_RE.match(tmp.name) if tmp is not None else None
            if (
                tmp is None
                or not match
                or match.group("target") != target.name
                or os.path.abspath(tmp.parent) != os.path.abspath(target.parent)
            ):
                raise bad(f"a rename of {str(step.get('tmp'))[:200]!r}, which is not a temp file failgate stages")
            temps.append((tmp, target))
        elif step.get("op") == "unlink" and (
            (target.suffix in (".yaml", ".yml") and os.path.realpath(target.parent) == intake)
            or (target.name.endswith(CASSETTE_SUFFIX) and os.path.realpath(target.parent) == cassettes)
        ):
            # An emptied review file (promote), or a cassette that went with its case (remove) or
            # moved with it (renumber: docs/how-to/recover-from-a-merge-conflict.md); the digest
            # guards both: a file written since is left alone.
            unlink.append(target)
            digests[target] = digest
        else:
            raise bad(
                f"a deletion of {step.get('target')!r}, which is not a review file in {INTAKE_DIR}/ "
                f"nor a cassette in {CASSETTE_DIR}/"
            )
    return temps, unlink, digests


def _tracked(path: Path) -> bool:
    """Whether git tracks `path` (index or HEAD); False outside a repository."""
    from failgate.gitrepo import open_repo

    try:
        return open_repo(path.parent).is_tracked(path)
    except FailgateError:
        return False


def _describe(record: dict[str, Any]) -> str:
    since = (
        time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record["started"]))
        if isinstance(record.get("started"), (int, float))
        else "?"
    )
    return f"`{str(record.get('command', 'failgate'))[:120]}` (pid {record.get('pid')}, started {since})"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stray_temps(*directories: Path) -> list[Path]:
    """Temp files whose writer is gone."""
    found = []
    for directory in directories:
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        for name in names:
            match = _TEMP_RE.match(name)
            if match and not _pid_alive(int(match.group("pid"))):
                found.append(directory / name)
    return found


def _pending(directory: Path) -> bool:
    return os.path.lexists(directory / JOURNAL_NAME)


def recover(directory: Path, extra_dirs: Sequence[Path] = ()) -> list[str]:
    """Finish an interrupted transaction in `directory` and delete stray temp
    files; what was done, one line each ([] when nothing was to do)."""
    directory = Path(directory)
    folders = (directory, *extra_dirs)
    if not _pending(directory) and not stray_temps(*folders):
        return []  # the common case: one listdir, no lock, no write
    done: list[str] = []
    with locked(directory):
        journal = directory / JOURNAL_NAME
        if _pending(directory):  # again under the lock: its writer may just have finished
            try:
                record = json.loads(journal.read_text(encoding="utf-8"))
            except (OSError, ValueError, UnicodeDecodeError, RecursionError):
                raise FailgateError(f"{journal} is unreadable; inspect it, then delete it", exit_code=USAGE) from None
            if _tracked(journal):
                raise FailgateError(
                    f"{journal} is tracked by git: a journal is only ever left by a killed failgate command, "
                    "never committed, so this one came with a commit and is not replayed. Remove it from git "
                    f"and the work tree (`git rm -f -- {os.path.relpath(journal)}`) and rerun the command",
                    exit_code=USAGE,
                )
            temps, unlink, digests = _steps(directory, record)
            missing = [t for t in temps if not os.path.lexists(t[0])]
            present = [t for t in temps if t not in missing]
            torn = _torn(directory, record, missing)
            if torn:
                raise FailgateError(
                    f"{journal} records an interrupted {_describe(record)}, but the staged new content of "
                    f"{', '.join(torn)} is gone (deleted by hand?) and the file does not hold it: it cannot be "
                    f"finished. Restore those files from git (`git restore -- {os.path.relpath(directory)}`), "
                    f"delete the journal and rerun the command",
                    exit_code=PROBLEM,
                )
            apply(directory, present, unlink, digests)
            names = ", ".join(_relative(target, directory) for _, target in temps)
            done.append(
                f"finished the interrupted {_describe(record)}: {len(present)} of {len(temps)} file(s) "
                f"were still to be renamed ({names})"
            )
        strays = [path for path in stray_temps(*folders) if not _tracked(path)]  # a committed look-alike stays
        for path in strays:
            try:
                path.unlink()
            except FileNotFoundError:
                pass
        if strays:
            done.append(f"deleted {len(strays)} temp file(s) left by a killed failgate command")
    return done
