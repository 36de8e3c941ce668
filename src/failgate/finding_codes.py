"""Every finding code failgate prints, with what it means and what to do about it.

A finding prints as `path:line:col: CODE message`; the code is stable and greppable, and this
registry is the one place that says what each means. The manual's "Finding codes" page is
generated from it (`docs/gen_reference.py`), and a test scans the package's source for every
code it builds and fails when one is missing here, or when an entry here is built nowhere.
Adding a code: build it in the check, then add one entry below (keep the sections' order).
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class FindingCode:
    reported_by: str  # the commands (or hooks) that print it
    meaning: str  # one line: what is wrong
    fix: str  # one line: what to do about it


def _code(reported_by: str, meaning: str, fix: str) -> FindingCode:
    return FindingCode(reported_by, meaning, fix)


_YAML = "every command that reads a YAML dataset file"

CODES: dict[str, FindingCode] = {
    # -- strict YAML: the loader refuses what YAML would silently accept or mangle ----------
    "YAML_SYNTAX": _code(
        _YAML,
        "The file is not valid YAML (an unclosed quote, a bad indent, a comment glued to a value).",
        "Fix the syntax at the line shown; a comment needs a space before `#`.",
    ),
    "DUPLICATE_KEY": _code(
        _YAML,
        "A mapping defines the same key twice; YAML would keep the last silently.",
        "Delete or merge one of the two keys (the message names the first one's line).",
    ),
    "KEY_TYPE": _code(
        _YAML,
        "Two keys that differ in YAML (`1` and `true`, `1` and `1.0`) load as the same key, or a key is not a plain scalar.",
        "Quote the keys, or use a plain string key.",
    ),
    "ALIAS": _code(
        _YAML,
        "An anchor (`&a`), alias (`*a`) or merge key (`<<`): refused, they hide what a case holds and allow billion-laughs files.",
        "Write the value out in full.",
    ),
    "TAG": _code(
        _YAML,
        "An explicit YAML tag (`!!str`, `!python/...`).",
        "Remove the tag; quote the value if it must stay a string.",
    ),
    "TAB": _code(_YAML, "A tab character in indentation; YAML allows only spaces.", "Indent with spaces."),
    "BOM": _code(_YAML, "The file starts with a UTF-8 byte-order mark.", "Save the file as UTF-8 without BOM."),
    "ENCODING": _code(
        _YAML,
        "Not UTF-8 (invalid bytes, UTF-16), a control character, or a raw NEL (U+0085) the parser would fold into a line break.",
        "Save as UTF-8; write special characters as escapes inside double quotes (`\\N`).",
    ),
    "EMPTY": _code(
        _YAML,
        "The file is empty.",
        "Write the header (`failgate init` scaffolds one), or delete the file if it is optional.",
    ),
    "MULTI_DOCUMENT": _code(_YAML, "The file holds several YAML documents (`---`).", "Keep one document per file."),
    "NOT_MAPPING": _code(
        _YAML,
        "The top level is a list or a scalar, not a mapping with a header and entries.",
        "Restore the header keys (`schema_version`, ...) at the top level.",
    ),
    "TOO_DEEP": _code(
        _YAML,
        "Mappings and lists nested more than 64 levels deep.",
        "Flatten the value; nothing a case needs is nested that deep.",
    ),
    "NUMBER": _code(_YAML, "An integer of more than 4,300 digits (Python's limit).", "Quote it if it is text."),
    # -- files and paths -------------------------------------------------------------------
    "MISSING_FILE": _code(
        "validate, judge-check",
        "A file the command needs is missing: `cases.yaml`, or the configured gold set.",
        "Run `failgate init` to scaffold the dataset, or write the gold set (or set `[tool.failgate.judge] gold`).",
    ),
    "NOT_A_FILE": _code(
        "every command that reads the dataset",
        "A dataset file is a directory, a FIFO or another non-regular file (never opened, so a hook cannot block).",
        "Move it aside and run `failgate validate`.",
    ),
    "UNREADABLE": _code(
        "validate, every command that reads the dataset",
        "The file cannot be read (permissions, I/O error).",
        "Fix the file's permissions, or check the disk.",
    ),
    "OUTSIDE_REPO": _code(
        "every command; validate for fixtures",
        "A dataset file, the dataset directory or a fixture is a symlink resolving outside the repository; failgate neither reads nor writes through it.",
        "Make it a regular file, or a link inside the repository.",
    ),
    "CONFLICT_MARKERS": _code(
        "every command that parses the dataset",
        "An unresolved merge conflict (`<<<<<<<`) in a dataset file.",
        "Keep both sides' lines, remove the markers and `git add` the file; with failgate on PATH the merge driver does this itself.",
    ),
    "CONFIG": _code(
        "every command",
        "The configuration is invalid: TOML syntax, an unknown key, or a value of the wrong type (exit 2).",
        "Fix the key at the line shown; every key is in the configuration reference.",
    ),
    # -- cases.yaml: schema and invariants (validate) --------------------------------------
    "SCHEMA": _code(
        "validate; gate (a set's cases)",
        "A case, ledger entry or set case does not match its JSON Schema (a missing field, an unknown field, a value out of its vocabulary).",
        "Fix the field at the JSON path shown; `schemas/` documents every field.",
    ),
    "DUPLICATE_ID": _code(
        "validate, judge-check",
        "Two cases (or gold examples, or ledger entries) share an id, or a case is both in `cases.yaml` and the watchlist.",
        "Give one of them a new id (`failgate renumber` during a merge), or keep the case in one place.",
    ),
    "ID_TYPE": _code(
        "eval, gate",
        "A case's `id` is a list or a mapping, not a string like `AGTFAIL-0042`.",
        "Write the id as a string.",
    ),
    "UNKNOWN_MODE": _code(
        "validate",
        "A case's `failure_mode` is not in the dataset's taxonomy.",
        "Use one of the header's modes (the message suggests the closest).",
    ),
    "UNKNOWN_RULE": _code(
        "validate",
        "An `expected` rule name failgate does not know.",
        "Use a known rule (the message suggests the closest); see the rule kinds reference.",
    ),
    "RULE": _code(
        "validate, judge-check",
        "A known rule is malformed (wrong option, wrong type, an invalid regex or JSON Schema).",
        "Fix the rule's options as the message says.",
    ),
    "REGEX_BACKTRACK": _code(
        "validate (a warning)",
        "A `regex` rule nests a quantifier inside a quantified group (`(a+)+`) and can backtrack without end; the eval stops it after 1 s and fails the rule.",
        "Rewrite the pattern in an atomic form, e.g. `(a+)+` -> `a+`.",
    ),
    "FIXTURE": _code(
        "validate",
        "An `input.fixtures` path is absolute, points outside the dataset directory, or does not exist.",
        "Use a path relative to the dataset directory, of a file that exists.",
    ),
    "INPUT_HASH": _code(
        "validate (a warning)",
        "`input_hash` does not match the case's input as failgate hashes it; intake dedupes by it.",
        "Run `failgate fmt` (the `failgate-fmt` hook fills it in).",
    ),
    "REGRESSED_COUNT": _code(
        "validate",
        "`regressed_count` differs from the case's number of regressions in `history.jsonl` (its `regressed` "
        "events, those naming the same earlier pass counted once).",
        "Run `failgate fmt`, which sets it from the history.",
    ),
    "CASSETTE": _code(
        "validate",
        "A case's cassette (`input.cassette`) is missing, malformed, too large, outside the dataset or the "
        "repository, names another case, or a file in `cassettes/` belongs to no case.",
        "Record it again (`failgate eval --record-cassettes --case ID`), fix the line named, or remove the "
        "orphaned file; cassettes are written by failgate, not by hand.",
    ),
    "NONCANONICAL": _code(
        "check-ledger, the gate's range check",
        "An added history line is not written the way failgate writes events (one JSON object, its own separators, "
        "no escapes for printable characters): two readers could read it differently.",
        "Write events with a failgate command (`eval --record`, `decide`, `promote`, `remove`), never by hand.",
    ),
    "RESULT_TALLY": _code(
        "validate",
        "A `result` event says more attempts passed than ran (`passes` above `attempts`).",
        "Restore the line as `failgate eval --record` wrote it; history lines are never edited by hand.",
    ),
    "REPEAT_RANGE": _code(
        "validate",
        "`repeat: {min, max}` asks for more attempts always run than it may ever spend.",
        "Make `min` at most `max` (min: the attempts always run; max: the most the case may spend).",
    ),
    "TAXONOMY": _code(
        "validate",
        "The header's failure modes do not match its `schema_version`: a v1 mode missing, a new mode without `added_in` and a rationale, or a version bump with no added mode.",
        "Keep version 1's seven modes; add a mode only as `{name, added_in, rationale}` with a `schema_version` bump.",
    ),
    # -- cases_removed.yaml and history.jsonl (validate) -----------------------------------
    "LEDGER_REASON": _code(
        "validate",
        "A ledger entry has an empty `reason`.",
        "Every removal says why: use `failgate remove ID --reason ... --by ...`.",
    ),
    "LEDGER_SNAPSHOT": _code(
        "validate",
        "A ledger entry lacks the snapshot of the removed case under `case:`, or the snapshot's id differs from the entry's.",
        "Restore the snapshot; `failgate remove` writes it.",
    ),
    "INVALID_JSON": _code(
        "validate, check-ledger, every reader of JSON lines",
        "A `history.jsonl` line is not one strict JSON object (a repeated key, `NaN`, a lone surrogate, nesting over 64 levels, a huge integer).",
        "Restore the line as `failgate` wrote it; history lines are never edited by hand.",
    ),
    "HISTORY_EVENT": _code(
        "validate",
        "A history event does not match the event schema (a missing field, an unknown `type`).",
        "Restore the event; write events only through failgate's commands.",
    ),
    "DUPLICATE_EVENT": _code(
        "validate",
        "Two history events share an event id.",
        "Remove the duplicated line (a hand-resolved merge is the usual cause).",
    ),
    "FUTURE_EVENT": _code(
        "validate",
        "An event's `ts` is more than a day ahead of this machine's clock.",
        "Events are recorded when they happen: fix the clock or the line.",
    ),
    "UNKNOWN_CASE": _code(
        "validate",
        "A history event names a case that is neither in `cases.yaml` (or the watchlist) nor in the ledger.",
        "If the case was deleted by hand, restore it and remove it on the record with `failgate remove`.",
    ),
    # -- the ledger check (check-ledger, and the gate over a range) -------------------------
    "VANISHED": _code(
        "check-ledger, gate",
        "A case id at the base is gone from `cases.yaml` (and the watchlist) with no entry in `cases_removed.yaml`.",
        "Restore the case, or remove it on the record: `failgate remove ID --reason ... --by ...`.",
    ),
    "ID_REUSED": _code(
        "check-ledger, validate",
        "A removed id is back in `cases.yaml`, a new case takes an id that ever existed, or an id is removed twice.",
        "Ids are never reused: give the case a new id.",
    ),
    "REMOVED_WITHOUT_EVENT": _code(
        "check-ledger",
        "A new ledger entry has no `removed` event in `history.jsonl`.",
        "Remove cases with `failgate remove`, which writes both.",
    ),
    "LEDGER_EDITED": _code(
        "check-ledger",
        "An entry of `cases_removed.yaml` at the base was changed.",
        "Restore the entry; ledger entries are never changed.",
    ),
    "LEDGER_DELETED": _code(
        "check-ledger",
        "An entry of `cases_removed.yaml` at the base (or the whole file) was deleted.",
        "Restore it; the ledger is append-only.",
    ),
    "LEDGER_REORDERED": _code(
        "check-ledger",
        "An entry of `cases_removed.yaml` at the base was moved.",
        "Restore the order; entries keep their order.",
    ),
    "HISTORY_EDITED": _code(
        "check-ledger",
        "A line of `history.jsonl` at the base was changed (CRLF, JSON spacing and key order are not edits).",
        "Restore the line and append a new event instead. When only its `case_id` changed (a branch "
        "renumbered a case the base has since published under its first id), rebase the branch onto the "
        "base and run `failgate renumber` where it stops.",
    ),
    "HISTORY_DELETED": _code(
        "check-ledger",
        "A line of `history.jsonl` at the base (or the whole file) was deleted.",
        "Restore it; the history is append-only.",
    ),
    "HISTORY_REORDERED": _code(
        "check-ledger",
        "A line of `history.jsonl` at the base was moved.",
        "Restore the order; earlier lines keep their order.",
    ),
    "TAXONOMY_CHANGED": _code(
        "check-ledger",
        "Failure modes changed against the base: a mode removed or changed, or added without a `schema_version` bump and a rationale.",
        "Modes are never removed or changed; add one with a version bump and `{name, added_in, rationale}`.",
    ),
    "SCHEMA_VERSION_DECREASED": _code(
        "check-ledger", "`schema_version` is lower than at the base.", "Restore the version; it only ever increases."
    ),
    "BASE_UNREADABLE": _code(
        "check-ledger",
        "A dataset file at the base cannot be parsed, so the checks that compare against it were skipped.",
        "Fix the file on the base branch; the finding it quotes says what is wrong there.",
    ),
    "RANGE": _code(
        "gate",
        "A commit in the pushed range lost what a parent had (it skipped pre-commit, or a merge ran without failgate's drivers).",
        "Restore the lines, or remove cases on the record with `failgate remove`, in a new commit.",
    ),
    # -- eval inputs, intake and promotion --------------------------------------------------
    "RECORDED": _code(
        "eval --recorded",
        "A line of the recorded-outputs file is not a JSON object with a string `id`.",
        'Fix the line: `{"id": "AGTFAIL-0042", ...response}`.',
    ),
    "NO_RUNS": _code(
        "ingest",
        "A trace file yielded no run; the finding says which keys or span attributes it saw.",
        "Check the export's format (`--format`) against the trace formats reference.",
    ),
    "TRACE_PARTLY_READ": _code(
        "ingest",
        "A trace file was read only in part (some records could not be used).",
        "Look at the skipped records listed with it; the rest was ingested.",
    ),
    "TRACE_SKIPPED": _code(
        "ingest",
        "A trace record was skipped (malformed JSON, a record over 16 MB, a time that is not a number).",
        "Fix or drop the record in the export; ingest goes on without it.",
    ),
    "TODO": _code(
        "promote",
        "A candidate still holds a `TODO` placeholder from `failgate ingest`.",
        "Fill in the field in the review file, then promote.",
    ),
    "PII": _code(
        "promote",
        "The redactor still finds personal data in a field of the candidate (promote is fail-closed).",
        "Replace it with the placeholder (`<EMAIL>`, ...) or remove it, then promote.",
    ),
    "GOLD_ONE_SIDED": _code(
        "validate (a warning), judge-check",
        "Every gold example has the same human verdict, so agreement and kappa cannot tell a judge from one that always answers that.",
        "Label both passes and fails in the gold set.",
    ),
}


def describe(code: str) -> FindingCode | None:
    return CODES.get(code)
