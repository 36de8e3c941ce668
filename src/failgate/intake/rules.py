"""Which production runs failed, and which failure mode each one proposes.

A run fails when any intake signal fires. The response-level signals are
judge rules run by the eval's own judge (`failgate.eval.judge`), so "refused" or
"too slow" means exactly what it means at eval time, with the same refusal
patterns from `[tool.failgate.judge]`:

| signal            | judge rule / trace field             | proposed mode        |
|-------------------|--------------------------------------|----------------------|
| forbidden tool    | `tool_not_called: NAME`              | blast_radius_breach  |
| tool error        | a tool call with an `error`          | tool_invocation      |
| explicit error    | the run's `error`                    | latency_breach when it reads like a timeout, else tool_invocation |
| project rule      | `[[intake.rules]]` judge rule        | its `failure_mode`   |
| refusal           | `not_refused: true`                  | refusal_overreach    |
| latency budget    | `max_latency_ms: N`                  | latency_breach       |
| score rule        | `[[intake.score_rules]]` on a score  | its `failure_mode`   |
| negative feedback | the run's `feedback`, or a score named in `feedback_scores` from a person (source API / ANNOTATION) | multi_turn_drift for multi-turn input, else hallucination |

Eval scores (source EVAL) are never feedback: only a score rule makes one
fail a run, with its threshold and direction (0 is good for toxicity).

The first signal in this order proposes the mode (the most consequential
first); every fired signal is listed as the reason. The proposal is a guess a
person confirms in the review file.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from failgate.eval.judge import JudgeOptions, ResponseError, judge_case, parse_response
from failgate.intake.settings import IntakeSettings
from failgate.intake.traces.model import FEEDBACK_SCORE_NAMES, Trace, feedback_from_scores

_TIMEOUT = re.compile(r"time(?:d)?[ _-]?out|deadline|timeout", re.IGNORECASE)


@dataclasses.dataclass(frozen=True)
class Failure:
    mode: str
    reasons: tuple[str, ...]  # every signal that fired, most consequential first
    signals: tuple[str, ...]  # short names: "refusal", "latency", ...


class IntakeRules:
    """The intake rules compiled once; `classify(trace)` per trace."""

    def __init__(self, settings: IntakeSettings, options: JudgeOptions = JudgeOptions()) -> None:
        self.settings = settings
        self.options = options
        # (signal, proposed mode, a case-shaped mapping holding one judge rule)
        self.judged: list[tuple[str, str, dict[str, Any]]] = []
        for tool in settings.forbidden_tools:
            self.judged.append(("forbidden_tool", "blast_radius_breach", {"expected": [{"tool_not_called": tool}]}))
        self._project_from = len(self.judged)
        for rule, mode in settings.rules:
            self.judged.append(("rule", mode, {"expected": [rule]}))
        if settings.refusal:
            self.judged.append(("refusal", "refusal_overreach", {"expected": [{"not_refused": True}]}))
        self.latency_case = (
            {"expected": [{"max_latency_ms": settings.latency_budget_ms}]} if settings.latency_budget_ms else None
        )

    def classify(self, trace: Trace) -> Failure | None:
        found: list[tuple[str, str, str]] = []  # (signal, mode, reason)
        try:
            response = parse_response(trace.response(), trace.latency_ms or 0.0)
        except ResponseError as exc:
            response = None
            found.append(("malformed", "tool_invocation", f"the recorded response is malformed: {exc}"))
        judged: list[tuple[str, str, str]] = []
        if response is not None:
            for signal, mode, case in self.judged:
                for result in judge_case(case, response, self.options):
                    if not result.passed:
                        judged.append((signal, mode, _reason(signal, result)))
            if self.latency_case is not None and trace.latency_ms is not None:
                for result in judge_case(self.latency_case, response, self.options):
                    if not result.passed:
                        judged.append(("latency", "latency_breach", _reason("latency", result)))
        forbidden = [j for j in judged if j[0] == "forbidden_tool"]
        found.extend(forbidden)
        if self.settings.tool_errors:
            for call in trace.tool_calls:
                if call.get("error"):
                    found.append(("tool_error", "tool_invocation", f"tool {call['name']} failed: {call['error']}"))
        if self.settings.explicit_errors and trace.error:
            mode = "latency_breach" if _TIMEOUT.search(trace.error) else "tool_invocation"
            found.append(("error", mode, f"the run ended in an error: {trace.error}"))
        found.extend(j for j in judged if j[0] != "forbidden_tool")
        found.extend(self._score_failures(trace))
        feedback, comment = trace.feedback, trace.feedback_comment
        if self.settings.feedback_scores is not None and trace.scores:
            names = tuple(self.settings.feedback_scores) + FEEDBACK_SCORE_NAMES
            feedback, comment = feedback_from_scores(trace.scores, names)
            feedback, comment = feedback or trace.feedback, comment or trace.feedback_comment
        if self.settings.negative_feedback and feedback == "negative":
            turns = sum(1 for m in trace.input.get("messages") or [] if isinstance(m, dict) and m.get("role") == "user")
            mode = "multi_turn_drift" if turns > 1 else "hallucination"
            note = f": {comment}" if comment else ""
            found.append(("feedback", mode, f"the user gave negative feedback{note} (the mode is a guess: confirm it)"))
        if not found:
            return None
        return Failure(found[0][1], tuple(r for _, _, r in found), tuple(dict.fromkeys(s for s, _, _ in found)))

    def _score_failures(self, trace: Trace) -> list[tuple[str, str, str]]:
        found = []
        for name, direction, threshold, mode in self.settings.score_rules:
            for score in trace.scores:
                value = score.get("value")
                if score.get("name") != name or isinstance(value, bool) or not isinstance(value, (int, float)):
                    continue
                if (value < threshold) if direction == "below" else (value > threshold):
                    source = f" ({score['source']})" if score.get("source") else ""
                    found.append(("score", mode, f"score {name}{source} = {value:g}, {direction} {threshold:g}"))
        return found


_LABELS = {"forbidden_tool": "called a forbidden tool", "refusal": "refused", "latency": "over the latency budget"}


def _reason(signal: str, result: Any) -> str:
    """Short, reviewer-facing: the judge's finding without its rule syntax."""
    if signal in _LABELS:
        got = re.sub(r"refusal pattern /.*/ at ", "a refusal pattern at ", str(result.got))
        return f"{_LABELS[signal]}: {got}"
    return result.message
