"""The fast yes/no check must agree with jsonschema on every document."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from failgate.dataset.fastschema import compile_checker
from failgate.dataset.schemas import SCHEMA_FILES, validator_for, validator_for_pointer
from failgate.dataset.yamlstrict import load_yaml

EXAMPLE = Path(__file__).resolve().parents[3] / "src" / "failgate" / "examples" / "support-bot"


def example(name: str) -> dict:
    return load_yaml((EXAMPLE / name).read_bytes(), name).data


@pytest.mark.parametrize("name", sorted(SCHEMA_FILES))
def test_every_schema_compiles(name: str) -> None:
    assert compile_checker(SCHEMA_FILES[name]) is not None


def test_examples_are_valid_both_ways() -> None:
    for file_name, schema in (
        ("cases.yaml", "cases"),
        ("cases_removed.yaml", "cases_removed"),
        ("watchlist.yaml", "watchlist"),
    ):
        data = example(file_name)
        assert compile_checker(SCHEMA_FILES[schema])(data)
        assert validator_for(schema).is_valid(data)
    for line in (EXAMPLE / "history.jsonl").read_text().splitlines():
        event = json.loads(line)
        assert compile_checker(SCHEMA_FILES["history-event"])(event)


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-3, 3),
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from(
            [
                "",
                "P0",
                "high",
                "active",
                "deprecated",
                "AGTFAIL-0001",
                "sha256:" + "a" * 64,
                "2026-05-01",
                "tool_invocation",
                "x",
            ]
        ),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["name", "times", "contains", "turn", "id", "x"]), inner, max_size=3),
    ),
    max_leaves=6,
)


def mutate(draw: st.DrawFn, value: object, depth: int = 0) -> object:
    """Replace, delete or add something somewhere inside `value`."""
    value = copy.deepcopy(value)
    if isinstance(value, dict) and value and depth < 5 and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(value)))
        action = draw(st.sampled_from(["descend", "delete", "replace", "add"]))
        if action == "descend":
            value[key] = mutate(draw, value[key], depth + 1)
        elif action == "delete":
            del value[key]
        elif action == "replace":
            value[key] = draw(json_values)
        else:
            value[draw(st.sampled_from(["severty", "notes", "tags", "x", "times"]))] = draw(json_values)
        return value
    if isinstance(value, list) and value and depth < 5 and draw(st.booleans()):
        index = draw(st.integers(0, len(value) - 1))
        action = draw(st.sampled_from(["descend", "delete", "replace"]))
        if action == "descend":
            value[index] = mutate(draw, value[index], depth + 1)
        elif action == "delete":
            del value[index]
        else:
            value[index] = draw(json_values)
        return value
    return draw(json_values)


@st.composite
def mutated_cases(draw: st.DrawFn) -> object:
    cases = example("cases.yaml")["cases"]
    case = draw(st.sampled_from(cases))
    return mutate(draw, case)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_cases())
def test_case_check_agrees_with_jsonschema(case: object) -> None:
    fast = compile_checker("cases.schema.json", "/definitions/case")
    assert fast(case) == validator_for_pointer("cases", "/definitions/case").is_valid(case)


@st.composite
def mutated_events(draw: st.DrawFn) -> object:
    lines = (EXAMPLE / "history.jsonl").read_text().splitlines()
    return mutate(draw, json.loads(draw(st.sampled_from(lines))))


@settings(max_examples=200, deadline=None)
@given(mutated_events())
def test_event_check_agrees_with_jsonschema(event: object) -> None:
    assert compile_checker("history-event.schema.json")(event) == validator_for("history-event").is_valid(event)


@st.composite
def mutated_datasets(draw: st.DrawFn) -> dict:
    data = example("cases.yaml")
    return mutate(draw, data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_datasets())
def test_validate_never_crashes_on_odd_shapes(data: dict) -> None:
    """Whatever shape a hand edit leaves, validate answers with findings."""
    import yaml

    from failgate.checks.validate import validate_dataset
    from failgate.dataset.parse import parse_dataset

    text = yaml.safe_dump(data, allow_unicode=True).encode()
    history = (EXAMPLE / "history.jsonl").read_bytes()
    removed = (EXAMPLE / "cases_removed.yaml").read_bytes()
    dataset = parse_dataset("evals/failures", cases=text, removed=removed, history=history)
    findings = validate_dataset(dataset)
    schema_ok = validator_for("cases").is_valid(data) if isinstance(data, dict) else False
    if not schema_ok:
        assert any(f.is_error for f in findings)
    for finding in findings:
        assert finding.location.path.startswith("evals/failures/")


# -- draft-07 corners the fast checker once got wrong --------------------------


def _agree(schema: dict, *instances: object) -> None:
    from failgate.dataset.fastschema import compile_schema
    from failgate.dataset.schemas import _validator_class

    check = compile_schema(schema)
    assert check is not None
    for instance in instances:
        assert check(instance) == _validator_class()(schema).is_valid(instance), instance


def test_enum_and_const_compare_by_json_equality_at_any_depth() -> None:
    _agree({"enum": [[False]]}, [0], [False], [0.0])
    _agree({"const": {"a": [True]}}, {"a": [1]}, {"a": [True]})
    _agree({"const": 1}, 1.0, True)


def test_unique_items_by_json_equality_and_any_key_type() -> None:
    _agree({"uniqueItems": True}, [1, 1.0], [True, 1], [{1: "a", "b": "c"}, {"b": "c"}], [[1], [True]])


def test_keywords_beside_ref_are_ignored() -> None:
    _agree(
        {"definitions": {"s": {"type": "string"}}, "properties": {"x": {"$ref": "#/definitions/s", "minLength": 5}}},
        {"x": "ab"},
        {"x": 3},
    )


def test_dollar_keywords_and_unhandled_refs_or_patterns_fall_back() -> None:
    from failgate.dataset.fastschema import compile_schema

    assert compile_schema({"$properties": {"a": False}}) is None  # jsonschema ignores it; never enforced
    assert compile_schema({"$ref": "#/definitions/missing"}) is None
    assert compile_schema({"$ref": "http://example.com/remote.json"}) is None
    assert compile_schema({"pattern": "(?<"}) is None
    # control: what it handles, it compiles
    assert compile_schema({"pattern": "^a"}) is not None


def test_property_names_outside_the_bmp() -> None:
    _agree(
        {"properties": {"\U0001f600": {"type": "string"}}, "required": ["\U0001f600"]},
        {"\U0001f600": "x"},
        {"\U0001f600": 1},
        {},
    )


def test_patterns_end_at_the_end_of_input_as_in_ecma_262() -> None:
    """`$` is the end of input: an id with a trailing newline is not an id."""
    _agree({"pattern": "^AGTFAIL-[0-9]{4,}$"}, "AGTFAIL-0001\n", "AGTFAIL-0001")
    from failgate.dataset.model import case_number

    assert case_number("AGTFAIL-0001\n") is None
    assert case_number("AGTFAIL-0001") == 1
    assert case_number("AGTFAIL-\u0661\u0662\u0663\u0664") is None  # Arabic-Indic digits are not [0-9]
    assert (
        compile_checker("history-event.schema.json")(
            {
                "id": "01KQ763K187GQCGWNGTTZHYYZC\n",
                "ts": "2026-04-27T10:00:09Z",
                "case_id": "AGTFAIL-0001",
                "type": "remediated",
            }
        )
        is False
    )
