"""Choose which candidates to keep under a cap, by intent, before any sampling.

Production failures are skewed: one intent (say `order_status`) can be 80 %
of a week's failures while a rare intent fails once. A plain "first N" would
fill the review file with the dominant intent. The cap is a share of the
candidate budget (`limit`), not of the failures found: with few failures, all
distinct ones are kept (a cap of 30 % of 3 failures would keep one). For
cap = max(1, floor(share * limit)) and B = min(limit, number of items):

- no intent has more than `cap` items kept;
- every intent with at least one item keeps at least one, as long as the
  budget allows (when there are more intents than B, the rarest win);
- within an intent, items come in the given order (callers sort by how
  often the failure recurred, so the most frequent shapes are kept).

Deterministic: the same input gives the same selection.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def intent_cap(limit: int, total: int, share: float) -> int:
    """At most this many kept per intent; `total` is accepted for callers that report it."""
    del total
    return max(1, math.floor(share * limit + 1e-9))


def stratify(items: Sequence[T], intent: Callable[[T], str], *, limit: int, share: float) -> tuple[list[T], list[T]]:
    """(kept, dropped); both keep the input's relative order."""
    groups: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        groups.setdefault(intent(item), []).append(index)
    cap = intent_cap(limit, len(items), share)
    budget = min(limit, len(items))
    # Rarest intents first in each round, so they survive a tight budget.
    order = sorted(groups, key=lambda name: (len(groups[name]), name))
    taken: dict[str, int] = {name: 0 for name in groups}
    chosen: set[int] = set()
    progress = True
    while len(chosen) < budget and progress:
        progress = False
        for name in order:
            if len(chosen) >= budget:
                break
            if taken[name] < min(cap, len(groups[name])):
                chosen.add(groups[name][taken[name]])
                taken[name] += 1
                progress = True
    kept = [item for index, item in enumerate(items) if index in chosen]
    dropped = [item for index, item in enumerate(items) if index not in chosen]
    return kept, dropped
