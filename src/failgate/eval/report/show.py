"""`failgate eval --case ID --show`: one case's run, in full.

The matrix says that a case failed and which rule; to fix the agent one
needs what it actually answered. Per attempt: the final text, every tool call
with its arguments, the per-turn replies, the latency (and who measured it),
any other keys the agent returned, then each rule's verdict. When the agent
raised, the traceback from the agent's side (in process or from the worker).
"""

from __future__ import annotations

import json
from typing import Any

from failgate.eval.runner import CaseResult, EvalResult

_KNOWN = ("output", "tool_calls", "turns", "latency_ms")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _indented(text: str, pad: str) -> list[str]:
    return [pad + line for line in (text.splitlines() or [""])]


def _response_lines(response: Any) -> list[str]:
    lines = ["    output:"]
    lines += _indented(response.output, "      | ")
    if response.tool_calls:
        lines.append(f"    tool calls ({len(response.tool_calls)}):")
        lines += [
            f"      {n}. {call.name} {_json(dict(call.arguments))}" for n, call in enumerate(response.tool_calls, 1)
        ]
    else:
        lines.append("    tool calls: none")
    for n, turn in enumerate(response.turns, 1):
        lines.append(f"    turn {n}:")
        lines += _indented(turn, "      | ")
    who = "reported by the agent" if response.latency_source == "agent" else "measured by failgate"
    lines.append(f"    latency: {response.latency_ms:.0f} ms ({who})")
    extras = {k: v for k, v in response.raw.items() if k not in _KNOWN}
    if extras:
        lines.append("    other keys:")
        lines += [f"      {key}: {_json(value)}" for key, value in sorted(extras.items())]
    return lines


def _replay_lines(report: dict[str, Any]) -> list[str]:
    """The cassette beside the run, step by step, up to the divergence (and what came after it)."""
    from failgate.eval.replay import describe

    lines = [f"    replay: {describe(report)}"]
    for call in report.get("calls") or []:
        lines.append(f"      step {call.get('step')}: {call.get('how'):<8} ran      {call.get('came')}")
        if call.get("recorded") and call.get("how") != "replayed":
            lines.append(f"      {'':>{len(str(call.get('step'))) + 15}} recorded {call.get('recorded')}")
    divergence = report.get("divergence")
    if isinstance(divergence, dict) and divergence.get("came") is None and divergence.get("recorded"):
        lines.append(f"      step {divergence.get('step')}: never ran; recorded {divergence.get('recorded')}")
    return lines


def show_case(case: CaseResult) -> list[str]:
    lines = [
        f"== {case.case_id}  {case.title}",
        f"   {case.failure_mode}, {case.severity}, {case.blast_radius}: {case.outcome.upper()} {case.ratio}",
    ]
    if not case.attempts:
        lines += [f"   not run: {'; '.join(case.reasons) or case.outcome}"]
    for number, attempt in enumerate(case.attempts, 1):
        lines.append(f"  attempt {number}/{len(case.attempts)}: {'pass' if attempt.passed else 'FAIL'}")
        if attempt.replay:
            lines += _replay_lines(attempt.replay)
        if attempt.error:
            lines += _indented(attempt.error, "    error: " if "\n" not in attempt.error else "    ")
            if attempt.raw is not None:
                lines.append(f"    the agent answered: {_json(attempt.raw)}")
            if attempt.detail:
                lines.append("    traceback (the agent's side):")
                lines += _indented(attempt.detail.rstrip("\n"), "      ")
            continue
        if attempt.response is not None:
            lines += _response_lines(attempt.response)
        lines.append("    rules:")
        for rule in attempt.rules:
            mark = "ok  " if rule.passed else "FAIL"
            lines.append(f"      {mark} {rule.rule}: expected {rule.expected}; got {rule.got}")
    return lines


def render_show(result: EvalResult, ids: tuple[str, ...]) -> str:
    by_id = result.by_id()
    blocks = []
    for case_id in dict.fromkeys(ids):
        case = by_id.get(case_id)
        if case is not None:
            blocks.append("\n".join(show_case(case)))
    return "\n\n".join(blocks) + ("\n\n" if blocks else "")
