"""A candidate's recording: written by `ingest` beside the review file, landed by `promote` next to the case.

`ingest` writes each new candidate's cassette (its trace's interactions, redacted by the pipeline)
to `_intake/cassettes/`, named by its input_hash, under the placeholder id promote reproduces it
with; `promote` rewrites it under the case's own id as `cassettes/<ID>.jsonl`, redacted once more,
in the promotion's transaction, and deletes the intake copy.
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Any


def _display(path: Path, root: Path) -> str:
    try:
        return os.path.relpath(path, root)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)


def write_candidate_cassettes(directory: Path, result: Any, now: _dt.datetime) -> None:
    """Each new candidate's recording (already redacted by the pipeline) as a cassette in _intake/cassettes/."""
    from failgate.atomic import write_atomic
    from failgate.dataset.cassette import intake_path, render_cassette
    from failgate.intake.redact import REDACTOR_VERSION

    for candidate in result.candidates:
        trace = candidate.group.trace
        if not trace.interactions:
            continue
        target = directory / intake_path(candidate.group.input_hash)
        target.parent.mkdir(parents=True, exist_ok=True)
        data = render_cassette(
            "AGTFAIL-0000",  # the id promote reproduces it under; it writes the case's own id when it lands
            trace.interactions,
            source=f"ingest: {trace.where}",
            recorded_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            redactor=REDACTOR_VERSION,
        )
        write_atomic(target, data)


def land_candidate_cassette(
    transaction: Any, directory: Path, case: dict[str, Any] | None, result: Any, config: Any
) -> None:
    """A candidate's cassette lands from _intake/ as cassettes/<ID>.jsonl, its header naming the case,
    redacted once more (fail-closed: a reviewer may have pasted into it), in the promotion's transaction."""
    from failgate.dataset.cassette import cassette_ref, parse_cassette, render_cassette
    from failgate.intake.promotion import refuse
    from failgate.intake.redact import redact_value
    from failgate.intake.settings import IntakeSettings, load_redactor

    source = cassette_ref(case) if case is not None else None
    landed = cassette_ref(result.case) if case is not None else None
    if not source or not landed or source == landed:
        return
    path = directory / source
    shown = f"{_display(directory, config.root)}/{source}"
    if not path.is_file():
        raise refuse(f"{shown}: the candidate's cassette is missing; nothing was changed")
    cassette, findings = parse_cassette(path.read_bytes(), shown)
    if cassette is None:
        raise refuse(f"{shown}: the candidate's cassette cannot be read; nothing was changed", findings)
    redact = load_redactor(IntakeSettings.from_config(config), str(config.root))
    interactions = redact_value([dict(i) for i in cassette.interactions], redact)
    header = {k: v for k, v in cassette.header.items() if k not in ("type", "version", "case_id")}
    target = directory / landed
    target.parent.mkdir(parents=True, exist_ok=True)
    transaction.write(target, render_cassette(result.case_id, interactions, **header))
    transaction.unlink(path)
