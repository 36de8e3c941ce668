"""The default redactor: five standard-library patterns, fast and offline.

Presidio adds ~384 MB, wants a model download and has no UUID recognizer
(FIELD-NOTES); these patterns cover what a support agent's traces leak most:
emails, UUIDs, IP addresses, card numbers and phone numbers. Each match is
replaced by a fixed placeholder, so inputs that differ only in PII redact
(and therefore hash) the same. Projects add patterns in configuration; a
different redactor is pluggable by dotted path (see intake).

REDACTOR_VERSION is folded into `input_hash`: change a pattern, bump it.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Iterable

REDACTOR_VERSION = "failgate-redact-1"

# Order matters: UUIDs before phone numbers (digit runs), cards before phones.
DEFAULT_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("<EMAIL>", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")),
    ("<UUID>", re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")),
    ("<IP>", re.compile(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b")),
    ("<CARD>", re.compile(r"\b(?:\d[ -]?){12,18}\d\b")),
    ("<PHONE>", re.compile(r"(?<![\w])\+?\d{1,3}[ .-]?\(?\d{2,4}\)?[ .-]?\d{3,4}[ .-]?\d{3,4}(?![\w])")),
)

Redactor = Callable[[str], str]


def make_redactor(extra: Iterable[tuple[str, str]] = ()) -> Redactor:
    """A redactor with the default patterns plus (placeholder, regex) pairs."""
    patterns = list(DEFAULT_PATTERNS) + [(placeholder, re.compile(rx)) for placeholder, rx in extra]

    def redact(text: str) -> str:
        for placeholder, pattern in patterns:
            text = pattern.sub(placeholder, text)
        return text

    return redact


redact_text: Redactor = make_redactor()


def redact_value(value: Any, redactor: Redactor = redact_text) -> Any:
    """Redact every string inside a JSON-like value (keys are kept as they are)."""
    if isinstance(value, str):
        return redactor(value)
    if isinstance(value, list):
        return [redact_value(item, redactor) for item in value]
    if isinstance(value, dict):
        return {key: redact_value(item, redactor) for key, item in value.items()}
    return value
