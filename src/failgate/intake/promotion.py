"""`failgate promote`, the pure part: a reviewed candidate in, new file texts out.

Reused by the command (`commands/promote.py`) and by anything else that needs
to land a case the same way (the cases.yaml merge driver allocates ids with
`failgate.dataset.ids.next_id_for`, like `promote_texts` does here).

- `select_candidate(doc, number)`: which candidate of a review file.
- `review_findings(doc, index, dataset)`: TODOs left, PII the redactor still
  finds (`pii_findings`) and case-schema failures, each at file:line; a
  candidate with any is refused, so nothing reaches `cases.yaml` unredacted.
- `case_from_candidate(candidate, case_id, redact)`: the case mapping (intake
  fields dropped, input redacted again, `input_hash` recomputed the way
  `validate` checks it).
- `find_duplicate(case, dataset)`: an existing case with the same input_hash.
- `promote_texts(...)`: the new cases.yaml / watchlist.yaml, history.jsonl and
  review-file texts, each produced by a text edit and read back strictly.
- `recurrence_texts(...)`: for a `kind: recurrence` entry, the trace ids
  appended to the existing case's `discovered_by` and a `recurrence` event.

Reproduction (running the agent) is the command's business; its outcome
comes in as a `Reproduction`.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as _dt
import json
import re
from collections.abc import Callable
from typing import Any

import yaml

from failgate.dataset.casefile import append_entry, entry_blocks
from failgate.dataset.events import append_event_text, new_event
from failgate.dataset.hashing import input_hash
from failgate.dataset.ids import next_id_for
from failgate.dataset.model import CASES_FILE, FAILURE_MODES_V1, WATCHLIST_FILE
from failgate.dataset.parse import Dataset
from failgate.dataset.yamlstrict import YamlDocument, load_yaml_text
from failgate.findings import FailgateError, Finding, Location
from failgate.intake.redact import pii_paths, redact_text, redact_value
from failgate.intake.review import INTAKE_ONLY, candidates_of, todo_findings

WATCHLIST_HEADER = """\
# yaml-language-server: $schema=https://failgate.dev/schemas/watchlist.schema.json
#
# Cases we cannot make deterministic: `failgate eval` runs and reports them,
# they never gate.
schema_version: 1
cases: []
"""


@dataclasses.dataclass(frozen=True)
class Reproduction:
    """What running the case against the current agent showed."""

    outcome: str | None  # "fail" (reproduced), "pass", or None when not run
    judge: str | None  # the case's judge fingerprint
    reasons: tuple[str, ...] = ()
    skipped_reason: str | None = None  # --no-reproduce --reason


@dataclasses.dataclass(frozen=True)
class Promotion:
    case_id: str
    target: str  # CASES_FILE or WATCHLIST_FILE
    target_text: str
    history: str
    intake: str | None  # None: the review file is now empty, delete it
    case: dict[str, Any]
    event: dict[str, Any]


def refuse(message: str, findings: list[Finding] | None = None) -> FailgateError:
    # exit 1: promote exits 0 / 1 (docs/reference/exit-codes.md); nothing has been written yet.
    return FailgateError(message, exit_code=1, findings=findings)


def select_candidate(doc: YamlDocument, number: int | None) -> int:
    """The index of candidate `number` (its `candidate:` field), or of the only one."""
    candidates = candidates_of(doc)
    if not candidates:
        raise refuse(f"{doc.path}: no candidates left in this file")
    if number is None:
        if len(candidates) > 1:
            listed = ", ".join(str(c.get("candidate")) for c in candidates)
            raise FailgateError(f"{doc.path} has {len(candidates)} candidates ({listed}); pick one with --candidate N")
        return 0
    for index, candidate in enumerate(candidates):
        if candidate.get("candidate") == number:
            return index
    raise FailgateError(f"{doc.path}: no candidate {number}")


def case_from_candidate(candidate: dict[str, Any], case_id: str, redact: Callable[[str], str]) -> dict[str, Any]:
    """The case mapping in the dataset's field order, ready to append."""
    case: dict[str, Any] = {"id": case_id}
    for key, value in candidate.items():
        if key in INTAKE_ONLY or key == "id":
            continue
        case[key] = copy.deepcopy(value)
    # A person may have pasted ticket text into the input: redact again.
    case_input = redact_value(case.get("input"), redact) if isinstance(case.get("input"), dict) else case.get("input")
    if isinstance(case_input, dict) and case_input.get("fixtures") == []:
        case_input.pop("fixtures")
    case["input"] = case_input
    if isinstance(case_input, dict):
        case["input_hash"] = input_hash(case_input)
    ordered = [
        "id",
        "title",
        "failure_mode",
        "severity",
        "blast_radius",
        "status",
        "owner",
        "discovered_at",
        "discovered_by",
        "intent",
        "input",
        "input_hash",
        "observed_behavior",
        "expected",
        "remediation",
        "regressed_count",
    ]
    return {k: case[k] for k in ordered if k in case} | {k: v for k, v in case.items() if k not in ordered}


# Fields the PII scan leaves alone: derived or reference values (a hash, trace ids and
# ticket refs, a date) and `owner`, the person answering for the case, named on purpose.
PII_EXEMPT = ("id", "input_hash", "discovered_by", "discovered_at", "owner")


def pii_findings(
    doc: YamlDocument, index: int, case: dict[str, Any], redact: Callable[[str], str] = redact_text
) -> list[Finding]:
    """Every field of the case-to-be in which the redactor still finds something, at its line.

    Fail-closed: the input was redacted again already, so a hit here is text a person
    wrote or pasted (observed behaviour, a rule's argument, a remediation note); it is
    refused, not silently rewritten, so the reviewer sees what would have reached git."""
    findings = []
    for key, value in case.items():
        if key in PII_EXEMPT:
            continue
        for path in pii_paths(value, redact, (key,)):
            text = _at(case, path)
            kinds = sorted(set(re.findall(r"<[A-Z]+>", redact(text))) - set(re.findall(r"<[A-Z]+>", text)))
            findings.append(
                Finding(
                    "PII",
                    f"{'.'.join(map(str, path))}: the redactor still finds "
                    f"{', '.join(kinds) or 'personal data'} here; replace it with the placeholder "
                    "(or remove it) before promoting",
                    doc.locate(["candidates", index, *path]),
                )
            )
    return findings


def _at(value: Any, path: tuple[Any, ...]) -> str:
    for part in path:
        value = value[part]
    return str(value)


def review_findings(
    doc: YamlDocument, index: int, case: dict[str, Any], *, watchlist: bool, redact: Callable[[str], str] = redact_text
) -> list[Finding]:
    """TODOs left, PII left, then schema errors of the case it would become (at the candidate's lines)."""
    findings = todo_findings(doc, index)
    if findings:
        return findings
    findings = pii_findings(doc, index, case, redact)
    if findings:
        return findings
    from failgate.checks.validate import schema_findings

    schema = "watchlist" if watchlist else "cases"
    header: dict[str, Any] = {"schema_version": 1, "cases": [case]}
    if not watchlist:
        header["failure_modes"] = list(FAILURE_MODES_V1)  # the dataset's own taxonomy is checked by validate after
    probe = _Probe(doc, index, header)
    findings.extend(schema_findings(probe, schema, set()))  # type: ignore[arg-type]
    return findings


class _Probe:
    """A YamlDocument look-alike: the case's data, located at the candidate's lines."""

    def __init__(self, doc: YamlDocument, index: int, data: dict[str, Any]) -> None:
        self.doc, self.index, self.data, self.path = doc, index, data, doc.path

    def locate(self, json_path: Any) -> Location:
        parts = list(json_path)
        if parts[:2] == ["cases", 0]:
            rest = parts[2:]
            if rest and rest[0] in ("id", "input_hash"):
                rest = []
            return self.doc.locate(["candidates", self.index, *rest])
        return self.doc.locate(["candidates", self.index])

    def locate_key(self, json_path: Any, key: str) -> Location:
        return self.locate(list(json_path) + [key])


def known_hashes(dataset: Dataset) -> dict[str, tuple[str, str]]:
    """input_hash -> (case id, file) over cases.yaml and the watchlist, recorded and recomputed."""
    found: dict[str, tuple[str, str]] = {}
    for name, cases in ((CASES_FILE, dataset.cases), (WATCHLIST_FILE, dataset.watchlist)):
        for case in cases:
            if not isinstance(case.get("id"), str):
                continue
            if isinstance(case.get("input_hash"), str):
                found.setdefault(case["input_hash"], (case["id"], name))
            if isinstance(case.get("input"), dict):
                found.setdefault(input_hash(case["input"]), (case["id"], name))
    return found


def find_duplicate(case: dict[str, Any], dataset: Dataset) -> tuple[str, str] | None:
    return known_hashes(dataset).get(str(case.get("input_hash")))


def promote_texts(
    *,
    dataset: Dataset,
    intake_doc: YamlDocument,
    index: int,
    case: dict[str, Any],
    target_text: str | None,
    history_text: str | None,
    reproduction: Reproduction,
    watchlist: bool,
    actor: str | None,
    intake_path: str,
    now: _dt.datetime | None = None,
) -> Promotion:
    """New texts for a new case. `case["id"]` is replaced by the next id of `dataset`."""
    duplicate = find_duplicate(case, dataset)
    if duplicate is not None:
        raise refuse(
            f"{intake_path}: candidate has the same input_hash as {duplicate[0]} ({dataset.path(duplicate[1])}): "
            f"it is a recurrence, not a new case. Make it one: set `kind: recurrence` and `case: {duplicate[0]}` "
            "in the candidate, then promote it again"
        )
    case = dict(case)
    case["id"] = next_id_for(dataset)
    recording = case.get("input", {}).get("cassette") if isinstance(case.get("input"), dict) else None
    if isinstance(recording, str) and recording.startswith("_intake/"):
        # The candidate's recording lands next to the case, under its id (the caller moves the file).
        from failgate.dataset.cassette import default_path

        case["input"] = {**case["input"], "cassette": default_path(case["id"])}
    target = WATCHLIST_FILE if watchlist else CASES_FILE
    if target_text is None:
        if not watchlist:
            raise refuse(f"no {CASES_FILE} in {dataset.directory}; run `failgate init` first")
        target_text = WATCHLIST_HEADER
    doc = load_yaml_text(target_text, dataset.path(target))
    new_target = append_entry(doc, "cases", case)
    moment = now or _dt.datetime.now(_dt.timezone.utc)
    detail: dict[str, Any] = {"intake": intake_path, "candidate": candidates_of(intake_doc)[index].get("candidate")}
    if reproduction.outcome is not None:
        detail["reproduction"] = reproduction.outcome
        if reproduction.reasons:
            detail["reproduction_reasons"] = list(reproduction.reasons)[:5]
    else:
        detail["reproduction"] = "not run"
        detail["no_reproduce_reason"] = reproduction.skipped_reason
    if watchlist:
        detail["target"] = WATCHLIST_FILE
    event = new_event(
        "promoted",
        case["id"],
        now=moment,
        outcome=reproduction.outcome,
        judge=reproduction.judge,
        actor=actor,
        detail=detail,
    )
    new_history = append_event_text(history_text or "", event)
    new_intake = remove_candidate(intake_doc, index)
    written = load_yaml_text(new_target, dataset.path(target)).data.get("cases") or []
    if not written or written[-1] != case:
        raise refuse(f"{case['id']}: the case does not read back identically as YAML; nothing was changed")
    if json.loads(new_history.rstrip("\n").rsplit("\n", 1)[-1]) != event:  # pragma: no cover
        raise FailgateError("internal error: the history event does not read back")
    return Promotion(case["id"], target, new_target, new_history, new_intake, case, event)


def remove_candidate(doc: YamlDocument, index: int) -> str | None:
    """The review file without candidate `index` (its comment goes too); None when none are left."""
    blocks = entry_blocks(doc, "candidates")
    if len(blocks) <= 1:
        return None
    block = blocks[index]
    lines = doc.text.split("\n")
    return "\n".join(lines[: block.start] + lines[block.end :])


def recurrence_texts(
    *,
    dataset: Dataset,
    intake_doc: YamlDocument,
    index: int,
    cases_text: str | None,
    watchlist_text: str | None,
    history_text: str | None,
    actor: str | None,
    intake_path: str,
    now: _dt.datetime | None = None,
) -> Promotion:
    """Link a recurrence: its trace ids appended to the case's `discovered_by`, plus a `recurrence` event."""
    candidate = candidates_of(intake_doc)[index]
    case_id = candidate.get("case")
    if not isinstance(case_id, str) or "#" in case_id:
        raise refuse(
            f"{intake_path}: candidate {candidate.get('candidate')} is a recurrence of a candidate that is "
            f"not a case yet ({case_id}); promote that one first"
        )
    found = candidate.get("discovered_by")
    if found is not None and not isinstance(found, list):
        # The shape before use: a mapping here was read as its keys, and a case's list of mappings
        # was a TypeError below.
        raise refuse(
            f"{intake_path}: candidate {candidate.get('candidate')}: discovered_by must be a list of trace, "
            f"incident or ticket references, got a {type(found).__name__}"
        )
    sources = [s for s in found or [] if isinstance(s, str)]
    for name, text in ((CASES_FILE, cases_text), (WATCHLIST_FILE, watchlist_text)):
        if text is None:
            continue
        doc = load_yaml_text(text, dataset.path(name))
        cases = doc.data.get("cases") or []
        for position, case in enumerate(cases):
            if isinstance(case, dict) and case.get("id") == case_id:
                listed = case.get("discovered_by") or []
                if not isinstance(listed, list) or not all(isinstance(s, str) for s in listed):
                    raise refuse(
                        f"{case_id}: its discovered_by in {doc.path} is not a list of references; "
                        "fix it (`failgate validate` shows where), then link the recurrence"
                    )
                already = set(listed)
                new = [s for s in sources if s not in already]
                new_text = append_to_list(doc, ["cases", position, "discovered_by"], new) if new else text
                moment = now or _dt.datetime.now(_dt.timezone.utc)
                event = new_event(
                    "recurrence",
                    case_id,
                    now=moment,
                    actor=actor,
                    detail={
                        "intake": intake_path,
                        "discovered_by": sources,
                        "occurrences": candidate.get("occurrences", len(sources)),
                    },
                )
                expected = copy.deepcopy(doc.data)
                expected["cases"][position]["discovered_by"] = list(case.get("discovered_by") or []) + new
                if load_yaml_text(new_text, doc.path).data != expected:
                    raise refuse(f"{case_id}: appending to discovered_by would change other parts of {doc.path}")
                return Promotion(
                    case_id,
                    name,
                    new_text,
                    append_event_text(history_text or "", event),
                    remove_candidate(intake_doc, index),
                    expected["cases"][position],
                    event,
                )
    raise refuse(f"{intake_path}: {case_id} is neither in {CASES_FILE} nor in {WATCHLIST_FILE} (removed?)")


def append_to_list(doc: YamlDocument, path: list[Any], items: list[str]) -> str:
    """Append scalars to the sequence at `path` as a text edit; everything else byte-identical."""
    node, found = doc.node_at(path)
    lines = doc.text.split("\n")
    if not found or not isinstance(node, yaml.SequenceNode) or not node.value:
        raise refuse(f"{doc.locate(path)}: expected a non-empty list here")
    rendered = [json.dumps(item, ensure_ascii=False) if _needs_quotes(item) else item for item in items]
    if node.flow_style:
        row = node.start_mark.line
        if node.end_mark.line != row:
            raise refuse(f"{doc.locate(path)}: a multi-line [...] list; write it as a block list to append to it")
        line = lines[row]
        inner = line[node.start_mark.column + 1 : node.end_mark.column - 1].rstrip()
        lines[row] = (
            line[: node.end_mark.column - 1].rstrip()
            + "".join(f", {r}" for r in rendered)
            + line[node.end_mark.column - 1 :]
        )
        if not inner:
            lines[row] = line[: node.start_mark.column] + "[" + ", ".join(rendered) + "]" + line[node.end_mark.column :]
        return "\n".join(lines)
    last = node.value[-1]
    dash_line = lines[last.start_mark.line]
    dash_col = dash_line.index("-") if dash_line.lstrip().startswith("-") else max(0, last.start_mark.column - 2)
    end = last.end_mark.line + (1 if last.end_mark.column else 0)
    new = [" " * dash_col + "- " + r for r in rendered]
    return "\n".join(lines[:end] + new + lines[end:])


def _needs_quotes(item: str) -> bool:
    try:
        return yaml.safe_load(item) != item or ": " in item or item.startswith(("#", "- ", "[", "{", "*", "&", "!"))
    except (yaml.YAMLError, ValueError):  # ValueError: digits past Python's int-string limit
        return True
