"""Baseline definitions: a case weakened in the range is also run as it was. Pure.

docs/explanation/what-the-gate-trusts.md: a case whose judged definition --
`expected`, `repeat`, `pass_if`, `input`, the contents of its `input.fixtures`
files and of its `input.cassette` (by blob hash) -- changed in the range is run from its baseline
definition too, like a retired case. Dropping the failing rule, loosening
`times: 1`, or editing the fixture the agent trips on would otherwise turn a
regression green. If the baseline definition fails now, that is a flip,
unless the range holds a `redefined` decision for the case.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from failgate.dataset.cassette import cassette_ref

JUDGED_KEYS = ("expected", "repeat", "pass_if", "input")


@dataclasses.dataclass(frozen=True)
class Redefinition:
    case_id: str
    changed: tuple[str, ...]  # which parts: expected, repeat, pass_if, input, fixtures, cassette
    definition: Mapping[str, Any]  # the case as it was at the base


def fixture_paths(case: Mapping[str, Any]) -> list[str]:
    raw = case.get("input")
    raw = raw if isinstance(raw, dict) else {}
    fixtures = raw.get("fixtures")
    items = fixtures if isinstance(fixtures, list) else [fixtures] if fixtures else []
    return [str(item) for item in items]


def judged_definition(case: Mapping[str, Any], fixture_hash: Callable[[str], str | None]) -> dict[str, Any]:
    """What decides the case's outcome besides the agent, fixtures by content hash."""
    data = {key: case.get(key) for key in JUDGED_KEYS}
    data["fixtures"] = {path: fixture_hash(path) for path in fixture_paths(case)}
    # The recorded responses decide what a replayed run sees, as much as a fixture does.
    cassette = cassette_ref(case)
    data["cassette"] = None if cassette is None else fixture_hash(posixpath.normpath(cassette))
    return data


def _active(case: Mapping[str, Any]) -> bool:
    return case.get("status", "active") != "deprecated"


def redefined_cases(
    base_cases: Sequence[Mapping[str, Any]],
    now_cases: Sequence[Mapping[str, Any]],
    base_fixture_hash: Callable[[str], str | None],
    now_fixture_hash: Callable[[str], str | None],
) -> list[Redefinition]:
    """Cases active at the base and now whose judged definition differs between the two."""
    now_by_id = {c.get("id"): c for c in now_cases}
    found = []
    for base in base_cases:
        case_id = base.get("id")
        now = now_by_id.get(case_id)
        if not isinstance(case_id, str) or now is None or not _active(base) or not _active(now):
            continue
        before = judged_definition(base, base_fixture_hash)
        after = judged_definition(now, now_fixture_hash)
        changed = tuple(key for key in (*JUDGED_KEYS, "fixtures", "cassette") if before[key] != after[key])
        if changed:
            found.append(Redefinition(case_id, changed, base))
    return found
