"""`failgate decide`, the use case: a named, reasoned decision appended to history.jsonl.

The gate accepts a change to what it trusts from the base only as a decision (the
contract's "What the gate trusts"): the event is appended under the dataset lock,
atomically, and validated against the event schema like every other.
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from typing import Any

from failgate.atomic import locked, write_atomic
from failgate.config import load_config
from failgate.dataset.events import JUDGE_CHANGED, QUARANTINED, append_event_text, new_event
from failgate.dataset.model import CASES_FILE, HISTORY_FILE, WATCHLIST_FILE
from failgate.dataset.parse import parse_dataset
from failgate.dataset.quarantine import check_until
from failgate.dataset.schemas import validator_for
from failgate.dataset.text import unwritable_character
from failgate.exit_codes import PROBLEM, USAGE
from failgate.findings import FailgateError

_FINGERPRINT = re.compile(r"^sha256:[0-9a-f]{16,64}$")


def _known_ids(base: Path) -> set[str]:
    read = {name: (base / name).read_bytes() for name in (CASES_FILE, WATCHLIST_FILE) if (base / name).is_file()}
    dataset = parse_dataset(str(base), cases=read.get(CASES_FILE), watchlist=read.get(WATCHLIST_FILE))
    return set(dataset.case_ids()) | {c["id"] for c in dataset.watchlist if isinstance(c.get("id"), str)}


def record_decision(
    case_id: str,
    kind: str,
    reason: str | None,
    by: str | None,
    judge_from: str | None = None,
    judge_to: str | None = None,
    until: str | None = None,
) -> dict[str, Any]:
    """Append a decision event to history.jsonl, under the dataset lock, after the
    checks the gate relies on: a reason and a person, each one line; the fingerprints of
    a judge change; a quarantine's expiry date after today; a case that exists."""
    if not reason or not reason.strip():
        raise FailgateError("--reason is required: say why, for the reviewers who will read it first")
    if not by or not by.strip():
        raise FailgateError("--by is required: who takes this decision (e.g. an e-mail address)")
    for flag, value in (("--reason", reason), ("--by", by)):
        # One line each: the gate prints them first in every report, where a
        # newline could forge a line of its own.
        bad = unwritable_character(value, one_line=True)
        if bad is not None:
            raise FailgateError(f"{flag} must be one line of text; it holds {bad}", exit_code=USAGE)
    detail: dict[str, str] = {"reason": reason.strip()}
    if kind == QUARANTINED:
        today = _dt.datetime.now(_dt.timezone.utc).date()
        problem = "--quarantine needs --until DATE" if not until else check_until(until, today)
        if problem:
            raise FailgateError(problem, exit_code=USAGE)
        detail["until"] = str(until)
    if kind == JUDGE_CHANGED:
        for flag, fingerprint in (("--from", judge_from), ("--to", judge_to)):
            if not fingerprint or not _FINGERPRINT.match(fingerprint):
                raise FailgateError(
                    f"{flag} needs the judge fingerprint (sha256:...) the gate printed, got {fingerprint!r}"
                )
        detail.update({"from": str(judge_from), "to": str(judge_to)})
    config = load_config()
    directory = config.dataset_dir
    if case_id not in _known_ids(directory):
        raise FailgateError(
            f"{case_id} is not a case in {directory}; a decision names an existing case", exit_code=PROBLEM
        )
    event = new_event(kind, case_id, actor=by.strip(), detail=detail)
    problems = [e.message for e in validator_for("history-event").iter_errors(event)]
    if problems:  # pragma: no cover - the checks above should have refused it
        raise FailgateError(f"the decision event would be invalid: {'; '.join(problems)}", exit_code=PROBLEM)
    path = directory / HISTORY_FILE
    with locked(directory):
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        write_atomic(path, append_event_text(text, event))
    return event
