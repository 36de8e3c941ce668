"""Assemble traces from spans, streaming (OTLP and OpenInference exports).

Span-based exports interleave traces and split one trace across batches, so
spans are grouped by trace id. A trace is built once its root span (no
parent) has arrived and another `grace` spans have been read after it:
tracers export a span when it ends and the root ends last, so children
usually come before it, but exports sorted by start time (Phoenix) put the
root first. Traces still open at the end of the file are built from what
arrived. At most `max_open` traces are held; past
that the oldest is built early (memory stays bounded on a huge export whose
roots are missing). Spans that arrive for a trace already built are counted
and ignored (ids of the last `remember` built traces are kept for that).
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from failgate.intake.traces.model import ReadStats, Trace


@dataclasses.dataclass
class Span:
    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    start_ns: int | None
    end_ns: int | None
    error: str | None  # error status / error.type, with its message
    attrs: dict[str, Any]  # flat: "gen_ai.tool.name" -> value
    line: int
    events: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    @property
    def is_root(self) -> bool:
        return not self.parent_id


Builder = Callable[[list[Span], str], "Trace | None"]


class Assembler:
    def __init__(
        self,
        build: Builder,
        path: str,
        stats: ReadStats,
        *,
        max_open: int = 10_000,
        remember: int = 10_000,
        grace: int = 2_000,
        interactions: Callable[[list[Span]], list[dict[str, Any]]] | None = None,
    ) -> None:
        self.build = build
        # The run's tool and model interactions, for its cassette (intake.traces.cassettes.from_spans):
        # handed in by the readers, so that this module depends on no builder.
        self.interactions = interactions
        self.path = path
        self.stats = stats
        self.max_open = max_open
        self.open: collections.OrderedDict[str, list[Span]] = collections.OrderedDict()
        self.rooted: collections.deque[tuple[int, str]] = collections.deque()  # (span count at root, trace)
        self.seen = 0
        self.grace = grace
        self.done: set[str] = set()
        self.done_order: collections.deque[str] = collections.deque()
        self.remember = remember
        self.late = 0

    def add(self, spans: Iterable[Span]) -> Iterator[Trace]:
        """Add one record's spans; yield the traces it completed."""
        for span in spans:
            if span.trace_id in self.done:
                self.late += 1
                continue
            self.seen += 1
            self.open.setdefault(span.trace_id, []).append(span)
            if span.is_root:
                self.rooted.append((self.seen, span.trace_id))
        while self.rooted and self.seen - self.rooted[0][0] >= self.grace:
            _, trace_id = self.rooted.popleft()
            if trace_id in self.open:
                yield from self._emit(trace_id)
        while len(self.open) > self.max_open:
            yield from self._emit(next(iter(self.open)))

    def finish(self) -> Iterator[Trace]:
        for trace_id in list(self.open):
            yield from self._emit(trace_id)
        if self.late:
            self.stats.skip(
                self.path, 0, f"{self.late} span(s) arrived after their trace was complete and were ignored"
            )

    def _emit(self, trace_id: str) -> Iterator[Trace]:
        spans = self.open.pop(trace_id)
        self.done.add(trace_id)
        self.done_order.append(trace_id)
        if len(self.done_order) > self.remember:
            self.done.discard(self.done_order.popleft())
        spans.sort(key=lambda s: (s.start_ns or 0, s.line))
        trace = self.build(spans, self.path)
        if trace is not None:
            if self.interactions is not None:
                trace.interactions = self.interactions(spans)
            yield trace


def duration_ms(spans: list[Span]) -> float | None:
    roots = [s for s in spans if s.is_root and s.start_ns and s.end_ns]
    if roots:
        return (roots[0].end_ns - roots[0].start_ns) / 1e6  # type: ignore[operator]
    starts = [s.start_ns for s in spans if s.start_ns]
    ends = [s.end_ns for s in spans if s.end_ns]
    return (max(ends) - min(starts)) / 1e6 if starts and ends else None


def flatten(value: Any, prefix: str = "", out: dict[str, Any] | None = None) -> dict[str, Any]:
    """Nested mappings and lists as dotted keys: {"a": [{"b": 1}]} -> {"a.0.b": 1}."""
    out = {} if out is None else out
    if isinstance(value, dict):
        for key, item in value.items():
            flatten(item, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list) and value and all(isinstance(v, (dict, list)) for v in value):
        for index, item in enumerate(value):
            flatten(item, f"{prefix}.{index}" if prefix else str(index), out)
    else:
        out[prefix] = value
    return out


def indexed(attrs: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    """`prefix.N.rest` keys grouped by N, in N order: [{rest: value}, ...]."""
    groups: dict[int, dict[str, Any]] = {}
    cut = len(prefix) + 1
    for key, value in attrs.items():
        if not key.startswith(prefix + "."):
            continue
        index, _, rest = key[cut:].partition(".")
        if index.isdigit():
            groups.setdefault(int(index), {})[rest] = value
    return [groups[i] for i in sorted(groups)]
