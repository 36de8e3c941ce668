"""`regressed_count` in the cases.yaml merge: additive, like the events it counts. Pure."""

from __future__ import annotations

import re

from failgate.merge.keyed import Unit

_COUNT_RE = re.compile(r"(?m)^(\s*regressed_count:[ \t]*)(\d+)([ \t]*(?:#.*)?)$")


def add_regressed_counts(base: list[Unit], ours: list[Unit], theirs: list[Unit]) -> None:
    """`regressed_count` equals the number of `regressed` events, and the history driver
    keeps both sides' events: so the count merges additively, base + Δours + Δtheirs
    (two branches that each recorded the same regression give 2, not a silent 1). All
    three versions of the case get the sum, and the rest of the case merges as usual."""
    maps = [{u.key: u for u in units} for units in (base, ours, theirs)]
    for key, unit0 in maps[0].items():
        units = [unit0, maps[1].get(key), maps[2].get(key)]
        if units[1] is None or units[2] is None:
            continue
        b, o, t = (_count(u) for u in units)
        if b is None or o is None or t is None or o == t == b:
            continue
        total = b + (o - b) + (t - b)
        if total < 0:
            continue  # a decrease on both sides: leave it to the usual rules (and validate)
        for unit in units:
            unit.text = _COUNT_RE.sub(lambda m, total=total: f"{m.group(1)}{total}{m.group(3)}", unit.text, count=1)  # type: ignore[union-attr]
            if isinstance(unit.data, dict):  # type: ignore[union-attr]
                unit.data = {**unit.data, "regressed_count": total}  # type: ignore[union-attr]


def _count(unit: Unit | None) -> int | None:
    if unit is None or not isinstance(unit.data, dict):
        return None
    value = unit.data.get("regressed_count")
    if not isinstance(value, int) or isinstance(value, bool) or len(_COUNT_RE.findall(unit.text)) != 1:
        return None
    return value
