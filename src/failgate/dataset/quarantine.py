"""Quarantine: a reviewed, expiring decision that takes a flaky case out of the gate for a while. Pure.

`failgate decide ID --quarantine --until DATE --reason ... --by ...` appends a `quarantined` event.
The gate honours only quarantines the **base** holds (a branch cannot quarantine its own failing
case: its decision is listed for review and takes effect once merged), and only until `DATE`
(inclusive, UTC): after that the case gates again by itself unless someone renews it. While it
holds, the case still runs and its result is reported first, never hidden; it just does not block.
The watchlist stays the permanent version (the reference, "Stochastic cases").
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Mapping

from failgate.dataset.history import parse_events

QUARANTINED = "quarantined"


@dataclasses.dataclass(frozen=True)
class Quarantine:
    case_id: str
    until: str  # YYYY-MM-DD, inclusive
    by: str
    reason: str

    def active_on(self, today: _dt.date) -> bool:
        try:
            return today <= _dt.date.fromisoformat(self.until)
        except ValueError:
            return False  # an unreadable date quarantines nothing: the case gates

    def describe(self, today: _dt.date) -> str:
        state = f"until {self.until}" if self.active_on(today) else f"EXPIRED on {self.until}, gating again"
        return f"{self.case_id} quarantined {state}, by {self.by}: {self.reason}"


def quarantines(history: bytes | None) -> dict[str, Quarantine]:
    """Each case's latest quarantine decision in a history blob (the base's).

    Only lines that hold the word are parsed: a history has few of them. A line that spells the
    type with a JSON escape is missed, which quarantines nothing -- the safe side for a gate."""
    found: dict[str, Quarantine] = {}
    if not history or QUARANTINED.encode() not in history:
        return found
    lines = b"\n".join(line for line in history.split(b"\n") if QUARANTINED.encode() in line)
    events, _ = parse_events(lines)
    for event in events:
        detail = event.get("detail")
        if event.get("type") != QUARANTINED or not isinstance(detail, dict):
            continue
        case_id, until, reason = event.get("case_id"), detail.get("until"), detail.get("reason")
        if isinstance(case_id, str) and isinstance(until, str) and isinstance(reason, str):
            found[case_id] = Quarantine(case_id, until, str(event.get("actor") or "?"), reason)
    return found


def in_force(found: Mapping[str, Quarantine], today: _dt.date) -> dict[str, Quarantine]:
    return {case_id: q for case_id, q in found.items() if q.active_on(today)}


def check_until(text: str, today: _dt.date) -> str | None:
    """Why `--until` is refused, or None: an ISO date after today."""
    try:
        until = _dt.date.fromisoformat(text)
    except ValueError:
        return f"--until must be a date like {today + _dt.timedelta(days=14)}, got {text!r}"
    if len(text) != 10:
        return f"--until must be a date like {today + _dt.timedelta(days=14)}, got {text!r}"
    if until <= today:
        return f"--until {text} is not after today ({today}): a quarantine expires in the future"
    return None
