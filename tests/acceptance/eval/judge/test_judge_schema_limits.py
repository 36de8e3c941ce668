"""`json_schema` and `tool_args_schema` rules keep every limit a `regex:` rule keeps, and never touch the network.

The attacks: a catastrophically backtracking `pattern` (in `pattern`, `patternProperties`, and the
`additionalProperties` that depends on it), `{"$ref": "#"}` and a two-step `$ref` cycle, a remote `$ref` to a
server a branch chose (which counts its hits), an answer nested far past the interpreter's stack. Controls: the
same pattern on a short answer, a recursive schema that descends (a tree), a local `#/definitions` reference.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from failgate.eval.judge import JudgeOptions, judge_case, parse_response, validate_rules

EVIL = "^(a|aa)+$"
LONG_A = "a" * 40 + "b"  # exponential for `re`: minutes; the budget stops it at 1 s


def check(rule: dict[str, Any], response: Any) -> tuple[bool, str]:
    (result,) = judge_case({"id": "AGTFAIL-0001", "expected": [rule]}, parse_response(response, 1.0), JudgeOptions())
    return result.passed, result.got


def timed(rule: dict[str, Any], response: Any) -> tuple[bool, str, float]:
    start = time.monotonic()
    passed, got = check(rule, response)
    return passed, got, time.monotonic() - start


@pytest.mark.parametrize(
    ("rule", "answer"),
    [
        ({"json_schema": {"type": "string", "pattern": EVIL}}, {"output": json.dumps(LONG_A)}),
        (
            {"json_schema": {"type": "object", "patternProperties": {EVIL: {"type": "string"}}}},
            {"output": json.dumps({LONG_A: "x"})},
        ),
        (
            {"json_schema": {"type": "object", "patternProperties": {EVIL: {}}, "additionalProperties": False}},
            {"output": json.dumps({LONG_A: "x"})},
        ),
        (
            {"tool_args_schema": {"name": "lookup", "schema": {"properties": {"q": {"pattern": EVIL}}}}},
            {"output": "", "tool_calls": [{"name": "lookup", "arguments": {"q": LONG_A}}]},
        ),
    ],
    ids=["pattern", "patternProperties", "additionalProperties", "tool_args_schema"],
)
def test_a_catastrophic_pattern_fails_its_rule_within_the_regex_budget(rule: dict[str, Any], answer: Any) -> None:
    passed, got, took = timed(rule, answer)
    assert not passed and "timed out" in got, got
    assert took < 10, f"took {took:.1f} s"


@pytest.mark.parametrize(
    ("rule", "answer"),
    [
        ({"json_schema": {"type": "string", "pattern": EVIL}}, {"output": json.dumps("aaaa")}),
        (
            {"json_schema": {"type": "object", "patternProperties": {EVIL: {}}, "additionalProperties": False}},
            {"output": json.dumps({"aaa": 1})},
        ),
    ],
    ids=["pattern", "additionalProperties"],
)
def test_control_the_same_patterns_judge_a_short_answer(rule: dict[str, Any], answer: Any) -> None:
    assert check(rule, answer) == (True, "matches")


def test_control_additional_properties_still_refuses_an_extra_key() -> None:
    rule = {"json_schema": {"properties": {"a": {}}, "patternProperties": {"^x-": {}}, "additionalProperties": False}}
    assert check(rule, {"output": json.dumps({"a": 1, "x-y": 2})})[0]
    passed, got = check(rule, {"output": json.dumps({"a": 1, "b": 2})})
    assert not passed and "'b'" in got


CYCLES = {
    "self": {"$ref": "#"},
    "two steps": {
        "definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"allOf": [{"$ref": "#/definitions/a"}]}},
        "$ref": "#/definitions/a",
    },
    "through not": {"definitions": {"a": {"not": {"$ref": "#/definitions/a"}}}, "$ref": "#/definitions/a"},
}


@pytest.mark.parametrize("schema", CYCLES.values(), ids=CYCLES.keys())
def test_a_ref_cycle_that_never_descends_is_refused_at_validate_and_fails_at_eval(schema: dict[str, Any]) -> None:
    problems = validate_rules([{"json_schema": schema}])
    assert problems and "refers to itself" in problems[0][1], problems
    passed, got = check({"json_schema": schema}, {"output": "{}"})
    assert not passed and "refers to itself" in got


def test_control_a_recursive_schema_that_descends_judges_a_tree() -> None:
    tree = {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#"}}}}
    assert validate_rules([{"json_schema": tree}]) == []
    assert check({"json_schema": tree}, {"output": json.dumps({"children": [{"children": []}]})}) == (True, "matches")
    passed, got = check({"json_schema": tree}, {"output": json.dumps({"children": [1]})})
    assert not passed and "children/0" in got


def test_an_answer_nested_past_the_stack_fails_its_rule_not_the_run() -> None:
    tree = {"type": "object", "properties": {"c": {"$ref": "#"}}}
    deep = '{"c": ' * 100_000 + "{}" + "}" * 100_000
    passed, got = check({"json_schema": tree}, {"output": deep})
    assert not passed and "nested more than" in got


class Counting(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        Counting.hits.append(self.path)
        body = json.dumps({"type": "string"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Counting.hits = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()


@pytest.mark.parametrize(
    "make",
    [
        lambda url: {"$ref": f"{url}/s.json"},
        lambda url: {"$id": f"{url}/base.json", "$ref": "other.json"},
        lambda url: {"definitions": {"x": {"$ref": f"{url}/x.json"}}, "$ref": "#/definitions/x"},
        lambda url: {"properties": {"a": {"items": {"$ref": f"{url}/deep.json#/a"}}}},
    ],
    ids=["absolute", "relative to $id", "behind a local ref", "nested"],
)
def test_a_remote_ref_is_refused_and_never_fetched(server: str, make: Any) -> None:
    schema = make(server)
    problems = validate_rules([{"json_schema": schema}])
    assert problems and "never fetches a schema" in problems[0][1], problems
    for output in ('"x"', '{"a": [1]}'):
        passed, got = check({"json_schema": schema}, {"output": output})
        assert not passed
    tool_rule = {"tool_args_schema": {"name": "t", "schema": schema}}
    check(tool_rule, {"output": "", "tool_calls": [{"name": "t", "arguments": {"a": [1]}}]})
    assert Counting.hits == [], f"failgate fetched {Counting.hits} from a URL the branch chose"


def test_control_a_local_definition_reference_is_followed(server: str) -> None:
    schema = {"definitions": {"sku": {"type": "string", "pattern": "^SKU-[0-9]+$"}}, "$ref": "#/definitions/sku"}
    assert validate_rules([{"json_schema": schema}]) == []
    assert check({"json_schema": schema}, {"output": '"SKU-12"'}) == (True, "matches")
    assert not check({"json_schema": schema}, {"output": '"sku"'})[0]
    assert Counting.hits == []
