"""What "append-only" means for failgate's ledgers, as one pure function.

`history.jsonl` and `cases_removed.yaml` may only grow: every event (or ledger
entry) of an older version must still be there, unchanged, in the same
relative order. "Earlier event" is judged by id and content, never by byte
position: after branch a merged branch b, the merge-base's file is no longer a
byte prefix of a's file, yet nothing was tampered with. So the rule is:

    the old version's events are a subsequence of the new version's events,
    matched by event id, and each matched pair has the same canonical content.

The merge drivers (`failgate merge-driver`) and the ledger check
(`failgate check-ledger`) both use `find_tampering`, so a merge the driver
accepts is a merge the check accepts.
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import re
from collections.abc import Hashable, Sequence
from typing import Any

from failgate.dataset.jsonstrict import loads_or_none

EDITED = "edited"
DELETED = "deleted"
REORDERED = "reordered"


def canonical(value: Any) -> str:
    """The content an event or entry is compared by: key order, spacing and
    escaping are not edits. Every append-only comparison uses this one form."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def case_id_only(a: Any, b: Any) -> tuple[str, str] | None:
    """(a's case_id, b's case_id) when two events differ in `case_id` and nothing else: one
    event filed under two numbers (what `failgate renumber` makes of the incoming side's lines)."""
    if not (isinstance(a, dict) and isinstance(b, dict)):
        return None
    ca, cb = a.get("case_id"), b.get("case_id")
    if not (isinstance(ca, str) and isinstance(cb, str)) or ca == cb:
        return None
    rest = {k: v for k, v in a.items() if k != "case_id"}
    return (ca, cb) if rest == {k: v for k, v in b.items() if k != "case_id"} else None


def with_case_id(line: str, value: dict[str, Any], new: str) -> str:
    """One JSON line (`value` parsed from it) with its `case_id` set to `new`, editing only that
    value so the line reads as before apart from the id; checked by parsing it back, and written
    anew (same key order) when the text resists (an escaped key or the like). Renumbering's one
    edit, of history lines and of cassette headers alike."""
    old = str(value.get("case_id"))
    expected = {**value, "case_id": new}
    pattern = re.compile(r'("case_id"\s*:\s*)"' + re.escape(old) + '"')
    # A replacement template: its backslashes are doubled so none reads as a group reference.
    edited = pattern.sub(r"\g<1>" + json.dumps(new).replace("\\", "\\\\"), line, count=1)
    return edited if loads_or_none(edited) == expected else json.dumps(expected, ensure_ascii=False)


# (line_number, event_id, canonical_content). `event_id` is any hashable key:
# a string id, or for a line that has no id, something like ("raw", text) so
# that an unreadable old line still has to survive unchanged.
EventKey = tuple[int, Hashable, str]


@dataclasses.dataclass(frozen=True)
class Tamper:
    """One old event that the new version does not keep in place."""

    kind: str  # EDITED | DELETED | REORDERED
    event_id: Hashable
    old_line: int  # where the event is in the old version (1-based)
    new_line: int | None  # where it is in the new version; None when deleted

    def describe(self, old_name: str = "base", new_name: str = "new", noun: str = "event") -> str:
        ident = self.event_id if isinstance(self.event_id, str) else "(line without an id)"
        if self.kind == DELETED:
            return f"{noun} {ident} ({old_name} line {self.old_line}) was deleted in {new_name}"
        if self.kind == EDITED:
            return f"{noun} {ident} ({old_name} line {self.old_line}) was edited in {new_name} (line {self.new_line})"
        return (
            f"{noun} {ident} ({old_name} line {self.old_line}) was moved in {new_name} "
            f"(now line {self.new_line}, out of its original order)"
        )


@dataclasses.dataclass
class Alignment:
    """How an old version's events map onto a new version's events."""

    # For each old event, the index of its match in `new` (None when deleted).
    positions: list[int | None]
    tampers: list[Tamper]

    @property
    def ok(self) -> bool:
        return not self.tampers


def _occurrence_keys(events: Sequence[EventKey]) -> list[tuple[Hashable, int]]:
    # Match the k-th occurrence of an id to the k-th occurrence: a file that
    # already holds a duplicate id must not make a later copy look "moved".
    seen: dict[Hashable, int] = {}
    keys = []
    for _, ident, _ in events:
        count = seen.get(ident, 0)
        seen[ident] = count + 1
        keys.append((ident, count))
    return keys


def _longest_increasing(values: Sequence[int]) -> set[int]:
    """Indices (into `values`) of one longest strictly increasing subsequence.

    Events outside it are the fewest that must have moved; reporting those
    names the moved event rather than everything after it. O(n log n).
    """
    tails: list[int] = []  # smallest tail value of an increasing run of each length
    tail_idx: list[int] = []
    parent = [-1] * len(values)
    for i, value in enumerate(values):
        k = bisect.bisect_left(tails, value)
        if k == len(tails):
            tails.append(value)
            tail_idx.append(i)
        else:
            tails[k] = value
            tail_idx[k] = i
        parent[i] = tail_idx[k - 1] if k else -1
    keep: set[int] = set()
    i = tail_idx[-1] if tail_idx else -1
    while i != -1:
        keep.add(i)
        i = parent[i]
    return keep


def align(old: Sequence[EventKey], new: Sequence[EventKey]) -> Alignment:
    """Match `old`'s events into `new` and list every tampered old event.

    See `find_tampering`; this also returns where each old event landed, which
    the merge drivers use as anchors.
    """
    new_index = {key: i for i, key in enumerate(_occurrence_keys(new))}
    positions: list[int | None] = []
    tampers: list[Tamper] = []
    present: list[int] = []  # indices into `old` of events found in `new`
    for i, (key, (line, ident, content)) in enumerate(zip(_occurrence_keys(old), old)):
        j = new_index.get(key)
        positions.append(j)
        if j is None:
            tampers.append(Tamper(DELETED, ident, line, None))
            continue
        present.append(i)
        if new[j][2] != content:
            tampers.append(Tamper(EDITED, ident, line, new[j][0]))
    in_order = _longest_increasing([positions[i] for i in present])  # type: ignore[misc]
    edited = {t.old_line for t in tampers if t.kind == EDITED}
    for rank, i in enumerate(present):
        if rank not in in_order and old[i][0] not in edited:
            j = positions[i]
            assert j is not None
            tampers.append(Tamper(REORDERED, old[i][1], old[i][0], new[j][0]))
    tampers.sort(key=lambda t: t.old_line)
    return Alignment(positions=positions, tampers=tampers)


def find_tampering(old: Sequence[EventKey], new: Sequence[EventKey]) -> list[Tamper]:
    """Every event of `old` that `new` does not keep: edited, deleted or moved.

    `old` and `new` are lists of `(line_number, event_id, canonical_content)`
    in file order, one per event (a history line, a ledger entry). The caller
    decides what "canonical content" is — for history.jsonl the JSON object
    re-serialised with sorted keys, so whitespace and key order are not edits.

    `new` is append-only with respect to `old` when `old`'s events form a
    subsequence of `new`'s, matched by id (the k-th occurrence of an id to the
    k-th), with equal content. Events that only `new` has are appends and are
    never reported here; interleaving them between old events is allowed
    (that is what a merge of two branches looks like).

    Returns the tampered old events sorted by their old line:
    - `deleted`: the id is missing from `new`;
    - `edited`: the id is there with different content;
    - `reordered`: the id is there, but out of order; the fewest events that
      must have moved are reported (those outside a longest in-order run).
    An empty list means `new` is a faithful extension of `old`.
    """
    return align(old, new).tampers
