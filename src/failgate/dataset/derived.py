"""The derived fields of a case, recomputed: what `failgate fmt` writes.

Two fields of a case are not written by people but follow from other data:
`input_hash` from the case's input (docs/reference/case-fields.md: of the redacted, normalised
input) and `regressed_count`, the case's number of regressions in history.jsonl
(`history.Regressions`, counted by the fold the caller passes in as `regressions`).
`fix_derived` returns the file's text with both set where they are missing or
wrong, by one-line edits (`casefile.set_entry_scalar`): every other byte stays
as it was, and a second run changes nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from failgate.dataset.yamlstrict import YamlDocument


@dataclasses.dataclass(frozen=True)
class Fix:
    case_id: str
    field: str
    old: Any  # None when the field was missing
    new: Any

    def describe(self) -> str:
        if self.field == "input_hash":
            return f"{self.case_id}: {'added' if self.old is None else 'corrected'} input_hash"
        return f"{self.case_id}: regressed_count {'missing' if self.old is None else self.old} -> {self.new}"


def wanted_fields(case: Mapping[str, Any], regressions: Mapping[str, int]) -> dict[str, Any]:
    """The derived fields this case should have, with their values."""
    from failgate.dataset.hashing import input_hash

    wanted: dict[str, Any] = {}
    case_input = case.get("input")
    if isinstance(case_input, dict):
        wanted["input_hash"] = input_hash(case_input)
    wanted["regressed_count"] = regressions.get(str(case.get("id")), 0)
    return wanted


def fix_derived(doc: YamlDocument, regressions: Mapping[str, int]) -> tuple[str, list[Fix]]:
    """`doc`'s text with every case's derived fields set; the fixes made.

    All edits go against the one parse of `doc`, from the last case up (and,
    within a case, the lower field first), so no edit moves a line a later one
    still has to find: one parse, not one per edit (fmt is a commit hook)."""
    from failgate.dataset.casefile import reparse, set_entry_scalar

    text = doc.text
    lines = text.split("\n")
    fixes: list[Fix] = []
    entries = doc.data.get("cases") if isinstance(doc.data, dict) else None
    for entry in reversed(list(entries) if isinstance(entries, list) else []):
        case_id = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(case_id, str):
            continue  # validate reports it; there is no block to edit by id
        found: list[Fix] = []
        for field, value in reversed(list(wanted_fields(entry, regressions).items())):
            old = entry.get(field)
            if field in entry and old == value and type(old) is type(value):
                continue
            # A new input_hash goes right under the input it hashes, where people look for it.
            text = set_entry_scalar(
                doc, "cases", case_id, field, value, after="input" if field == "input_hash" else None, lines=lines
            )
            found.append(Fix(case_id, field, old if field in entry else None, value))
        fixes[:0] = reversed(found)
    if fixes:
        reparse(text, doc.path)  # the edited text must still load strictly
    return text, fixes
