"""Rules over retrieval, structured output and usage; each attack beside its control."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from failgate.dataset import schemas
from failgate.eval.judge import JudgeOptions, judge_case, parse_response, validate_rules
from failgate.eval.judge.response import ResponseError


def check(rule: dict[str, Any], response: Any) -> tuple[bool, str]:
    (result,) = judge_case({"id": "AGTFAIL-0001", "expected": [rule]}, parse_response(response, 1.0), JudgeOptions())
    return result.passed, result.got


RETRIEVED = {
    "output": "x",
    "retrieved": [
        "kb-123",
        {"id": "kb-7", "text": "Refunds take 5-7 business days."},
        "Returns are free within 30 days of delivery.",
    ],
}


@pytest.mark.parametrize(
    ("rule", "passed"),
    [
        ({"retrieved_contains": "kb-123"}, True),
        ({"retrieved_contains": "kb-7"}, True),
        ({"retrieved_contains": "5-7 business days"}, True),
        ({"retrieved_contains": "within 30 days"}, True),
        ({"retrieved_contains": "kb-12"}, False),  # an id matches exactly, not as a prefix
        ({"retrieved_contains": "kb-999"}, False),
        ({"retrieved_not_contains": "kb-999"}, True),
        ({"retrieved_not_contains": "kb-123"}, False),
    ],
)
def test_retrieval_rules(rule: dict[str, Any], passed: bool) -> None:
    assert check(rule, RETRIEVED)[0] is passed


def test_a_response_without_retrieved_cannot_pass_either_retrieval_rule() -> None:
    for rule in ({"retrieved_contains": "kb-1"}, {"retrieved_not_contains": "kb-1"}):
        passed, got = check(rule, {"output": "x"})
        assert not passed and got == "no 'retrieved' in the response"
    with pytest.raises(ResponseError):
        parse_response({"output": "x", "retrieved": "kb-1"}, 1.0)


SCHEMA = {
    "type": "object",
    "required": ["order_id", "refund"],
    "properties": {"order_id": {"type": "string"}, "refund": {"type": "number", "minimum": 0}},
}


def test_json_schema() -> None:
    assert check({"json_schema": SCHEMA}, '{"order_id": "8812", "refund": 49.0}') == (True, "matches")
    passed, got = check({"json_schema": SCHEMA}, '{"order_id": 8812, "refund": -1}')
    assert not passed and got.startswith("order_id: 8812 is not of type 'string'") and "(+1 more)" in got
    passed, got = check({"json_schema": SCHEMA}, '```json\n{"order_id": "8812", "refund": 1}\n```')
    assert not passed and got.startswith("not JSON")


def test_tool_args_schema() -> None:
    rule = {"tool_args_schema": {"name": "issue_refund", "schema": SCHEMA}}
    good = {
        "output": "done",
        "tool_calls": [
            {"name": "issue_refund", "arguments": {"order_id": "1", "refund": 2}},
            {"name": "lookup", "arguments": {}},
        ],
    }
    assert check(rule, good) == (True, "1 call(s) match")
    bad = {
        "output": "done",
        "tool_calls": [*good["tool_calls"], {"name": "issue_refund", "arguments": {"order_id": "1"}}],
    }
    passed, got = check(rule, bad)
    assert not passed and got.startswith("call 2 of 2: (root): 'refund' is a required property")
    assert check(rule, {"output": "none"}) == (False, "no call to issue_refund")


def test_usage_budgets() -> None:
    assert check({"max_tokens": 1000}, {"output": "x", "usage": {"total_tokens": 900}})[0] is True
    assert check({"max_tokens": 1000}, {"output": "x", "usage": {"input_tokens": 700, "output_tokens": 400}}) == (
        False,
        "1100 tokens",
    )
    assert check({"max_tokens": 1000}, {"output": "x"}) == (False, "the response reports no token usage")
    assert check({"max_cost_usd": 0.05}, {"output": "x", "usage": {"cost_usd": 0.01}})[0] is True
    assert check({"max_cost_usd": 0.05}, {"output": "x", "cost_usd": 0.2}) == (False, "$0.2")
    assert check({"max_cost_usd": 0.05}, {"output": "x", "usage": {}}) == (False, "the response reports no cost_usd")


@pytest.mark.parametrize(
    "rule",
    [
        {"retrieved_contains": ""},
        {"json_schema": "object"},
        {"json_schema": {"type": "objekt"}},
        {"tool_args_schema": {"name": "x"}},
        {"max_tokens": 0},
        {"max_cost_usd": 0},
        {"max_cost_usd": True},
        {"llm_rubric": {"rubric": " "}},
        {"llm_rubric": {"rubric": "x", "model": "gpt"}},
        {"llm_rubric": {"rubric": "x", "turn": 0}},
    ],
)
def test_malformed_rules_are_refused_at_validate_time(rule: dict[str, Any]) -> None:
    assert validate_rules([rule]) != []


def test_the_case_schema_knows_every_new_rule() -> None:
    validator = schemas.validator_for_pointer("cases", "/definitions/rule")
    for rule in (
        {"llm_rubric": "Cites the policy"},
        {"llm_rubric": {"rubric": "Cites the policy", "turn": 2}},
        {"retrieved_contains": "kb-1"},
        {"retrieved_not_contains": "kb-1"},
        {"json_schema": SCHEMA},
        {"tool_args_schema": {"name": "t", "schema": SCHEMA}},
        {"max_tokens": 10},
        {"max_cost_usd": 0.5},
    ):
        assert list(validator.iter_errors(rule)) == [], rule
        assert validate_rules([rule]) == [], rule
    for rule in ({"llm_rubric": {"rubric": "x", "model": "m"}}, {"max_tokens": 0}, {"tool_args_schema": {"name": "t"}}):
        assert list(validator.iter_errors(rule)) != [], rule
    described = schemas.load_schema("cases")["definitions"]["rule"]["properties"]
    assert all(described[name].get("description") for name in described)


def test_judge_llm_config_keys_are_checked(tmp_path: Path) -> None:
    from failgate.config import cache_location, load_config
    from failgate.findings import FailgateError

    (tmp_path / "failgate.toml").write_text(
        '[judge]\ngold_floor = 0.95\n[judge.llm]\nbase_url = "http://127.0.0.1:8000/v1"\nmodel = "m"\n'
        'api_key_env = "JUDGE_KEY"\nseed = 7\nmax_concurrency = 16\nretries = 0\n'
    )
    options = JudgeOptions.from_config(load_config(tmp_path).section("judge"), str(tmp_path))
    assert options.llm.model == "m" and options.llm.seed == 7 and options.llm.retries == 0
    assert options.cache_dir == str(cache_location(tmp_path))
    (tmp_path / "failgate.toml").write_text(
        '[judge.llm]\nbase_url = "localhost"\napi_key_env = "sk-abc 123"\nmodle = "m"\n'
    )
    with pytest.raises(FailgateError) as caught:
        load_config(tmp_path)
    messages = [f"{f.location.line}: {f.message}" for f in caught.value.findings]
    assert any(m.startswith("2: judge.llm.base_url must be an http(s) URL") for m in messages), messages
    assert any(m.startswith("3: judge.llm.api_key_env must be the name of an environment variable") for m in messages)
    assert any(m.startswith("4: unknown key 'judge.llm.modle'") for m in messages)


def test_validate_checks_an_embedded_json_schema_at_commit_time(tmp_path: Path) -> None:
    from failgate.checks.validate import _rule_findings
    from failgate.dataset.yamlstrict import load_yaml_text

    text = (
        "cases:\n  - expected:\n      - json_schema: {type: objekt}\n"
        "      - tool_args_schema: {name: t, schema: {type: object}}\n"
        "      - tool_args_schema: {name: t}\n"
    )
    findings = _rule_findings(load_yaml_text(text, "c.yaml"), "cases", set())
    assert [(f.code, f.location.line) for f in findings] == [("RULE", 3)]
    assert "not a valid draft-07 schema" in findings[0].message
