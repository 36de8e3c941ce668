"""What a store pull is asked for and what it hands back, whatever the store."""

from __future__ import annotations

import dataclasses
import datetime as _dt
from typing import Any


@dataclasses.dataclass(frozen=True)
class PullRequest:
    """The window and the failure filters a client pushes into its store's query."""

    since: _dt.datetime | None
    project: str | None = None  # Phoenix project name, MLflow experiment id(s)
    filter: str | None = None  # a condition in the store's own filter syntax, joined to the failure filter
    feedback_scores: tuple[str, ...] = ()
    score_rules: tuple[tuple[str, str, float], ...] = ()  # (score name, "below" | "above", threshold)
    limit_traces: int | None = None


@dataclasses.dataclass
class Pull:
    """A store's answer: records a trace reader reads (`format`), each labelled with the page it came from."""

    format: str
    records: list[tuple[str, Any]]
    queried: int = 0  # failed traces the store's query found
