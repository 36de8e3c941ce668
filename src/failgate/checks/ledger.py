"""`check-ledger`: the dataset shrinks only with a paper trail.

Pure: compares two parsed `Dataset`s, the base (HEAD, or the merge-base in
CI) and now (the index, or the commit under test), and returns every
violation as a `Finding` in one run (docs/explanation/ledger.md: users fix everything at once
instead of fix, rerun, fix):

- VANISHED: a case id at the base is in neither `cases.yaml` nor
  `watchlist.yaml` now, and has no entry in `cases_removed.yaml`;
- LEDGER_EDITED / LEDGER_DELETED / LEDGER_REORDERED: the ledger is append-only;
- HISTORY_EDITED / HISTORY_DELETED / HISTORY_REORDERED: so is `history.jsonl`;
- ID_REUSED: an id in the ledger is back in `cases.yaml`, or a new case takes
  an id that ever existed at the base (cases, watchlist, ledger, history);
- TAXONOMY_CHANGED / SCHEMA_VERSION_DECREASED: the taxonomy changes only
  with a `schema_version` bump, by added modes carrying a rationale;
- REMOVED_WITHOUT_EVENT: a new ledger entry with no `removed` event.

"Append-only" is `failgate.merge.appendonly.find_tampering` — the rule the
merge driver uses — so a merge the driver accepts is one this check accepts.
Content is compared parsed (canonical JSON), so CRLF vs LF, JSON whitespace
and key order are not edits.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any, TypeGuard

from failgate.dataset.model import CASES_FILE, HISTORY_FILE, REMOVED_FILE, WATCHLIST_FILE, mode_name
from failgate.dataset.parse import Dataset
from failgate.findings import WARNING, Finding, Location
from failgate.merge.appendonly import DELETED, EDITED, EventKey, canonical, case_id_only, find_tampering

# Past this many findings of one code, the rest are summed up in one line:
# a history truncated by 50,000 lines needs one message, not 50,000.
MAX_PER_CODE = 25


def check_ledger(base: Dataset, now: Dataset) -> list[Finding]:
    """Every way `now` breaks the append-only promises made at `base`."""
    findings: list[Finding] = []
    unreadable = _unreadable(now)
    findings.extend(f for f in now.findings if f.location.path in unreadable)
    findings.extend(_base_warnings(base))
    if now.path(CASES_FILE) not in unreadable and now.path(WATCHLIST_FILE) not in unreadable:
        findings.extend(_vanished(base, now))
        findings.extend(_reused(base, now))
        findings.extend(_taxonomy(base, now))
    if now.path(REMOVED_FILE) not in unreadable:
        findings.extend(_ledger_append_only(base, now))
    if now.path(HISTORY_FILE) not in unreadable:
        findings.extend(_history_append_only(base, now))
        findings.extend(_unreadable_added_lines(base, now))
        findings.extend(_added_history_lines(base, now))
    if now.path(REMOVED_FILE) not in unreadable and now.path(HISTORY_FILE) not in unreadable:
        findings.extend(_removed_without_event(base, now))
    return _cap(findings)


# -- helpers -----------------------------------------------------------------


def _unreadable(dataset: Dataset) -> set[str]:
    """Paths of files that exist but could not be parsed at all."""
    paths: set[str] = set()
    for name, doc in (
        (CASES_FILE, dataset.cases_doc),
        (REMOVED_FILE, dataset.removed_doc),
        (WATCHLIST_FILE, dataset.watchlist_doc),
    ):
        if name in dataset.present and doc is None:
            paths.add(dataset.path(name))
    if HISTORY_FILE in dataset.present and not dataset.history:
        # Only a decode failure leaves a non-empty history with no lines.
        if any(f.location.path == dataset.path(HISTORY_FILE) for f in dataset.findings):
            paths.add(dataset.path(HISTORY_FILE))
    return paths


def _unreadable_added_lines(base: Dataset, now: Dataset) -> list[Finding]:
    """An added history line that is not strict JSON (a lone surrogate, a
    repeated key, a 4,301-digit number, nesting past the limit) cannot be
    checked against anything: refuse it at its line. Lines the base already
    had are the base's business, not this commit's."""
    old = {line.raw for line in base.history}
    added = {line.lineno for line in now.history if line.event is None and line.raw not in old}
    path = now.path(HISTORY_FILE)
    return [f for f in now.findings if f.location.path == path and f.location.line in added]


def _added_history_lines(base: Dataset, now: Dataset) -> list[Finding]:
    """Each added history line is one event in the form failgate writes (`dataset.events.event_line`),
    with an id no other line holds. An escape (`"res\\u0075lt"`) or a second event under an
    existing id reads one way to one reader and another way to the next: refused at its line."""
    from failgate.dataset.events import event_line

    old = {line.raw for line in base.history}
    counts = _counts(str(line.event.get("id")) for line in now.history if line.event is not None)
    path = now.path(HISTORY_FILE)
    findings = []
    for line in now.history:
        event = line.event
        if event is None:
            continue
        ident = event.get("id")
        if line.raw in old:
            continue
        if line.raw != event_line(event)[:-1]:
            findings.append(
                Finding(
                    "NONCANONICAL",
                    f"event {ident!r} is not written the way failgate writes events (one JSON object, "
                    '`": "` and `, ` separators, no escapes for printable characters); write it with a '
                    "failgate command",
                    Location(path, line.lineno),
                )
            )
        if isinstance(ident, str) and counts.get(ident, 0) > 1:
            findings.append(
                Finding(
                    "DUPLICATE_EVENT",
                    f"event id {ident} is already used by another line; an event is recorded once, under its own id",
                    Location(path, line.lineno),
                )
            )
    return findings


def _base_warnings(base: Dataset) -> list[Finding]:
    # A base that was committed broken (--no-verify) limits what can be
    # compared; say so rather than pretend the comparison was complete.
    return [
        Finding(
            "BASE_UNREADABLE",
            f"cannot compare against {f.location.path} at the base ({f.code}: {f.message}); "
            "checks that need it were skipped",
            Location(f.location.path),
            WARNING,
        )
        for f in base.findings
        if f.location.path in _unreadable(base)
    ]


def _ids(entries: Iterable[dict[str, Any]]) -> list[str]:
    return [e["id"] for e in entries if isinstance(e.get("id"), str)]


def _file_location(dataset: Dataset, name: str, key: str | None = None) -> Location:
    doc = {CASES_FILE: dataset.cases_doc, REMOVED_FILE: dataset.removed_doc}.get(name)
    if doc is not None and key is not None:
        return doc.locate_key([], key)
    return Location(dataset.path(name), 1 if name in dataset.present else 0)


def _case_locations(dataset: Dataset) -> dict[str, Location]:
    doc = dataset.cases_doc
    if doc is None or not isinstance(doc.data, dict) or not isinstance(doc.data.get("cases"), list):
        return {}
    where: dict[str, Location] = {}
    for index, case in enumerate(doc.data["cases"]):
        if isinstance(case, dict) and isinstance(case.get("id"), str):
            where.setdefault(case["id"], doc.locate(["cases", index, "id"]))
    return where


def _ledger_locations(dataset: Dataset) -> list[tuple[str | None, Location, dict[str, Any]]]:
    doc = dataset.removed_doc
    if doc is None or not isinstance(doc.data, dict) or not isinstance(doc.data.get("removed"), list):
        return []
    out = []
    for index, entry in enumerate(doc.data["removed"]):
        ident = entry.get("id") if isinstance(entry, dict) else None
        out.append(
            (
                ident if isinstance(ident, str) else None,
                doc.locate(["removed", index]),
                entry if isinstance(entry, dict) else {"value": entry},
            )
        )
    return out


def _counts(ids: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ident in ids:
        counts[ident] = counts.get(ident, 0) + 1
    return counts


def _history_case_ids(dataset: Dataset) -> set[str]:
    return {e["case_id"] for _, e in dataset.usable_events() if "case_id" in e}


# -- VANISHED ------------------------------------------------------------------


def _vanished(base: Dataset, now: Dataset) -> list[Finding]:
    present_now = set(now.case_ids()) | set(_ids(now.watchlist))
    ledger_now = set(now.removed_ids())
    base_where = _case_locations(base)
    where = _file_location(now, CASES_FILE, "cases")
    findings = []
    for case_id in base.case_ids():
        if case_id in present_now or case_id in ledger_now:
            continue
        was = base_where.get(case_id)
        at = f" (line {was.line} at the base)" if was else ""
        findings.append(
            Finding(
                "VANISHED",
                f"{case_id}{at} is gone from {CASES_FILE} with no entry in {REMOVED_FILE}; restore it, or "
                f"remove it on the record: failgate remove {case_id} --reason '...' --by '...'",
                where,
            )
        )
    return findings


# -- ID_REUSED -------------------------------------------------------------------


def _reused(base: Dataset, now: Dataset) -> list[Finding]:
    findings = []
    reported: set[str] = set()
    where = _case_locations(now)
    ledger_now = set(now.removed_ids())
    was_case = set(base.case_ids()) | set(_ids(base.watchlist))
    ever = was_case | set(base.removed_ids()) | _history_case_ids(base)
    for case_id in now.case_ids():
        if case_id in reported:
            continue
        loc = where.get(case_id, _file_location(now, CASES_FILE))
        if case_id in ledger_now:
            reported.add(case_id)
            findings.append(
                Finding(
                    "ID_REUSED",
                    f"{case_id} is in {REMOVED_FILE} and back in {CASES_FILE}; ids are never reused, "
                    "give the case a new id",
                    loc,
                )
            )
        elif case_id not in was_case and case_id in ever:
            reported.add(case_id)
            findings.append(
                Finding(
                    "ID_REUSED",
                    f"{case_id} is a new case with an id that already existed (in the ledger or history at "
                    "the base); ids are never reused, give the case a new id",
                    loc,
                )
            )
    # A second ledger entry for one id: an id is removed once.
    base_counts = _counts(base.removed_ids())
    entries = _ledger_locations(now)
    for ident, n in _counts(now.removed_ids()).items():
        if n > 1 and n > base_counts.get(ident, 0):
            loc = next(loc for i, loc, _ in reversed(entries) if i == ident)
            findings.append(
                Finding("ID_REUSED", f"{ident} has {n} entries in {REMOVED_FILE}; a case is removed once", loc)
            )
    return findings


# -- taxonomy ------------------------------------------------------------------


def _modes(dataset: Dataset) -> dict[str, Any]:
    modes = dataset.header.get("failure_modes")
    if not isinstance(modes, list):
        return {}
    out: dict[str, Any] = {}
    for entry in modes:
        name = mode_name(entry)
        if name is not None:
            out[name] = entry
    return out


def _taxonomy(base: Dataset, now: Dataset) -> list[Finding]:
    if base.cases_doc is None or now.cases_doc is None:
        return []  # added or deleted dataset: nothing to compare
    findings = []
    old_v, new_v = base.header.get("schema_version"), now.header.get("schema_version")
    version_loc = now.cases_doc.locate(["schema_version"])
    modes_loc = now.cases_doc.locate(["failure_modes"])
    # not comparable unless both are integers: validate reports a version that is not one
    versions = (old_v, new_v) if _is_version(old_v) and _is_version(new_v) else None
    if versions is not None and versions[1] < versions[0]:
        findings.append(
            Finding(
                "SCHEMA_VERSION_DECREASED",
                f"schema_version went from {old_v} to {new_v}; it only ever increases",
                version_loc,
            )
        )
    old_modes, new_modes = _modes(base), _modes(now)
    if old_modes == new_modes:
        return findings
    bumped = versions is not None and versions[1] > versions[0]
    for name in old_modes:
        if name not in new_modes:
            findings.append(
                Finding("TAXONOMY_CHANGED", f"failure mode {name!r} was removed; modes are never removed", modes_loc)
            )
        elif canonical(new_modes[name]) != canonical(old_modes[name]):
            findings.append(
                Finding(
                    "TAXONOMY_CHANGED", f"failure mode {name!r} was changed; existing modes stay as they are", modes_loc
                )
            )
    added = [name for name in new_modes if name not in old_modes]
    if added and not bumped:
        findings.append(
            Finding(
                "TAXONOMY_CHANGED",
                f"failure mode(s) {', '.join(added)} added without a schema_version bump "
                f"(still {new_v}); bump it and give each added mode a rationale",
                modes_loc,
            )
        )
    for name in added:
        entry = new_modes[name]
        rationale = entry.get("rationale") if isinstance(entry, dict) else None
        if not isinstance(rationale, str) or not rationale.strip():
            findings.append(
                Finding(
                    "TAXONOMY_CHANGED",
                    f"added failure mode {name!r} needs a rationale: "
                    f'{{name: {name}, added_in: {new_v}, rationale: "..."}}',
                    modes_loc,
                )
            )
        elif bumped and entry.get("added_in") != new_v:
            findings.append(
                Finding(
                    "TAXONOMY_CHANGED",
                    f"added failure mode {name!r} says added_in: {entry.get('added_in')!r}, "
                    f"but this change bumps schema_version to {new_v}",
                    modes_loc,
                )
            )
    return findings


# -- append-only files -----------------------------------------------------------


def _ledger_keys(dataset: Dataset) -> list[EventKey]:
    keys: list[EventKey] = []
    for ident, loc, entry in _ledger_locations(dataset):
        content = canonical(entry)
        key: Hashable = ident if ident is not None else ("noid", content)
        keys.append((loc.line, key, content))
    return keys


def _ledger_append_only(base: Dataset, now: Dataset) -> list[Finding]:
    old = _ledger_keys(base)
    if not old:
        return []
    path = now.path(REMOVED_FILE)
    if REMOVED_FILE not in now.present:
        return [
            Finding(
                "LEDGER_DELETED",
                f"{REMOVED_FILE} was deleted; it held {len(old)} entries and is append-only — restore it",
                Location(path),
            )
        ]
    findings = []
    for tamper in find_tampering(old, _ledger_keys(now)):
        ident = tamper.event_id if isinstance(tamper.event_id, str) else "an entry without an id"
        line = tamper.new_line or tamper.old_line
        if tamper.kind == DELETED:
            findings.append(
                Finding(
                    "LEDGER_DELETED",
                    f"ledger entry {ident} (line {tamper.old_line} at the base) was deleted; the ledger is "
                    "append-only — restore it",
                    Location(path, line),
                )
            )
        elif tamper.kind == EDITED:
            findings.append(
                Finding(
                    "LEDGER_EDITED",
                    f"ledger entry {ident} was edited (line {tamper.old_line} at the base); entries are never "
                    "changed — restore it",
                    Location(path, line),
                )
            )
        else:
            findings.append(
                Finding(
                    "LEDGER_REORDERED",
                    f"ledger entry {ident} was moved (line {tamper.old_line} at the base); entries keep their order",
                    Location(path, line),
                )
            )
    return findings


def history_keys(dataset: Dataset) -> list[EventKey]:
    """`(line, event id, canonical JSON)` per history line, for `find_tampering`.
    A line without an id (or not JSON) is keyed by its raw text, so it too
    must survive unchanged."""
    keys: list[EventKey] = []
    for line in dataset.history:
        event = line.event
        if event is not None and isinstance(event.get("id"), str) and event["id"]:
            keys.append((line.lineno, event["id"], canonical(event)))
        else:
            keys.append((line.lineno, ("raw", line.raw), line.raw))
    return keys


def _history_append_only(base: Dataset, now: Dataset) -> list[Finding]:
    if not base.history:
        return []
    path = now.path(HISTORY_FILE)
    if HISTORY_FILE not in now.present:
        return [
            Finding(
                "HISTORY_DELETED",
                f"{HISTORY_FILE} was deleted; it held {len(base.history)} events and is append-only — restore it",
                Location(path),
            )
        ]
    # Fast path: the usual commit only appends, so the base's lines are the
    # first lines now (CR already stripped by the parser); a list comparison
    # of strings is far cheaper than re-serialising 100,000 events twice.
    n = len(base.history)
    if len(now.history) >= n and all(a.raw == b.raw for a, b in zip(base.history, now.history[:n])):
        return []
    findings = []
    case_at_line = {line.lineno: line.event.get("case_id") for line in base.history if line.event}
    base_at_line: dict[int, Any] = {}
    now_at_line: dict[int, Any] | None = None
    for tamper in find_tampering(history_keys(base), history_keys(now)):
        ident = tamper.event_id if isinstance(tamper.event_id, str) else "a line without an id"
        case = case_at_line.get(tamper.old_line)
        case = case if isinstance(case, str) else None
        about = f" (case {case})" if case else ""
        if tamper.kind == DELETED:
            findings.append(
                Finding(
                    "HISTORY_DELETED",
                    f"event {ident}{about} (line {tamper.old_line} at the base) was deleted; history.jsonl is "
                    "append-only — restore the line",
                    Location(path, tamper.old_line),
                )
            )
        elif tamper.kind == EDITED:
            if now_at_line is None:  # built once, and only when a line was edited
                base_at_line = {line.lineno: line.event for line in base.history}
                now_at_line = {line.lineno: line.event for line in now.history}
            crossed = case_id_only(base_at_line.get(tamper.old_line or 0), now_at_line.get(tamper.new_line or 0))
            refiled = crossed[1] if crossed else None
            fix = (
                f"filed under {refiled} here: a renumbering of a line the base has published. Published ids "
                "are never rewritten: if this branch renumbered in a merge, rebase it onto the base instead "
                "(`git rebase <base>`, `failgate renumber` wherever it stops, `git rebase --continue`; the "
                'manual\'s "Both of you renumbered")'
                if refiled
                else "earlier lines are never changed — restore it and append a new event instead"
            )
            findings.append(
                Finding(
                    "HISTORY_EDITED",
                    f"event {ident}{about} was edited (line {tamper.old_line} at the base); {fix}",
                    Location(path, tamper.new_line or tamper.old_line),
                )
            )
        else:
            findings.append(
                Finding(
                    "HISTORY_REORDERED",
                    f"event {ident}{about} was moved (line {tamper.old_line} at the base); earlier lines keep "
                    "their order",
                    Location(path, tamper.new_line or tamper.old_line),
                )
            )
    return findings


# -- REMOVED_WITHOUT_EVENT ---------------------------------------------------------


def _removed_without_event(base: Dataset, now: Dataset) -> list[Finding]:
    base_ledger = set(base.removed_ids())
    with_event = {
        e["case_id"] for _, e in now.events() if e.get("type") == "removed" and isinstance(e.get("case_id"), str)
    }
    findings = []
    for ident, loc, _ in _ledger_locations(now):
        if ident is None or ident in base_ledger or ident in with_event:
            continue
        findings.append(
            Finding(
                "REMOVED_WITHOUT_EVENT",
                f"{ident} was removed without a 'removed' event in {HISTORY_FILE}; `failgate remove` writes both",
                loc,
            )
        )
    return findings


def _cap(findings: list[Finding]) -> list[Finding]:
    counts: dict[str, int] = {}
    kept: list[Finding] = []
    last: dict[str, Finding] = {}
    for finding in findings:
        n = counts.get(finding.code, 0) + 1
        counts[finding.code] = n
        if n <= MAX_PER_CODE:
            kept.append(finding)
            last[finding.code] = finding
    for code, n in counts.items():
        if n > MAX_PER_CODE:
            kept.append(
                Finding(
                    code,
                    f"... and {n - MAX_PER_CODE} more {code} findings like the ones above",
                    Location(last[code].location.path),
                )
            )
    return kept


def _is_version(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)
