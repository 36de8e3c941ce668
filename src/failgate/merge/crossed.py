"""Both sides renumbered: the same cases under crossed ids (docs/how-to/recover-from-a-merge-conflict.md).

How it happens: Alice (branch a) and Bob (branch b) each promote a case and
both take AGTFAIL-0003. Alice merges b and runs `failgate renumber`: on a,
Bob's case becomes 0004. Bob, before he sees that, merges a and does the
same: on b, Alice's case becomes 0004. Each followed the advice; now each
case has two numbers, and each `promoted` event (renumber keeps the event
`id`, it rewrites only `case_id`) names one case on a and the other on b.
When a and b meet, both drivers stop (the same event id with two contents,
the same two ids on two different cases), and renumbering once more would
give the cases a third number while the event ids stay shared: an event id
would then name two events, which the ledger check refuses.

The way out is to recognise the crossing and keep *one* numbering. An event
present on both sides that differs in `case_id` alone is one event filed
under two numbers; its two case ids are one case. That gives a mapping from
theirs' ids to ours' ids, which must be a permutation (the same ids, only
swapped: no id vanishes from either parent, the ledger check's rule) and
must agree with cases.yaml (theirs' case and ours' case under the mapped
ids have the same `input`). Theirs' history lines and cases.yaml ids are
then rewritten under ours' numbering, after which the identical events are
the same line and merge into one.

Which numbering wins is the use case's decision (`failgate.edits.renumber`):
the one the base branch (origin/main) has published, because published lines
are never rewritten; else ours (HEAD's), because HEAD's lines are committed
and the pre-commit ledger check refuses an edit of them. When the published
numbering is theirs, no merge commit can be right, so the command refuses
and names the way out (abort, rebase onto the base branch).

Pure: texts in, texts out.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from typing import Any

from failgate.dataset.cassette import cassette_ref
from failgate.dataset.jsonstrict import loads_or_none, split_lines
from failgate.merge.appendonly import canonical, case_id_only, with_case_id
from failgate.merge.cassettes import comparable_input, edit_input_cassette, moved_ref

# The phrase every crossing message carries; the drivers' hint looks for it.
CROSSED = "both sides renumbered"
WAY_OUT = (
    "run `failgate renumber`: it keeps one numbering (the one your base branch published, else ours) and "
    "files the other side's cases and events under it, or names the command to run instead"
)


class CrossingError(Exception):
    """The events say both sides renumbered, but not in a way that can be undone safely."""


@dataclasses.dataclass(frozen=True)
class Crossing:
    mapping: dict[str, str]  # theirs' case id -> ours' case id (only ids that differ)
    events: dict[str, tuple[str, str]]  # event id -> (theirs' case id, ours' case id)
    titles: dict[str, str]  # ours' case id -> its title, for messages

    def pairs(self) -> list[tuple[str, str]]:
        return sorted(self.mapping.items())

    def describe(self) -> str:
        """theirs' AGTFAIL-0003 "Alice case" is ours' AGTFAIL-0004, ..."""
        return ", ".join(f"theirs' {t} \"{self.titles.get(o, '(no title)')}\" is ours' {o}" for t, o in self.pairs())


def crossed_message(event_id: str, ours_case: str, theirs_case: str) -> str:
    """The history driver's line for one event filed under two numbers."""
    return (
        f"event {event_id} names {ours_case} in ours and {theirs_case} in theirs and is otherwise identical: "
        f"{CROSSED} the same cases, in opposite merge orders; {WAY_OUT}"
    )


def crossed_cases(ours: dict[Any, Any], theirs: dict[Any, Any]) -> str | None:
    """The cases.yaml driver's line when theirs holds ours' cases under other ids (the same
    `input`, as `merge.cases` tells one case from another): both sides renumbered."""
    by_input = {
        canonical(comparable_input(c, str(k))): k for k, c in ours.items() if isinstance(c, dict) and "input" in c
    }
    pairs = []
    for key, case in sorted(theirs.items(), key=lambda kv: str(kv[0])):
        mine = (
            by_input.get(canonical(comparable_input(case, str(key))))
            if isinstance(case, dict) and "input" in case
            else None
        )
        if mine is not None and mine != key:
            pairs.append(f"theirs' {key} \"{case.get('title')}\" is ours' {mine}")
    if not pairs:
        return None
    return f"{CROSSED} the same cases, in opposite merge orders ({', '.join(pairs)}: the same input); {WAY_OUT}"


def _events(history: str) -> dict[str, dict[str, Any]]:
    events: dict[str, dict[str, Any]] = {}
    # `\n` only (jsonstrict.split_lines): a JSON string may hold U+2028 unescaped.
    for _, line in split_lines(history):
        event = loads_or_none(line)
        if isinstance(event, dict) and isinstance(event.get("id"), str):
            events.setdefault(event["id"], event)
    return events


def find_crossing(
    ours_history: str,
    theirs_history: str,
    ours_cases: dict[str, dict[str, Any]],
    theirs_cases: dict[str, dict[str, Any]],
    *,
    closed: bool = True,
) -> Crossing | None:
    """The crossed renumbering between two sides, None when there is none.

    `*_cases`: id -> case, as each side's cases.yaml holds them. Raises
    CrossingError when events filed under two numbers do not form a mapping
    that can be undone: one id mapped two ways, two ids mapped onto one, ids
    that would vanish from a side (with `closed`: a merge commit is checked
    against both parents; a replayed commit has one), or cases whose inputs differ.
    """
    ours = _events(ours_history)
    mapping: dict[str, str] = {}
    events: dict[str, tuple[str, str]] = {}
    for event_id, theirs_event in _events(theirs_history).items():
        crossed = case_id_only(theirs_event, ours.get(event_id))
        if crossed is None:
            continue
        t, o = crossed
        if mapping.setdefault(t, o) != o:
            raise CrossingError(f"theirs' {t} is ours' {mapping[t]} by one event and ours' {o} by event {event_id}")
        events[event_id] = crossed
    if not mapping:
        return None
    onto: dict[str, str] = {}
    for t, o in sorted(mapping.items()):
        if onto.setdefault(o, t) != t:
            raise CrossingError(f"theirs' {onto[o]} and {t} are both ours' {o}")
    if closed and set(mapping) != set(mapping.values()):
        lost = sorted(set(mapping) - set(mapping.values()))
        raise CrossingError(
            f"theirs' {', '.join(lost)} would vanish (the two numberings use different ids, not the same ids swapped)"
        )
    for t, o in sorted(mapping.items()):
        mine, yours = ours_cases.get(o), theirs_cases.get(t)
        if mine is None or yours is None:
            continue  # removed on a side: its ledger entry carries it, the history still maps
        # Each side's recording at its own id's path is one recording under two names (merge.cassettes).
        if canonical(comparable_input(mine, o)) != canonical(comparable_input(yours, t)):
            raise CrossingError(
                f"event ids say theirs' {t} is ours' {o}, but their inputs differ "
                f'(ours "{mine.get("title")}", theirs "{yours.get("title")}")'
            )
    titles = {o: str((ours_cases.get(o) or theirs_cases.get(t) or {}).get("title") or "") for t, o in mapping.items()}
    return Crossing(mapping, events, titles)


def rewrite_case_ids(history: str, new_id: Callable[[dict[str, Any]], str | None]) -> tuple[str, int]:
    """`history` with `case_id` set to `new_id(event)` wherever that is not None.

    Every line is decided on the text as given, so a swap (0003 <-> 0004) is one
    pass; each line is edited by `appendonly.with_case_id`.
    """
    out, count = [], 0
    for line in re.findall(r"[^\n]*\n|[^\n]+\Z", history):  # lines with their `\n`, split at `\n` only
        body = line.rstrip("\r\n")
        event = loads_or_none(body) if body.strip() else None
        new = new_id(event) if isinstance(event, dict) else None
        if event is not None and new is not None and new != event.get("case_id"):
            line = with_case_id(body, event, new) + line[len(body) :]
            count += 1
        out.append(line)
    return "".join(out), count


def translate_history(history: str, mapping: dict[str, str], keep: Iterable[tuple[str, str]] = ()) -> tuple[str, int]:
    """Every event filed under an id of `mapping` refiled under its image, all at once;
    `keep`: (event id, case id) pairs left as they are (ours' own lines)."""
    kept = set(keep)

    def new_id(event: dict[str, Any]) -> str | None:
        case_id = event.get("case_id")
        if not isinstance(case_id, str) or case_id not in mapping or (event.get("id"), case_id) in kept:
            return None
        return mapping[case_id]

    return rewrite_case_ids(history, new_id)


def event_pairs(history: str) -> set[tuple[str, str]]:
    """(event id, case id) of every readable line."""
    return {(i, str(e.get("case_id"))) for i, e in _events(history).items()}


def translate_cases(text: str, mapping: dict[str, str], path: str = "cases.yaml") -> str:
    """cases.yaml with every case whose id is in `mapping` renamed to its image, all at
    once (one parse, edits in place, so a swap never meets a duplicate id); a cassette at
    the old id's default path follows to the new one's, as `renumber` moves it."""
    from failgate.dataset.casefile import set_entry_scalar
    from failgate.dataset.yamlstrict import load_yaml_text

    doc = load_yaml_text(text, path)
    items = doc.data.get("cases") if isinstance(doc.data, dict) else None
    present = {c.get("id"): c for c in items if isinstance(c, dict)} if isinstance(items, list) else {}
    lines = doc.text.split("\n")
    for old, new in sorted(mapping.items()):
        if old in present:
            new_ref = moved_ref(cassette_ref(present[old]), old, new)
            if new_ref is not None:  # found by the old id: edited before the id itself
                edit_input_cassette(doc, lines, old, new_ref)
            set_entry_scalar(doc, "cases", old, "id", new, lines=lines)
    return "\n".join(lines)


def cases_by_id(text: str, path: str = "cases.yaml") -> dict[str, dict[str, Any]]:
    """id -> case of one cases.yaml text ({} when it has no cases or does not load)."""
    from failgate.dataset.yamlstrict import load_yaml_text
    from failgate.findings import FailgateError

    if not text.strip():
        return {}
    try:
        data = load_yaml_text(text, path).data
    except FailgateError:
        return {}
    items = data.get("cases") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return {}
    return {str(c["id"]): c for c in items if isinstance(c, dict) and isinstance(c.get("id"), str)}
