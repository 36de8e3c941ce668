"""`[tool.failgate.intake]`: the keys, their checks, their defaults.

The keys and their checks are declared in `failgate.config.sections`, so
every command refuses a misspelt key at its line; this module turns the
checked section into settings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from failgate.config import Config
from failgate.config.sections import (  # noqa: F401  (the section's keys live with the configuration)
    DEFAULT_LATENCY_BUDGET_MS,
    DEFAULT_MAX,
    DEFAULT_SHARE,
    DEFAULT_THRESHOLD,
    INTAKE_KEYS,
    parse_since_text,
)
from failgate.findings import FailgateError


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
    # Score names that are user feedback (None: the conventional names, `model.FEEDBACK_SCORE_NAMES`).
    feedback_scores: tuple[str, ...] | None = None
    # (score name, "below" | "above", threshold, failure mode): a run fails when the score crosses it.
    score_rules: tuple[tuple[str, str, float, str], ...] = ()
    phone_regions: tuple[str, ...] | None = None  # None: the redactor's default regions
    # `[tool.failgate] pythonpath`: the redactor and embedder are imported as the agent's code is
    pythonpath: tuple[str, ...] = ()

    @classmethod
    def from_section(cls, section: dict[str, Any]) -> IntakeSettings:
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
            feedback_scores=tuple(section["feedback_scores"]) if "feedback_scores" in section else None,
            score_rules=tuple(
                (
                    str(r["name"]),
                    "below" if "fail_below" in r else "above",
                    float(r.get("fail_below", r.get("fail_above", 0))),
                    str(r.get("failure_mode", "hallucination")),
                )
                for r in section.get("score_rules", [])
            ),
            phone_regions=tuple(section["phone_regions"]) if "phone_regions" in section else None,
        )

    @classmethod
    def from_config(cls, cfg: Config) -> IntakeSettings:
        pythonpath = cfg.get("pythonpath")
        paths = tuple(str(p) for p in pythonpath) if isinstance(pythonpath, list) else ()
        return dataclasses.replace(cls.from_section(cfg.section("intake")), pythonpath=paths)


def load_redactor(settings: IntakeSettings, root: str | None = None) -> Callable[[str], str]:
    """The configured redactor: a plugin by dotted path (run first), then the
    default patterns plus `redact_patterns`. The default patterns always run:
    `input_hash` folds in the default redactor's version, and `validate`
    recomputes hashes with it, so every stored input must already be
    redacted by it (redaction is idempotent on its placeholders)."""
    from failgate.intake.redact import DEFAULT_PHONE_REGIONS, make_redactor

    # Configured regions come first and the defaults stay: `input_hash` redacts with the
    # default regions, so a stored input must already be redacted for them too.
    regions = tuple(dict.fromkeys((settings.phone_regions or ()) + DEFAULT_PHONE_REGIONS))
    base = make_redactor(settings.redact_patterns, phone_regions=regions)
    if not settings.redactor:
        return base
    plugin = load_callable(settings.redactor, root, what="redactor", pythonpath=settings.pythonpath)

    def redact(text: str) -> str:
        return base(str(plugin(text)))

    return redact


def load_callable(ref: str, root: str | None, *, what: str, pythonpath: Sequence[str] = ()) -> Callable[..., Any]:
    """Project-local code by dotted path, imported as the agent's code is (`dotted.import_paths`)."""
    from failgate.dotted import DottedPathError, import_dotted

    try:
        target = import_dotted(ref, root, pythonpath)
    except DottedPathError as exc:
        raise FailgateError(f"cannot load the {what} {ref!r}: {exc}", exit_code=2) from None
    if not callable(target):
        raise FailgateError(f"the {what} {ref!r} is not callable", exit_code=2)
    return target  # type: ignore[no-any-return]


__all__ = ["IntakeSettings", "INTAKE_KEYS", "load_redactor", "load_callable", "parse_since_text"]
