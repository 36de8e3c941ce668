"""Warn at commit time about judge patterns shaped to backtrack without end. Pure.

A quantified group whose body is itself quantified (`(a+)+`, `(\\w*\\s?)*`,
`(x{1,9})+`) can take exponential time on a text that almost matches. The eval
bounds every match anyway (`failgate.eval.judge.text.REGEX_BUDGET_S`), so this
is a warning that explains a future "timed out", not an error: the check is a
cheap shape test, not a proof (`(a|aa)+` is not caught, and not every nested
quantifier is slow).
"""

from __future__ import annotations

import re
from typing import Any

from failgate.findings import WARNING, Finding

CODE = "REGEX_BACKTRACK"
# An innermost group containing a quantifier, itself quantified.
_NESTED = re.compile(
    r"\((?:\?[:=!]|\?<[=!]|\?P<\w+>)?(?:[^()\\]|\\.)*(?:[+*]|\{\d*,\d*\})(?:[^()\\]|\\.)*\)"
    r"(?:[+*]|\{\d*,\d*\})"
)


def is_nested_quantifier(pattern: str) -> bool:
    return bool(_NESTED.search(pattern))


def _value(rule_value: Any) -> str | None:
    if isinstance(rule_value, dict):
        rule_value = rule_value.get("value")
    return rule_value if isinstance(rule_value, str) else None


def backtracking_findings(dataset: Any) -> list[Finding]:
    findings = []
    for index, case in enumerate(dataset.cases):
        expected = case.get("expected")
        for r_index, rule in enumerate(expected if isinstance(expected, list) else []):
            if not isinstance(rule, dict) or "regex" not in rule:
                continue
            pattern = _value(rule["regex"])
            if pattern is not None and is_nested_quantifier(pattern):
                findings.append(
                    Finding(
                        CODE,
                        f"regex /{pattern}/ nests a quantifier inside a quantified group, which can backtrack "
                        "without end on a long answer; the eval stops it after 1 s and fails the rule "
                        '("timed out"): consider an atomic form, e.g. (a+)+ -> a+',
                        dataset.case_location(index, "expected", r_index),
                        WARNING,
                    )
                )
    return findings
