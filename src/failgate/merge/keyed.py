"""Three-way merge of keyed blocks of text, with edits allowed (docs/explanation/merge-drivers.md).

The append-only drivers (`history`, `ledger`) refuse any change to an old
entry. `cases.yaml` is different: a case is edited (status, remediation,
`regressed_count`) and removed (into the ledger) as well as added. This module
merges such a list of *units*, each a block of lines with a key (a case id, or
a header key), by the usual three-way rule per key:

| base | ours | theirs | result |
|---|---|---|---|
| b | o | t | o == t or t == b: o; o == b: t; else a conflict inside the block |
| b | o | - | o == b: deleted; else a conflict (edited on one side, deleted on the other) |
| - | o | t | o == t: once; else a conflict (the same new key for two blocks) |
| - | o | - | added: kept |
| b | - | - | deleted on both: gone |

Order: the base's surviving units keep their order (or the order of the one
side that reordered them); units a side added stay after the unit that
precedes them on that side, and where both sides added units at the same
place the two runs are merged by `Unit.order` without reordering either run.
Every choice is symmetric, so merging a into b and b into a give the same
bytes; on a conflict the markers say ours/theirs and are not symmetric.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Sequence
from typing import Any

DELETED = "deleted"


@dataclasses.dataclass
class Unit:
    key: Hashable
    text: str  # whole lines, each ending in "\n", without trailing blank lines
    trail: int | None  # blank lines after it; None when it is the last unit (unknown rhythm)
    order: tuple[Any, ...]  # how additions at the same place are ordered
    label: str  # for messages: a case id or a header part
    data: Any = None  # the parsed value, for messages and verification


@dataclasses.dataclass
class Problem:
    kind: str  # "edit", "delete-edit", "add-add", "order"
    key: Hashable
    label: str
    units: tuple[Unit | None, Unit | None, Unit | None]  # base, ours, theirs


@dataclasses.dataclass
class Piece:
    """One unit of the result: merged text, or a conflict to render."""

    key: Hashable
    text: str
    trail: int | None
    unit: Unit | None  # the chosen unit (None for a conflict)
    problem: Problem | None = None


def pick3(base: Any, ours: Any, theirs: Any) -> Any:
    """The three-way choice when at most one side changed; min when both did
    differently (only used where any answer is acceptable: blank-line counts)."""
    if ours == theirs or theirs == base:
        return ours
    if ours == base:
        return theirs
    return min(ours, theirs)


def _trail(versions: Sequence[Unit | None]) -> int | None:
    # A last unit's trail says nothing about the file's rhythm: fill it from
    # the known ones (their min, so the choice does not depend on the side).
    known = [u.trail for u in versions if u is not None and u.trail is not None]
    if not known:
        return None
    filled = [u.trail if u is not None and u.trail is not None else min(known) for u in versions]
    return int(pick3(*filled))


def _decide(b: Unit | None, o: Unit | None, t: Unit | None) -> Piece | Problem | None:
    key = next(u for u in (b, o, t) if u is not None).key
    label = next(u for u in (b, o, t) if u is not None).label
    trail = _trail([b, o, t])
    if b is not None and o is not None and t is not None:
        if o.text == t.text or t.text == b.text:
            return Piece(key, o.text, trail, o)
        if o.text == b.text:
            return Piece(key, t.text, trail, t)
        return Problem("edit", key, label, (b, o, t))
    if b is not None:
        side = o if o is not None else t
        if side is None:
            return None  # deleted on both sides
        if side.text == b.text:
            return None  # deleted on one side, untouched on the other
        return Problem("delete-edit", key, label, (b, o, t))
    if o is not None and t is not None:
        if o.text == t.text:
            return Piece(key, o.text, trail, o)
        return Problem("add-add", key, label, (b, o, t))
    side = o if o is not None else t
    assert side is not None
    return Piece(key, side.text, trail, side)


def _reference_order(
    base: list[Hashable], ours: list[Hashable], theirs: list[Hashable], kept: set[Hashable]
) -> list[Hashable] | None:
    """Order of the surviving base units; None when both sides reordered differently."""
    kept_base = [k for k in base if k in kept]
    in_base = set(base)
    orders = []
    for side in (ours, theirs):
        present = set(side)
        as_base = [k for k in kept_base if k in present]
        as_side = [k for k in side if k in kept and k in in_base]
        orders.append(None if as_side == as_base else as_side)
    o, t = orders
    if o is not None and t is not None and o != t:
        return None
    moved = o if o is not None else t
    if moved is None:
        return kept_base
    # The reordering side's order, with units it lacks (delete/edit conflicts)
    # after their predecessor in the base.
    result = list(moved)
    placed = set(result)
    for index, key in enumerate(kept_base):
        if key not in placed:
            before = [k for k in kept_base[:index] if k in placed]
            result.insert(result.index(before[-1]) + 1 if before else 0, key)
            placed.add(key)
    return result


def _gaps(side: list[Unit], base_keys: set[Hashable], anchors: set[Hashable]) -> dict[Hashable, list[Unit]]:
    """The side's added units, by the surviving base unit they follow (None: the start)."""
    gaps: dict[Hashable, list[Unit]] = {}
    anchor: Hashable = None
    for unit in side:
        if unit.key in base_keys:
            if unit.key in anchors:
                anchor = unit.key
        else:
            gaps.setdefault(anchor, []).append(unit)
    return gaps


def _merge_runs(a: list[Unit], b: list[Unit], emitted: set[Hashable]) -> list[Hashable]:
    """Merge two runs by `order`, each run's own order kept; shared keys once."""
    out: list[Hashable] = []
    i = j = 0
    while True:
        while i < len(a) and a[i].key in emitted:
            i += 1
        while j < len(b) and b[j].key in emitted:
            j += 1
        if i == len(a) and j == len(b):
            return out
        if i < len(a) and j < len(b):
            take_a = (a[i].order, str(a[i].key)) <= (b[j].order, str(b[j].key))
        else:
            take_a = i < len(a)
        unit = a[i] if take_a else b[j]
        emitted.add(unit.key)
        out.append(unit.key)
        if take_a:
            i += 1
        else:
            j += 1


def merge_units(base: list[Unit], ours: list[Unit], theirs: list[Unit]) -> tuple[list[Piece], list[Problem]]:
    """The merged units in order; problems become pieces with `problem` set.

    Keys must be unique within each list (the caller reports duplicates).
    """
    maps = [{u.key: u for u in version} for version in (base, ours, theirs)]
    keys: list[Hashable] = []
    seen: set[Hashable] = set()
    for version in (base, ours, theirs):
        for unit in version:
            if unit.key not in seen:
                seen.add(unit.key)
                keys.append(unit.key)
    decided: dict[Hashable, Piece] = {}
    problems: list[Problem] = []
    for key in keys:
        b, o, t = (m.get(key) for m in maps)
        outcome = _decide(b, o, t)
        if isinstance(outcome, Problem):
            problems.append(outcome)
            decided[key] = Piece(key, "", _trail([b, o, t]), None, outcome)
        elif outcome is not None:
            decided[key] = outcome
    base_keys = [u.key for u in base]
    kept = set(decided)
    ref = _reference_order(base_keys, [u.key for u in ours], [u.key for u in theirs], kept)
    if ref is None:
        problems.append(Problem("order", None, "the order of the entries", (None, None, None)))
        ref = [k for k in base_keys if k in kept]
    anchors = set(ref)
    gaps_o = _gaps(ours, set(base_keys), anchors)
    gaps_t = _gaps(theirs, set(base_keys), anchors)
    order: list[Hashable] = []
    emitted: set[Hashable] = set()
    for anchor in [None, *ref]:
        if anchor is not None:
            order.append(anchor)
            emitted.add(anchor)
        order += _merge_runs(gaps_o.get(anchor, []), gaps_t.get(anchor, []), emitted)
    return [decided[k] for k in order], problems
