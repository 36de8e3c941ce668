"""One agent run as intake sees it, whatever format it was read from.

Readers (`failgate.intake.traces.<format>`) turn their format's records into
`Trace`s; everything after reading (rules, stratification, redaction,
dedupe) works on this shape only. The fields are those of failgate's own
JSON Lines format (docs/reference/trace-formats.md).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from typing import Any

from failgate.findings import WARNING, Finding, Location

UNKNOWN_INTENT = "unknown"
NEGATIVE_WORDS = frozenset(
    {
        "negative",
        "thumbs_down",
        "thumbsdown",
        "down",
        "bad",
        "dislike",
        "-1",
        "0",
        "false",
        "no",
        "incorrect",
        "wrong",
        "unhelpful",
    }
)
POSITIVE_WORDS = frozenset(
    {"positive", "thumbs_up", "thumbsup", "up", "good", "like", "1", "true", "yes", "correct", "helpful"}
)


@dataclasses.dataclass
class Trace:
    trace_id: str
    input: dict[str, Any]  # what the agent received: {"messages": [{"role", "content"}, ...], ...}
    output: str = ""
    tool_calls: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # {name, arguments[, error]}
    latency_ms: float | None = None
    error: str | None = None  # the run itself failed (exception, error status)
    feedback: str | None = None  # "negative" | "positive" | None
    feedback_comment: str | None = None
    intent: str = UNKNOWN_INTENT
    timestamp: _dt.datetime | None = None
    tags: tuple[str, ...] = ()
    turns: list[str] = dataclasses.field(default_factory=list)
    # Scores recorded with the run ({name, value, source, comment}): eval scores
    # and user feedback alike; `rules` decides which of them mark a failure.
    scores: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    where: str = ""  # "file:line" of the record it came from
    # The run's model turns and tool results in order ({"kind": "model", "output", "tool_calls"} /
    # {"kind": "tool", "name", "arguments", "result"[, "error"]}), for replay cassettes. Raw text:
    # redact before writing it anywhere (intake writes only the fields above).
    steps: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    # Its tool and model interactions in order, as cassette lines (intake.traces.cassettes): replayable.
    interactions: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    def response(self) -> dict[str, Any]:
        """The agent's answer in the shape the judge reads (docs/reference/agent-protocol.md)."""
        calls = [{"name": c["name"], "arguments": c.get("arguments") or {}} for c in self.tool_calls]
        answer: dict[str, Any] = {"output": self.output, "tool_calls": calls, "turns": list(self.turns)}
        if self.latency_ms is not None:
            answer["latency_ms"] = self.latency_ms
        return answer


@dataclasses.dataclass
class FileRead:
    """One file's part of the funnel: what was read from it and as what."""

    path: str
    format: str
    records: int = 0
    runs: int = 0
    keys: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class ReadStats:
    """What reading saw: records, traces, and what was skipped (with where)."""

    records: int = 0
    traces: int = 0
    skipped: int = 0
    findings: list[Finding] = dataclasses.field(default_factory=list)
    files: list[FileRead] = dataclasses.field(default_factory=list)
    max_findings: int = 50  # a broken 1 GB export must not print a million lines

    def empty(self, path: str, message: str) -> None:
        """A file with records but no run: always reported, whatever the cap."""
        self.findings.append(Finding("NO_RUNS", message, Location(path, 0), WARNING))

    def note(self, path: str, line: int, message: str) -> None:
        """Something read partly (a span without its time): reported, the record is still used."""
        if len(self.findings) < self.max_findings:
            self.findings.append(Finding("TRACE_PARTLY_READ", message, Location(path, line), WARNING))

    def skip(self, path: str, line: int, message: str) -> None:
        self.skipped += 1
        if len(self.findings) < self.max_findings:
            self.findings.append(Finding("TRACE_SKIPPED", message, Location(path, line), WARNING))


# -- helpers shared by the readers -------------------------------------------
def parse_time(value: Any) -> _dt.datetime | None:
    """ISO 8601 text, epoch seconds/milliseconds, or OTLP nanoseconds (as int or text)."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) or (isinstance(value, str) and value.isdigit()):
        number = float(value)
        for scale in (1e9, 1e6, 1e3, 1.0):  # ns, us, ms, s: pick the one that lands after 1990
            seconds = number / scale
            if seconds > 6.3e8:
                try:
                    return _dt.datetime.fromtimestamp(seconds, _dt.timezone.utc)
                except (OverflowError, OSError, ValueError):  # 1e30, inf: past any calendar; not a time
                    return None
        return None
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        if "." in text:  # Python < 3.11 wants at most 6 fraction digits
            head, _, rest = text.partition(".")
            digits = len(rest) - len(rest.lstrip("0123456789"))
            text = head + "." + rest[: min(digits, 6)] + rest[digits:]
        try:
            moment = _dt.datetime.fromisoformat(text)
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=_dt.timezone.utc)
    return None


# Score names that conventionally carry a user's verdict (Langfuse's docs and SDK
# examples use `user-feedback`); a project names its own with `feedback_scores`.
FEEDBACK_SCORE_NAMES = (
    "user-feedback",
    "user_feedback",
    "feedback",
    "thumbs",
    "thumbs_up_down",
    "user_rating",
    "user-rating",
    "rating",
    "user_score",
)
HUMAN_SOURCES = frozenset({"API", "ANNOTATION", ""})  # "" : exports that predate `source`


def _score_key(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def feedback_from_scores(
    scores: list[dict[str, Any]], names: tuple[str, ...] | list[str] = FEEDBACK_SCORE_NAMES
) -> tuple[str | None, str | None]:
    """(negative|positive|None, comment) from the scores that are user feedback: a
    feedback name and a human source. Eval scores (source EVAL) never count: a
    toxicity of 0 is good news, not a thumbs-down."""
    wanted = {_score_key(n) for n in names}
    verdict, comment = None, None
    for score in scores:
        if score.get("source", "") not in HUMAN_SOURCES or _score_key(str(score.get("name", ""))) not in wanted:
            continue
        found, note = feedback_of({"value": score.get("value"), "comment": score.get("comment")})
        if found == "negative":
            return found, note
        verdict, comment = verdict or found, comment or note
    return verdict, comment


def feedback_of(value: Any) -> tuple[str | None, str | None]:
    """(negative|positive|None, comment) from a score, a word, or {score|value, comment}."""
    comment = None
    if isinstance(value, dict):
        comment = value.get("comment") if isinstance(value.get("comment"), str) else None
        for key in ("score", "value", "rating", "label"):
            if key in value:
                value = value[key]
                break
        else:
            value = None
    if isinstance(value, bool):
        return ("positive" if value else "negative"), comment
    if isinstance(value, (int, float)):
        return ("negative" if value <= 0 else "positive"), comment
    if isinstance(value, str):
        word = value.strip().lower().replace("-", "_").replace(" ", "_")
        if word in NEGATIVE_WORDS:
            return "negative", comment
        if word in POSITIVE_WORDS:
            return "positive", comment
    return None, comment
