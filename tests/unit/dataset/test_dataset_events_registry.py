"""History event types: declared once (failgate.dataset.events.EVENTS); the schema's
enums, the decide command's flags and every event type the code writes or compares
against are checked against that declaration. Each check has an attack beside it: a
drifted copy, or a source with a misspelt type, is caught; the real tree passes."""

from __future__ import annotations

import ast
import copy
import json
from pathlib import Path
from typing import Any

import pytest

from failgate.commands.decide import command as decide_command
from failgate.dataset.events import CASELESS_TYPES, DECISION_TYPES, EVENT_TYPES, EVENTS, new_event

REPO = Path(__file__).resolve().parents[3]
PACKAGE = REPO / "src" / "failgate"
SCHEMA = json.loads((REPO / "schemas" / "history-event.schema.json").read_text(encoding="utf-8"))
# Modules that read other formats' `type` fields (trace exports), not history events.
NOT_EVENTS = (
    "intake/traces/",
    "dataset/cassette.py",
    "merge/cassettes.py",
    "eval/replay/",
)  # trace and cassette lines have a type too


def _conditional_enum(schema: dict[str, Any], then_or_else: str) -> list[str]:
    """The `type` enum of the allOf branch that has `then_or_else` (the decision rule has
    `then`, the case_id rule `else`)."""
    found = [
        branch["if"]["properties"]["type"]["enum"]
        for branch in schema["allOf"]
        if then_or_else in branch and "enum" in branch["if"]["properties"]["type"]
    ]
    assert len(found) == 1, found
    return found[0]


def schema_drift(schema: dict[str, Any]) -> list[str]:
    problems = []
    if schema["properties"]["type"]["enum"] != list(EVENT_TYPES):
        problems.append("properties.type.enum is not EVENT_TYPES")
    described = schema["properties"]["type"]["description"]
    problems += [f"{name} is not described" for name in EVENT_TYPES if name not in described]
    if sorted(_conditional_enum(schema, "then")) != sorted(DECISION_TYPES):
        problems.append("the decision rule's enum is not DECISION_TYPES")
    if sorted(_conditional_enum(schema, "else")) != sorted(CASELESS_TYPES):
        problems.append("the case_id rule's enum is not CASELESS_TYPES")
    return problems


def test_the_schema_agrees_with_the_registry() -> None:
    assert schema_drift(SCHEMA) == []


@pytest.mark.parametrize(
    "drift",
    [
        lambda s: s["properties"]["type"]["enum"].remove("judge_graded"),
        lambda s: s["properties"]["type"]["enum"].append("snoozed"),
        lambda s: s["allOf"][0]["if"]["properties"]["type"]["enum"].remove("judge_changed"),
        lambda s: s["allOf"][1]["if"]["properties"]["type"]["enum"].append("promoted"),
    ],
    ids=["type-missing", "type-extra", "decision-missing", "caseless-extra"],
)
def test_a_drifted_schema_is_caught(drift: Any) -> None:
    drifted = copy.deepcopy(SCHEMA)
    drift(drifted)
    assert schema_drift(drifted)


def test_every_type_is_declared_once() -> None:
    assert len(set(EVENT_TYPES)) == len(EVENTS)
    assert set(DECISION_TYPES) <= set(EVENT_TYPES) and set(CASELESS_TYPES) <= set(EVENT_TYPES)


def test_decide_offers_exactly_the_decision_types() -> None:
    offered = {p.flag_value for p in decide_command.params if getattr(p, "name", None) == "kind"}
    assert offered == set(DECISION_TYPES)


def test_new_event_refuses_an_undeclared_type() -> None:
    assert new_event("regressed", "AGTFAIL-0001")["type"] == "regressed"  # control
    with pytest.raises(ValueError, match="unknown event type 'regresed'"):
        new_event("regresed", "AGTFAIL-0001")


# -- every event type the source names --------------------------------------------
def _reads_type(node: ast.AST) -> bool:
    """`e["type"]`, `e.get("type")`, or either inside str(...)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str" and node.args:
        return _reads_type(node.args[0])
    if isinstance(node, ast.Subscript):
        return isinstance(node.slice, ast.Constant) and node.slice.value == "type"
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and bool(node.args)
        and isinstance(node.args[0], ast.Constant)
        and node.args[0].value == "type"
    )


def _strings(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.Set, ast.List)):
        return [s for element in node.elts for s in _strings(element)]
    return []


def event_types_named(source: str) -> list[tuple[int, str]]:
    """(line, type) for each literal event type: `new_event("x", ...)`, and `"x"`
    compared with an event's type, directly or through a name assigned from it."""
    tree = ast.parse(source)
    holders = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and _reads_type(node.value)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name == "new_event":
                found += [(node.lineno, s) for s in _strings(node.args[0])]
        if isinstance(node, ast.Compare):
            left = node.left
            if _reads_type(left) or (isinstance(left, ast.Name) and left.id in holders):
                found += [(node.lineno, s) for c in node.comparators for s in _strings(c)]
    return found


def test_the_scanner_finds_a_misspelt_type() -> None:
    good = 'def f(e):\n    kind = e.get("type")\n    return kind == "promoted" or e["type"] in ("result",)\n'
    assert {t for _, t in event_types_named(good)} == {"promoted", "result"}
    bad = 'def f(e):\n    new_event("regresed", "AGTFAIL-0001")\n    return str(e.get("type")) == "remediatd"\n'
    assert {t for _, t in event_types_named(bad)} - set(EVENT_TYPES) == {"regresed", "remediatd"}


def test_every_event_type_the_code_names_is_declared() -> None:
    named = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith(NOT_EVENTS):
            continue
        for line, name in event_types_named(path.read_text(encoding="utf-8")):
            named[f"{relative}:{line}"] = name
    assert len(named) >= 10  # the scanner sees the writers and readers it is meant to see
    undeclared = {where: name for where, name in named.items() if name not in EVENT_TYPES}
    assert undeclared == {}
