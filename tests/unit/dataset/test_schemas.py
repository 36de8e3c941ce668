"""The JSON Schemas: well-formed draft-07, shipped in the wheel, and each rule
of the contract (docs/reference/case-fields.md) accepted or refused as documented."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from dataset_builder import VALID_CASE
from jsonschema import Draft7Validator

from failgate.dataset import schemas

REPO = Path(__file__).resolve().parents[3]
HASH = "sha256:" + "ab" * 32

BASE_CASE: dict[str, Any] = VALID_CASE


def _errors(name: str, doc: Any) -> list[str]:
    return [e.message for e in schemas.validator_for(name).iter_errors(doc)]


def _cases_doc(case: dict[str, Any]) -> dict[str, Any]:
    return {"schema_version": 1, "failure_modes": ["tool_invocation"], "cases": [case]}


def _case_with(**changes: Any) -> dict[str, Any]:
    case = copy.deepcopy(BASE_CASE)
    for key, value in changes.items():
        if value is _DROP:
            case.pop(key, None)
        else:
            case[key] = value
    return case


_DROP = object()


@pytest.mark.parametrize("name", sorted(schemas.SCHEMA_FILES))
def test_schema_is_valid_draft7_with_id_title_and_descriptions(name: str) -> None:
    schema = schemas.load_schema(name)
    Draft7Validator.check_schema(schema)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["$id"] == schemas.SCHEMA_BASE_URI + schemas.SCHEMA_FILES[name]
    assert schema["title"] and schema["description"]

    # Editors show `description` on hover: every property has one, directly
    # or through the definition it references.
    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for prop, sub in node.get("properties", {}).items():
                assert "description" in sub or "$ref" in sub, f"{name}: {where}.{prop} has no description"
            for key, sub in node.items():
                if key not in ("if", "then", "else", "not", "dependencies"):  # conditions, not fields
                    walk(sub, f"{where}.{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, f"{where}[{i}]")

    walk(schema, name)


def test_schema_files_match_the_registry() -> None:
    on_disk = {p.name for p in (REPO / "schemas").glob("*.schema.json")}
    assert on_disk == set(schemas.SCHEMA_FILES.values())


def test_validator_is_cached() -> None:
    assert schemas.validator_for("cases") is schemas.validator_for("cases")
    assert schemas.load_schema("cases") is schemas.load_schema("cases.schema.json")


def test_unknown_schema_name() -> None:
    with pytest.raises(KeyError):
        schemas.load_schema("nope")


def test_base_case_is_valid() -> None:
    assert _errors("cases", _cases_doc(BASE_CASE)) == []
    assert _errors("cases", {"schema_version": 1, "failure_modes": ["tool_invocation"], "cases": []}) == []


RULES_GOOD = [
    {"contains": "order 8812"},
    {"contains": {"value": "8812", "case_sensitive": False, "turn": 2}},
    {"contains": {"value": "8812", "turn": "final"}},
    {"not_contains": "refunded twice"},
    {"regex": "refund (issued|processed)"},
    {"regex": {"value": "refund", "flags": "im", "turn": 1}},
    {"equals": "exact final text"},
    {"equals": {"value": "", "turn": 3}},
    {"tool_called": {"name": "issue_refund"}},
    {"tool_called": {"name": "issue_refund", "times": 1, "args": {"order_id": "8812", "nested": {"a": 1}}}},
    {"tool_called": {"name": "lookup_order", "min": 1, "max": 2}},
    {"tool_not_called": "send_email"},
    {"tool_not_called": {"name": "send_email", "args": {"to": "x"}}},
    {"tool_order": ["lookup_order", "issue_refund"]},
    {"max_latency_ms": 8000},
    {"not_refused": True},
    {"not_refused": {"turn": 2}},
    {"judge": {"use": "mypkg.judges:rubric", "rubric": "cites the policy"}},
    {"judge": {"use": "llm-rubric"}},
]

RULES_BAD = [
    ({"containz": "x"}, "unknown rule name"),
    ({"contains": "x", "regex": "y"}, "two keys in one rule"),
    ({}, "empty rule"),
    ({"contains": ""}, "empty needle"),
    ({"contains": 3}, "not a string"),
    ({"contains": {"value": "x", "turn": 0}}, "turn is 1-based"),
    ({"contains": {"value": "x", "turn": "last"}}, "turn keyword"),
    ({"contains": {"value": "x", "flags": "i"}}, "flags only on regex"),
    ({"contains": {"case_sensitive": False}}, "object form needs value"),
    ({"regex": {"value": "x", "flags": "g"}}, "unknown regex flag"),
    ({"tool_called": "issue_refund"}, "tool_called needs a mapping"),
    ({"tool_called": {"times": 1}}, "tool_called needs name"),
    ({"tool_called": {"name": "x", "times": 1, "min": 1}}, "times with min"),
    ({"tool_called": {"name": "x", "count": 1}}, "unknown tool_called key"),
    ({"tool_called": {"name": "x", "times": -1}}, "negative times"),
    ({"tool_called": {"name": "x", "args": ["a"]}}, "args not a mapping"),
    ({"tool_not_called": ""}, "empty tool name"),
    ({"tool_order": []}, "empty order"),
    ({"tool_order": "lookup_order"}, "order not a list"),
    ({"max_latency_ms": 0}, "zero latency"),
    ({"max_latency_ms": "8000"}, "latency as string"),
    ({"max_latency_ms": 1.5}, "latency as float"),
    ({"not_refused": False}, "not_refused false is meaningless"),
    ({"not_refused": {"turn": 1, "x": 1}}, "unknown not_refused key"),
    ({"judge": {"rubric": "x"}}, "judge without use"),
    ({"judge": {"use": "has space:fn"}}, "bad judge reference"),
]


@pytest.mark.parametrize("rule", RULES_GOOD, ids=lambda r: json.dumps(r)[:60])
def test_rule_good(rule: dict[str, Any]) -> None:
    assert _errors("cases", _cases_doc(_case_with(expected=[rule]))) == []


@pytest.mark.parametrize(("rule", "why"), RULES_BAD, ids=[why for _, why in RULES_BAD])
def test_rule_bad(rule: Any, why: str) -> None:
    assert _errors("cases", _cases_doc(_case_with(expected=[rule]))), why


CASE_BAD = [
    ({"severity": "high"}, "free-text severity"),
    ({"severity": "p1"}, "lower-case severity"),
    ({"blast_radius": "everyone"}, "bad blast radius"),
    ({"failure_mode": ["tool_invocation", "hallucination"]}, "two failure modes"),
    ({"failure_mode": "Tool Invocation"}, "failure mode not snake_case"),
    ({"id": "AGTFAIL-12"}, "short id"),
    ({"id": "agtfail-0001"}, "lower-case id"),
    ({"status": "retired"}, "unknown status"),
    ({"status": "deprecated"}, "deprecated without reason"),
    ({"status": "deprecated", "deprecated_reason": "  "}, "blank reason"),
    ({"severty": "P1"}, "typo in a key"),
    ({"discovered_at": "May 2"}, "not an ISO date"),
    ({"discovered_at": "2026-13-01"}, "month 13"),
    ({"discovered_by": []}, "no source"),
    ({"discovered_by": "incident:1"}, "source not a list"),
    ({"discovered_by": [""]}, "empty source"),
    ({"input_hash": "sha256:abc"}, "short hash"),
    ({"input_hash": "md5:" + "a" * 32}, "wrong algorithm"),
    ({"input": {}}, "empty input"),
    ({"input": "refund"}, "input not a mapping"),
    ({"input": {"messages": [{"role": "usr", "content": "x"}]}}, "bad role"),
    ({"input": {"messages": [{"role": "user"}]}}, "message without content"),
    ({"input": {"fixtures": ["/etc/passwd"]}}, "absolute fixture"),
    ({"input": {"fixtures": ["../outside.json"]}}, "fixture escapes"),
    ({"input": {"fixtures": ["a/../../b.json"]}}, "fixture escapes midway"),
    ({"expected": []}, "no rules"),
    ({"expected": {"contains": "x"}}, "rules not a list"),
    ({"remediation": [{"date": "2026-05-01"}]}, "remediation without change"),
    ({"remediation": [{"date": "yesterday", "change": "x"}]}, "remediation bad date"),
    ({"remediation": [{"date": "2026-05-01", "change": "x", "why": "y"}]}, "remediation unknown key"),
    ({"regressed_count": -1}, "negative regressed_count"),
    ({"regressed_count": "1"}, "regressed_count as string"),
    ({"title": ""}, "empty title"),
    ({"owner": None}, "null owner"),
    ({"intent": False}, "boolean intent"),
    ({"repeat": 0}, "repeat 0"),
    ({"pass_if": "most"}, "pass_if keyword"),
    ({"pass_if": {"min_pass": 0}}, "pass_if zero"),
    ({"title": _DROP}, "missing title"),
    ({"regressed_count": _DROP}, "missing regressed_count"),
]

CASE_GOOD = [
    ({"status": "deprecated", "deprecated_reason": "tool retired"}, "deprecated with reason"),
    ({"intent": "no"}, "intent 'no' stays a string under the strict loader"),
    (
        {
            "input": {
                "messages": [{"role": "user", "content": "x"}],
                "fixtures": ["fixtures/order.json"],
                "locale": "de",
            }
        },
        "extra input keys",
    ),
    (
        {"remediation": [{"date": "2026-05-01", "change": "dedupe", "commit": "9fceb02", "pr": "#41", "by": "ana"}]},
        "full remediation",
    ),
    ({"tags": ["payments"], "repeat": 5, "pass_if": {"min_pass": 4}, "notes": "flaky upstream"}, "optional fields"),
    ({"failure_mode": "prompt_injection_uncaught"}, "extension mode (membership is checked in code)"),
    ({"id": "AGTFAIL-123456"}, "long id"),
]


@pytest.mark.parametrize(("changes", "why"), CASE_BAD, ids=[why for _, why in CASE_BAD])
def test_case_bad(changes: dict[str, Any], why: str) -> None:
    assert _errors("cases", _cases_doc(_case_with(**changes))), why


@pytest.mark.parametrize(("changes", "why"), CASE_GOOD, ids=[why for _, why in CASE_GOOD])
def test_case_good(changes: dict[str, Any], why: str) -> None:
    assert _errors("cases", _cases_doc(_case_with(**changes))) == [], why


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        ({"schema_version": 1, "failure_modes": ["tool_invocation"], "cases": []}, True),
        (
            {
                "schema_version": 2,
                "failure_modes": [
                    "tool_invocation",
                    {"name": "prompt_injection_uncaught", "added_in": 2, "rationale": "why"},
                ],
                "cases": [],
            },
            True,
        ),
        ({"schema_version": 0, "failure_modes": ["tool_invocation"], "cases": []}, False),
        ({"schema_version": "1", "failure_modes": ["tool_invocation"], "cases": []}, False),
        ({"schema_version": 1, "failure_modes": ["tool_misuse"], "cases": []}, False),
        ({"schema_version": 2, "failure_modes": [{"name": "x", "added_in": 1, "rationale": "r"}], "cases": []}, False),
        ({"schema_version": 2, "failure_modes": [{"name": "x", "added_in": 2}], "cases": []}, False),
        ({"schema_version": 2, "failure_modes": [{"name": "x", "added_in": 2, "rationale": ""}], "cases": []}, False),
        ({"schema_version": 1, "cases": []}, False),
        ({"failure_modes": ["tool_invocation"], "cases": []}, False),
        ({"schema_version": 1, "failure_modes": ["tool_invocation"]}, False),
        ({"schema_version": 1, "failure_modes": ["tool_invocation"], "cases": [], "extra": 1}, False),
    ],
)
def test_cases_header(header: dict[str, Any], ok: bool) -> None:
    assert (_errors("cases", header) == []) is ok


def _event(**fields: Any) -> dict[str, Any]:
    event = {
        "id": "01JTX3K4Z8Q9W2E5R7T6Y1V3J0",
        "ts": "2026-05-08T12:00:00Z",
        "case_id": "AGTFAIL-0042",
        "type": "result",
        "outcome": "fail",
        "commit": "9" * 40,
        "judge": "sha256:" + "c" * 64,
        "actor": "ci",
    }
    for key, value in fields.items():
        if value is _DROP:
            event.pop(key)
        else:
            event[key] = value
    return event


@pytest.mark.parametrize(
    ("fields", "ok"),
    [
        ({}, True),
        ({"id": "3f0c2b4e-8d6a-4c1e-9b7a-2d5e8f1a3c6b"}, True),
        ({"ts": "2026-05-08T12:00:00.123Z", "dirty": True, "detail": {"from": "active"}}, True),
        ({"type": "taxonomy_changed", "case_id": _DROP, "outcome": _DROP}, True),
        ({"type": "promoted", "outcome": _DROP, "detail": "from _intake/x.yaml"}, True),
        ({"type": "taxonomy_changed"}, True),
        ({"type": "promoted", "case_id": _DROP}, False),
        ({"type": "result", "outcome": _DROP}, False),
        ({"type": "edited"}, False),
        ({"outcome": "flaky"}, False),
        ({"ts": "2026-05-08T12:00:00+02:00"}, False),
        ({"ts": "2026-05-08"}, False),
        ({"id": "not-an-id"}, False),
        ({"id": _DROP}, False),
        ({"case_id": "AGTFAIL-1"}, False),
        ({"commit": "abc"}, False),
        ({"dirty": "yes"}, False),
        ({"detail": 3}, False),
        ({"actor": ""}, False),
        # A regression names the pass it follows by its event id (history-events.md, "Counting regressions").
        ({"type": "regressed", "outcome": _DROP, "detail": {"from": "pass", "after": "01JTX3" + "0" * 20}}, True),
        ({"type": "regressed", "outcome": _DROP, "detail": {"from": "pass"}}, True),
        ({"type": "regressed", "outcome": _DROP, "detail": {"after": 7}}, False),
        ({"type": "regressed", "outcome": _DROP, "detail": {"after": "the last pass"}}, False),
        ({"type": "remediated", "outcome": _DROP, "detail": {"after": "the fix"}}, True),
    ],
)
def test_history_event(fields: dict[str, Any], ok: bool) -> None:
    assert (_errors("history-event", _event(**fields)) == []) is ok


def _removed(**fields: Any) -> dict[str, Any]:
    entry = {
        "id": "AGTFAIL-0009",
        "removed_at": "2026-05-09",
        "removed_by": "ana",
        "reason": "duplicate of 0004",
        "case": {"id": "AGTFAIL-0009", "title": "x"},
    }
    for key, value in fields.items():
        if value is _DROP:
            entry.pop(key)
        else:
            entry[key] = value
    return {"schema_version": 1, "removed": [entry]}


@pytest.mark.parametrize(
    ("fields", "ok"),
    [
        ({}, True),
        ({"removed_at": "2026-05-09T10:11:12Z", "commit": "abcdef1"}, True),
        ({"reason": ""}, False),
        ({"reason": _DROP}, False),
        ({"case": _DROP}, False),
        ({"case": {"title": "no id"}}, False),
        ({"removed_at": "last week"}, False),
        ({"removed_by": ""}, False),
        ({"id": "AGTFAIL-9"}, False),
        ({"whence": "x"}, False),
    ],
)
def test_removed_ledger(fields: dict[str, Any], ok: bool) -> None:
    assert (_errors("cases_removed", _removed(**fields)) == []) is ok


def test_removed_ledger_may_be_empty() -> None:
    assert _errors("cases_removed", {"schema_version": 1, "removed": []}) == []
    assert _errors("cases_removed", {"schema_version": 1}) != []


def test_watchlist_uses_the_case_shape_without_status() -> None:
    case = _case_with(status=_DROP, remediation=_DROP, regressed_count=_DROP, repeat=5, pass_if={"min_pass": 3})
    assert _errors("watchlist", {"schema_version": 1, "cases": [case]}) == []
    assert _errors("watchlist", {"schema_version": 1, "cases": [_case_with(severty="P1")]}) != []
    assert _errors("watchlist", {"schema_version": 1, "cases": [_case_with(expected=[{"containz": "x"}])]}) != []
    assert _errors("watchlist", {"schema_version": 1, "cases": [_case_with(status="deprecated")]}) != []


def test_aggregate_set() -> None:
    good = {
        "cases": [
            {
                "id": "faq-001",
                "input": {"messages": [{"role": "user", "content": "hi"}]},
                "expected": [{"contains": "hello"}],
                "tags": ["faq"],
            }
        ]
    }
    assert _errors("aggregate-cases", good) == []
    bad_rule = copy.deepcopy(good)
    bad_rule["cases"][0]["expected"] = [{"containz": "x"}]
    assert _errors("aggregate-cases", bad_rule) != []
    bad_key = copy.deepcopy(good)
    bad_key["cases"][0]["severty"] = "P1"
    assert _errors("aggregate-cases", bad_key) != []
    assert _errors("aggregate-cases", {"cases": [{"id": "", "input": {"a": 1}, "expected": [{"contains": "x"}]}]})


def test_schemas_dir_falls_back_to_the_checkout() -> None:
    # Editable installs have no failgate/_schemas; the top-level folder is used.
    assert (schemas.schemas_dir() / "cases.schema.json").is_file()
