"""`input_hash`: the identity of a case's input, used by intake to dedupe.

sha256 over a versioned prefix and the canonical JSON of the redacted,
normalised input. Normalised: keys sorted, whitespace inside strings collapsed
and trimmed, `fixtures` and `cassette` left out (captured state is not what the user said).
Two inputs that differ only in PII, key order or spacing hash the same.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from failgate.intake.redact import REDACTOR_VERSION, Redactor, redact_text, redact_value

HASH_SCHEME = "failgate-input-v1"
_SPACE = re.compile(r"\s+")
_CAPTURED = ("fixtures", "cassette")  # captured state and recorded interactions, not what the user said


def _normalise(value: Any) -> Any:
    if isinstance(value, str):
        return _SPACE.sub(" ", value).strip()
    if isinstance(value, list):
        return [_normalise(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _normalise(item) for key, item in value.items() if key not in _CAPTURED}
    return value


def input_hash(case_input: Any, *, redactor: Redactor = redact_text, redactor_version: str = REDACTOR_VERSION) -> str:
    canonical = json.dumps(
        _normalise(redact_value(case_input, redactor)), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    digest = hashlib.sha256(f"{HASH_SCHEME}|{redactor_version}\n{canonical}".encode()).hexdigest()
    return f"sha256:{digest}"
