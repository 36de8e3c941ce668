"""A store's pulled records through the same trace readers as an exported file."""

from __future__ import annotations

from collections.abc import Iterator

from failgate.intake.sources.model import Pull
from failgate.intake.traces import reader
from failgate.intake.traces.model import FileRead, ReadStats, Trace


def read_pull(pull: Pull, shown: str, stats: ReadStats) -> Iterator[Trace]:
    """Every trace of `pull`, read by its format's reader in one pass (the span readers
    assemble a trace from spans that may sit on different pages); a skipped record is
    reported at `shown:N`, N counting the pulled records from 1."""
    read = FileRead(shown, pull.format)
    stats.files.append(read)

    def records() -> Iterator[tuple[int, object]]:
        for number, (_, record) in enumerate(pull.records, start=1):
            stats.records += 1
            read.records += 1
            yield number, record

    for trace in reader(pull.format).traces(records(), shown, stats):
        stats.traces += 1
        read.runs += 1
        yield trace
