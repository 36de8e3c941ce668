"""The review file `_intake/YYYY-MM-DD-<short hash>.yaml`: written by ingest, read by promote.

Each candidate carries a case's fields, prefilled where intake knows them,
and `TODO` markers where a person must decide (title, severity, blast
radius, owner, expected rules). Intake-only fields (`candidate`, `kind`,
`failure_mode_reason`, `occurrences`, `nearest`, `likely_same`, `trace`) help
the review and are dropped at promotion. A recurrence entry (`kind:
recurrence`, `case: AGTFAIL-…`) links new trace ids to an existing case.

Nothing here is merged automatically: `failgate promote FILE --candidate N`
lands one reviewed candidate.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from failgate.dataset.casefile import dump_entry
from failgate.dataset.model import BLAST_RADII, SEVERITIES
from failgate.dataset.yamlstrict import YamlDocument, YamlLoadError, load_yaml
from failgate.findings import Finding, Location
from failgate.intake.pipeline import Candidate, IngestResult

INTAKE_ONLY = ("candidate", "kind", "case", "failure_mode_reason", "occurrences", "nearest", "likely_same", "trace")
TODO_TITLE = "TODO: one line naming the failure, as a reviewer would"
TODO_SEVERITY = f"TODO: one of {', '.join(SEVERITIES)}"
TODO_BLAST = f"TODO: one of {', '.join(BLAST_RADII)}"
TODO_OWNER = "TODO: who answers for this case (a person or a team handle)"
TODO_EXPECTED = "confirm or replace the rules below; the fixed agent must satisfy all of them"


def header(now: _dt.datetime, sources: list[str], funnel: str) -> str:
    lines = [
        "# failgate intake: candidates proposed from failed production traces.",
        "# Review each one: replace every TODO, edit what intake guessed (failure_mode,",
        "# observed_behavior, input), delete candidates you reject. Then land one with",
        "#   failgate promote <this file> --candidate N",
        "# Nothing here gates until it is promoted.",
        "# PII: e-mails, phones, cards, IBANs, SSNs, IPs, UUIDs and credentials are replaced by",
        "# <PLACEHOLDERS>; names, postal addresses, dates of birth and passport or ID numbers are",
        "# NOT removed: look for them and edit them out before you promote.",
        "#",
        *(f"# {line}" if line else "#" for line in funnel.splitlines()),
        "schema_version: 1",
        f'generated_at: "{now.strftime("%Y-%m-%dT%H:%M:%SZ")}"',
        "sources:",
        *(f"  - {_quote(s)}" for s in sources),
        "candidates:",
    ]
    return "\n".join(lines) + "\n"


def _quote(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)


def suggested_rules(
    candidate: Candidate, latency_budget_ms: int | None, forbidden: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """Rules that would catch this failure again, from the signals that fired."""
    rules: list[dict[str, Any]] = [{"TODO": TODO_EXPECTED}]
    trace, failure = candidate.group.trace, candidate.group.failure
    if "refusal" in failure.signals:
        rules.append({"not_refused": True})
    if "latency" in failure.signals and latency_budget_ms:
        rules.append({"max_latency_ms": latency_budget_ms})
    called = {c["name"] for c in trace.tool_calls}
    for tool in forbidden:
        if tool in called:
            rules.append({"tool_not_called": tool})
    return rules


def candidate_entry(
    candidate: Candidate, *, today: str, latency_budget_ms: int | None, forbidden: tuple[str, ...] = ()
) -> dict[str, Any]:
    group = candidate.group
    trace = group.trace
    entry: dict[str, Any] = {
        "candidate": candidate.number,
        "kind": "new",
        "title": TODO_TITLE,
        "failure_mode": group.failure.mode,
        "failure_mode_reason": "; ".join(group.failure.reasons),
        "severity": TODO_SEVERITY,
        "blast_radius": TODO_BLAST,
        "status": "active",
        "owner": TODO_OWNER,
        "discovered_at": (trace.timestamp.date().isoformat() if trace.timestamp else today),
        "discovered_by": [f"trace:{t}" for t in group.trace_ids],
        "intent": trace.intent,
        "input": group.input,
        "input_hash": group.input_hash,
        "observed_behavior": candidate.observed_behavior,
        "expected": suggested_rules(candidate, latency_budget_ms, forbidden),
        "remediation": [],
        "regressed_count": 0,
        "occurrences": group.count,
    }
    if candidate.likely_same is not None:
        n = candidate.likely_same
        entry["likely_same"] = {
            "ref": n.ref,
            "score": n.score,
            "note": "same failure mode at or above the "
            "similarity threshold: compare side by side; if it is the same failure, make this a "
            f"recurrence (kind: recurrence, case: {n.ref}) or delete it",
        }
    entry["nearest"] = [
        {
            "ref": n.ref,
            "score": n.score,
            "failure_mode": n.failure_mode,
            "title": n.title,
            "observed_behavior": n.observed_behavior,
        }
        for n in candidate.neighbours
    ]
    if trace.interactions:
        from failgate.dataset.cassette import holds, intake_path

        # The run's recording, redacted: promote moves it next to the case and reproduces by replay.
        entry["input"] = {"cassette": intake_path(group.input_hash), **group.input}
    entry["trace"] = {
        "where": trace.where,
        "output": trace.output,
        "tool_calls": trace.tool_calls,
        **({"latency_ms": round(trace.latency_ms, 1)} if trace.latency_ms is not None else {}),
        **({"error": trace.error} if trace.error else {}),
        **({"feedback": trace.feedback} if trace.feedback else {}),
    }
    if trace.interactions:
        entry["trace"]["cassette"] = f"{holds(trace.interactions)}, redacted, in {entry['input']['cassette']}"
    return entry


def recurrence_entry(number: int, target: str, trace_ids: list[str], count: int) -> dict[str, Any]:
    return {
        "candidate": number,
        "kind": "recurrence",
        "case": target,
        "discovered_by": [f"trace:{t}" for t in trace_ids],
        "occurrences": count,
    }


def render(
    result: IngestResult,
    *,
    now: _dt.datetime,
    sources: list[str],
    funnel: str,
    latency_budget_ms: int | None,
    forbidden: tuple[str, ...] = (),
) -> str:
    today = now.date().isoformat()
    blocks = []
    number = 0
    for rec in result.recurrences:
        number += 1
        blocks.append(
            f"  # recurrence of {rec.target}: {rec.group.count} more failed trace(s)\n"
            + dump_entry(recurrence_entry(number, rec.target, rec.group.trace_ids, rec.group.count), 2)
        )
    for cand in result.candidates:
        number += 1
        cand.number = number
        g = cand.group
        blocks.append(
            f"\n  # candidate {number}: {g.failure.mode} ({g.trace.intent}), {g.count} trace(s)\n"
            + dump_entry(
                candidate_entry(cand, today=today, latency_budget_ms=latency_budget_ms, forbidden=forbidden), 2
            )
        )
    return header(now, sources, funnel) + "".join(blocks)


def manual_entry(*, ticket: str, by: str | None, today: str) -> dict[str, Any]:
    """A blank candidate for a customer-reported failure, filled from the ticket."""
    return {
        "candidate": 1,
        "kind": "new",
        "title": TODO_TITLE,
        "failure_mode": "TODO: one of the taxonomy's failure modes",
        "severity": TODO_SEVERITY,
        "blast_radius": TODO_BLAST,
        "status": "active",
        "owner": by or TODO_OWNER,
        "discovered_at": today,
        "discovered_by": [ticket if ":" in ticket else f"ticket:{ticket}", *([f"person:{by}"] if by else [])],
        "intent": "TODO: the intent label, e.g. refund_request",
        "input": {
            "messages": [
                {
                    "role": "user",
                    "content": "TODO: what the customer said, from the ticket (PII is redacted at promotion)",
                }
            ],
            "fixtures": [],
        },
        "observed_behavior": "TODO: what went wrong, from the ticket",
        "expected": [{"TODO": 'the rules the fixed agent must satisfy, e.g. contains: "30 days"'}],
        "remediation": [],
        "regressed_count": 0,
    }


def render_manual(entry: dict[str, Any], *, now: _dt.datetime, ticket: str) -> str:
    funnel = (
        f"Customer-reported failure ({ticket}). Captured state the case needs (an order, an account)\n"
        "goes into files under the dataset directory, listed in input.fixtures (paths relative to\n"
        "the dataset directory), so the case reproduces from its input alone."
    )
    return header(now, [ticket], funnel) + dump_entry(entry, 2)


def file_name(now: _dt.datetime, content: str) -> str:
    short = hashlib.sha256(content.encode()).hexdigest()[:8]
    return f"{now.date().isoformat()}-{short}.yaml"


# -- reading a review file ----------------------------------------------------
def load_intake(path: Path, display: str) -> YamlDocument:
    doc = load_yaml(path.read_bytes(), display)
    return doc


def candidates_of(doc: YamlDocument) -> list[dict[str, Any]]:
    items = doc.data.get("candidates") if isinstance(doc.data, dict) else None
    return [c for c in items if isinstance(c, dict)] if isinstance(items, list) else []


def todo_findings(doc: YamlDocument, index: int) -> list[Finding]:
    """Every TODO left in the case fields of candidate `index`, at its line."""
    candidate = candidates_of(doc)[index]
    findings = []
    for key, value in candidate.items():
        if key in INTAKE_ONLY:
            continue
        for sub_path, text in _todos(value, [key]):
            findings.append(
                Finding("TODO", f"{'.'.join(map(str, sub_path))}: {text}", doc.locate(["candidates", index, *sub_path]))
            )
    return findings


def _todos(value: Any, path: list[Any]) -> Iterator[tuple[list[Any], str]]:
    if isinstance(value, str):
        if value.lstrip().upper().startswith("TODO"):
            yield path, value
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _todos(item, path + [i])
    elif isinstance(value, dict):
        for k, item in value.items():
            if str(k).upper() == "TODO":
                yield path + [k], f"TODO: {item}"
            else:
                yield from _todos(item, path + [k])


def pending_hashes(intake_dir: Path, display: str) -> dict[str, str]:
    """input_hash -> "<file>#<candidate>" for new candidates waiting in `_intake/`."""
    found: dict[str, str] = {}
    if not intake_dir.is_dir():
        return found
    for path in sorted(intake_dir.glob("*.yaml")):
        try:
            doc = load_yaml(path.read_bytes(), f"{display}/{path.name}")
        except (YamlLoadError, OSError):
            continue
        for cand in candidates_of(doc):
            if cand.get("kind") == "new" and isinstance(cand.get("input_hash"), str):
                found.setdefault(cand["input_hash"], f"{display}/{path.name}#{cand.get('candidate')}")
    return found


__all__ = [
    "render",
    "render_manual",
    "manual_entry",
    "file_name",
    "load_intake",
    "candidates_of",
    "todo_findings",
    "pending_hashes",
    "INTAKE_ONLY",
    "Location",
]
