"""`[tool.failgate.intake]`: the keys, their checks, their defaults.

Declared through `config.declare_section` when this module is imported, so
`failgate ingest` and `failgate promote` refuse a misspelt key at its line
(`config` leaves `intake` open until someone declares it).
"""
from __future__ import annotations

import dataclasses
import re
from typing import Any, Callable

from failgate.config import Config, agent_ref, boolean, declare_section, fraction, positive_int, string_list
from failgate.findings import FailgateError

DEFAULT_MAX = 50
DEFAULT_SHARE = 0.30
DEFAULT_THRESHOLD = 0.92
DEFAULT_LATENCY_BUDGET_MS = 8000


def _patterns(value: Any) -> str | None:
    """{placeholder = regex}: project-specific PII, redacted after the defaults."""
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return 'a table of placeholder = "regex" (e.g. "<ACCOUNT>" = "ACC-\\\\d{6}")'
    for placeholder, pattern in value.items():
        try:
            re.compile(pattern)
        except re.error as exc:
            return f"valid regular expressions ({placeholder}: {exc})"
    return None


def _rules(value: Any) -> str | None:
    """[[tool.failgate.intake.rules]]: a judge rule plus the failure mode a violation proposes."""
    from failgate.judge import validate_rules

    expected = "a list of tables, each one judge rule plus failure_mode (e.g. {not_contains = \"1Z\", failure_mode = \"hallucination\"})"
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        return expected
    for item in value:
        rule = {k: v for k, v in item.items() if k != "failure_mode"}
        if not isinstance(item.get("failure_mode"), str) or len(rule) != 1:
            return expected
        problems = validate_rules([rule])
        if problems:
            return f"valid judge rules ({problems[0][1]})"
    return None


def _since(value: Any) -> str | None:
    return None if isinstance(value, str) and parse_since_text(value) is not None else 'a duration like "7d", "36h" or "2w"'


INTAKE_KEYS: dict[str, Callable[[Any], "str | None"]] = {
    "latency_budget_ms": positive_int,
    "refusal": boolean,
    "forbidden_tools": string_list,
    "tool_errors": boolean,
    "negative_feedback": boolean,
    "explicit_errors": boolean,
    "rules": _rules,
    "max_candidates": positive_int,
    "max_intent_share": fraction,
    "similarity_threshold": fraction,
    "embedder": agent_ref,
    "redactor": agent_ref,
    "redact_patterns": _patterns,
    "since": _since,
}
declare_section("intake", INTAKE_KEYS)


def parse_since_text(text: str) -> float | None:
    """Seconds in "7d" / "36h" / "90m" / "2w"; None when unreadable."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*", text)
    if not match:
        return None
    return float(match.group(1)) * {"m": 60, "h": 3600, "d": 86400, "w": 604800}[match.group(2)]


@dataclasses.dataclass(frozen=True)
class IntakeSettings:
    latency_budget_ms: int | None = DEFAULT_LATENCY_BUDGET_MS
    refusal: bool = True
    forbidden_tools: tuple[str, ...] = ()
    tool_errors: bool = True
    negative_feedback: bool = True
    explicit_errors: bool = True
    rules: tuple[tuple[dict[str, Any], str], ...] = ()  # (judge rule, failure mode)
    max_candidates: int = DEFAULT_MAX
    max_intent_share: float = DEFAULT_SHARE
    similarity_threshold: float = DEFAULT_THRESHOLD
    embedder: str | None = None
    redactor: str | None = None
    redact_patterns: tuple[tuple[str, str], ...] = ()
    since: str | None = None

    @classmethod
    def from_section(cls, section: dict[str, Any]) -> "IntakeSettings":
        rules = tuple(
            ({k: v for k, v in item.items() if k != "failure_mode"}, str(item["failure_mode"]))
            for item in section.get("rules", [])
        )
        return cls(
            latency_budget_ms=section.get("latency_budget_ms", DEFAULT_LATENCY_BUDGET_MS),
            refusal=section.get("refusal", True),
            forbidden_tools=tuple(section.get("forbidden_tools", ())),
            tool_errors=section.get("tool_errors", True),
            negative_feedback=section.get("negative_feedback", True),
            explicit_errors=section.get("explicit_errors", True),
            rules=rules,
            max_candidates=section.get("max_candidates", DEFAULT_MAX),
            max_intent_share=float(section.get("max_intent_share", DEFAULT_SHARE)),
            similarity_threshold=float(section.get("similarity_threshold", DEFAULT_THRESHOLD)),
            embedder=section.get("embedder"),
            redactor=section.get("redactor"),
            redact_patterns=tuple(section.get("redact_patterns", {}).items()),
            since=section.get("since"),
        )

    @classmethod
    def from_config(cls, cfg: Config) -> "IntakeSettings":
        return cls.from_section(cfg.section("intake"))


def load_redactor(settings: IntakeSettings, root: str | None = None) -> Callable[[str], str]:
    """The configured redactor: a plugin by dotted path (run first), then the
    default patterns plus `redact_patterns`. The default patterns always run:
    `input_hash` folds in the default redactor's version, and `validate`
    recomputes hashes with it, so every stored input must already be
    redacted by it (redaction is idempotent on its placeholders)."""
    from failgate.redact import make_redactor

    base = make_redactor(settings.redact_patterns)
    if not settings.redactor:
        return base
    plugin = load_callable(settings.redactor, root, what="redactor")

    def redact(text: str) -> str:
        return base(str(plugin(text)))

    return redact


def load_callable(ref: str, root: str | None, *, what: str) -> Callable[..., Any]:
    from failgate.dotted import DottedPathError, import_dotted

    try:
        target = import_dotted(ref, root)
    except DottedPathError as exc:
        raise FailgateError(f"cannot load the {what} {ref!r}: {exc}", exit_code=2) from None
    if not callable(target):
        raise FailgateError(f"the {what} {ref!r} is not callable", exit_code=2)
    return target  # type: ignore[no-any-return]


__all__ = ["IntakeSettings", "INTAKE_KEYS", "load_redactor", "load_callable", "parse_since_text"]
