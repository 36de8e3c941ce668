"""`failgate remove ID --reason TEXT --by WHO`, the use case: take a case out, on the record.

Reads the three files under the dataset lock, computes the new texts
(`failgate.dataset.removal`, pure) and writes all three in one `Transaction`, so a
crash leaves the old state or the new one, never a case that is gone from
`cases.yaml` but missing from the ledger.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from failgate.atomic import locked
from failgate.config import load_config
from failgate.dataset.model import CASES_FILE, HISTORY_FILE, REMOVED_FILE
from failgate.dataset.parse import existing_file
from failgate.dataset.removal import remove_case
from failgate.dataset.yamlstrict import decode
from failgate.exit_codes import PROBLEM
from failgate.findings import FailgateError
from failgate.transaction import Transaction


@dataclasses.dataclass(frozen=True)
class Removed:
    directory: str  # the dataset directory as shown, relative to the project root
    event_id: str  # the `removed` event in history.jsonl
    cassette: str | None = None  # the case's cassette, removed with it (relative to the dataset directory)


def _read(path: Path, display: str) -> str | None:
    return decode(path.read_bytes(), display) if path.is_file() else None


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _cassette_of(case: object, directory: Path) -> str | None:
    """The removed case's cassette file, when it has one inside the dataset directory."""
    import posixpath

    from failgate.dataset.cassette import cassette_ref, path_problem

    ref = cassette_ref(case) if isinstance(case, dict) else None
    if ref is None or path_problem(ref) or not (directory / ref).is_file():
        return None
    return posixpath.normpath(ref)


def remove_from_dataset(case_id: str, reason: str | None, by: str | None) -> Removed:
    config = load_config()
    directory = config.dataset_dir
    shown = _display(directory, config.root)
    if not reason or not reason.strip() or not by or not by.strip():
        # Checked again in remove_case; here so a refusal creates not even the lock file.
        remove_case(cases_text="", removed_text=None, history_text=None, case_id=case_id, reason=reason, by=by)
    if not existing_file(directory / CASES_FILE, f"{shown}/{CASES_FILE}"):  # a directory or FIFO is named as such
        raise FailgateError(f"no {CASES_FILE} in {shown}; nothing to remove", exit_code=PROBLEM)
    with locked(directory):
        # Read inside the lock: a concurrent `eval --record` append must not be lost.
        cases = _read(directory / CASES_FILE, f"{shown}/{CASES_FILE}")
        assert cases is not None
        result = remove_case(
            cases_text=cases,
            removed_text=_read(directory / REMOVED_FILE, f"{shown}/{REMOVED_FILE}"),
            history_text=_read(directory / HISTORY_FILE, f"{shown}/{HISTORY_FILE}"),
            case_id=case_id,
            reason=reason,
            by=by,
            directory=shown,
        )
        transaction = Transaction(directory)
        transaction.write(directory / CASES_FILE, result.cases)
        transaction.write(directory / REMOVED_FILE, result.removed)
        transaction.write(directory / HISTORY_FILE, result.history)
        cassette = _cassette_of(result.entry.get("case"), directory)
        if cassette is not None:
            # Its recording goes with it; the gate replays a removed case from the base's blobs.
            transaction.unlink(directory / cassette)
        transaction.commit()
    return Removed(shown, str(result.event["id"]), cassette)
