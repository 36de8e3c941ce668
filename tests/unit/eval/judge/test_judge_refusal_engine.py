"""The built-in refusal patterns run with `re`; a project's own patterns keep the time budget.

The seven built-in patterns are fixed and linear, and the ingest funnel searches every
trace with all of them: through the time-budgeted `regex` engine that was 18-20 % of
the run. What must hold: the funnel never reaches for `regex` with the built-in
patterns (observed in a fresh interpreter, where nothing else imported it), the
verdicts are the ones `regex` gave, and a pattern a project supplies that
backtracks catastrophically still fails its rule with "timed out" instead of hanging.
"""

from __future__ import annotations

import re
import subprocess
import sys

from hypothesis import given
from hypothesis import strategies as st

from failgate.eval.judge import JudgeOptions, judge_case, parse_response
from failgate.eval.judge.text import DEFAULT_REFUSAL_PATTERNS, compile_refusal, search

EVIL = r"(a|aa)+$"  # ~2**n steps on n a's and a '!'
LONG = "a" * 5000 + "!"

_FUNNEL = """
import sys
from failgate.eval.judge import DEFAULT_REFUSAL_PATTERNS, JudgeOptions
from failgate.intake.rules import IntakeRules
from failgate.intake.settings import IntakeSettings
from failgate.intake.traces.model import Trace

rules = IntakeRules(IntakeSettings(latency_budget_ms=None){options})
refused = Trace(trace_id="t1", input={{"messages": [{{"role": "user", "content": "refund 8812"}}]}},
                output="I'm sorry, but I can't help with that.")
fine = Trace(trace_id="t2", input={{"messages": [{{"role": "user", "content": "refund 8812"}}]}},
             output="Refund issued for order 8812.")
assert rules.classify(refused).mode == "refusal_overreach", rules.classify(refused)
assert rules.classify(fine) is None
print("regex" in sys.modules)
"""


def _funnel_imports_regex(options: str = "") -> bool:
    code = _FUNNEL.format(options=options)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return result.stdout.strip() == "True"


def test_the_funnel_with_the_built_in_patterns_never_uses_the_budgeted_engine() -> None:
    assert not _funnel_imports_regex()


def test_control_a_project_pattern_goes_through_the_budgeted_engine() -> None:
    # The observation can fail: one pattern of the project's own beside the built-in ones.
    assert _funnel_imports_regex(", JudgeOptions(refusal_patterns=(*DEFAULT_REFUSAL_PATTERNS, 'no refunds here'))")


def test_a_project_refusal_pattern_that_backtracks_still_times_out() -> None:
    options = JudgeOptions(refusal_patterns=(*DEFAULT_REFUSAL_PATTERNS, EVIL))
    results = judge_case({"expected": [{"not_refused": True}]}, parse_response({"output": LONG}, 1.0), options)
    assert not results[0].passed and "refusal pattern timed out" in results[0].got


def test_control_the_built_in_patterns_alone_judge_the_same_long_text_at_once() -> None:
    results = judge_case({"expected": [{"not_refused": True}]}, parse_response({"output": LONG}, 1.0))
    assert results[0].passed and "timed out" not in results[0].got


def test_a_built_in_refusal_is_still_caught() -> None:
    for text in ("I'm sorry, but I can't help with that.", "As an AI, I must decline.", "That is against our policy."):
        results = judge_case({"expected": [{"not_refused": True}]}, parse_response({"output": text}, 1.0))
        assert not results[0].passed, text


_PHRASES = [
    "I'm sorry, but I can't",
    "I’m afraid I won’t",
    "I am unable to help",
    "I cannot assist",
    "I must decline",
    "I'm not allowed to",
    "as an AI",
    "against our policies",
    "unable to help with that",
    "order 8812",
    "refund",
    "I ",
    " ",
    "sorry",
]


# Where the two engines differ, `re` is the documented meaning ("Python re"): `\b` beside
# a number that is not a decimal digit ("¹I'm sorry") is no word boundary for `re`, one
# for `regex`. Answers are compared over ASCII and the typographic apostrophe.
_ANSWER_TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126) | st.just("’"), max_size=8)


@given(st.lists(st.sampled_from(_PHRASES) | _ANSWER_TEXT, max_size=8).map("".join))
def test_re_and_the_budgeted_engine_agree_on_the_built_in_patterns(text: str) -> None:
    import regex

    for pattern in compile_refusal(DEFAULT_REFUSAL_PATTERNS):
        timed = regex.compile(pattern.pattern, pattern.flags & ~re.UNICODE | regex.VERSION0)
        ours, theirs = search(pattern, text), timed.search(text)
        assert (ours and ours.span()) == (theirs and theirs.span()), (pattern.pattern, text)
