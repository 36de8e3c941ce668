"""`failgate ingest --source NAME | --from URL`: which store, which window, and the pull itself.

The window of a store pull defaults to seven days (the weekly cycle: what
failed since the last review), unlike a file, whose age is whatever the
export holds: `--since`, else the source's `since`, else the intake
section's `since`, else `7d`.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Iterator
from typing import Any

from failgate.config import Config
from failgate.findings import FailgateError
from failgate.intake.settings import IntakeSettings
from failgate.intake.sources import Source, cutoff, pull, source_from_config, source_from_url
from failgate.intake.sources.model import Pull, PullRequest
from failgate.intake.traces.model import FEEDBACK_SCORE_NAMES, ReadStats, Trace

DEFAULT_STORE_SINCE = "7d"


@dataclasses.dataclass
class Pulled:
    source: Source
    pull: Pull
    since: str
    cutoff: _dt.datetime | None

    @property
    def label(self) -> str:
        return f"{self.source.kind} source {self.source.name!r} ({self.source.url})"

    def traces(self, stats: ReadStats) -> Iterator[Trace]:
        from failgate.intake.sources.read import read_pull

        return read_pull(self.pull, f"source {self.source.name}", stats)


def configured_source(config: Config, name: str) -> Source:
    sources: Any = config.section("intake").get("sources", {})
    if name not in sources:
        known = ", ".join(sorted(sources)) or "none configured"
        raise FailgateError(
            f"--source {name!r}: no [tool.failgate.intake.sources.{name}] table ({known}); "
            "add one with kind and url, or pass --from KIND+URL"
        )
    return source_from_config(name, sources[name])


def pull_source(
    config: Config,
    settings: IntakeSettings,
    name: str | None,
    url: str | None,
    since: str | None,
    now: _dt.datetime,
    *,
    env: dict[str, str] | None = None,
) -> Pulled:
    source = configured_source(config, name) if name else source_from_url(str(url))
    window = since or source.since or settings.since or DEFAULT_STORE_SINCE
    start = cutoff(window, now)
    request = PullRequest(
        since=start,
        feedback_scores=settings.feedback_scores if settings.feedback_scores is not None else FEEDBACK_SCORE_NAMES,
        score_rules=tuple((n, direction, threshold) for n, direction, threshold, _ in settings.score_rules),
    )
    return Pulled(source, pull(source, request, env=env), window, start)
