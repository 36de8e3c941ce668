"""Stream JSON records out of a trace export without loading it whole (docs/reference/trace-formats.md).

Exports come in three shapes, told apart from the first bytes:

- JSON Lines (one record per line; the OpenTelemetry collector's file
  exporter writes one OTLP request per line, Langfuse and Phoenix exports can
  be written this way too): read line by line, a bad line is reported at its
  line number and skipped.
- A top-level JSON array `[record, record, ...]`.
- One JSON object whose records sit in an array under a known key
  (`{"resourceSpans": [...]}`, `{"data": [...]}`): the array's items are the
  records.

For the last two, items are decoded one at a time with
`json.JSONDecoder.raw_decode` over a buffer refilled in 1 MB chunks and
trimmed as it is consumed, so a 1 GB export costs the largest single item in
memory, not the file. A malformed item inside a single JSON document cannot be
resynchronised reliably (there is no line boundary to restart at), so it is
reported and the rest of that file is skipped; JSON Lines is the shape to
prefer for big exports.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from failgate.dataset.jsonstrict import (
    MAX_DEPTH,
    SURROGATE_ESCAPE,
    JsonLineError,
    has_lone_surrogate,
    loads_line,
    nesting_depth,
)

CHUNK = 1 << 20
MAX_ITEM = 64 << 20  # an item larger than this is treated as malformed, not buffered forever
MAX_RECORD = 16 << 20  # one JSON Lines record (characters); a longer line is skipped with a finding
# `observations` is not here: a top-level `observations` array belongs to one
# Langfuse trace download (`{"trace": {...}, "observations": [...]}`), a single record.
ARRAY_KEYS = ("resourceSpans", "data", "spans", "traces")
_WS = " \t\r\n"
_KEY_RE = re.compile(r'"(' + "|".join(ARRAY_KEYS) + r')"\s*:\s*\[')
# Strings (escapes included), brackets, or a lone quote (a string cut at the chunk's end).
# The string branch is the unrolled form ("[^"\\]*(?:\\.[^"\\]*)*"): the alternation form
# keeps per-character state and took gigabytes on a long string.
_TOKEN_RE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]"]')


class RecordError:
    """A record that could not be decoded: where, and why."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"RecordError({self.message!r})"


Record = tuple[int, Any]  # (1-based line, value or RecordError)


def iter_records(path: Path) -> Iterator[Record]:
    """(line, value) for each record of the export at `path`; undecodable
    records come as (line, RecordError)."""
    # utf-8-sig: exports written on Windows (and some SDKs) start with a byte-order mark.
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
        head = handle.read(CHUNK)
        stripped = head.lstrip(_WS)
        if not stripped:
            return
        lead = head[: len(head) - len(stripped)].count("\n")
        if stripped[0] == "[":
            yield from _iter_array(handle, head, len(head) - len(stripped) + 1, 0)
            return
        if stripped[0] == "{" and not _is_json_lines(handle, head):
            handle.seek(0)
            yield from _iter_object(handle, handle.read(CHUNK), lead)
            return
        handle.seek(0)
        yield from _iter_lines(handle.read(CHUNK), handle)


def _is_json_lines(handle: IO[str], head: str) -> bool:
    """Whether an export starting with `{` is JSON Lines rather than one JSON document.

    JSON Lines when the first line, read whole within the first chunk, is a JSON value. A first line
    longer than a chunk cannot be parsed there: then JSON Lines when the next non-blank line starts
    another record (`{`) -- what a first record longer than a chunk needs: it used to be taken for one
    document, and every trace after it was silently skipped. A pretty-printed document's first line
    (`{` alone, or `{"data": [`) is short and does not parse on its own; a minified one is a single
    line. Reads ahead without keeping more than a chunk; the caller rewinds."""
    chunk = head.lstrip(_WS)
    newline = chunk.find("\n")
    if newline >= 0:
        return _parses(chunk[:newline])
    while newline < 0:
        chunk = handle.read(CHUNK)
        if not chunk:
            return False  # one line: a minified document
        newline = chunk.find("\n")
    rest = chunk[newline + 1 :].lstrip(_WS)
    while not rest:
        more = handle.read(CHUNK)
        if not more:
            return False  # one line and blank ones: a minified document
        rest = more.lstrip(_WS)
    return rest[0] == "{"


def _parses(line: str) -> bool:
    try:
        loads_line(line, strict=False)
    except JsonLineError as exc:
        return "JSON" not in exc.message  # too deep or a lone surrogate: JSON all the same, one bad record
    return True


def _iter_lines(head: str, handle: IO[str]) -> Iterator[Record]:
    lineno = 0
    pending = ""
    oversized = False  # inside a line longer than MAX_RECORD: dropped until its newline
    for chunk in _chunks(head, handle):
        if oversized:
            cut = chunk.find("\n")
            if cut < 0:
                continue
            lineno += 1
            yield lineno, _too_large()
            oversized, chunk = False, chunk[cut + 1 :]
        pending += chunk
        lines = pending.split("\n")
        pending = lines.pop()
        for raw in lines:
            lineno += 1
            if len(raw) > MAX_RECORD:
                yield lineno, _too_large()
                continue
            record = _decode_line(raw)
            if record is not None:
                yield lineno, record
        if len(pending) > MAX_RECORD:
            # A file with no newline (or one enormous line) must not be buffered
            # whole: memory stays at MAX_RECORD plus one chunk.
            pending, oversized = "", True
    if oversized:
        yield lineno + 1, _too_large()
    elif pending:
        record = _too_large() if len(pending) > MAX_RECORD else _decode_line(pending)
        if record is not None:
            yield lineno + 1, record


def _too_large() -> RecordError:
    return RecordError(f"record longer than {MAX_RECORD >> 20} MB (failgate's maximum record size), skipped")


def _chunks(head: str, handle: IO[str]) -> Iterator[str]:
    yield head
    while True:
        chunk = handle.read(CHUNK)
        if not chunk:
            return
        yield chunk


def _decode_line(raw: str) -> Any | None:
    if not raw.strip():
        return None
    # Depth, huge integers and lone surrogates make one skipped record (with
    # its line), never a crash that stops the whole ingest (jsonstrict).
    try:
        return loads_line(raw, strict=False)
    except JsonLineError as exc:
        return RecordError(exc.message)


def _iter_object(handle: IO[str], buf: str, lead: int) -> Iterator[Record]:
    """Find the records array under a known key of the top-level object, then stream its items.

    Only a key at depth 1 counts: `{"trace": {"observations": [...]}}` nests a
    known-looking key inside one record, which must not be taken for the records."""
    base_line, pos, depth = 0, 0, 0
    while True:
        found, pos, depth = _top_level_key(buf, pos, depth)
        if found is not None:
            yield from _iter_array(handle, buf, found, base_line)
            return
        more = handle.read(CHUNK)
        if not more or len(buf) > MAX_RECORD:
            break  # no records key within a record's size: one record, read (or refused) below
        base_line += buf[:pos].count("\n")
        buf, pos = buf[pos:] + more, 0
    # No records array: a single small record (one Langfuse trace, one OTLP request).
    try:
        handle.seek(0)
        text = handle.read(MAX_RECORD + 1)
        if len(text) > MAX_RECORD:
            yield (
                lead + 1,
                RecordError(
                    f"one JSON document without a {'/'.join(ARRAY_KEYS)} array, longer than "
                    f"{MAX_RECORD >> 20} MB (failgate's maximum record size), skipped"
                ),
            )
            return
        yield lead + 1, loads_line(text, strict=False)
    except JsonLineError as exc:
        yield lead + 1, RecordError(exc.message)


def _top_level_key(buf: str, pos: int, depth: int) -> tuple[int | None, int, int]:
    """(index after the `[` of a known depth-1 records key or None, where to resume, depth there)."""
    for token in _TOKEN_RE.finditer(buf, pos):
        text = token.group()
        if text == '"':  # a string not closed in this buffer: wait for more text
            return None, token.start(), depth
        if text in "{[":
            depth += 1
        elif text in "}]":
            depth -= 1
        elif depth == 1:
            match = _KEY_RE.match(buf, token.start())
            if match:
                return match.end(), token.end(), depth
        pos = token.end()
    return None, pos, depth


def _iter_array(handle: IO[str], buf: str, pos: int, base_line: int) -> Iterator[Record]:
    decoder = json.JSONDecoder()
    counted, line = 0, base_line + 1  # `line` is the line of buf[counted]
    eof = False
    while True:
        while pos < len(buf) and buf[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(buf):
            if eof:
                line += buf.count("\n", counted, pos)
                yield line, RecordError("the JSON array is not closed (truncated file?)")
                return
            buf, pos, counted, line, eof = _refill(handle, buf, pos, counted, line)
            continue
        if buf[pos] == "]":
            return
        try:
            value, end = decoder.raw_decode(buf, pos)
        except RecursionError:
            line += buf.count("\n", counted, pos)
            yield (
                line,
                RecordError(
                    f"a record nested deeper than the parser can read (failgate reads {MAX_DEPTH} "
                    "levels); the rest of this file is skipped"
                ),
            )
            return
        except json.JSONDecodeError as exc:
            if not eof and len(buf) - pos < MAX_ITEM:
                buf, pos, counted, line, eof = _refill(handle, buf, pos, counted, line)
                continue
            line += buf.count("\n", counted, pos)
            yield line, RecordError(f"not valid JSON: {exc.msg}; the rest of this file is skipped")
            return
        line += buf.count("\n", counted, pos)
        counted = pos
        if (SURROGATE_ESCAPE.search(buf, pos, end) and has_lone_surrogate(value)) or nesting_depth(buf[pos:end]):
            yield line, RecordError("a lone surrogate escape or nesting past the depth limit; record skipped")
        else:
            yield line, value
        pos = end


def _refill(handle: IO[str], buf: str, pos: int, counted: int, line: int) -> tuple[str, int, int, int, bool]:
    """Drop what was consumed, read another chunk."""
    line += buf.count("\n", counted, pos)
    buf = buf[pos:]
    more = handle.read(CHUNK)
    return buf + more, 0, 0, line, not more
