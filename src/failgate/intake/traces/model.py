"""One agent run as intake sees it, whatever format it was read from.

Readers (`failgate.intake.traces.<format>`) turn their format's records into
`Trace`s; everything after reading (rules, stratification, redaction,
dedupe) works on this shape only. The fields are those of failgate's own
JSON Lines format (README "Intake and promotion").
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
from typing import Any, Mapping

from failgate.findings import Finding, Location, WARNING

UNKNOWN_INTENT = "unknown"
NEGATIVE_WORDS = frozenset({"negative", "thumbs_down", "thumbsdown", "down", "bad", "dislike", "-1", "0", "false",
                            "no", "incorrect", "wrong", "unhelpful"})
POSITIVE_WORDS = frozenset({"positive", "thumbs_up", "thumbsup", "up", "good", "like", "1", "true", "yes",
                            "correct", "helpful"})


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
    where: str = ""  # "file:line" of the record it came from

    def response(self) -> dict[str, Any]:
        """The agent's answer in the shape the judge reads (DESIGN.md)."""
        calls = [{"name": c["name"], "arguments": c.get("arguments") or {}} for c in self.tool_calls]
        answer: dict[str, Any] = {"output": self.output, "tool_calls": calls, "turns": list(self.turns)}
        if self.latency_ms is not None:
            answer["latency_ms"] = self.latency_ms
        return answer


@dataclasses.dataclass
class ReadStats:
    """What reading saw: records, traces, and what was skipped (with where)."""

    records: int = 0
    traces: int = 0
    skipped: int = 0
    findings: list[Finding] = dataclasses.field(default_factory=list)
    max_findings: int = 50  # a broken 1 GB export must not print a million lines

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
                return _dt.datetime.fromtimestamp(seconds, _dt.timezone.utc)
        return None
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        if "." in text:  # Python < 3.11 wants at most 6 fraction digits
            head, _, rest = text.partition(".")
            digits = len(rest) - len(rest.lstrip("0123456789"))
            text = head + "." + rest[:min(digits, 6)] + rest[digits:]
        try:
            moment = _dt.datetime.fromisoformat(text)
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=_dt.timezone.utc)
    return None


def feedback_of(value: Any) -> tuple[str | None, str | None]:
    """(negative|positive|None, comment) from a score, a word, or {score|value, comment}."""
    comment = None
    if isinstance(value, Mapping):
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


def text_of(value: Any) -> str:
    """The readable text of a message content: a string, a list of parts, or a mapping."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(t for t in (text_of(part) for part in value) if t)
    if isinstance(value, Mapping):
        if value.get("type") not in (None, "text", "output_text", "input_text"):
            return ""  # a tool-call or image part carries no reply text
        for key in ("content", "text", "value", "output"):
            if key in value:
                return text_of(value[key])
        return ""
    return str(value)


def maybe_json(value: Any) -> Any:
    """Attributes often carry JSON as a string; decode it when it is JSON."""
    if isinstance(value, str) and value[:1] in "[{":
        from failgate.dataset.jsonstrict import loads_or_none

        decoded = loads_or_none(value)  # too deep or not JSON: keep the text
        return value if decoded is None else decoded
    return value


def arguments_of(value: Any) -> dict[str, Any]:
    value = maybe_json(value)
    if isinstance(value, Mapping):
        return dict(value)
    if value in (None, ""):
        return {}
    return {"input": value}


def user_messages(messages: Any) -> list[dict[str, str]]:
    """The user turns of a message list (GenAI parts, OpenAI or plain shape), as
    `{"role": "user", "content": text}`: the agent regenerates its own turns."""
    out: list[dict[str, str]] = []
    for message in messages if isinstance(messages, list) else []:
        if not isinstance(message, Mapping) or message.get("role") not in ("user", "human"):
            continue
        content = message.get("parts") if "parts" in message else message.get("content")
        text = text_of(content)
        if text:
            out.append({"role": "user", "content": text})
    return out


def input_from(value: Any) -> dict[str, Any]:
    """A case input from whatever a format recorded as the run's input."""
    value = maybe_json(value)
    if isinstance(value, str):
        return {"messages": [{"role": "user", "content": value}]} if value else {}
    if isinstance(value, list):
        messages = user_messages(value)
        return {"messages": messages} if messages else {}
    if isinstance(value, Mapping):
        if isinstance(value.get("messages"), list):
            rest = {k: v for k, v in value.items() if k != "messages"}
            messages = user_messages(value["messages"]) or [m for m in value["messages"] if isinstance(m, Mapping)]
            return {**rest, "messages": messages}
        for key in ("input", "query", "question", "prompt", "message", "text"):
            if isinstance(value.get(key), str):
                return {"messages": [{"role": "user", "content": value[key]}]}
        return dict(value)
    return {}
