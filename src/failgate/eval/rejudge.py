"""The same agent responses judged again by another judge. Pure but for the judge's own calls.

A branch that changes the judge is judged twice (the manual's "Judge changes"):
by the base's judge, which gives the blocking verdict, and by its own, which
must pass every gating case too. The agent runs once; its recorded responses
are judged again here, so the two verdicts differ only by the judge.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from failgate.eval.judge import JudgeOptions, judge_case, judge_fingerprint, settings_fingerprint
from failgate.eval.runner import SKIPPED, Attempt, EvalCase, EvalResult, _skipped, _summarise, repeat_policy


def _again(item: EvalCase, attempt: Attempt, options: JudgeOptions, fresh: bool) -> Attempt:
    if attempt.response is None:  # the agent failed before answering: nothing to judge, same failure
        return attempt
    rules = tuple(judge_case(item.case, attempt.response, options, fresh=fresh))
    return dataclasses.replace(attempt, passed=all(r.passed for r in rules), rules=rules)


def rejudge(items: Sequence[EvalCase], result: EvalResult, options: JudgeOptions) -> EvalResult:
    """`result` (a run of `items`) with every attempt judged by `options` instead."""
    before = result.by_id()
    cases = []
    for item in items:
        ran = before.get(item.id)
        if item.skip_reason is not None or ran is None or ran.outcome == SKIPPED:
            cases.append(_skipped(item, options))
            continue
        runs, required = repeat_policy(item.case, ran.runs or None)
        attempts = [_again(item, attempt, options, fresh=runs > 1) for attempt in ran.attempts]
        cases.append(_summarise(item, attempts, required, options))
    ran_cases = [item.case for item in items if item.skip_reason is None]
    return dataclasses.replace(
        result,
        cases=cases,
        judge=judge_fingerprint(ran_cases, options),
        judge_settings=settings_fingerprint(options),
    )
