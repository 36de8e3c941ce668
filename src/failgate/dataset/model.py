"""The vocabulary of a failure dataset (docs/reference/case-fields.md), as plain constants.

The JSON Schemas in `schemas/` are the reference for editors and for
`validate`; this module holds the few values that code needs by name.
"""

from __future__ import annotations

import re

# Declared in dataset.events (with what each type carries); named here too for the readers
# of the vocabulary that look for it here (the manual's reference generator).
from failgate.dataset.events import EVENT_TYPES  # noqa: F401

DEFAULT_DATASET_DIR = "evals/failures"
CASES_FILE = "cases.yaml"
REMOVED_FILE = "cases_removed.yaml"
HISTORY_FILE = "history.jsonl"
WATCHLIST_FILE = "watchlist.yaml"
# the files a dataset directory holds, as validate reads them
DATASET_FILES = (CASES_FILE, REMOVED_FILE, HISTORY_FILE, WATCHLIST_FILE)
INTAKE_DIR = "_intake"
# where promote and eval --record-cassettes put a case's recording (failgate.dataset.cassette)
CASSETTE_DIR = "cassettes"
CASSETTE_SUFFIX = ".jsonl"
LOCK_NAME = ".failgate.lock"  # the dataset's writer lock (failgate.atomic.locked)
# the project's caches (validate's clean verdicts, llm_rubric verdicts), under its root
CACHE_DIR = ".failgate-cache"  # outside a git repository only (failgate.config.cache_location)

SCHEMA_VERSION = 1
FAILURE_MODES_V1 = (
    "tool_invocation",
    "retrieval_miss",
    "hallucination",
    "multi_turn_drift",
    "refusal_overreach",
    "latency_breach",
    "blast_radius_breach",
)
SEVERITIES = ("P0", "P1", "P2", "P3")
BLAST_RADII = (
    "customer_visible",
    "internal_visible",
    "irreversible_write",
    "reversible_write",
    "no_external_effect",
)
STATUSES = ("active", "deprecated")
# A case's `repeat` (and `eval --repeat`): enough for a pass rate over a nondeterministic agent, bounded
# like `jobs` and `timeout_s` so that a typo (repeat: 1000000000) is refused, not run for a year.
# The schemas' `maximum` for `repeat` is this number (tests/acceptance/faults/test_limits_everywhere.py checks it).
MAX_REPEAT = 100
OUTCOMES = ("pass", "fail")

# \A...\Z, not ^...$: Python's `$` also matches before a final newline, and
# `\d` matches any Unicode digit ("AGTFAIL-0001\n" and Arabic-Indic digits
# are not ids). Use with `.match`.
CASE_ID_RE = re.compile(r"\AAGTFAIL-([0-9]{4,})\Z")
INPUT_HASH_RE = re.compile(r"\Asha256:[0-9a-f]{64}\Z")


_MAX_ID_DIGITS = 4000  # under Python's int-string limit (4,300) even after the next id's +1


def case_number(case_id: str) -> int | None:
    """The id's number; None for what is not an id, or one too long to be a number (validate reports
    a malformed id; nothing that allocates or compares ids may die on it)."""
    if not isinstance(case_id, str):
        return None
    match = CASE_ID_RE.match(case_id)
    return int(match.group(1)) if match and len(match.group(1)) <= _MAX_ID_DIGITS else None


def format_case_id(number: int) -> str:
    return f"AGTFAIL-{number:04d}"


def mode_name(entry: object) -> str | None:
    """A taxonomy entry is a bare name (v1) or `{name, added_in, rationale}`."""
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict) and isinstance(entry.get("name"), str):
        return entry["name"]
    return None
