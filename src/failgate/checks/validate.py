"""`validate`: JSON Schema plus the invariants that span files.

Pure over a parsed `Dataset`. Schema errors are all reported (not just the
first), each at the line of the offending node; a few invariants the schema
cannot express well (unknown rule names, ledger reasons) are checked in code
with a precise message, and the schema's vaguer error at the same place is
dropped so the user reads one finding per mistake.
"""

from __future__ import annotations

import datetime
import posixpath
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from failgate.dataset.history import regression_counts
from failgate.dataset.model import (
    CASES_FILE,
    FAILURE_MODES_V1,
    HISTORY_FILE,
    REMOVED_FILE,
    WATCHLIST_FILE,
    mode_name,
)
from failgate.dataset.parse import Dataset
from failgate.dataset.yamlstrict import YamlDocument
from failgate.findings import WARNING, Finding, Location

JsonPath = tuple[Any, ...]


def _json_path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _best_error(error: Any) -> Any:
    """For oneOf/anyOf failures, the most specific sub-error says more."""
    from jsonschema.exceptions import best_match

    if error.validator in ("oneOf", "anyOf") and error.context:
        return best_match(error.context)
    return error


# schema name -> (the list of entries, the definition of one entry)
ENTRY_DEFINITIONS = {
    "cases": ("cases", "/definitions/case"),
    "watchlist": ("cases", "/definitions/watchCase"),
    "cases_removed": ("removed", "/definitions/entry"),
    "aggregate-cases": ("cases", "/definitions/case"),
}


def _schema_errors(data: Any, schema_name: str) -> Iterable[tuple[JsonPath, Any]]:
    """(path, jsonschema error) for every violation, paying jsonschema's cost
    only for the entries that the fast check rejects."""
    from failgate.dataset.fastschema import compile_checker
    from failgate.dataset.schemas import SCHEMA_FILES, validator_for, validator_for_pointer

    file_name = SCHEMA_FILES[schema_name]
    whole = compile_checker(file_name)
    if whole is not None and whole(data):
        return
    key, pointer = ENTRY_DEFINITIONS.get(schema_name, (None, ""))
    entries = data.get(key) if key and isinstance(data, dict) else None
    item_check = compile_checker(file_name, pointer) if isinstance(entries, list) else None
    if item_check is None or not isinstance(entries, list):
        for error in validator_for(schema_name).iter_errors(data):
            yield tuple(error.absolute_path), error
        return
    for error in validator_for(schema_name).iter_errors({**data, key: []}):
        yield tuple(error.absolute_path), error
    item_validator = validator_for_pointer(schema_name, pointer)
    for index, entry in enumerate(entries):
        if not item_check(entry):
            for error in item_validator.iter_errors(entry):
                yield (key, index, *error.absolute_path), error


def schema_findings(doc: YamlDocument, schema_name: str, suppressed: set[JsonPath]) -> list[Finding]:
    findings = []
    missing: dict[JsonPath, list[str]] = {}
    for path, error in _schema_errors(doc.data, schema_name):
        best = _best_error(error)
        if best is not error:
            path = path[: len(path) - len(error.absolute_path)] + tuple(best.absolute_path)
            error = best
        if any(path[: len(s)] == s for s in suppressed):
            continue
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set(error.schema.get("properties", {}))
            extras = [k for k in error.instance if k not in allowed]
            for extra in extras:
                findings.append(
                    Finding(
                        "SCHEMA",
                        f"{_json_path(path + (extra,))}: unknown field '{extra}'" + _did_you_mean(str(extra), allowed),
                        doc.locate_key(list(path), str(extra)),
                    )
                )
            continue
        if error.validator == "required" and isinstance(error.instance, dict):
            # One finding per object listing every missing field, not one each.
            missing.setdefault(path, []).extend(f for f in error.validator_value if f not in error.instance)
            continue
        findings.append(Finding("SCHEMA", f"{_json_path(path)}: {error.message}", doc.locate(list(path))))
    for path, fields in missing.items():
        names = ", ".join(dict.fromkeys(fields))
        findings.append(
            Finding("SCHEMA", f"{_json_path(path)}: missing required field(s): {names}", doc.locate(list(path)))
        )
    return findings


def _did_you_mean(name: str, candidates: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.7)
    return f" (did you mean '{close[0]}'?)" if close else ""


# Rules whose value holds a JSON Schema of the user's: cases.schema.json can
# only say "an object", so the schema itself is checked here, at commit time.
_SCHEMA_RULES = ("json_schema", "tool_args_schema")


def _embedded_schema_findings(doc: YamlDocument, path: JsonPath, rule: dict[str, Any]) -> list[Finding]:
    from failgate.eval.judge import validate_rules

    ((name, value),) = rule.items()
    embedded = value if name == "json_schema" else value.get("schema") if isinstance(value, dict) else None
    if not isinstance(embedded, dict):
        return []  # the wrong shape is the schema check's finding, not a second one
    return [
        Finding("RULE", f"{_json_path(path)}: {message}", doc.locate(list(path)))
        for _, message in validate_rules([rule])
    ]


def _rule_findings(doc: YamlDocument, entries_key: str, suppressed: set[JsonPath]) -> list[Finding]:
    """Unknown rule names get their own finding: the schema's message for a
    oneOf over ten rule shapes is unreadable."""
    from failgate.eval.judge.kinds import RULE_NAMES  # the judge, imported only for a dataset with cases

    findings = []
    entries = doc.data.get(entries_key) if isinstance(doc.data, dict) else None
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        expected = entry.get("expected") if isinstance(entry, dict) else None
        if not isinstance(expected, list):
            continue
        for rule_index, rule in enumerate(expected):
            if not isinstance(rule, dict) or len(rule) != 1:
                continue
            (name,) = rule
            if name in _SCHEMA_RULES:
                findings.extend(_embedded_schema_findings(doc, (entries_key, index, "expected", rule_index), rule))
            if name in RULE_NAMES:
                continue
            path = (entries_key, index, "expected", rule_index)
            suppressed.add(path)
            findings.append(
                Finding(
                    "UNKNOWN_RULE",
                    f"{_json_path(path)}: unknown rule '{name}'{_did_you_mean(str(name), RULE_NAMES)}; "
                    f"known rules: {', '.join(RULE_NAMES)}",
                    doc.locate_key(list(path), str(name)),
                )
            )
    return findings


def _taxonomy_findings(dataset: Dataset) -> tuple[list[Finding], set[str]]:
    doc = dataset.cases_doc
    assert doc is not None
    header = dataset.header
    modes = header.get("failure_modes")
    version = header.get("schema_version")
    findings: list[Finding] = []
    if not isinstance(modes, list) or not isinstance(version, int):
        return findings, set(FAILURE_MODES_V1)  # the schema reports the shape
    names: list[str] = []
    for index, entry in enumerate(modes):
        name = mode_name(entry)
        if name is None:
            continue
        names.append(name)
        where = doc.locate(["failure_modes", index])
        if name in FAILURE_MODES_V1:
            continue
        if isinstance(entry, str):
            findings.append(
                Finding(
                    "TAXONOMY",
                    f"failure mode '{name}' is not one of version 1's seven; add a mode only with a "
                    f"schema_version bump, written as {{name: {name}, added_in: {max(version, 1) + 1}, "
                    f'rationale: "..."}}',
                    where,
                )
            )
            continue
        added_in = entry.get("added_in")
        if not isinstance(added_in, int) or added_in < 2 or added_in > version:
            findings.append(
                Finding(
                    "TAXONOMY",
                    f"failure mode '{name}' says added_in: {added_in!r} but schema_version is {version}; "
                    f"an added mode needs 2 <= added_in <= schema_version",
                    where,
                )
            )
        if not str(entry.get("rationale") or "").strip():
            findings.append(Finding("TAXONOMY", f"failure mode '{name}' needs a non-empty rationale", where))
    for name, count in Counter(names).items():
        if count > 1:
            findings.append(
                Finding("TAXONOMY", f"failure mode '{name}' is listed {count} times", doc.locate(["failure_modes"]))
            )
    missing = [m for m in FAILURE_MODES_V1 if m not in names]
    if missing:
        findings.append(
            Finding(
                "TAXONOMY",
                f"failure modes are never removed; missing: {', '.join(missing)}",
                doc.locate(["failure_modes"]),
            )
        )
    if version > 1 and not any(isinstance(e, dict) for e in modes):
        findings.append(
            Finding(
                "TAXONOMY",
                f"schema_version {version} but no added failure mode records why; "
                f"version 1's taxonomy goes with schema_version: 1",
                doc.locate(["schema_version"]),
            )
        )
    return findings, set(names)


def _case_findings(
    dataset: Dataset, modes: set[str], fixture_exists: Callable[[str], bool], check_hash: bool
) -> list[Finding]:
    doc = dataset.cases_doc
    assert doc is not None
    findings: list[Finding] = []
    first_seen: dict[str, int] = {}
    removed = set(dataset.removed_ids())
    regressed = regression_counts(e for _, e in dataset.usable_events())
    for index, case in enumerate(dataset.cases):
        case_id = case.get("id")
        if isinstance(case_id, str):
            if case_id in first_seen:
                findings.append(
                    Finding(
                        "DUPLICATE_ID",
                        f"{case_id} is already used by the case at line {doc.locate(['cases', first_seen[case_id]]).line}; "
                        "ids are unique",
                        dataset.case_location(index, "id"),
                    )
                )
            else:
                first_seen[case_id] = index
            if case_id in removed:
                findings.append(
                    Finding(
                        "ID_REUSED",
                        f"{case_id} was removed (see {dataset.path(REMOVED_FILE)}); ids are never reused, "
                        "give this case a new id",
                        dataset.case_location(index, "id"),
                    )
                )
        mode = case.get("failure_mode")
        if isinstance(mode, str) and mode not in modes:
            findings.append(
                Finding(
                    "UNKNOWN_MODE",
                    f"failure_mode '{mode}' is not in this dataset's taxonomy ({', '.join(sorted(modes))})"
                    + _did_you_mean(mode, modes),
                    dataset.case_location(index, "failure_mode"),
                )
            )
        count = case.get("regressed_count")
        if isinstance(count, int) and isinstance(case_id, str) and count != regressed.get(case_id, 0):
            findings.append(
                Finding(
                    "REGRESSED_COUNT",
                    f"{case_id}: regressed_count is {count} but {dataset.path(HISTORY_FILE)} records "
                    f"{regressed.get(case_id, 0)} regression(s) ('regressed' events naming the same earlier pass "
                    "count once); `failgate fmt` sets it from the history",
                    dataset.case_location(index, "regressed_count"),
                )
            )
        repeat = case.get("repeat")
        if isinstance(repeat, dict) and isinstance(repeat.get("min"), int) and isinstance(repeat.get("max"), int):
            if repeat["min"] > repeat["max"]:
                findings.append(
                    Finding(
                        "REPEAT_RANGE",
                        f"repeat: min ({repeat['min']}) is above max ({repeat['max']}); "
                        "min is the attempts always run, max the most the case may spend",
                        dataset.case_location(index, "repeat"),
                    )
                )
        findings.extend(_input_findings(dataset, index, case, fixture_exists, check_hash))
    return findings


def _input_findings(
    dataset: Dataset, index: int, case: dict[str, Any], fixture_exists: Callable[[str], bool], check_hash: bool
) -> list[Finding]:
    findings: list[Finding] = []
    case_input = case.get("input")
    if not isinstance(case_input, dict):
        return findings
    fixtures = case_input.get("fixtures")
    for f_index, fixture in enumerate(fixtures if isinstance(fixtures, list) else []):
        if not isinstance(fixture, str):
            continue
        where = dataset.case_location(index, "input", "fixtures", f_index)
        normal = posixpath.normpath(fixture)
        if fixture.startswith(("/", "\\")) or (len(fixture) > 1 and fixture[1] == ":"):
            findings.append(
                Finding(
                    "FIXTURE", f"fixture '{fixture}' is absolute; use a path relative to the dataset directory", where
                )
            )
        elif normal == ".." or normal.startswith("../") or "\\" in fixture:
            findings.append(Finding("FIXTURE", f"fixture '{fixture}' points outside the dataset directory", where))
        elif not fixture_exists(normal):
            findings.append(Finding("FIXTURE", f"fixture '{fixture}' does not exist in {dataset.directory}/", where))
    recorded = case.get("input_hash")
    if check_hash and isinstance(recorded, str):
        from failgate.dataset.hashing import input_hash

        actual = input_hash(case_input)
        if actual != recorded:
            findings.append(
                Finding(
                    "INPUT_HASH",
                    f"{case.get('id')}: input_hash does not match the input (expected {actual}); "
                    "intake dedupes by it: `failgate fmt` fills it in",
                    dataset.case_location(index, "input_hash"),
                    severity=WARNING,
                )
            )
    return findings


def _ledger_findings(dataset: Dataset, suppressed: set[JsonPath]) -> list[Finding]:
    doc = dataset.removed_doc
    assert doc is not None
    findings = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(dataset.removed):
        entry_id = entry.get("id")
        where = doc.locate(["removed", index])
        if not str(entry.get("reason") or "").strip():
            suppressed.add(("removed", index, "reason"))
            findings.append(Finding("LEDGER_REASON", f"{entry_id}: a removal needs a non-empty reason", where))
        snapshot = entry.get("case")
        if not isinstance(snapshot, dict) or not snapshot:
            suppressed.add(("removed", index, "case"))
            findings.append(
                Finding("LEDGER_SNAPSHOT", f"{entry_id}: a removal keeps a snapshot of the case under 'case:'", where)
            )
        elif snapshot.get("id") != entry_id:
            findings.append(
                Finding(
                    "LEDGER_SNAPSHOT",
                    f"{entry_id}: the snapshot's id is {snapshot.get('id')!r}",
                    doc.locate(["removed", index, "case"]),
                )
            )
        if isinstance(entry_id, str):
            if entry_id in seen:
                findings.append(
                    Finding("DUPLICATE_ID", f"{entry_id} is removed twice (first at line {seen[entry_id]})", where)
                )
            else:
                seen[entry_id] = where.line
    return findings


# How far ahead of this machine's clock an event's `ts` may be: clocks of
# CI runners and laptops drift, but not by a day.
CLOCK_SKEW = datetime.timedelta(days=1)


def _history_findings(
    dataset: Dataset, known_ids: set[str] | None, now: datetime.datetime | None = None
) -> list[Finding]:
    from failgate.dataset.fastschema import compile_checker
    from failgate.dataset.schemas import validator_for

    fast = compile_checker("history-event.schema.json")
    path = dataset.path(HISTORY_FILE)
    findings = []
    seen: dict[str, int] = {}
    unknown: dict[str, list[int]] = {}
    latest = ((now or datetime.datetime.now(datetime.timezone.utc)) + CLOCK_SKEW).strftime("%Y-%m-%dT%H:%M:%SZ")
    for lineno, event in dataset.events():
        ts = event.get("ts")
        if isinstance(ts, str) and ts[:19] > latest[:19]:
            findings.append(
                Finding(
                    "FUTURE_EVENT",
                    f"ts {ts} is more than a day ahead of this clock ({latest[:19]}Z "
                    "allowed); events are recorded when they happen",
                    Location(path, lineno, 1),
                )
            )
        if fast is not None and fast(event):
            errors = []
        else:
            errors = list(validator_for("history-event").iter_errors(event))
        for error in errors:
            error = _best_error(error)
            findings.append(
                Finding(
                    "HISTORY_EVENT", f"{_json_path(error.absolute_path)}: {error.message}", Location(path, lineno, 1)
                )
            )
        passes, attempts = event.get("passes"), event.get("attempts")
        if isinstance(passes, int) and isinstance(attempts, int) and passes > attempts:
            findings.append(
                Finding(
                    "RESULT_TALLY",
                    f"passes ({passes}) is more than attempts ({attempts}); a k/N result passes at most N attempts",
                    Location(path, lineno, 1),
                )
            )
        event_id = event.get("id")
        if isinstance(event_id, str):
            if event_id in seen:
                findings.append(
                    Finding(
                        "DUPLICATE_EVENT",
                        f"event id {event_id} already used at line {seen[event_id]}",
                        Location(path, lineno, 1),
                    )
                )
            else:
                seen[event_id] = lineno
        case_id = event.get("case_id")
        if known_ids is not None and isinstance(case_id, str) and case_id not in known_ids:
            unknown.setdefault(case_id, []).append(lineno)
    # One finding per unknown case, not one per event: dropping a case with a
    # long history would otherwise bury the message under identical lines.
    for case_id, lines in unknown.items():
        more = (
            f" (and {len(lines) - 1} more event(s), lines {', '.join(map(str, lines[1:6]))}{', ...' if len(lines) > 6 else ''})"
            if len(lines) > 1
            else ""
        )
        findings.append(
            Finding(
                "UNKNOWN_CASE",
                f"event names {case_id}{more}, which is neither a case nor a removed case; "
                f"if it was deleted by hand, restore it and remove it on the record with `failgate remove`",
                Location(path, lines[0], 1),
            )
        )
    return findings


def validate_dataset(
    dataset: Dataset,
    *,
    fixture_exists: Callable[[str], bool] = lambda _: True,
    check_hash: bool = True,
    now: datetime.datetime | None = None,
) -> list[Finding]:
    """Every finding for one dataset; load findings (bad YAML/JSON) included."""
    findings = list(dataset.findings)
    if CASES_FILE not in dataset.present:
        findings.append(
            Finding(
                "MISSING_FILE",
                f"no {CASES_FILE}; run `failgate init` to scaffold the dataset",
                Location(dataset.path(CASES_FILE)),
            )
        )
    modes: set[str] = set(FAILURE_MODES_V1)
    if dataset.cases_doc is not None:
        doc = dataset.cases_doc
        suppressed: set[JsonPath] = set()
        findings.extend(_rule_findings(doc, "cases", suppressed))
        taxonomy, modes = _taxonomy_findings(dataset)
        findings.extend(taxonomy)
        # Bare-string modes beyond v1's seven are reported once, by the taxonomy check.
        modes_list = dataset.header.get("failure_modes")
        for index, entry in enumerate(modes_list if isinstance(modes_list, list) else []):
            if isinstance(entry, str):
                suppressed.add(("failure_modes", index))
        # Fixture paths get their own finding (FIXTURE) with a readable message.
        for index, case in enumerate(dataset.cases):
            if isinstance(case.get("input"), dict) and isinstance(case["input"].get("fixtures"), list):
                suppressed.update(
                    ("cases", index, "input", "fixtures", j) for j in range(len(case["input"]["fixtures"]))
                )
        findings.extend(schema_findings(doc, "cases", suppressed))
        findings.extend(_case_findings(dataset, modes, fixture_exists, check_hash))
    if dataset.removed_doc is not None:
        suppressed = set()
        findings.extend(_ledger_findings(dataset, suppressed))
        findings.extend(schema_findings(dataset.removed_doc, "cases_removed", suppressed))
    if dataset.watchlist_doc is not None:
        suppressed = set()
        findings.extend(_rule_findings(dataset.watchlist_doc, "cases", suppressed))
        findings.extend(schema_findings(dataset.watchlist_doc, "watchlist", suppressed))
        gating = set(dataset.case_ids()) | set(dataset.removed_ids())
        for index, case in enumerate(dataset.watchlist):
            if isinstance(case.get("id"), str) and case["id"] in gating:
                findings.append(
                    Finding(
                        "DUPLICATE_ID",
                        f"{case.get('id')} is also in {CASES_FILE} or the ledger; a case lives in one place",
                        dataset.watchlist_doc.locate(["cases", index, "id"]),
                    )
                )
    known = (
        set(dataset.case_ids())
        | set(dataset.removed_ids())
        | {c["id"] for c in dataset.watchlist if isinstance(c.get("id"), str)}
    )
    # A YAML file that could not be read names no ids: every event would then
    # be an UNKNOWN_CASE, burying the one finding that matters.
    unreadable = any(
        name in dataset.present and doc is None
        for name, doc in (
            (CASES_FILE, dataset.cases_doc),
            (REMOVED_FILE, dataset.removed_doc),
            (WATCHLIST_FILE, dataset.watchlist_doc),
        )
    )
    # Likewise an id written as a list or mapping (its SCHEMA finding says so).
    unreadable = unreadable or any(
        not isinstance(entry.get("id"), str) for entry in (*dataset.cases, *dataset.removed, *dataset.watchlist)
    )
    findings.extend(_history_findings(dataset, None if unreadable else known, now=now))
    return findings


__all__ = ["validate_dataset", "schema_findings", "WATCHLIST_FILE"]
