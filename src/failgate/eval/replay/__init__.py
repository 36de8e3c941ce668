"""Replay: a case runs from its cassette's recorded tool and model responses.

failgate's side of it. `failgate_replay` (a stdlib-only module loaded inside
the agent's process) intercepts the calls; this package decides what each case
asks of it and reads back what happened:

- `ReplaySettings`: `[tool.failgate.replay]` (tools, mutating_tools,
  on_divergence) and the run's mode: `replay` (the default of eval, the gate
  and promote when a case has a cassette), `live` (`eval --live`) or `record`
  (`eval --record-cassettes`);
- `session_request`: the case's cassette, read strictly, as the session request
  sent with the call (a cassette that cannot be read fails the case, never the run);
- `describe`: what ran, as reports say it: `replayed`, `diverged at step N
  (tool issue_refund: args differ)`, `live`, `recorded`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

MODES = ("replay", "live", "record")
ON_DIVERGENCE = ("live", "fail")


@dataclasses.dataclass(frozen=True)
class ReplayTools:
    """The configured tools failgate_replay wraps: dotted paths, and those never executed under replay."""

    refs: tuple[str, ...] = ()
    mutating: tuple[str, ...] = ()

    @property
    def mutating_names(self) -> list[str]:
        return [ref.rsplit(":", 1)[-1].rsplit(".", 1)[-1] for ref in self.mutating]


@dataclasses.dataclass(frozen=True)
class ReplaySettings:
    mode: str = "replay"
    on_divergence: str = "live"
    tools: ReplayTools = ReplayTools()

    @classmethod
    def from_section(cls, section: Mapping[str, Any] | None, mode: str = "replay") -> ReplaySettings:
        """From `[tool.failgate.replay]` as load_config checked it (the gate passes the base's)."""
        section = section if isinstance(section, Mapping) else {}
        mutating = tuple(str(r) for r in section.get("mutating_tools") or ())
        refs = tuple(str(r) for r in section.get("tools") or ())
        on_divergence = section.get("on_divergence", "live")
        return cls(
            mode=mode,
            on_divergence=on_divergence if on_divergence in ON_DIVERGENCE else "live",
            tools=ReplayTools(tuple(dict.fromkeys((*refs, *mutating))), mutating),
        )


def gate_section(base: Mapping[str, Any] | None, branch: Mapping[str, Any] | None) -> dict[str, Any]:
    """The gate's `[tool.failgate.replay]`: the base's policy (on_divergence), with the tools the base
    or the branch names intercepted and mutating. Intercepting more never relaxes a verdict (the
    cassettes are the base's or listed as redefinitions) and it keeps the pull request that first
    configures replay from refunding for real in CI."""
    base = dict(base) if isinstance(base, Mapping) else {}
    branch = branch if isinstance(branch, Mapping) else {}
    for key in ("tools", "mutating_tools"):
        merged = [*(base.get(key) or ()), *(branch.get(key) or ())]
        if merged:
            base[key] = list(dict.fromkeys(str(ref) for ref in merged))
    return base


class CassetteUnusable(Exception):
    """The case's cassette cannot be replayed: the case fails with this reason, the run goes on."""


def _inside_repository(path: Path, base_dir: Path) -> bool:
    from failgate.eval.paths import repository_of

    return path.resolve().is_relative_to(repository_of(base_dir))


def load_case_cassette(case: Mapping[str, Any], base_dir: Path) -> Any:
    """The case's parsed Cassette, or None when it has none; CassetteUnusable when it cannot be read."""
    from failgate.dataset.cassette import cassette_ref, parse_cassette, path_problem

    ref = cassette_ref(case)
    if ref is None:
        return None
    problem = path_problem(ref)
    if problem:
        raise CassetteUnusable(f"cassette {ref!r} {problem}")
    path = base_dir / ref
    if not _inside_repository(path, base_dir):
        raise CassetteUnusable(f"cassette {ref!r} resolves outside the repository (a symlink?); refused")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CassetteUnusable(f"cassette {ref!r} cannot be read: {exc.strerror or exc}") from None
    cassette, findings = parse_cassette(data, ref)
    if cassette is None:
        first = findings[0]
        raise CassetteUnusable(f"cassette {first.location}: {first.message}")
    if cassette.case_id != case.get("id"):
        raise CassetteUnusable(f"cassette {ref!r} names {cassette.case_id}, not {case.get('id')}")
    return cassette


def session_request(case: Mapping[str, Any], base_dir: Path, settings: ReplaySettings) -> dict[str, Any] | None:
    """What failgate_replay.activate gets for this case's call, or None for a plain live call."""
    mutating = settings.tools.mutating_names
    if settings.mode == "record":
        return {"mode": "record", "mutating": mutating}
    if settings.mode == "live":
        return None
    cassette = load_case_cassette(case, base_dir)
    if cassette is None:
        return None
    return {
        "mode": "replay",
        "on_divergence": settings.on_divergence,
        "interactions": list(cassette.interactions),
        "mutating": mutating,
    }


def describe(report: Mapping[str, Any] | None) -> str:
    """`replayed`, `diverged at step N (reason)`, `recorded`, or `live`."""
    if not report:
        return "live"
    status = str(report.get("status", "live"))
    divergence = report.get("divergence")
    if status == "diverged" and isinstance(divergence, Mapping):
        return f"diverged at step {divergence.get('step')} ({divergence.get('reason')})"
    if status == "live" and report.get("note"):
        return f"live ({report['note']})"
    return status


def model_calls(reports: Sequence[Mapping[str, Any] | None]) -> tuple[int, int]:
    """(replayed, live) model calls over these attempts' reports."""
    replayed = live = 0
    for report in reports:
        counts = report.get("counts") if isinstance(report, Mapping) else None
        if isinstance(counts, Mapping):
            replayed += int(counts.get("model_replayed", 0))
            live += int(counts.get("model_live", 0))
    return replayed, live


def summary(reports: Sequence[Mapping[str, Any] | None]) -> dict[str, Any]:
    """A case's replay over its attempts: the first attempt that left its recording, else the first."""
    present = [r for r in reports if r]
    if not present:
        return {}
    chosen = next((r for r in present if r.get("status") == "diverged"), present[0])
    replayed, live = model_calls(present)
    result: dict[str, Any] = {
        "status": chosen.get("status", "live"),
        "describe": describe(chosen),
        "model_calls": {"replayed": replayed, "live": live},
    }
    if chosen.get("divergence"):
        result["divergence"] = chosen["divergence"]
    blocked = sum(int((r.get("counts") or {}).get("tool_blocked", 0)) for r in present)
    if blocked:
        result["tools_not_executed"] = blocked
    return result


def unintercepted(case: Mapping[str, Any], settings: ReplaySettings, agent: Any) -> dict[str, Any] | None:
    """The report for a case with a cassette whose agent failgate cannot intercept (an
    `agent_command` worker, recorded outputs): it runs live, and the report says why."""
    from failgate.dataset.cassette import cassette_ref

    if settings.mode != "replay" or cassette_ref(case) is None:
        return None
    return {"status": "live", "note": f"{getattr(agent, 'name', 'this agent')} is not intercepted: use `agent =`"}


def totals(cases: Sequence[Any]) -> dict[str, int] | None:
    """Over a run's CaseResults: cases replayed / diverged / live despite a cassette / recorded, and
    model calls replayed / live; None when no case had a cassette or recorded one."""
    reported = [c.replay for c in cases if getattr(c, "replay", None)]
    if not reported:
        return None
    counts = {"replayed": 0, "diverged": 0, "live": 0, "recorded": 0}
    for item in reported:
        status = str(item.get("status"))
        counts[status if status in counts else "live"] += 1
    counts["model_calls_replayed"] = sum(int(r.get("model_calls", {}).get("replayed", 0)) for r in reported)
    counts["model_calls_live"] = sum(int(r.get("model_calls", {}).get("live", 0)) for r in reported)
    counts["tools_not_executed"] = sum(int(r.get("tools_not_executed", 0)) for r in reported)
    return counts


def totals_line(counts: Mapping[str, int]) -> str:
    """One line for the text and Markdown reports."""
    cases = ", ".join(f"{counts[k]} {k}" for k in ("replayed", "diverged", "live", "recorded") if counts.get(k))
    line = f"replay: {cases}; model calls: {counts['model_calls_replayed']} replayed, {counts['model_calls_live']} live"
    if counts.get("tools_not_executed"):
        line += f"; {counts['tools_not_executed']} mutating tool call(s) not executed"
    return line
