"""Cassettes: a case's recorded tool and model interactions, one JSON-lines file per case. Pure.

A case names its cassette as `input.cassette`, a path relative to the dataset
directory (`cassettes/AGTFAIL-0042.jsonl`); one file per case, so two
promotions never touch the same file. Line 1 is a header naming the case, then
one line per interaction in the order the run made them (schema:
`schemas/cassette.schema.json`). It is read with the strict JSON-lines reader
(duplicate keys, NaN, depth and integer limits) and within the size limits
below, so a cassette can neither exhaust the gate's memory nor smuggle in a
value a reviewer cannot see.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Mapping, Sequence
from typing import Any

from failgate.dataset.model import CASSETTE_DIR, CASSETTE_SUFFIX
from failgate.findings import Finding, Location

CASSETTE_VERSION = 1
# A real run is tens of interactions of a few kB; a 1 MB cassette is a very long
# conversation. The limits bound what one case can make the gate hold in memory.
MAX_CASSETTE_BYTES = 16 * 1024 * 1024
MAX_INTERACTIONS = 10_000

CODE = "CASSETTE"


@dataclasses.dataclass(frozen=True)
class Cassette:
    case_id: str | None  # the header's case_id
    interactions: tuple[Mapping[str, Any], ...]  # tool and model lines, in order
    header: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        tools = sum(1 for item in self.interactions if item.get("type") == "tool")
        return {"tool": tools, "model": len(self.interactions) - tools}


def cassette_ref(case: Mapping[str, Any]) -> str | None:
    """The case's `input.cassette`, as written (None when it has none or it is not a string)."""
    raw = case.get("input")
    value = raw.get("cassette") if isinstance(raw, Mapping) else None
    return value if isinstance(value, str) else None


def default_path(case_id: str) -> str:
    """Where `promote` and `eval --record-cassettes` put a case's cassette."""
    return f"{CASSETTE_DIR}/{case_id}{CASSETTE_SUFFIX}"


def intake_path(input_digest: str) -> str:
    """Where `ingest` puts a candidate's cassette (relative to the dataset directory) until
    `promote` moves it next to the case; named by the candidate's input_hash."""
    return f"_intake/{CASSETTE_DIR}/{input_digest.removeprefix('sha256:')[:16]}{CASSETTE_SUFFIX}"


def holds(interactions: Sequence[Mapping[str, Any]]) -> str:
    """What a cassette holds, in words, for the review file."""
    tools = [str(i.get("name")) for i in interactions if i.get("type") == "tool"]
    models = len(interactions) - len(tools)
    names = f" ({', '.join(dict.fromkeys(tools))})" if tools else ""
    return f"{models} model call(s), {len(tools)} tool call(s){names}"


def path_problem(ref: str) -> str | None:
    """Why `ref` cannot name a cassette inside the dataset directory, or None."""
    if not ref.strip():
        return "is empty"
    if ref.startswith(("/", "\\")) or (len(ref) > 1 and ref[1] == ":"):
        return "is absolute; use a path relative to the dataset directory"
    normal = posixpath.normpath(ref)
    if normal == ".." or normal.startswith("../") or "\\" in ref:
        return "points outside the dataset directory"
    if not ref.endswith(CASSETTE_SUFFIX):
        return f"must be a JSON-lines file ending in {CASSETTE_SUFFIX}"
    return None


def parse_cassette(data: bytes, path: str) -> tuple[Cassette | None, list[Finding]]:
    """The cassette in `data`, or the findings (each at `path:line`) that make it unusable."""
    from failgate.dataset.jsonstrict import JsonLineError, loads_line, split_lines
    from failgate.dataset.schemas import validator_for

    if len(data) > MAX_CASSETTE_BYTES:
        return None, [
            Finding(
                CODE,
                f"is {len(data):,} bytes; a cassette holds at most {MAX_CASSETTE_BYTES:,} "
                "(record a shorter run, or drop the raw SDK responses)",
                Location(path),
            )
        ]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [Finding(CODE, f"is not UTF-8 ({exc.reason} at byte {exc.start})", Location(path))]
    from failgate.dataset.fastschema import compile_checker

    # The generated yes/no check first (a cassette is thousands of lines); jsonschema names the error.
    fast = compile_checker("cassette.schema.json")
    findings: list[Finding] = []
    lines: list[tuple[int, dict[str, Any]]] = []
    ended = not text or text.endswith("\n")
    for lineno, line in split_lines(text):
        if not line.strip():
            continue
        try:
            value = loads_line(line)
        except JsonLineError as exc:
            truncated = " (truncated: the file does not end with a newline)" if not ended and lineno > 1 else ""
            findings.append(Finding(CODE, f"{exc.message}{truncated}", Location(path, lineno, exc.col)))
            continue
        valid = fast(value) if fast is not None else False
        errors = (
            [] if valid else sorted(validator_for("cassette").iter_errors(value), key=lambda e: list(e.absolute_path))
        )
        if errors:
            error = errors[0]
            where = "/".join(str(p) for p in error.absolute_path)
            findings.append(Finding(CODE, f"{where + ': ' if where else ''}{error.message}", Location(path, lineno)))
            continue
        lines.append((lineno, value))
        if len(lines) > MAX_INTERACTIONS + 1:
            findings.append(Finding(CODE, f"holds more than {MAX_INTERACTIONS:,} interactions", Location(path, lineno)))
            break
    if findings:
        return None, findings
    if not lines:
        return None, [Finding(CODE, "is empty; line 1 must be the header naming the case", Location(path, 1))]
    first_line, header = lines[0]
    if header.get("type") != "header":
        return None, [Finding(CODE, "line 1 must be the header naming the case", Location(path, first_line))]
    for lineno, value in lines[1:]:
        if value.get("type") == "header":
            findings.append(Finding(CODE, "a second header; a cassette holds one case", Location(path, lineno)))
    if findings:
        return None, findings
    return Cassette(header.get("case_id"), tuple(v for _, v in lines[1:]), header), []


def render_cassette(case_id: str, interactions: list[Mapping[str, Any]], **header: Any) -> bytes:
    """A cassette's bytes: the header line, then one line per interaction (keys in a stable order)."""
    import json

    head = {"type": "header", "version": CASSETTE_VERSION, "case_id": case_id, **header}
    lines = [json.dumps(head, ensure_ascii=False, sort_keys=False)]
    lines.extend(json.dumps(dict(item), ensure_ascii=False) for item in interactions)
    return ("\n".join(lines) + "\n").encode("utf-8")
