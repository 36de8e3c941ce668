"""The intake funnel, pure over traces and the dataset's cases.

    traces -> failed -> distinct inputs -> recurrences | stratified -> new candidates

1. Each trace is classified by `IntakeRules` (successes are never sampled).
2. A failed trace's input is redacted, then hashed (`failgate.dataset.hashing`): the
   same question with another customer's e-mail is one distinct input, with
   every trace id kept. The same input failing in different failure modes is
   one candidate per mode (a refusal and a tool error are two cases to
   review); within one mode every distinct reason is kept.
3. A distinct input whose hash is already a case (or a pending candidate in
   `_intake/`) is a recurrence of it, never a new candidate. Recurrences are
   not capped: linking them costs a reviewer nothing.
4. The other distinct inputs are stratified by intent under the cap
   (`stratify`), most frequent first within an intent.
5. Each kept input becomes a candidate, with its nearest existing cases by
   observed-behaviour similarity; one of the same failure mode at or above
   the threshold is shown as `likely_same` (side by side, with the score).
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as _dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from failgate.dataset.hashing import input_hash
from failgate.intake.redact import redact_value
from failgate.intake.rules import Failure, IntakeRules
from failgate.intake.stratify import stratify
from failgate.intake.traces.model import Trace

MAX_TRACE_IDS = 20  # trace ids listed per candidate; the rest are counted
MAX_REASONS = 10
OUTPUT_LIMIT = 1200


@dataclasses.dataclass
class Group:
    """One distinct (redacted) input among the failed traces."""

    input_hash: str
    input: dict[str, Any]
    trace: Trace  # the first failed trace with this input (input already redacted)
    failure: Failure
    trace_ids: list[str]
    count: int = 1

    def absorb(self, failure: Failure, redact: Callable[[str], str]) -> None:
        """Another trace of this input and mode: its reasons and signals join the first one's."""
        reasons = tuple(dict.fromkeys(self.failure.reasons + tuple(redact(r) for r in failure.reasons)))
        signals = tuple(dict.fromkeys(self.failure.signals + failure.signals))
        self.failure = dataclasses.replace(self.failure, reasons=reasons[:MAX_REASONS], signals=signals)


@dataclasses.dataclass
class Recurrence:
    target: str  # a case id, or "<intake file>#<candidate>"
    group: Group


@dataclasses.dataclass
class Neighbour:
    ref: str  # case id or "candidate N"
    score: float
    failure_mode: str
    title: str
    observed_behavior: str


@dataclasses.dataclass
class Candidate:
    number: int
    group: Group
    observed_behavior: str
    neighbours: list[Neighbour]
    likely_same: Neighbour | None


@dataclasses.dataclass
class IngestResult:
    traces: int = 0
    too_old: int = 0
    failed: int = 0
    signals: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    distinct: int = 0
    recurrences: list[Recurrence] = dataclasses.field(default_factory=list)
    candidates: list[Candidate] = dataclasses.field(default_factory=list)
    dropped: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)  # by intent
    cap: int = 0

    @property
    def stratified(self) -> int:
        return len(self.recurrences) + len(self.candidates)


def describe(trace: Trace, failure: Failure) -> str:
    """A first draft of `observed_behavior` a reviewer can edit."""
    text = "; ".join(failure.reasons)
    output = trace.output.strip()
    if output:
        clipped = output if len(output) <= 400 else output[:397] + "..."
        text += f'. The agent answered: "{clipped}"'
    if trace.tool_calls:
        text += ". Tools called: " + ", ".join(c["name"] for c in trace.tool_calls)
    return text + "."


def redacted_trace(trace: Trace, redact: Callable[[str], str]) -> Trace:
    """The parts of a trace that go into the review file, without PII."""
    output = redact(trace.output)
    return dataclasses.replace(
        trace,
        input=redact_value(trace.input, redact),
        output=output if len(output) <= OUTPUT_LIMIT else output[: OUTPUT_LIMIT - 3] + "...",
        tool_calls=redact_value(trace.tool_calls, redact),
        error=redact(trace.error) if trace.error else None,
        feedback_comment=redact(trace.feedback_comment) if trace.feedback_comment else None,
        intent=redact(trace.intent),  # read from metadata or tags: free text as far as intake knows
        turns=[],
        scores=[],  # not written anywhere; their comments are free text
        steps=[],  # raw model turns and tool results: replay redacts its own cassettes
        interactions=redact_value(trace.interactions, redact),  # the cassette ingest writes
    )


def run_pipeline(
    traces: Iterable[Trace],
    *,
    rules: IntakeRules,
    redact: Callable[[str], str],
    similarity: Any,
    known: Mapping[str, str],
    cases: Sequence[Mapping[str, Any]],
    limit: int,
    share: float,
    threshold: float,
    since: _dt.datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> IngestResult:
    """`known`: input_hash -> case id / pending candidate ref. `cases`: the
    existing cases (for similarity). `progress(traces read, failed so far)` is
    called every 100 traces and once at the end."""
    result = IngestResult()
    groups: dict[str, Group] = {}
    for trace in traces:
        result.traces += 1
        if progress is not None and result.traces % 100 == 0:
            progress(result.traces, result.failed)
        if since is not None and trace.timestamp is not None and trace.timestamp < since:
            result.too_old += 1
            continue
        failure = rules.classify(trace)
        if failure is None:
            continue
        result.failed += 1
        result.signals.update(failure.signals)
        case_input = redact_value(trace.input, redact)
        digest = input_hash(case_input)
        key = f"{digest}|{failure.mode}"
        group = groups.get(key)
        if group is None:
            redacted = dataclasses.replace(failure, reasons=tuple(redact(r) for r in failure.reasons))
            groups[key] = Group(digest, case_input, redacted_trace(trace, redact), redacted, [trace.trace_id])
        else:
            group.absorb(failure, redact)
            group.count += 1
            if len(group.trace_ids) < MAX_TRACE_IDS:
                group.trace_ids.append(trace.trace_id)
    if progress is not None:
        progress(result.traces, result.failed)
    result.distinct = len({g.input_hash for g in groups.values()})
    fresh: list[Group] = []
    for group in groups.values():
        if group.input_hash in known:
            result.recurrences.append(Recurrence(known[group.input_hash], group))
        else:
            fresh.append(group)
    fresh.sort(key=lambda g: -g.count)  # stable: most recurring shapes first, then first seen
    from failgate.intake.stratify import intent_cap

    result.cap = intent_cap(limit, len(fresh), share)
    kept, dropped = stratify(fresh, lambda g: g.trace.intent, limit=limit, share=share)
    result.dropped.update(g.trace.intent for g in dropped)
    result.candidates = _with_neighbours(kept, cases, similarity, threshold)
    return result


def _with_neighbours(
    kept: list[Group], cases: Sequence[Mapping[str, Any]], similarity: Any, threshold: float
) -> list[Candidate]:
    texts = [describe(g.trace, g.failure) for g in kept]
    case_texts = [str(c.get("observed_behavior") or "") for c in cases]
    vectors = similarity.vectors(texts + case_texts) if texts else []
    mine, theirs = vectors[: len(texts)], vectors[len(texts) :]
    candidates: list[Candidate] = []
    for index, group in enumerate(kept):
        mode = group.failure.mode
        scored = []
        for case, vector in zip(cases, theirs):
            scored.append(
                Neighbour(
                    str(case.get("id")),
                    round(similarity.score(mine[index], vector), 3),
                    str(case.get("failure_mode")),
                    str(case.get("title", "")),
                    str(case.get("observed_behavior", "")).strip(),
                )
            )
        for earlier in range(index):
            if kept[earlier].failure.mode == mode:
                scored.append(
                    Neighbour(
                        f"candidate {earlier + 1}",
                        round(similarity.score(mine[index], mine[earlier]), 3),
                        mode,
                        "(this file)",
                        texts[earlier],
                    )
                )
        scored.sort(key=lambda n: (n.failure_mode != mode, -n.score))
        neighbours = scored[:3]
        same = [n for n in scored if n.failure_mode == mode and n.score >= threshold]
        candidates.append(Candidate(index + 1, group, texts[index], neighbours, same[0] if same else None))
    return candidates
