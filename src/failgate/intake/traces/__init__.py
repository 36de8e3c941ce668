"""Trace readers: production runs in, `Trace`s out (issue 7).

One small module per format, each with the same interface:

- `FORMAT`: its `--format` name;
- `matches(record) -> bool`: does a decoded record look like this format
  (used to detect the format from a file's first record);
- `traces(records, path, stats) -> Iterator[Trace]`: records are
  `(line, value)` pairs from `stream.iter_records`; a record it cannot use is
  reported through `stats.skip(path, line, why)` and skipped.

`read_traces(paths, fmt)` wires them: it streams each file, sends undecodable
records to `stats` (file:line), and detects the format per file unless one is
given.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Iterator

from failgate.findings import FailgateError
from failgate.intake.traces.model import ReadStats, Trace
from failgate.intake.traces.stream import RecordError, iter_records

# Detection order: most specific shape first (a Langfuse trace also has an id and input).
FORMATS = ("otlp", "langfuse", "openinference", "jsonl")
_MODULES = {"otlp": "otlp", "langfuse": "langfuse", "openinference": "openinference", "jsonl": "jsonl"}

__all__ = ["FORMATS", "ReadStats", "Trace", "read_traces", "detect_format", "reader"]


def reader(fmt: str) -> Any:
    if fmt not in _MODULES:
        raise FailgateError(f"unknown trace format {fmt!r}; use one of: auto, {', '.join(FORMATS)}", exit_code=2)
    return importlib.import_module(f"failgate.intake.traces.{_MODULES[fmt]}")


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
    """Every trace in `paths`, streamed; `stats` counts records, traces and skips."""
    for path in paths:
        shown = display(path)
        if not path.is_file():
            raise FailgateError(f"{shown}: no such file", exit_code=2)
        chosen = fmt if fmt != "auto" else detect_format(path)
        if chosen is None:
            errors = [(line, r) for line, r in iter_records(path) if isinstance(r, RecordError)]
            if errors and len(errors) == sum(1 for _ in iter_records(path)):
                # Nothing decodable (a file of one huge line, say): say why, at its line.
                for line, record in errors:
                    stats.records += 1
                    stats.skip(shown, line, record.message)
                continue
            stats.skip(shown, 0, "format not recognised (not failgate JSONL, OTLP/JSON, OpenInference or Langfuse); "
                                 "pass --format")
            continue
        module = reader(chosen)

        def records(path: Path = path, shown: str = shown) -> Iterator[tuple[int, Any]]:
            for line, record in iter_records(path):
                stats.records += 1
                if isinstance(record, RecordError):
                    stats.skip(shown, line, record.message)
                    continue
                yield line, record

        for trace in module.traces(records(), shown, stats):
            stats.traces += 1
            yield trace
