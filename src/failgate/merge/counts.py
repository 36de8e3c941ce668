"""`regressed_count` in the cases.yaml merge, when both sides changed it. Pure.

`regressed_count` is the case's number of regressions, a regression being identified by
the pass it follows (`dataset.history.Regressions`; docs/reference/history-events.md,
"Counting regressions"). The driver sees only the three versions of cases.yaml, not the
history, so it counts what the history can hold: each side's new regressions follow either
the base's last pass or a pass of the side's own, and only the first can be on both sides.
So when both sides raised the count, one of the regressions is taken to be that shared one:
base + Δours + Δtheirs - 1. That is what git keeps when the two files are byte-identical
(it does not call the driver: the same regression on both sides, 1), so a merge does not
depend on whether some other part of the file changed too. Where the two sides' regressions
were their own after all (the base's last result a fail, each side passing and failing
again), `validate` reports the count and `failgate fmt` sets it from the merged history.
"""

from __future__ import annotations

import re

from failgate.merge.keyed import Unit

_COUNT_RE = re.compile(r"(?m)^(\s*regressed_count:[ \t]*)(\d+)([ \t]*(?:#.*)?)$")


def add_regressed_counts(base: list[Unit], ours: list[Unit], theirs: list[Unit]) -> None:
    """A case's count merged as base + Δours + Δtheirs, less the one regression both sides
    may share when both raised it (module docstring). All three versions of the case get
    the result, so a count changed on one side and another field on the other merge as
    usual."""
    maps = [{u.key: u for u in units} for units in (base, ours, theirs)]
    for key, unit0 in maps[0].items():
        units = [unit0, maps[1].get(key), maps[2].get(key)]
        if units[1] is None or units[2] is None:
            continue
        b, o, t = (_count(u) for u in units)
        if b is None or o is None or t is None or o == t == b:
            continue
        total = b + (o - b) + (t - b) - (1 if o > b and t > b else 0)
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
