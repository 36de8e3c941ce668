"""New `history.jsonl` events: ids, timestamps and the line format.

Shared by `remove`, `promote` and `eval --record` so every writer produces the
same shape (docs/reference/history-events.md): `{"id", "ts", "case_id", "type", ...}` on one line.

Event ids are ULIDs (26 characters of Crockford base32: 48 bits of
milliseconds, 80 random bits): unique without coordination between clones,
and sorted by time when read by a person, which UUID4 is not.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import os
from typing import Any


@dataclasses.dataclass(frozen=True)
class EventType:
    """One kind of history.jsonl event (the manual's history reference)."""

    name: str
    about_a_case: bool = True  # carries the `case_id` it is about
    # a named, reasoned decision (`failgate decide`): `actor` and `detail.reason`
    # required, and listed first by the gate for review
    decision: bool = False


PROMOTED, RESULT, REGRESSED = "promoted", "result", "regressed"
STATUS_CHANGED, REMEDIATED, RECURRENCE, REMOVED = "status_changed", "remediated", "recurrence", "removed"
TAXONOMY_CHANGED, JUDGE_GRADED = "taxonomy_changed", "judge_graded"
REDEFINED, JUDGE_CHANGED, QUARANTINED = "redefined", "judge_changed", "quarantined"

# Every event type, declared here only; history-event.schema.json's enums are checked
# against it (tests/unit/dataset/test_dataset_events_registry.py).
EVENTS: tuple[EventType, ...] = (
    EventType(PROMOTED),
    EventType(RESULT),
    EventType(REGRESSED),
    EventType(STATUS_CHANGED),
    EventType(REMEDIATED),
    EventType(RECURRENCE),
    EventType(REMOVED),
    EventType(TAXONOMY_CHANGED, about_a_case=False),
    EventType(JUDGE_GRADED, about_a_case=False),  # a gold-set grading of the judge (`judge-check --record`)
    EventType(REDEFINED, decision=True),
    # judge-level (`failgate judge-change`): no case; an older per-case decision names its case
    EventType(JUDGE_CHANGED, about_a_case=False, decision=True),
    EventType(QUARANTINED, decision=True),  # out of the gate until `detail.until` (`decide --quarantine`)
)
EVENT_TYPES = tuple(e.name for e in EVENTS)
DECISION_TYPES = tuple(e.name for e in EVENTS if e.decision)
CASELESS_TYPES = tuple(e.name for e in EVENTS if not e.about_a_case)

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_event_id(now: _dt.datetime | None = None) -> str:
    """A ULID: time-ordered to the millisecond, then 80 random bits."""
    moment = now or _dt.datetime.now(_dt.timezone.utc)
    millis = int(moment.timestamp() * 1000) & ((1 << 48) - 1)
    value = (millis << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def utc_timestamp(now: _dt.datetime | None = None) -> str:
    """`2026-05-08T12:00:00Z`: UTC, seconds, the `Z` form docs/reference/history-events.md shows."""
    moment = (now or _dt.datetime.now(_dt.timezone.utc)).astimezone(_dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def new_event(type: str, case_id: str, *, now: _dt.datetime | None = None, **fields: Any) -> dict[str, Any]:
    """An event mapping with a fresh id and timestamp; `fields` are added after
    the standard keys (outcome, commit, judge, actor, detail, ...). Fields
    whose value is None are left out."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}; expected one of {', '.join(EVENT_TYPES)}")
    moment = now or _dt.datetime.now(_dt.timezone.utc)
    event: dict[str, Any] = {"id": new_event_id(moment), "ts": utc_timestamp(moment), "case_id": case_id, "type": type}
    event.update({key: value for key, value in fields.items() if value is not None})
    return event


def event_line(event: dict[str, Any]) -> str:
    """One JSONL line, newline included. Key order is kept (id, ts, case_id,
    type first) so lines read alike; non-ASCII stays readable."""
    return json.dumps(event, ensure_ascii=False) + "\n"


def append_event_text(history_text: str, event: dict[str, Any]) -> str:
    """`history_text` with `event` appended as its last line (adds the missing
    final newline of a hand-edited file instead of gluing two lines together)."""
    if history_text and not history_text.endswith("\n"):
        history_text += "\n"
    return history_text + event_line(event)


def default_actor(email: str | None) -> str:
    """Who an event is by when no --by is given: `ci` under CI (CI=true is set
    by GitHub, GitLab, Buildkite, CircleCI...), else the git author's e-mail."""
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        return "ci"
    return email or os.environ.get("USER") or "unknown"


# The keys every reader of an event uses directly, with the JSON type each must have to be used.
_TEXT_KEYS = ("id", "ts", "case_id", "type", "outcome", "commit", "judge", "actor")


def usable_event(value: Any) -> bool:
    """Whether a parsed history line has the shape its readers rely on: a mapping whose standard keys,
    where present, are text and whose `detail` is a mapping. The shape check before use, in one place:
    a `case_id` given as a list was a TypeError in validate's regressed_count check and in the gate's
    baseline, each a traceback of its own. `validate` still reports every malformed line
    (HISTORY_EVENT); every other reader skips it."""
    if not isinstance(value, dict):
        return False
    if any(key in value and not isinstance(value[key], str) for key in _TEXT_KEYS):
        return False
    return "detail" not in value or isinstance(value["detail"], dict)
