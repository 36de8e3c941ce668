"""Case ids are never reused: the next id is above every id that ever existed.

"Ever existed" means anywhere the dataset remembers it: cases.yaml, the
deletion ledger, the watchlist and every event in history.jsonl (a case that
was promoted and removed on a branch since merged still left its events).
"""

from __future__ import annotations

from collections.abc import Iterable

from failgate.dataset.model import case_number, format_case_id
from failgate.dataset.parse import Dataset


def ids_ever_used(dataset: Dataset) -> set[str]:
    used = set(dataset.case_ids()) | set(dataset.removed_ids())
    used.update(c["id"] for c in dataset.watchlist if isinstance(c.get("id"), str))
    used.update(e["case_id"] for _, e in dataset.events() if isinstance(e.get("case_id"), str))
    for entry in dataset.removed:
        snapshot = entry.get("case")
        if isinstance(snapshot, dict) and isinstance(snapshot.get("id"), str):
            used.add(snapshot["id"])
    return used


def next_case_id(used: Iterable[str], *, reserved: Iterable[str] = ()) -> str:
    """The smallest id above the highest ever used (and above `reserved`,
    e.g. ids taken by the other side of a merge)."""
    numbers = [n for n in (case_number(i) for i in (*used, *reserved)) if n is not None]
    return format_case_id(max(numbers, default=0) + 1)


def next_id_for(dataset: Dataset) -> str:
    return next_case_id(ids_ever_used(dataset))
