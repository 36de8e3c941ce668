"""failgate's git merge drivers: which file gets which merge, and where it goes.

git calls `failgate merge-driver %O %A %B %P %L` for every path whose
`.gitattributes` says `merge=failgate-…`. The driver is picked by the file's
name (`%P`), so one registered command serves every ledger file; a later
`cases.yaml` driver only adds an entry to `DRIVERS`.

The merges themselves are pure (`history.merge_history_streams`,
`ledger.merge_ledger`); this module does the file handling: read the three
temp files git gives us, write the result to %A atomically (temp file +
rename, so a driver killed mid-way leaves %A as git wrote it).
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Callable
from pathlib import Path
from typing import Any

from failgate.dataset.model import CASES_FILE, HISTORY_FILE, REMOVED_FILE

# git config names of the drivers, `merge.<name>.*`; `.gitattributes` refers to them.
HISTORY_DRIVER = "failgate-history"
LEDGER_DRIVER = "failgate-ledger"
CASES_DRIVER = "failgate-cases"  # cases.yaml, case by case (merge/cases.py; docs/explanation/merge-drivers.md)

# git runs the driver through the shell. When `failgate` is not on PATH (a
# venv not activated, a GUI client) the shell says 127 and git would report a
# CONFLICT yet leave "ours" without markers, so `git add` silently drops theirs'
# lines: instead, fall back to git's own text merge (conflict markers that
# `failgate validate` names) and say why, and always stop as a conflict.
DRIVER_COMMAND = (
    "failgate merge-driver %O %A %B %P %L; s=$?; [ $s -ne 127 ] && exit $s; "
    "git merge-file -L ours -L base -L theirs %A %O %B; "
    "echo failgate: not on PATH, so its merge driver could not run: conflict markers left in %P, "
    "resolve keeping both sides lines or activate failgate and redo the merge >&2; exit 1"
)


@dataclasses.dataclass(frozen=True)
class DriverSpec:
    name: str  # merge.<name> in git config
    description: str  # merge.<name>.name, shown by git
    # `recursive`: which driver builds the virtual ancestor of a criss-cross
    # merge. `binary` makes git take the merge-bases' own common ancestor as
    # the virtual ancestor; an append-only file's older version is a
    # subsequence of both sides, so the outer merge sees exactly what each side
    # added. Letting our driver build it instead gave false conflicts (its
    # result is a prefix of neither side; see FIELD-NOTES and
    # tests/acceptance/merge/test_git.py::test_criss_cross_merge_is_clean).
    recursive: str = "binary"


# file name -> driver. The cases.yaml driver plugs in here.
DRIVERS: dict[str, DriverSpec] = {
    HISTORY_FILE: DriverSpec(HISTORY_DRIVER, "failgate: append-only history.jsonl, merged by event id"),
    REMOVED_FILE: DriverSpec(LEDGER_DRIVER, "failgate: append-only cases_removed.yaml, merged by case id"),
    CASES_FILE: DriverSpec(CASES_DRIVER, "failgate: cases.yaml, merged case by case (by id)"),
}


@dataclasses.dataclass
class Outcome:
    clean: bool
    messages: list[str]  # one line each, already phrased for a person
    hint: str | None = None  # how to resolve a conflict, when the generic advice does not fit


def driver_for(path: str) -> DriverSpec | None:
    return DRIVERS.get(posixpath.basename(path.replace("\\", "/")))


def gitattributes_lines(dataset_dir: str) -> list[str]:
    """The `.gitattributes` lines that send the dataset's ledgers to failgate.

    `eol=lf` keeps the files byte-identical across platforms, which is what
    lets the driver compare them byte by byte on its fast path.
    """
    directory = posixpath.normpath(dataset_dir.replace("\\", "/")).strip("/")
    lines = []
    for filename, spec in DRIVERS.items():
        path = filename if directory in ("", ".") else f"{directory}/{filename}"
        lines.append(f"{attr_pattern(path)} merge={spec.name} eol=lf")
    return lines


def attr_pattern(path: str) -> str:
    # Patterns with spaces must be C-quoted in .gitattributes (git >= 2.?).
    if any(c in path for c in ' "\\\t#'):
        escaped = path.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
        return f'"{escaped}"'
    return path


def is_replay() -> bool:
    """Whether git is replaying a commit (cherry-pick, rebase, am, revert) rather than merging
    two lines of history: only `git merge`/`git pull` export GIT_REFLOG_ACTION ("merge b",
    "pull"), and a rebase in progress has its state directory. Checked with git 2.39."""
    import os

    action = os.environ.get("GIT_REFLOG_ACTION", "")
    if rebase_state_dir() is not None:
        return True
    return not action.startswith(("merge", "pull"))


RENUMBERED = "failgate-renumbered.json"  # in git's rebase state directory, gone with it


def rebase_state_dir() -> Path | None:
    import subprocess

    try:
        git_dir = subprocess.run(
            ["git", "rev-parse", "--git-dir"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:  # pragma: no cover
        return None
    for name in ("rebase-merge", "rebase-apply"):
        if git_dir and Path(git_dir, name).is_dir():
            return Path(git_dir, name)
    return None


def renumbered_in_this_rebase() -> dict[str, str]:
    """old id -> new id for the cases `failgate renumber` renamed earlier in this rebase."""
    import json

    state = rebase_state_dir()
    try:
        data = json.loads((state / RENUMBERED).read_text()) if state else {}
    except (OSError, ValueError, RecursionError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _follow_renumbering(base: bytes, ours: bytes, theirs: bytes, mapping: dict[str, str]) -> tuple[bytes, bytes]:
    """A later commit of a rebase still calls the renamed case by its old id, in the
    lines it inherits (%O) and the ones it adds (%B); ours already has the new id. Its
    events follow the rename; ours' events of the case that kept the id are left alone."""
    from failgate.merge.crossed import event_pairs, translate_history

    keep = event_pairs(ours.decode("utf-8", "replace"))  # all ids at once: a crossed renumbering swaps them
    out = [
        translate_history(data.decode("utf-8", "replace"), mapping, keep)[0].encode("utf-8") for data in (base, theirs)
    ]
    return out[0], out[1]


def _merge_history_files(base: str, ours: str, theirs: str, path: str, marker_size: int) -> Outcome:
    import io

    from failgate.atomic import open_atomic
    from failgate.merge.history import merge_history_streams

    replay = is_replay()
    mapping = renumbered_in_this_rebase() if replay else {}
    with open(base, "rb") as fb, open(ours, "rb") as fo, open(theirs, "rb") as ft:
        streams = (fb, fo, ft)
        if mapping:  # rare, and small enough to hold: a rebase after `failgate renumber`
            b, t = _follow_renumbering(fb.read(), fo.read(), ft.read(), mapping)
            fo.seek(0)
            streams = (io.BytesIO(b), fo, io.BytesIO(t))  # type: ignore[assignment]
        with open_atomic(ours) as out:
            report = merge_history_streams(*streams, out, marker_size=marker_size, replay=replay)
    return _outcome(report, path, "{o} events from ours, {t} from theirs", _crossed_hint(report))


def _merge_in_memory(merge: Callable[..., Any], base: str, ours: str, theirs: str, path: str, marker_size: int) -> Any:
    """For files small enough to hold (the YAML ledgers): read git's three
    temp files, merge, write the result over %A atomically."""
    from failgate.atomic import write_atomic

    result = merge(*(Path(p).read_bytes() for p in (base, ours, theirs)), path=path, marker_size=marker_size)
    write_atomic(ours, result.text)
    return result


def _outcome(result: Any, path: str, added: str, hint: str | None = None) -> Outcome:
    if result.clean:
        o, t = result.added
        return Outcome(True, [f"{path}: merged ({added.format(o=o, t=t)})"])
    return Outcome(False, [f"{path}: {c}" for c in result.conflicts], hint)


def _merge_ledger_files(base: str, ours: str, theirs: str, path: str, marker_size: int) -> Outcome:
    from failgate.merge.ledger import merge_ledger

    result = _merge_in_memory(merge_ledger, base, ours, theirs, path, marker_size)
    return _outcome(result, path, "{o} entries from ours, {t} from theirs")


def _merge_cases_files(base: str, ours: str, theirs: str, path: str, marker_size: int) -> Outcome:
    from failgate.merge.cases import FIX_COMMAND, merge_cases

    result = _merge_in_memory(merge_cases, base, ours, theirs, path, marker_size)
    hint = (
        f"Resolve the marked blocks (each conflict is inside one case or header part), then `git add {path}` "
        "and run `failgate validate`."
    )
    if result.collisions:
        hint = f"Fix the id collision with one command: `{FIX_COMMAND}`, then `git commit`."
    return _outcome(result, path, "{o} cases added in ours, {t} in theirs", _crossed_hint(result) or hint)


def _crossed_hint(result: Any) -> str | None:
    """Both sides renumbered (merge/crossed.py): the generic advice would duplicate event ids."""
    from failgate.merge.crossed import CROSSED

    if result.clean or not any(CROSSED in c for c in result.conflicts):
        return None
    return (
        "Both of you renumbered: do not keep both sides' lines (an event id must name one event). "
        "Run `failgate renumber`, then `git commit` (or the `--continue` it names)."
    )


_MERGERS: dict[str, Callable[[str, str, str, str, int], Outcome]] = {
    HISTORY_DRIVER: _merge_history_files,
    LEDGER_DRIVER: _merge_ledger_files,
    CASES_DRIVER: _merge_cases_files,
}


def merge_files(base: str, ours: str, theirs: str, path: str, marker_size: int = 7) -> Outcome:
    """Merge git's three temp files for `path`; the result replaces `ours`."""
    spec = driver_for(path)
    if spec is None or spec.name not in _MERGERS:
        known = ", ".join(sorted(DRIVERS))
        return Outcome(
            False,
            [
                f"{path}: failgate has no merge driver for this file (it merges {known}); "
                "check .gitattributes. Left as a conflict."
            ],
        )
    return _MERGERS[spec.name](base, ours, theirs, path, marker_size)
