"""Each rule's semantics, table-driven: (rules, response) -> pass or fail."""

from __future__ import annotations

from typing import Any

import pytest

from failgate.eval.judge import (
    JudgeOptions,
    RuleError,
    case_fingerprint,
    judge_case,
    judge_fingerprint,
    parse_response,
    validate_rules,
)
from failgate.eval.judge.plugins import Verdict

REFUND = {
    "output": "Refund of $49.00 issued for order 8812.",
    "tool_calls": [
        {"name": "lookup_order", "arguments": {"order_id": "8812"}},
        {
            "name": "issue_refund",
            "arguments": {"order_id": "8812", "amount": 49.0, "meta": {"reason": "damaged", "tags": ["a", "b"]}},
        },
        {"name": "send_email", "arguments": {"to": "customer", "flag": True}},
    ],
    "turns": ["Sorry to hear that. Refund of $49.00 issued.", "Yes, it went through."],
    "latency_ms": 812,
}


def _judge(rule: dict[str, Any], response: Any = REFUND, measured: float = 5.0) -> bool:
    results = judge_case({"id": "AGTFAIL-0001", "expected": [rule]}, parse_response(response, measured))
    assert len(results) == 1
    return results[0].passed


CASES: list[tuple[str, dict[str, Any], bool]] = [
    # contains: substring, case-sensitive unless case_sensitive: false
    ("contains hit", {"contains": "order 8812"}, True),
    ("contains miss", {"contains": "order 9999"}, False),
    ("contains is case-sensitive", {"contains": "REFUND"}, False),
    ("contains case_sensitive false", {"contains": {"value": "REFUND", "case_sensitive": False}}, True),
    ("contains on turn 1", {"contains": {"value": "Sorry to hear", "turn": 1}}, True),
    ("contains on turn 2 misses", {"contains": {"value": "Sorry", "turn": 2}}, False),
    ("contains on a missing turn", {"contains": {"value": "x", "turn": 3}}, False),
    ("contains turn final", {"contains": {"value": "8812", "turn": "final"}}, True),
    # not_contains
    ("not_contains absent", {"not_contains": "refunded twice"}, True),
    ("not_contains present", {"not_contains": "issued"}, False),
    ("not_contains case-insensitive", {"not_contains": {"value": "ISSUED", "case_sensitive": False}}, False),
    ("not_contains case-sensitive", {"not_contains": "ISSUED"}, True),
    # regex: Python re.search, flags
    ("regex search anywhere", {"regex": r"refund|Refund of \$\d+"}, True),
    ("regex not anchored", {"regex": r"issued for order \d{4}"}, True),
    ("regex anchored miss", {"regex": r"^issued"}, False),
    ("regex flag i", {"regex": {"value": "REFUND OF", "flags": "i"}}, True),
    ("regex no flag", {"regex": "REFUND OF"}, False),
    ("regex case_sensitive false", {"regex": {"value": "REFUND OF", "case_sensitive": False}}, True),
    ("regex on turn 2", {"regex": {"value": r"went through\.$", "turn": 2}}, True),
    # equals: whitespace trimmed
    ("equals exact", {"equals": "Refund of $49.00 issued for order 8812."}, True),
    ("equals trims", {"equals": "  Refund of $49.00 issued for order 8812.\n"}, True),
    ("equals differs", {"equals": "Refund issued."}, False),
    ("equals case", {"equals": {"value": "refund of $49.00 issued for order 8812.", "case_sensitive": False}}, True),
    # tool_called: subset args, nested values, times/min/max
    ("tool_called at least once", {"tool_called": {"name": "issue_refund"}}, True),
    ("tool_called unknown tool", {"tool_called": {"name": "cancel_order"}}, False),
    ("tool_called args subset", {"tool_called": {"name": "issue_refund", "args": {"order_id": "8812"}}}, True),
    ("tool_called args differ", {"tool_called": {"name": "issue_refund", "args": {"order_id": "8813"}}}, False),
    ("tool_called args type strict", {"tool_called": {"name": "issue_refund", "args": {"order_id": 8812}}}, False),
    ("tool_called int matches float", {"tool_called": {"name": "issue_refund", "args": {"amount": 49}}}, True),
    ("tool_called bool is not int", {"tool_called": {"name": "send_email", "args": {"flag": 1}}}, False),
    (
        "tool_called nested subset",
        {"tool_called": {"name": "issue_refund", "args": {"meta": {"reason": "damaged"}}}},
        True,
    ),
    ("tool_called nested miss", {"tool_called": {"name": "issue_refund", "args": {"meta": {"reason": "lost"}}}}, False),
    ("tool_called list equal", {"tool_called": {"name": "issue_refund", "args": {"meta": {"tags": ["a", "b"]}}}}, True),
    (
        "tool_called list order",
        {"tool_called": {"name": "issue_refund", "args": {"meta": {"tags": ["b", "a"]}}}},
        False,
    ),
    ("tool_called list length", {"tool_called": {"name": "issue_refund", "args": {"meta": {"tags": ["a"]}}}}, False),
    ("tool_called missing key", {"tool_called": {"name": "issue_refund", "args": {"currency": "USD"}}}, False),
    ("tool_called times 1", {"tool_called": {"name": "issue_refund", "times": 1}}, True),
    ("tool_called times 2", {"tool_called": {"name": "issue_refund", "times": 2}}, False),
    ("tool_called times 0", {"tool_called": {"name": "cancel_order", "times": 0}}, True),
    ("tool_called min", {"tool_called": {"name": "issue_refund", "min": 2}}, False),
    ("tool_called max", {"tool_called": {"name": "issue_refund", "max": 1}}, True),
    ("tool_called min max", {"tool_called": {"name": "issue_refund", "min": 0, "max": 0}}, False),
    # tool_not_called
    ("tool_not_called absent", {"tool_not_called": "cancel_order"}, True),
    ("tool_not_called present", {"tool_not_called": "send_email"}, False),
    ("tool_not_called args other", {"tool_not_called": {"name": "send_email", "args": {"to": "ops"}}}, True),
    ("tool_not_called args hit", {"tool_not_called": {"name": "send_email", "args": {"to": "customer"}}}, False),
    # tool_order: subsequence
    ("tool_order subsequence", {"tool_order": ["lookup_order", "send_email"]}, True),
    ("tool_order full", {"tool_order": ["lookup_order", "issue_refund", "send_email"]}, True),
    ("tool_order wrong order", {"tool_order": ["issue_refund", "lookup_order"]}, False),
    ("tool_order missing", {"tool_order": ["lookup_order", "cancel_order"]}, False),
    # max_latency_ms: the agent's figure when it reports one
    ("latency under", {"max_latency_ms": 1000}, True),
    ("latency over", {"max_latency_ms": 800}, False),
    # not_refused: default patterns
    ("not_refused ok", {"not_refused": True}, True),
    ("not_refused on turn 1", {"not_refused": {"turn": 1}}, True),
]


@pytest.mark.parametrize("rule,expected", [(r, e) for _, r, e in CASES], ids=[n for n, _, _ in CASES])
def test_rule(rule: dict[str, Any], expected: bool) -> None:
    assert _judge(rule) is expected


@pytest.mark.parametrize(
    "text",
    [
        "I'm sorry, but I can't help with that.",
        "I’m sorry, I cannot assist with this request.",
        "I can't provide that information.",
        "I must decline to answer.",
        "As an AI, I do not have opinions.",
        "That is against our policy, so no.",
        "i am not allowed to share order details",
    ],
)
def test_refusal_patterns_catch_refusals(text: str) -> None:
    assert _judge({"not_refused": True}, {"output": text}) is False


@pytest.mark.parametrize(
    "text",
    [
        "Your refund is on its way.",
        "I can help with that: the policy is 30 days.",
        "Sorry for the delay! Your order ships today.",
        "We can't ship to PO boxes, but a street address works.",
    ],
)
def test_refusal_patterns_leave_answers_alone(text: str) -> None:
    assert _judge({"not_refused": True}, {"output": text}) is True


def test_refusal_patterns_are_configurable() -> None:
    options = JudgeOptions.from_config({"refusal_patterns": ["computer says no"]})
    case = {"id": "X", "expected": [{"not_refused": True}]}
    assert not judge_case(case, parse_response({"output": "Computer says NO."}, 1), options)[0].passed
    assert judge_case(case, parse_response({"output": "I can't help with that"}, 1), options)[0].passed
    extra = JudgeOptions.from_config({"extra_refusal_patterns": ["computer says no"]})
    assert not judge_case(case, parse_response({"output": "I can't help with that"}, 1), extra)[0].passed


def test_measured_latency_when_agent_reports_none() -> None:
    response = {"output": "ok"}
    assert _judge({"max_latency_ms": 100}, response, measured=99.0) is True
    assert _judge({"max_latency_ms": 100}, response, measured=101.0) is False


def test_failed_rule_says_expected_and_got() -> None:
    [result] = judge_case(
        {"id": "X", "expected": [{"tool_called": {"name": "issue_refund", "args": {"order_id": "8813"}}}]},
        parse_response(REFUND, 1),
    )
    assert not result.passed
    assert result.message.startswith("tool_called: expected issue_refund with args including")
    assert "got 0 matching call(s)" in result.message
    assert 'args.order_id: expected "8813", got "8812"' in result.message
    [result] = judge_case({"id": "X", "expected": [{"contains": "zebra"}]}, parse_response(REFUND, 1))
    assert "expected the final answer to contain 'zebra'; got final answer: 'Refund of" in result.message
    [result] = judge_case({"id": "X", "expected": [{"max_latency_ms": 10}]}, parse_response(REFUND, 1))
    assert result.message == "max_latency_ms: expected latency <= 10 ms; got 812 ms (reported by the agent)"


def test_all_rules_must_hold() -> None:
    case = {"id": "X", "expected": [{"contains": "8812"}, {"not_contains": "8812"}]}
    results = judge_case(case, parse_response(REFUND, 1))
    assert [r.passed for r in results] == [True, False]


@pytest.mark.parametrize(
    "rule,message",
    [
        ({"contain": "x"}, "unknown rule 'contain'"),
        ({"contains": "x", "regex": "y"}, "exactly one key"),
        ({"regex": "("}, "is invalid"),
        ({"regex": {"value": "x", "flags": "q"}}, "flags must be letters"),
        ({"contains": {"value": "x", "ignore_case": True}}, "unknown option"),
        ({"contains": {"value": "x", "turn": 0}}, "turn must be"),
        ({"tool_called": "issue_refund"}, "needs a mapping with 'name'"),
        ({"tool_called": {"name": "a", "times": 1, "min": 0}}, "either 'times' or 'min'/'max'"),
        ({"tool_called": {"name": "a", "min": 3, "max": 1}}, "greater than max"),
        ({"tool_order": []}, "non-empty list"),
        ({"max_latency_ms": 0}, ">= 1"),
        ({"not_refused": False}, "to require a refusal, use a regex"),
        ({"judge": {"rubric": "x"}}, "'use'"),
    ],
)
def test_validate_rules_names_the_problem(rule: dict[str, Any], message: str) -> None:
    problems = validate_rules([{"contains": "ok"}, rule])
    assert len(problems) == 1 and problems[0][0] == 1
    assert message in problems[0][1]
    # At eval time the same problem fails the case instead of crashing the run.
    [result] = judge_case({"id": "X", "expected": [rule]}, parse_response(REFUND, 1))
    assert not result.passed and message in result.got


@pytest.mark.parametrize(
    "raw,message",
    [
        (42, "must be a mapping"),
        ({"tool_calls": []}, "neither 'output' nor 'turns'"),
        ({"output": 3}, "'output' must be a string"),
        ({"output": "x", "tool_calls": [{"arguments": {}}]}, "tool_calls[0].name"),
        ({"output": "x", "tool_calls": [{"name": "a", "arguments": "{bad"}]}, "not JSON"),
        ({"output": "x", "turns": "a"}, "'turns' must be a list"),
        ({"output": "x", "latency_ms": -1}, "latency_ms"),
    ],
)
def test_malformed_responses_are_refused(raw: Any, message: str) -> None:
    from failgate.eval.judge import ResponseError

    with pytest.raises(ResponseError, match=None) as info:
        parse_response(raw, 1)
    assert message in str(info.value)


def test_response_conveniences() -> None:
    assert parse_response("plain text", 3).output == "plain text"
    only_turns = parse_response({"turns": ["a", "b"]}, 3)
    assert only_turns.output == "b" and only_turns.latency_source == "measured" and only_turns.latency_ms == 3
    decoded = parse_response({"output": "", "tool_calls": [{"name": "t", "arguments": '{"a": 1}'}]}, 1)
    assert decoded.tool_calls[0].arguments == {"a": 1}


# -- plugin judges -------------------------------------------------------------
def polite(case: Any, response: Any, options: Any) -> Verdict:
    word = options.get("word", "please")
    return Verdict(word in response.output, f"looked for {word!r}")


polite.version = "2.1"  # type: ignore[attr-defined]


async def async_judge(case: Any, response: Any, options: Any) -> tuple[bool, str]:
    return response.output.endswith("."), "ends with a period"


def broken_judge(case: Any, response: Any, options: Any) -> bool:
    raise RuntimeError("model unavailable")


def test_plugin_judge_by_dotted_path() -> None:
    ok = {"judge": {"use": "unit.eval.judge.test_rules:polite", "word": "Refund"}}
    assert _judge(ok) is True
    [result] = judge_case(
        {"id": "X", "expected": [{"judge": {"use": "unit.eval.judge.test_rules:polite"}}]}, parse_response(REFUND, 1)
    )
    assert not result.passed and result.got == "looked for 'please'"
    assert _judge({"judge": {"use": "unit.eval.judge.test_rules:async_judge"}}) is True


def test_plugin_judge_failures_fail_the_case() -> None:
    [result] = judge_case(
        {"id": "X", "expected": [{"judge": {"use": "unit.eval.judge.test_rules:broken_judge"}}]},
        parse_response(REFUND, 1),
    )
    assert not result.passed and "RuntimeError: model unavailable" in result.got
    [result] = judge_case(
        {"id": "X", "expected": [{"judge": {"use": "no_such_module:judge"}}]}, parse_response(REFUND, 1)
    )
    assert not result.passed and "cannot be loaded" in result.got
    [result] = judge_case(
        {"id": "X", "expected": [{"judge": {"use": "no-such-entry-point"}}]}, parse_response(REFUND, 1)
    )
    assert not result.passed and "no entry point" in result.got


def test_plugin_judge_by_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import metadata

    ep = metadata.EntryPoint(name="polite", value="unit.eval.judge.test_rules:polite", group="failgate.judges")
    real = metadata.entry_points

    def fake(**kwargs: Any) -> Any:
        if kwargs.get("group") == "failgate.judges":
            return [ep]
        return real(**kwargs)

    monkeypatch.setattr(metadata, "entry_points", fake)
    assert _judge({"judge": {"use": "polite", "word": "8812"}}) is True


# -- fingerprints ----------------------------------------------------------------
def test_refusal_patterns_touch_only_cases_that_read_them() -> None:
    from failgate.eval.judge import DEFAULT_REFUSAL_PATTERNS

    extra = JudgeOptions(refusal_patterns=DEFAULT_REFUSAL_PATTERNS + ("as a policy bot",))
    plain = {"id": "AGTFAIL-0001", "expected": [{"contains": "a"}, {"tool_not_called": "send_email"}]}
    refusing = {"id": "AGTFAIL-0002", "expected": [{"contains": "a"}, {"not_refused": True}]}
    # attack: an extra pattern changes the case whose not_refused rule reads it ...
    assert case_fingerprint(refusing, extra) != case_fingerprint(refusing)
    # ... control: and leaves a case without not_refused exactly as recorded before.
    assert case_fingerprint(plain, extra) == case_fingerprint(plain)


def test_fingerprint_is_stable_and_sensitive() -> None:
    case = {"id": "AGTFAIL-0001", "title": "t", "expected": [{"contains": "a"}]}
    first = case_fingerprint(case)
    assert first == case_fingerprint(dict(case, title="renamed"))  # only what judges counts
    assert first.startswith("sha256:") and len(first) == 71
    assert first != case_fingerprint(dict(case, expected=[{"contains": "b"}]))
    refusing = dict(case, expected=[{"contains": "a"}, {"not_refused": True}])
    assert case_fingerprint(refusing) != case_fingerprint(refusing, JudgeOptions(refusal_patterns=("x",)))
    other = {"id": "AGTFAIL-0002", "expected": [{"judge": {"use": "unit.eval.judge.test_rules:polite"}}]}
    both = judge_fingerprint([case, other])
    assert both == judge_fingerprint([other, case])
    import importlib

    from failgate.eval.judge import plugins

    # The plugin is loaded by its dotted path, which may be another module
    # object than the one pytest imported this file as.
    loaded = importlib.import_module("unit.eval.judge.test_rules").polite
    loaded.version = "2.2"
    try:
        plugins._CACHE.clear()
        assert both != judge_fingerprint([case, other])
    finally:
        loaded.version = "2.1"
        plugins._CACHE.clear()


def test_parse_errors_are_rule_errors() -> None:
    from failgate.eval.judge import parse_rules

    with pytest.raises(RuleError, match="rule 2 \\(regex\\)"):
        parse_rules([{"contains": "x"}, {"regex": "("}])
