"""A strict YAML reader for hand-written datasets.

PyYAML's SafeLoader is YAML 1.1: `no` becomes False, `2024-03-19` becomes a
date, a repeated key silently wins and an alias bomb expands on the first walk.
A failure dataset is edited by hand and reviewed in diffs, so failgate reads it
closer to YAML 1.2's core schema and refuses what a reviewer cannot see:

- duplicate keys are errors;
- only `true`/`false` are booleans and dates stay strings;
- anchors and aliases are refused (no billion laughs, no action at a distance);
- tabs, a byte-order mark, invalid UTF-8, an empty file, several documents,
  explicit tags and a non-mapping top level are errors;
- nesting deeper than `jsonstrict.MAX_DEPTH` and integers over Python's
  4,300-digit limit are refused with a finding, so no later walk can crash;
- a comment glued to a quoted scalar or a flow collection (`"v"# c`, `]#c`)
  is an error, as in YAML 1.2; libyaml silently drops the text.

Lines and columns are counted as git counts them: lines end at `\n` only (the
YAML 1.1 breaks LS and PS are characters inside a line), columns are
characters, not bytes. A raw NEL (U+0085) is refused: libyaml folds it into
a space inside quotes, silently another value; `\\N` writes it.

We compose with the C parser when PyYAML has it (about 4x faster) and build the
Python values ourselves from the node graph: one walk that constructs, checks
keys and detects shared (aliased) nodes, keeping every node so that any finding
can point at `file:line:col`.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from typing import Any

import yaml

from failgate.collector import paused
from failgate.dataset.jsonstrict import MAX_DEPTH, MAX_INT_DIGITS
from failgate.dataset.positions import ContainerMarks, KeyPositions
from failgate.exit_codes import PROBLEM
from failgate.findings import FailgateError, Finding, Location

try:  # pragma: no branch - depends on how PyYAML was built
    # where PyYAML 6 keeps libyaml's parser (`yaml.cyaml` imports it from there)
    from yaml._yaml import CParser

    HAS_C_PARSER = True
except ImportError:  # pragma: no cover
    HAS_C_PARSER = False

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
SEQ = "tag:yaml.org,2002:seq"
MAP = "tag:yaml.org,2002:map"


class StrictResolver(yaml.resolver.BaseResolver):
    """Implicit types of YAML 1.2's core schema, nothing more."""


# Patterns follow https://yaml.org/spec/1.2.2/#1032-tag-resolution
StrictResolver.add_implicit_resolver(BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
StrictResolver.add_implicit_resolver(NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
StrictResolver.add_implicit_resolver(
    INT, re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
StrictResolver.add_implicit_resolver(
    FLOAT,
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


if HAS_C_PARSER:

    class _Composer(CParser, StrictResolver):
        def __init__(self, stream: bytes | str) -> None:
            CParser.__init__(self, stream)
            StrictResolver.__init__(self)

else:  # pragma: no cover
    # mypy sees both branches; only one class is ever defined
    class _Composer(  # type: ignore[no-redef]
        yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, yaml.composer.Composer, StrictResolver
    ):
        def __init__(self, stream: bytes | str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            yaml.composer.Composer.__init__(self)
            StrictResolver.__init__(self)


class YamlLoadError(FailgateError):
    """The file cannot be read as strict YAML; `finding` says where and why."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(str(finding.message), exit_code=PROBLEM, findings=[finding])
        self.finding = finding


def _error(path: str, code: str, message: str, line: int = 0, col: int = 0) -> YamlLoadError:
    return YamlLoadError(Finding(code, message, Location(path, line, col)))


# Positions recorded while building, per container (`dataset.positions`): (line,
# col, children, flow style, end line, end col), where children is, for a mapping,
# key -> (key line, key col, value line, value col), for a sequence one (line, col)
# per item; all 0-based. The end is where the next token starts, as for nodes.
_Marks = dict[int, ContainerMarks]


class YamlDocument:
    """Parsed data, its text, and where every value is written.

    Locations come from positions recorded while the data was built. The full
    node tree (`root`), which text edits need, is composed on first use only:
    creating a node and two marks per value is what made loading slow, and
    `validate` never needs them.
    """

    def __init__(
        self,
        path: str,
        data: Any,
        text: str,
        marks: _Marks | None = None,
        findings: list[Finding] | None = None,
        root: yaml.Node | None = None,
    ) -> None:
        self.path = path
        self.data = data
        self.text = text
        self.marks: _Marks = marks or {}
        # Non-fatal findings (duplicate keys) when loaded with collect=True.
        self.findings: list[Finding] = findings or []
        self._root = root

    @property
    def root(self) -> yaml.Node:
        if self._root is None:
            self._root = compose(self.text, self.path)
        return self._root

    def node_at(self, json_path: Sequence[str | int]) -> tuple[yaml.Node, bool]:
        """Follow `json_path` down the node tree as far as it goes.

        Returns the deepest node reached and whether the whole path resolved.
        """
        node = self.root
        for part in json_path:
            child = _child(node, part)
            if child is None:
                return node, False
            node = child
        return node, True

    def _walk(self, json_path: Sequence[str | int]) -> tuple[Any, int, int, bool]:
        value = self.data
        line, col = self.marks[id(value)][:2] if id(value) in self.marks else (0, 0)
        for part in json_path:
            entry = self.marks.get(id(value))
            if entry is None:
                return value, line, col, False
            children = entry[2]
            if isinstance(value, dict) and part in value and part in children:
                line, col = children[part][2:]
            elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
                line, col = children[part]
            else:
                return value, line, col, False
            value = value[part]
        return value, line, col, True

    def extent(self, json_path: Sequence[str | int]) -> tuple[int, int, int, int, bool, list[Any]] | None:
        """Where the mapping or sequence at `json_path` starts and ends (0-based
        line, col each), whether it is in flow style, and its children's
        positions; None when the path does not lead to a container."""
        value, _, _, found = self._walk(json_path)
        entry = self.marks.get(id(value)) if found and isinstance(value, (dict, list)) else None
        if entry is None:
            return None
        line, col, children, flow, end_line, end_col = entry
        return (
            line,
            col,
            end_line,
            end_col,
            flow,
            list(children.values() if isinstance(children, KeyPositions) else children),
        )

    def offset(self, line: int, col: int) -> int:
        """The character index of a 0-based (line, col) in `text`."""
        index = 0
        for _ in range(line):
            found = self.text.find("\n", index)
            if found < 0:
                return len(self.text)
            index = found + 1
        return index + col

    def locate(self, json_path: Sequence[str | int]) -> Location:
        """Where the value at `json_path` is written (or the deepest part of it that exists)."""
        _, line, col, _ = self._walk(json_path)
        return Location(self.path, line + 1, col + 1)

    def locate_key(self, json_path: Sequence[str | int], key: str) -> Location:
        """Where the key `key` of the mapping at `json_path` is written."""
        value, line, col, found = self._walk(json_path)
        entry = self.marks.get(id(value))
        if found and isinstance(value, dict) and entry is not None and key in entry[2]:
            key_line, key_col = entry[2][key][:2]
            return Location(self.path, key_line + 1, key_col + 1)
        return Location(self.path, line + 1, col + 1)


def _child(node: yaml.Node, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == part or (isinstance(part, int) and key_node.value == str(part)):
                return value_node
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        if 0 <= part < len(node.value):
            return node.value[part]
    return None


def decode(data: bytes, path: str) -> str:
    """UTF-8 without a byte-order mark, or a finding that says where it breaks."""
    if data.startswith(b"\xef\xbb\xbf"):
        raise _error(path, "BOM", "file starts with a UTF-8 byte-order mark; save it as UTF-8 without BOM", 1, 1)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _error(path, "ENCODING", "file is UTF-16; save it as UTF-8", 1, 1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        line_start = before.rfind(b"\n") + 1
        col = len(data[line_start : exc.start].decode("utf-8", "replace")) + 1  # characters, not bytes
        raise _error(
            path, "ENCODING", f"invalid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8", line, col
        ) from None


def _unclosed_quote_line(text: str, first: int, last: int) -> tuple[int, int] | None:
    """A line in [first, last] (0-based) that opens a double quote it never closes.

    A quoted scalar may legally span lines, so PyYAML reports an unclosed quote
    far below it, where the parse finally breaks. Hand-written datasets almost
    never continue a quoted string on the next line, so point at the opener.
    """
    lines = text.split("\n")
    for number in range(max(first, 0), min(last, len(lines) - 1) + 1):
        line = lines[number]
        body = line.split(" #")[0] if '"' not in line.split(" #")[0][:1] else line
        quotes = [i for i, ch in enumerate(body) if ch == '"' and (i == 0 or body[i - 1] != "\\")]
        if len(quotes) % 2 == 1 and "'" not in body[: quotes[0]]:
            return number, quotes[-1]
    return None


class _GitMark:
    """A libyaml mark re-counted by git's lines (`\n` only, characters)."""

    def __init__(self, text: str, mark: Any) -> None:
        self.index = getattr(mark, "index", None)
        self.line, self.column = _mark_position(text, mark)

    @classmethod
    def at(cls, text: str, index: int) -> _GitMark:
        mark = cls.__new__(cls)
        mark.index = index
        mark.line, mark.column = _index_position(text, index)
        return mark


def _last_content(text: str, index: int) -> int | None:
    """The index just after the last non-blank, non-comment text before
    `index`, when only blank lines and comments lie between; else None."""
    before = text[:index]
    stripped = before.rstrip()
    tail = before[len(stripped) :]
    lines = stripped.split("\n")
    while lines and lines[-1].lstrip().startswith("#"):
        lines.pop()
        tail = "\n"
    if "\n" not in tail or not lines or text[index:].split("\n", 1)[0].strip():
        return None
    return len("\n".join(lines))


def _syntax_error(path: str, exc: yaml.MarkedYAMLError, text: str = "") -> YamlLoadError:
    problem = exc.problem or "invalid YAML"
    mark: Any = exc.problem_mark
    context_mark: Any = exc.context_mark
    if text:
        mark = _GitMark(text, mark) if mark is not None else None
        context_mark = _GitMark(text, context_mark) if context_mark is not None else None
        if mark is not None and mark.index is not None:
            # libyaml notices a missing `]` or value only at the next token,
            # often lines further down; the problem is where the text stopped.
            end = _last_content(text, mark.index)
            if end is not None:
                mark = _GitMark.at(text, end)
                if context_mark is not None and context_mark.line > mark.line:
                    context_mark = None  # libyaml's context mark is past the end too
                if context_mark is None or context_mark.line != mark.line:
                    problem += " (the text stops here)"
    if "'\\t'" in problem or "\\t" in problem or "\t" in problem:
        if mark is not None:
            return _error(
                path, "TAB", "tab character in indentation; YAML allows only spaces", mark.line + 1, mark.column + 1
            )
    message = problem
    if exc.context:
        message = f"{exc.context}: {problem}" if problem else exc.context
    if context_mark is not None and "end of stream" in problem:
        # An unclosed quote or bracket: the place it was opened is what to fix.
        mark = context_mark
        message = f"{exc.context} that is never closed"
    elif context_mark is not None and mark is not None and context_mark.line != mark.line:
        message += f" (started at line {context_mark.line + 1})"
    if mark is None:
        return _error(path, "YAML_SYNTAX", message)
    if text and context_mark is not None and mark.line > context_mark.line:
        opener = _unclosed_quote_line(text, context_mark.line, mark.line)
        if opener is not None:
            return _error(
                path,
                "YAML_SYNTAX",
                f"unclosed double quote (the parse breaks at line {mark.line + 1}: {problem})",
                opener[0] + 1,
                opener[1] + 1,
            )
    return _error(path, "YAML_SYNTAX", message, mark.line + 1, mark.column + 1)


def compose(text: str, path: str) -> yaml.Node:
    """The node tree of a text that `load_yaml_text` already accepted.

    Text edits need nodes (flow style, exact end marks); everything that could
    go wrong was reported when the text was first loaded.
    """
    loader = _Composer(text)
    try:
        root = loader.get_single_node()
    finally:
        loader.dispose()
    if root is None:  # pragma: no cover - load_yaml_text refuses empty files
        raise _error(path, "EMPTY", "file is empty; expected a YAML mapping", 1, 1)
    return root


_PLAIN_RESOLVERS = StrictResolver.yaml_implicit_resolvers


def resolve_plain(value: str) -> Any:
    """What the strict loader makes of `value` written as a plain (unquoted) scalar."""
    for tag, regexp in _PLAIN_RESOLVERS.get(value[:1] if value else "", ()):
        if regexp.match(value):
            return _convert(tag, value)
    return value


def _convert(tag: str, value: str) -> Any:
    if tag == BOOL:
        return value.lower() == "true"
    if tag == NULL:
        return None
    if tag == INT:
        if len(value) > MAX_INT_DIGITS:
            raise _NumberTooLong(value)
        if value.startswith("0o"):
            return int(value[2:], 8)
        if value.startswith("0x"):
            return int(value[2:], 16)
        return int(value)
    lowered = value.lower()  # FLOAT
    if lowered.endswith("inf"):
        return float("-inf") if lowered.startswith("-") else float("inf")
    if lowered.endswith("nan"):
        return float("nan")
    return float(value)


_NO_KEY = object()


class _NumberTooLong(ValueError):
    pass


def _line_starts(text: str, breaks: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer(breaks, text)]


# What libyaml counts as a line break (YAML 1.1), and what git does.
_YAML11_BREAKS = "\r\n|[\r\n\x85\u2028\u2029]"
_EXTRA_BREAKS = re.compile("[\r\x85\u2028\u2029]")
_GLUED_COMMENT = re.compile("[\"'\\]}]#")


class _Positions:
    """Maps libyaml's (line, col) to git's, for texts where they differ (a
    NEL, LS, PS or lone CR in the text). Built only for those texts."""

    def __init__(self, text: str) -> None:
        self.yaml_starts = _line_starts(text, _YAML11_BREAKS)
        self.git_starts = _line_starts(text, "\n")

    def index(self, line: int, col: int) -> int:
        return self.yaml_starts[min(line, len(self.yaml_starts) - 1)] + col

    def from_index(self, index: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.git_starts, index) - 1
        return line, index - self.git_starts[line]

    def convert(self, line: int, col: int) -> tuple[int, int]:
        return self.from_index(self.index(line, col))


def _remap(marks: _Marks, positions: _Positions) -> None:
    conv = positions.convert
    for entry in marks.values():
        entry.remap(conv)


def _index_position(text: str, index: int) -> tuple[int, int]:
    """0-based (line, col) of a character index, lines split at `\n` only."""
    index = max(0, min(index, len(text)))
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index), index - line_start


def _mark_position(text: str, mark: Any) -> tuple[int, int]:
    if text and getattr(mark, "index", None) is not None:
        return _index_position(text, mark.index)
    return mark.line, mark.column


class _EventBuilder:
    """Builds Python values straight from parser events, recording positions.

    One pass, no node objects: duplicate keys, aliases, anchors, merge keys
    and explicit tags are refused as they stream by, each at its own mark.
    """

    def __init__(self, path: str, collect: bool, text: str = "") -> None:
        self.path = path
        self.collect = collect
        self.text = text
        self.findings: list[Finding] = []
        self.marks: _Marks = {}
        self.positions = _Positions(text) if text and _EXTRA_BREAKS.search(text) else None

    def fail(self, code: str, message: str, mark: Any) -> YamlLoadError:
        line, col = _mark_position(self.text, mark)
        return _error(self.path, code, message, line + 1, col + 1)

    def at(self, position: tuple[int, int]) -> tuple[int, int]:
        """1-based git (line, col) of a recorded libyaml position."""
        line, col = self.positions.convert(*position) if self.positions else position
        return line + 1, col + 1

    def build(self, parser: Any) -> Any:
        # The hot loop of every command that reads the dataset: scalars first,
        # locals for everything, no per-event allocation beyond the value and
        # its position tuple.
        get_event = parser.get_event
        ScalarEvent, MappingStartEvent, SequenceStartEvent = (
            yaml.ScalarEvent,
            yaml.MappingStartEvent,
            yaml.SequenceStartEvent,
        )
        MappingEndEvent, SequenceEndEvent, AliasEvent = yaml.MappingEndEvent, yaml.SequenceEndEvent, yaml.AliasEvent
        DocumentStartEvent, StreamEndEvent = yaml.DocumentStartEvent, yaml.StreamEndEvent
        allowed_tags = (None, "!", STR, MAP, SEQ)
        marks = self.marks
        text = self.text
        # Only texts that hold `"#`, `]#`... can have a comment glued to a
        # quoted scalar or a flow collection; the others skip the check.
        glued = bool(text) and _GLUED_COMMENT.search(text) is not None
        # Frame: [container, children, pending key, pending key position]
        stack: list[list[Any]] = []
        frame: list[Any] | None = None
        result: Any = _NO_KEY
        documents = 0
        while True:
            event = get_event()
            kind = type(event)
            if kind is ScalarEvent:
                if event.anchor is not None or event.tag not in allowed_tags:
                    self._refuse(event)
                mark = event.start_mark
                position = (mark.line, mark.column)
                if event.tag is None and event.implicit[0]:
                    try:
                        value = resolve_plain(event.value)
                    except _NumberTooLong:
                        raise self.fail(
                            "NUMBER",
                            f"a number of {len(event.value)} digits; at most {MAX_INT_DIGITS} "
                            "are read (quote it if it is text)",
                            mark,
                        ) from None
                    if value == "<<" and frame is not None and frame[2] is _NO_KEY and type(frame[0]) is dict:
                        raise self.fail("ALIAS", "merge keys (<<) are not allowed; write the keys out", mark)
                else:
                    value = event.value
                    if (
                        glued
                        and event.style in ('"', "'")
                        and text[event.end_mark.index : event.end_mark.index + 1] == "#"
                    ):
                        raise self.fail(
                            "YAML_SYNTAX",
                            "a comment needs a space before '#'; after a quoted value "
                            "the text would be silently dropped",
                            event.end_mark,
                        )
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                value, flat = stack.pop()[:2]
                frame = stack[-1] if stack else None
                position = (flat[0], flat[1])
                end = event.end_mark
                flat[3] = end.line
                flat[4] = end.column
                # The positions gathered as a flat list while the container was open, packed now.
                marks[id(value)] = ContainerMarks(tuple(value) if kind is MappingEndEvent else None, flat)
                if glued and flat[2] and text[end.index : end.index + 1] == "#":
                    raise self.fail(
                        "YAML_SYNTAX",
                        "a comment needs a space before '#'; after a closing bracket "
                        "the text would be silently dropped",
                        end,
                    )
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                if event.anchor is not None or event.tag not in allowed_tags:
                    self._refuse(event)
                mark = event.start_mark
                if len(stack) >= MAX_DEPTH:
                    raise self.fail(
                        "TOO_DEEP",
                        f"nested more than {MAX_DEPTH} levels deep; failgate reads at most {MAX_DEPTH}",
                        mark,
                    )
                container: Any = {} if kind is MappingStartEvent else []
                # line, col, flow, end line, end col (set at the end), then the children's
                frame = [container, [mark.line, mark.column, 1 if event.flow_style else 0, 0, 0], _NO_KEY, None]
                stack.append(frame)
                continue
            elif kind is AliasEvent:
                raise self.fail(
                    "ALIAS", f"aliases (*{event.anchor}) are not allowed; write the value out", event.start_mark
                )
            elif kind is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise self.fail(
                        "MULTI_DOCUMENT", "file holds several YAML documents; expected one", event.start_mark
                    )
                continue
            elif kind is StreamEndEvent:
                break
            else:
                continue  # StreamStart, DocumentEnd
            if frame is None:
                result = value
                continue
            parent = frame[0]
            if type(parent) is list:
                parent.append(value)
                frame[1] += position
                continue
            if frame[2] is _NO_KEY:
                if isinstance(value, (dict, list)):
                    raise _error(self.path, "KEY_TYPE", "mapping keys must be plain scalars", *self.at(position))
                frame[2] = value
                frame[3] = position
                continue
            key = frame[2]
            frame[2] = _NO_KEY
            if key in parent or (key != key and any(k != k for k in parent)):
                self._same_key(parent, key, frame[1], frame[3])
                continue
            parent[key] = value
            children = frame[1]
            children += frame[3]
            children += position
        if self.positions is not None:
            _remap(marks, self.positions)
        return None if result is _NO_KEY else result

    def _refuse(self, event: Any) -> None:
        if event.anchor is not None:
            raise self.fail(
                "ALIAS", f"anchors (&{event.anchor}) are not allowed; write the value out", event.start_mark
            )
        raise self.fail("TAG", f"explicit tag {event.tag!r} is not allowed; quote the value instead", event.start_mark)

    def _same_key(self, parent: dict[Any, Any], key: Any, children: list[int], position: tuple[int, int]) -> None:
        """`key` collides with a key of `parent`. The same YAML value twice
        (`.nan` twice included) is a duplicate; `1` and `true`, or `1` and
        `1.0`, are different YAML keys that one Python mapping cannot hold."""
        if key != key:  # NaN: never equal to itself, the same key all the same
            first = next(k for k in parent if k != k)
        else:
            first = next(k for k in parent if k == key)
        if type(first) is not type(key):
            raise _error(
                self.path,
                "KEY_TYPE",
                f"keys {first!r} and {key!r} are different YAML keys but the same key once loaded; quote them",
                *self.at(position),
            )
        # `children` is still the open mapping's flat list: a header of five integers
        # (dataset.positions), then four per key, in key order.
        self._duplicate(key, children[5 + 4 * list(parent).index(first)], position)

    def _duplicate(self, key: Any, first_line: int, position: tuple[int, int]) -> None:
        first_line = self.at((first_line, 0))[0]
        error = _error(
            self.path,
            "DUPLICATE_KEY",
            f"duplicate key {key!r} (first defined at line {first_line})",
            *self.at(position),
        )
        if not self.collect:
            raise error
        # Keep the first value and go on, so one run reports this and every
        # schema error after it.
        self.findings.append(error.finding)


def _is_blank(text: str) -> bool:
    return not text.strip() or all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines())


def load_yaml_text(text: str, path: str, *, collect: bool = False) -> YamlDocument:
    """Parse strictly. With `collect`, a duplicate key is recorded in
    `findings` (the first value kept) instead of raised."""
    if "\t" in text:
        # PyYAML accepts tabs inside some flow contexts and reports others
        # obscurely; a tab at the start of a line's indentation is the
        # common mistake, so name it directly.
        for lineno, line in enumerate(text.split("\n"), 1):
            stripped = line.lstrip(" ")
            if stripped.startswith("\t"):
                raise _error(
                    path,
                    "TAB",
                    "tab character in indentation; YAML allows only spaces",
                    lineno,
                    len(line) - len(stripped) + 1,
                )
    if _is_blank(text):
        raise _error(path, "EMPTY", "file is empty; expected a YAML mapping", 1, 1)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:  # a str from elsewhere than `decode`
            row, column = _index_position(text, exc.start)
            raise _error(
                path,
                "ENCODING",
                f"lone surrogate U+{ord(text[exc.start]):04X} is not valid Unicode",
                row + 1,
                column + 1,
            ) from None
    nel = text.find("\x85")
    if nel >= 0:
        # libyaml (YAML 1.1) reads NEL as a line break: inside quotes it
        # silently becomes a space, elsewhere it splits the value.
        row, column = _index_position(text, nel)
        raise _error(
            path,
            "ENCODING",
            "U+0085 (NEL) is read as a line break by the YAML parser; write it as \\N inside double quotes",
            row + 1,
            column + 1,
        )
    builder = _EventBuilder(path, collect, text)
    parser = None
    try:
        parser = _Composer(text)
        with paused():  # a million long-lived, acyclic containers at 10,000 cases (failgate.collector)
            data = builder.build(parser)
    except yaml.MarkedYAMLError as exc:
        error = _syntax_error(path, exc, text)
        extra = _EXTRA_BREAKS.search(text)
        if extra is not None and extra.group() != "\r":
            # libyaml (YAML 1.1) breaks lines at NEL, LS and PS; outside a
            # double-quoted string that splits the value and the parse fails.
            row, column = _index_position(text, extra.start())
            finding = error.finding
            error = YamlLoadError(
                Finding(
                    finding.code,
                    f"{finding.message} (U+{ord(extra.group()):04X} at line "
                    f"{row + 1}, column {column + 1}, is a line break for the YAML parser; write it "
                    f"as \\u{ord(extra.group()):04x} inside double quotes)",
                    finding.location,
                )
            )
        raise error from None
    except yaml.reader.ReaderError as exc:
        position = exc.position
        if HAS_C_PARSER:  # libyaml reads UTF-8 bytes: its offset counts bytes
            position = len(text.encode("utf-8")[:position].decode("utf-8", "ignore"))
        row, col = _index_position(text, position)
        character = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        raise _error(
            path, "ENCODING", f"control character U+{character:04X} is not allowed in YAML", row + 1, col + 1
        ) from None
    finally:
        if parser is not None:
            parser.dispose()
    return YamlDocument(path=path, data=data, text=text, marks=builder.marks, findings=builder.findings)


def load_yaml(data: bytes, path: str, *, expect_mapping: bool = True, collect: bool = False) -> YamlDocument:
    """Decode and parse one file strictly; raises YamlLoadError with a finding."""
    text = decode(data, path)
    doc = load_yaml_text(text, path, collect=collect)
    if expect_mapping and not isinstance(doc.data, dict):
        kind = type(doc.data).__name__
        kind = {"list": "a list", "str": "a string", "int": "a number", "float": "a number", "bool": "a boolean"}.get(
            kind, kind
        )
        raise _error(
            path,
            "NOT_MAPPING",
            f"top level is {kind}; expected a mapping with a header and entries",
            doc.locate([]).line,
            doc.locate([]).col,
        )
    return doc
