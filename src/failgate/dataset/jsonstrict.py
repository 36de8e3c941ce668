"""Strict JSON lines for every JSONL file failgate reads. Pure.

`history.jsonl`, trace exports, recorded outputs and merge-driver inputs are
all JSON lines, and Python's `json` accepts things a reviewer cannot see or a
reader cannot survive:

- nesting deeper than the interpreter's recursion limit raises RecursionError
  (a 100,000-deep array is a 200 kB line); every loader, YAML included, stops
  at one documented depth, `MAX_DEPTH`, well under that limit, so the checks
  that walk the value afterwards (jsonschema, the input hash) cannot crash;
- an integer over 4,300 digits raises ValueError deep inside the parser;
- a repeated key silently keeps the last value (RFC 8259: "names SHOULD be
  unique"); `NaN`/`Infinity` are not JSON at all;
- `\\ud800` decodes to a lone surrogate that cannot be written back as UTF-8.

Lines are split on `\\n` only, never `str.splitlines()`: a JSON string may hold
U+2028, U+0085 or a form feed unescaped, and git counts lines by `\\n`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

# The deepest nesting any loader accepts (mappings and lists, YAML and JSON).
# A failure case is a handful of levels deep; 64 leaves room for captured tool
# arguments while keeping every recursive walk (jsonschema's, the input hash's,
# the fast checker's) far from Python's default recursion limit of 1,000.
MAX_DEPTH = 64
MAX_INT_DIGITS = 4300  # Python's own int-string conversion limit

SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class JsonLineError(ValueError):
    """A line that is not strict JSON; `col` is 1-based (0 when unknown)."""

    def __init__(self, message: str, col: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.col = col


def split_lines(text: str) -> Iterator[tuple[int, str]]:
    """(1-based line number, line without `\\n` or a trailing CR) for each line, blank ones included."""
    for lineno, raw in enumerate(text.split("\n"), 1):
        yield lineno, raw[:-1] if raw.endswith("\r") else raw


# Every character but brackets and quotes, deleted by one `str.translate` (C speed, no match objects).
_BRACKETS_AND_QUOTES = {c: None for c in range(128) if chr(c) not in '[]{}"'}
_INNERMOST = re.compile(r"\[\]|\{\}")  # one pass removes only the pairs empty when it starts


def nesting_depth(text: str | bytes, limit: int = MAX_DEPTH) -> int:
    """The column (1-based) where `text` first nests deeper than `limit`, or 0.

    Brackets inside strings do not count. Real records carry hundreds of brackets, most of them
    inside JSON-encoded string values, so the usual path never walks characters in Python:
    escaped backslashes and quotes are dropped, then everything but brackets and quotes, then
    the strings (the text between quote pairs), all with C string methods; innermost `[]`/`{}`
    pairs are then removed a layer per pass (a pair of height h goes in pass h), so a text is
    within the limit exactly when `limit` passes leave nothing. A text that is too deep, not
    balanced, or not ASCII-clean enough for that is walked character by character, for the
    column to report.
    """
    if isinstance(text, bytes):
        if text.count(b"[") + text.count(b"{") <= limit:
            return 0
        text = text.decode("utf-8", "replace")
    elif text.count("[") + text.count("{") <= limit:
        return 0
    kept = text.replace("\\\\", "").replace('\\"', "").translate(_BRACKETS_AND_QUOTES)
    pieces = kept.split('"')
    if len(pieces) % 2 == 0:  # a string that never closes: not JSON; the walk decides
        return _deepest_column(text, limit)
    brackets = _NON_BRACKET.sub("", "".join(pieces[::2]))
    for _ in range(limit):
        if not brackets:
            return 0
        shorter = _INNERMOST.sub("", brackets)
        if len(shorter) == len(brackets):
            break  # unbalanced or mismatched: the walk below decides
        brackets = shorter
    if not brackets:
        return 0
    return _deepest_column(text, limit)


_NON_BRACKET = re.compile(r"[^\[\]{}]+")  # non-ASCII characters the translation table leaves


def _deepest_column(text: str, limit: int) -> int:
    depth = 0
    in_string = escaped = False
    for index, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return index + 1
        elif ch in "]}":
            depth -= 1
    return 0


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)  # C speed; the Python loop runs only to name the culprit
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise JsonLineError(f"duplicate key {key!r}; each key appears once")
            seen.add(key)
    return result


def _constant(name: str) -> Any:
    raise JsonLineError(f"{name} is not JSON; write a number or a string")


def has_lone_surrogate(value: Any) -> bool:
    """Whether a string anywhere in `value` holds a surrogate code point."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def loads_line(line: str, *, strict: bool = True) -> Any:
    """One JSON value, or JsonLineError saying what is wrong and at which column.

    `strict` adds the checks a file failgate guards needs (duplicate keys,
    NaN/Infinity); readers of foreign exports (traces, recorded outputs) keep
    the depth, integer and surrogate checks only.
    """
    too_deep = nesting_depth(line)
    if too_deep:
        raise JsonLineError(_deep_message(), too_deep)
    try:
        if strict:
            value = json.loads(line, object_pairs_hook=_no_duplicates, parse_constant=_constant)
        else:
            value = json.loads(line)
    except JsonLineError:
        raise
    except RecursionError:  # pragma: no cover - nesting_depth stops it first
        raise JsonLineError(_deep_message(), _deepest_column(line, MAX_DEPTH)) from None
    except ValueError as exc:
        if "integer string conversion" in str(exc):  # Python's int-string limit, raised by the scanner
            raise JsonLineError(
                f"an integer of more than {MAX_INT_DIGITS} digits; at most {MAX_INT_DIGITS} are read"
            ) from None
        col = getattr(exc, "colno", 0)
        message = getattr(exc, "msg", str(exc))
        raise JsonLineError(f"not valid JSON: {message}", col) from None
    if SURROGATE_ESCAPE.search(line) and has_lone_surrogate(value):
        raise JsonLineError("a \\ud800-\\udfff escape that is not a surrogate pair; it is not valid Unicode")
    return value


def _deep_message() -> str:
    return f"nested more than {MAX_DEPTH} levels deep; failgate reads at most {MAX_DEPTH}"


def loads_or_none(line: str | bytes) -> Any:
    """What a tolerant reader (a history fold, a merge) uses: the value, or
    None for a line that is not JSON or is too deep to read safely. Lean: it
    runs on every line of a 100,000-line history and every JSON attribute of a trace."""
    if nesting_depth(line):
        return None
    try:
        return json.loads(line)
    except (ValueError, RecursionError):
        return None
