"""Which sinks hear about which failing cases: `[tool.failgate.notify]`, pure over parsed data.

    [tool.failgate.notify.sinks.page]
    kind = "pagerduty"
    routing_key_env = "PAGERDUTY_ROUTING_KEY"

    [[tool.failgate.notify.routes]]
    severity = ["P0"]
    blast_radius = ["irreversible_write"]
    sinks = ["page"]

A route matches a case whose severity is one it lists *or* whose blast radius
is one it lists (a route listing neither matches every case); the first
matching route wins, like an escalation policy read top to bottom. Without
`routes`, the practice's defaults apply: P0 or `irreversible_write` pages, P1 or
`customer_visible` goes to chat, the rest to the log. A default route whose
sink is not configured falls back to the log, and says so; a configured route
naming an unknown sink is a configuration error.

The table is policy: the gate reads it from the base (manual, "What the gate
trusts"), so a pull request cannot route its own P0 to the log.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from failgate.findings import FailgateError

LOG = "log"  # the built-in sink: the run's own output, always there


@dataclasses.dataclass(frozen=True)
class Route:
    severity: tuple[str, ...]
    blast_radius: tuple[str, ...]
    sinks: tuple[str, ...]

    def matches(self, severity: str, blast_radius: str) -> bool:
        if not self.severity and not self.blast_radius:
            return True
        return severity in self.severity or blast_radius in self.blast_radius


DEFAULT_ROUTES = (
    Route(("P0",), ("irreversible_write",), ("page",)),
    Route(("P1",), ("customer_visible",), ("chat",)),
    Route((), (), (LOG,)),
)


@dataclasses.dataclass(frozen=True)
class Routing:
    routes: tuple[Route, ...]
    sinks: Mapping[str, Mapping[str, Any]]  # name -> its table (kind, url, ...)
    defaults: bool  # the routes are the built-in ones

    def route(self, severity: str, blast_radius: str) -> tuple[tuple[str, ...], str | None]:
        """(sink names, a note when a default route's sink is missing and the log stands in)."""
        for route in self.routes:
            if route.matches(severity, blast_radius):
                present = tuple(s for s in route.sinks if s == LOG or s in self.sinks)
                missing = [s for s in route.sinks if s not in present]
                if missing and not present:
                    return (LOG,), f"no sink named {', '.join(missing)} is configured: sent to the log"
                return present, None
        return (LOG,), None


def routing_from(table: Mapping[str, Any] | None) -> Routing:
    table = table if isinstance(table, Mapping) else {}
    raw_sinks = table.get("sinks")
    sinks: Mapping[str, Mapping[str, Any]] = raw_sinks if isinstance(raw_sinks, Mapping) else {}
    raw_routes = table.get("routes")
    if not raw_routes:
        return Routing(DEFAULT_ROUTES, dict(sinks), defaults=True)
    routes = []
    for number, item in enumerate(raw_routes, start=1):
        names = tuple(str(s) for s in item.get("sinks", ()))
        unknown = [n for n in names if n != LOG and n not in sinks]
        if unknown:
            raise FailgateError(
                f"[[tool.failgate.notify.routes]] #{number} names the sink {unknown[0]!r}, which no "
                f"[tool.failgate.notify.sinks.{unknown[0]}] table defines",
                exit_code=2,
            )
        routes.append(Route(tuple(item.get("severity", ())), tuple(item.get("blast_radius", ())), names))
    return Routing(tuple(routes), dict(sinks), defaults=False)


@dataclasses.dataclass(frozen=True)
class Alert:
    """One failing case as a message names it."""

    case_id: str
    title: str
    failure_mode: str
    severity: str
    blast_radius: str
    owner: str
    first_failing_rule: str
    flipped: bool  # passed at the baseline, fails now


def plan(alerts: Sequence[Alert], routing: Routing) -> tuple[dict[str, list[Alert]], list[str]]:
    """sink name -> the alerts it receives (one message each), and notes about fallbacks."""
    by_sink: dict[str, list[Alert]] = {}
    notes: list[str] = []
    for alert in alerts:
        names, note = routing.route(alert.severity, alert.blast_radius)
        if note and note not in notes:
            notes.append(note)
        for name in names:
            by_sink.setdefault(name, []).append(alert)
    return by_sink, notes
