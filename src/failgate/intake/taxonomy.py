"""The failure modes intake may propose are the dataset's own: its `failure_modes` header.

`[[intake.rules]]` and `[[intake.score_rules]]` name the mode a violation
proposes. The configuration alone cannot know the taxonomy (a repository may
add a mode with a `schema_version` bump), so the check runs where the dataset
is read: a mode the dataset added is accepted, a mode it does not have is
refused before any trace is read, naming the rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from failgate.dataset.model import FAILURE_MODES_V1, mode_name
from failgate.findings import FailgateError
from failgate.intake.settings import IntakeSettings


def dataset_modes(header: Mapping[str, Any] | None) -> tuple[str, ...]:
    modes = header.get("failure_modes") if isinstance(header, Mapping) else None
    names = [mode_name(m) for m in modes] if isinstance(modes, list) else []
    return tuple(n for n in names if n) or FAILURE_MODES_V1


def check_rule_modes(settings: IntakeSettings, header: Mapping[str, Any] | None, where: str) -> None:
    modes = dataset_modes(header)
    proposed = [("[[tool.failgate.intake.rules]]", i, mode) for i, (_, mode) in enumerate(settings.rules, 1)]
    proposed += [("[[tool.failgate.intake.score_rules]]", i, r[3]) for i, r in enumerate(settings.score_rules, 1)]
    for table, number, mode in proposed:
        if mode not in modes:
            raise FailgateError(
                f"{table} #{number}: failure_mode {mode!r} is not in the taxonomy of {where} "
                f"({', '.join(modes)}); add it there with a schema_version bump, or use one of these",
                exit_code=2,
            )
