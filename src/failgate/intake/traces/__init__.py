"""Trace readers: production runs in, `Trace`s out (docs/reference/trace-formats.md).

One small module per format, each with the same interface:

- `FORMAT`: its `--format` name;
- `matches(record) -> bool`: does a decoded record look like this format
  (used to detect the format from a file's first record);
- `traces(records, path, stats) -> Iterator[Trace]`: records are
  `(line, value)` pairs from `stream.iter_records`; a record it cannot use is
  reported through `stats.skip(path, line, why)` and skipped.

`read_traces(paths, fmt)` wires them: it streams each file, sends undecodable
records to `stats` (file:line), and detects the format per file unless one is
given. A file that yields no run is never silent: `stats.files` has, per
file, the records read, the runs found and the format tried, and a
`NO_RUNS` finding says which keys it saw (a reader may explain better with
`explain_empty(record)`).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from failgate.findings import FailgateError
from failgate.intake.traces.model import FileRead, ReadStats, Trace
from failgate.intake.traces.stream import RecordError, iter_records

# The one registry of trace formats: `--format`'s choices, detection and the docs' list derive
# from it (a test fails on drift). Detection order is the order here: most specific shape first
# (a Langfuse trace also has an id and input; an AgentOps span also has a span_kind).
TRACE_FORMATS: dict[str, str] = {
    "otlp": "OTLP/JSON export requests (resourceSpans), any GenAI convention in the table",
    "langfuse": "Langfuse UI trace download, API trace objects and list pages",
    "agentops": "AgentOps API output ({trace_id, spans: [{span_attributes}]})",
    "atif": "ATIF trajectories (Harbor's Agent Trajectory Interchange Format, v1.x)",
    "openinference": "span JSON: Phoenix/OpenInference spans, OpenTelemetry SDK to_json(), any-agent traces",
    "jsonl": "failgate's own JSON Lines (trace_id, input, output, tool_calls, ...)",
}
FORMATS = tuple(TRACE_FORMATS)

__all__ = ["FORMATS", "TRACE_FORMATS", "ReadStats", "Trace", "read_traces", "detect_format", "reader"]


def reader(fmt: str) -> Any:
    if fmt not in TRACE_FORMATS:
        raise FailgateError(f"unknown trace format {fmt!r}; use one of: auto, {', '.join(FORMATS)}", exit_code=2)
    return importlib.import_module(f"failgate.intake.traces.{fmt}")


def detect_format(path: Path) -> str | None:
    """The format of the first decodable record, or None."""
    for _, record in iter_records(path):
        if isinstance(record, RecordError):
            continue
        for fmt in FORMATS:
            if reader(fmt).matches(record):
                return fmt
        return None
    return None


def read_traces(paths: list[Path], fmt: str = "auto", *, stats: ReadStats, display: Any = str) -> Iterator[Trace]:
    """Every trace in `paths`, streamed; `stats` counts records, traces and skips, per file too."""
    for path in paths:
        shown = display(path)
        if not path.is_file():
            raise FailgateError(f"{shown}: no such file", exit_code=2)
        chosen = fmt if fmt != "auto" else detect_format(path)
        read = FileRead(shown, chosen or "none")
        stats.files.append(read)
        if chosen is None:
            errors = [(line, r) for line, r in iter_records(path) if isinstance(r, RecordError)]
            if errors and len(errors) == sum(1 for _ in iter_records(path)):
                # Nothing decodable (a file of one huge line, say): say why, at its line.
                for line, record in errors:
                    stats.records += 1
                    read.records += 1
                    stats.skip(shown, line, record.message)
                continue
            first = _first_record(path)
            read.keys = _keys(first)
            stats.skip(
                shown,
                0,
                "format not recognised (not " + ", ".join(FORMATS) + f"); {_seen(first)}; pass --format to force one",
            )
            continue
        module = reader(chosen)
        seen: list[Any] = []

        def records(
            path: Path = path, shown: str = shown, read: FileRead = read, seen: list[Any] = seen
        ) -> Iterator[tuple[int, Any]]:
            for line, record in iter_records(path):
                stats.records += 1
                read.records += 1
                if isinstance(record, RecordError):
                    stats.skip(shown, line, record.message)
                    continue
                if not seen:
                    seen.append(record)
                yield line, record

        for trace in module.traces(records(), shown, stats):
            stats.traces += 1
            read.runs += 1
            yield trace
        if read.runs == 0 and read.records:
            first = seen[0] if seen else None
            read.keys = _keys(first)
            why = getattr(module, "explain_empty", None)
            reason = (why(first) if why and first is not None else None) or _seen(first)
            stats.empty(shown, f"no run found in {read.records} record(s) read as {chosen}: {reason}")


def _first_record(path: Path) -> Any:
    for _, record in iter_records(path):
        return None if isinstance(record, RecordError) else record
    return None


def _keys(record: Any) -> list[str]:
    return [str(k) for k in record][:12] if isinstance(record, dict) else []


def _seen(record: Any) -> str:
    if isinstance(record, dict):
        keys = _keys(record)
        more = "" if len(record) <= len(keys) else f", ... ({len(record)} keys)"
        return "the first record's keys are " + ", ".join(keys) + more
    if record is None:
        return "no decodable record"
    return f"the first record is a JSON {type(record).__name__}, not an object"
