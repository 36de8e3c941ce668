"""`failgate remove`, the pure part: three old texts in, three new texts out.

Removing a case touches three files, and each edit is a text edit so that a
reviewer's diff shows exactly the removal (docs/how-to/remove-a-case.md):
- `cases.yaml`: the case's block (with the comment above it) is cut out;
  every other byte stays as it was (`casefile.remove_entry`);
- `cases_removed.yaml`: an entry with the date, who, why and the full
  snapshot of the case is appended (`casefile.append_entry`);
- `history.jsonl`: a `removed` event is appended.

Every produced text is parsed again with the strict loader and compared with
what was meant, so a YAML quirk in the dumper can never write a ledger that
reads back differently. Files, locks and git are the caller's business.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
from typing import Any

from failgate.dataset.casefile import append_entry, remove_entry
from failgate.dataset.events import append_event_text, new_event, utc_timestamp
from failgate.dataset.model import CASES_FILE, HISTORY_FILE, REMOVED_FILE, case_number
from failgate.dataset.text import unwritable_character
from failgate.dataset.yamlstrict import YamlDocument, load_yaml_text
from failgate.exit_codes import PROBLEM, USAGE
from failgate.findings import FailgateError

LEDGER_HEADER = """\
# Deletion ledger: append-only. Written by `failgate remove`; entries are never
# edited or deleted (`failgate check-ledger` refuses that).
schema_version: 1
removed: []
"""


@dataclasses.dataclass(frozen=True)
class Removal:
    cases: str
    removed: str
    history: str
    entry: dict[str, Any]
    event: dict[str, Any]


def _refuse(message: str) -> FailgateError:
    # exit 1, as `remove` exits 0 / 1 (docs/reference/exit-codes.md); nothing has been written yet.
    return FailgateError(message, exit_code=PROBLEM)


def _entries(doc: YamlDocument, key: str) -> list[dict[str, Any]]:
    items = doc.data.get(key) if isinstance(doc.data, dict) else None
    if items is None:
        return []
    if not isinstance(items, list):
        raise _refuse(f"{doc.path}: '{key}' must be a list")
    return [item for item in items if isinstance(item, dict)]


def remove_case(
    *,
    cases_text: str,
    removed_text: str | None,
    history_text: str | None,
    case_id: str,
    reason: str | None,
    by: str | None,
    directory: str = "",
    now: _dt.datetime | None = None,
) -> Removal:
    """The three new texts; raises FailgateError (exit 1) and computes nothing
    when the removal must be refused."""

    def path(name: str) -> str:
        return f"{directory}/{name}" if directory else name

    if not reason or not reason.strip():
        raise _refuse("a removal needs a reason: --reason 'why this case leaves the dataset'")
    if not by or not by.strip():
        raise _refuse("a removal needs to say who removes it: --by NAME")
    if case_number(case_id) is None:
        raise FailgateError(f"ID must be a case id like AGTFAIL-0042; got {case_id!r}", exit_code=USAGE)
    # Text YAML cannot hold would otherwise fail when the new ledger is read
    # back, and be blamed on a line of the ledger instead of on the argument.
    for option, value in (("--reason", reason), ("--by", by)):
        bad = unwritable_character(value)
        if bad is not None:
            raise FailgateError(f"{option} holds {bad}, which the ledger cannot store; retype it", exit_code=USAGE)
    cases_doc = load_yaml_text(cases_text, path(CASES_FILE))
    ledger_doc = load_yaml_text(removed_text if removed_text is not None else LEDGER_HEADER, path(REMOVED_FILE))
    earlier = [e for e in _entries(ledger_doc, "removed") if e.get("id") == case_id]
    if earlier:
        when = earlier[0].get("removed_at", "?")
        raise _refuse(f"{case_id} was already removed ({when}, see {path(REMOVED_FILE)}); ids are never reused")
    matches = [c for c in _entries(cases_doc, "cases") if c.get("id") == case_id]
    if not matches:
        raise _refuse(f"no case {case_id} in {path(CASES_FILE)}")
    if len(matches) > 1:
        raise _refuse(f"{case_id} appears {len(matches)} times in {path(CASES_FILE)}; run `failgate validate`")
    snapshot = matches[0]

    moment = now or _dt.datetime.now(_dt.timezone.utc)
    entry = {
        "id": case_id,
        "removed_at": utc_timestamp(moment),
        "removed_by": by.strip(),
        "reason": reason.strip(),
        "case": snapshot,
    }
    event = new_event("removed", case_id, now=moment, actor=by.strip(), detail=reason.strip())
    new_cases = remove_entry(cases_doc, "cases", case_id)
    new_removed = append_entry(ledger_doc, "removed", entry)
    new_history = append_event_text(history_text or "", event)
    _verify(cases_doc, new_cases, new_removed, new_history, entry, event, case_id, path)
    return Removal(new_cases, new_removed, new_history, entry, event)


def _verify(
    cases_doc: YamlDocument,
    new_cases: str,
    new_removed: str,
    new_history: str,
    entry: dict[str, Any],
    event: dict[str, Any],
    case_id: str,
    path: Any,
) -> None:
    """Read every produced text back strictly; it must say exactly what we meant."""
    expected = dict(cases_doc.data)
    expected["cases"] = [c for c in cases_doc.data["cases"] if not (isinstance(c, dict) and c.get("id") == case_id)]
    if load_yaml_text(new_cases, path(CASES_FILE)).data != expected:  # pragma: no cover - a casefile bug
        raise FailgateError(f"internal error: removing {case_id} would change other parts of {path(CASES_FILE)}")
    written = load_yaml_text(new_removed, path(REMOVED_FILE)).data.get("removed") or []
    if not written or written[-1] != entry:
        raise FailgateError(
            f"{case_id}: its snapshot does not read back identically as YAML (a value the dumper cannot "
            f"round-trip); nothing was changed — please report this",
            exit_code=PROBLEM,
        )
    last = new_history.rstrip("\n").rsplit("\n", 1)[-1]
    if json.loads(last) != event:  # pragma: no cover - json round-trips
        raise FailgateError(f"internal error: the {HISTORY_FILE} event does not read back")
