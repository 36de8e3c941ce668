"""The rule-kind registry (failgate.eval.judge.kinds): every kind declared once, every
other list of rule names derived from it, and the committed schema's `rule` block
checked against it. Each attack (a kind added in one place only) has a control."""

from __future__ import annotations

import copy
import dataclasses
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from dataset_builder import VALID_CASE

from failgate.checks.validate import validate_dataset
from failgate.dataset import schemas
from failgate.dataset.parse import parse_dataset
from failgate.eval.judge import JudgeOptions, RuleError, judge_case, kinds, parse_response, parse_rules, validate_rules
from failgate.eval.judge.kinds import Judging, RuleKind

REPO = Path(__file__).resolve().parents[4]
SCRIPT = REPO / "scripts" / "rule_schema.py"
SCHEMA_FILE = REPO / "schemas" / "cases.schema.json"

# One value per kind that its parser accepts: the test below fails for a kind added
# without one, so every kind's parser and schema fragment are held to agree.
SAMPLES: dict[str, Any] = {
    "contains": "8812",
    "not_contains": {"value": "twice", "case_sensitive": False},
    "regex": {"value": "refund (issued|processed)", "flags": "i"},
    "equals": "",
    "tool_called": {"name": "issue_refund", "times": 1, "args": {"order_id": "8812"}},
    "tool_not_called": "send_email",
    "tool_order": ["lookup_order", "issue_refund"],
    "max_latency_ms": 8000,
    "not_refused": {"turn": 1},
    "judge": {"use": "mypkg.judges:rubric", "rubric": "cites the policy"},
    "llm_rubric": {"rubric": "cites the policy", "turn": 1},
    "retrieved_contains": "kb-123",
    "retrieved_not_contains": "kb-999",
    "json_schema": {"type": "object"},
    "tool_args_schema": {"name": "issue_refund", "schema": {"type": "object"}},
    "max_tokens": 2000,
    "max_cost_usd": 0.05,
}


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rule_schema", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _kind_always_true(name: str) -> RuleKind:
    return RuleKind(
        name,
        {"type": "string", "description": "test kind"},
        lambda value, options: str(value),
        lambda spec, judging: (spec in judging.response.output, f"{spec!r} in the answer", judging.response.output),
    )


def _with_kind(monkeypatch: pytest.MonkeyPatch, kind: RuleKind) -> None:
    monkeypatch.setattr(kinds, "KINDS", (*kinds.KINDS, kind))
    monkeypatch.setattr(kinds, "BY_NAME", {**kinds.BY_NAME, kind.name: kind})
    monkeypatch.setattr(kinds, "RULE_NAMES", (*kinds.RULE_NAMES, kind.name))


def test_the_committed_schema_is_what_the_registry_writes() -> None:
    result = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    committed = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))["definitions"]["rule"]
    assert list(committed["properties"]) == list(kinds.RULE_NAMES)


def test_a_schema_edited_by_hand_is_caught() -> None:
    text = SCHEMA_FILE.read_text(encoding="utf-8")
    assert _script().expected_text(text) == text  # control
    edited = json.loads(text)
    del edited["definitions"]["rule"]["properties"]["tool_order"]
    edited_text = json.dumps(edited, indent=2, ensure_ascii=False) + "\n"
    assert _script().expected_text(edited_text) != edited_text


def test_a_kind_added_to_the_registry_only_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    text = SCHEMA_FILE.read_text(encoding="utf-8")
    _with_kind(monkeypatch, _kind_always_true("regex_absent"))
    wanted = _script().expected_text(text)
    assert wanted != text
    assert "regex_absent" in json.loads(wanted)["definitions"]["rule"]["properties"]


def test_a_kind_declared_once_is_known_to_validate_and_to_the_judge(monkeypatch: pytest.MonkeyPatch) -> None:
    rule = {"mentions": "8812"}
    with pytest.raises(RuleError, match="unknown rule 'mentions'"):  # control: not declared
        parse_rules([rule])
    _with_kind(monkeypatch, _kind_always_true("mentions"))
    # the judge module's own name for the registry is the registry
    monkeypatch.setattr("failgate.eval.judge.BY_NAME", kinds.BY_NAME)
    assert validate_rules([rule]) == []
    response = parse_response({"output": "order 8812 refunded"}, 5.0)
    (result,) = judge_case({"expected": [rule]}, response)
    assert result.passed and result.rule == "mentions"


@pytest.mark.parametrize("kind", kinds.KINDS, ids=lambda k: k.name)
def test_every_kind_parses_its_sample_and_the_schema_accepts_it(kind: RuleKind) -> None:
    assert kind.name in SAMPLES, f"add a sample value for the new rule kind {kind.name!r}"
    value = SAMPLES[kind.name]
    kind.parse(value, JudgeOptions())
    case = {"expected": [{kind.name: value}]}
    errors = [e.message for e in schemas.validator_for("cases").iter_errors(_doc(case))]
    assert errors == []


@pytest.mark.parametrize("kind", kinds.KINDS, ids=lambda k: k.name)
def test_every_kind_refuses_a_value_of_the_wrong_shape(kind: RuleKind) -> None:
    wrong: Any = [[]]  # a list of a list: no kind takes that
    with pytest.raises(RuleError):
        kind.parse(wrong, JudgeOptions())
    errors = list(schemas.validator_for("cases").iter_errors(_doc({"expected": [{kind.name: wrong}]})))
    assert errors


def test_validate_lists_the_registry_for_an_unknown_rule() -> None:
    text = _cases_yaml({"regex_absnt": "x"})
    dataset = parse_dataset("evals/failures", cases=text.encode())
    unknown = [f for f in validate_dataset(dataset, fixture_exists=lambda p: True) if f.code == "UNKNOWN_RULE"]
    assert len(unknown) == 1
    assert "known rules: " + ", ".join(kinds.RULE_NAMES) in unknown[0].message
    control = parse_dataset("evals/failures", cases=_cases_yaml({"regex": "x"}).encode())
    assert not [f for f in validate_dataset(control, fixture_exists=lambda p: True) if f.code == "UNKNOWN_RULE"]


def test_remote_kinds_are_deferred_by_the_registry_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    remote = dataclasses.replace(_kind_always_true("mentions"), remote=True)
    _with_kind(monkeypatch, remote)
    monkeypatch.setattr("failgate.eval.judge.BY_NAME", kinds.BY_NAME)
    response = parse_response({"output": "order 8812"}, 5.0)
    deferred: list[Any] = []
    (placeholder,) = judge_case({"expected": [{"mentions": "8812"}]}, response, deferred=deferred)
    assert not placeholder.passed and len(deferred) == 1
    assert deferred[0][1]().passed
    # control: the same kind, not remote, is judged at once
    _with_kind(monkeypatch, _kind_always_true("mentions"))
    monkeypatch.setattr("failgate.eval.judge.BY_NAME", kinds.BY_NAME)
    later: list[Any] = []
    (result,) = judge_case({"expected": [{"mentions": "8812"}]}, response, deferred=later)
    assert result.passed and later == []


def test_evaluators_get_what_the_judge_was_given() -> None:
    seen: list[Judging] = []

    def evaluate(spec: Any, judging: Judging) -> tuple[bool, str, str]:
        seen.append(judging)
        return True, "", ""

    kind = RuleKind("spy", {"type": "string"}, lambda value, options: value, evaluate)
    response = parse_response({"output": "x"}, 5.0)
    options = JudgeOptions(root="/somewhere")
    kind.evaluate("v", Judging({"id": "AGTFAIL-0001"}, response, options, True))
    assert seen[0].case["id"] == "AGTFAIL-0001" and seen[0].options.root == "/somewhere" and seen[0].fresh


BASE_CASE: dict[str, Any] = VALID_CASE


def _doc(changes: dict[str, Any]) -> dict[str, Any]:
    case = copy.deepcopy(BASE_CASE)
    case.update(changes)
    return {"schema_version": 1, "failure_modes": ["tool_invocation"], "cases": [case]}


def _cases_yaml(rule: dict[str, Any]) -> str:
    return json.dumps(_doc({"expected": [rule]}), indent=2) + "\n"  # JSON is YAML
