"""Three-way merge of `cases_removed.yaml`, the deletion ledger (docs/explanation/merge-drivers.md).

The ledger is hand-readable YAML with comments, so the merge works on the
file's text and never re-dumps YAML: the strict loader's node line numbers
split each version into a header (everything before the first entry), one
block of lines per entry of `removed:`, and a trailer (anything after the
list). Entries are keyed by `id` and merged exactly like history events
(`history.merge_fragments`): base entries must survive unchanged and in order
on each side, both sides' new entries are kept, ordered by `(removed_at, id)`
without reordering either side, and an entry both sides added identically
appears once. Header and trailer are merged as whole units: a change on one
side wins, different changes on both sides are a conflict.

Deliberate choices:
- the result is checked by loading it strictly; if it would not load, or its
  entries are not the merged ones, that is a conflict, never a broken file;
- new entries are re-indented to the base's list indentation (or the smaller
  of the sides' when the base has none), since YAML cannot mix them;
- an empty flow list (`removed: []`, what `init` writes) counts as an empty
  block list, so the first entries added on both sides merge cleanly;
- CRLF becomes LF and a byte-order mark is dropped, as for history.jsonl.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable

from failgate.merge.appendonly import canonical
from failgate.merge.history import Event, merge_fragments, pick3

LIST_KEY = "removed"


@dataclasses.dataclass
class LedgerMerge:
    clean: bool
    text: bytes  # the merged file, or the file with conflict markers
    conflicts: list[str] = dataclasses.field(default_factory=list)
    added: tuple[int, int] = (0, 0)


@dataclasses.dataclass
class Split:
    text: bytes  # the normalised file
    header: bytes
    entries: list[Event]  # raw = the entry's block of lines
    trailer: bytes
    indent: int | None  # column of the entries' dashes


class LedgerSplitError(Exception):
    pass


def _normalise(data: bytes) -> bytes:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    data = data.replace(b"\r\n", b"\n")
    return data if not data or data.endswith(b"\n") else data + b"\n"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_filler(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def split(data: bytes, name: str) -> Split:
    """Header, entry blocks and trailer of one version of the ledger."""
    from failgate.dataset.yamlstrict import YamlLoadError, load_yaml

    data = _normalise(data)
    text = data.decode("utf-8", "replace")
    if all(_is_filler(line) for line in text.split("\n")):
        return Split(data, data, [], b"", None)  # empty file (e.g. the base of an add/add)
    try:
        doc = load_yaml(data, name)
    except YamlLoadError as exc:
        raise LedgerSplitError(f"{name} is not valid YAML: {exc.finding.location.line}: {exc.message}") from None
    items = doc.data.get(LIST_KEY)
    extent = doc.extent([LIST_KEY])
    if extent is None or not isinstance(items, list):
        if items is None or items == []:
            return Split(data, data, [], b"", None)
        raise LedgerSplitError(f"{name}: `{LIST_KEY}` is not a list")
    start_line, start_col, end_line, end_col, flow, positions = extent
    lines = text.split("\n")[:-1]  # the text ends with "\n"
    if not items:
        # `removed: []` -> treat as `removed:` followed by no blocks.
        header_text = text[: doc.offset(start_line, start_col)].rstrip(" ") + text[doc.offset(end_line, end_col) :]
        return Split(data, header_text.encode(), [], b"", None)
    if flow:
        raise LedgerSplitError(f"{name} line {start_line + 1}: write `{LIST_KEY}` as a block list (- id: …)")
    dashes = []
    for item_line, _ in positions:
        line = item_line
        while line > 0 and not lines[line].lstrip().startswith("-"):
            line -= 1
        dashes.append(line)
    dash_col = _indent(lines[dashes[0]])
    # The last entry runs until a line at the list's own indentation or less
    # (the next top-level key), minus trailing comments and blank lines.
    end = dashes[-1] + 1
    while end < len(lines) and (_is_filler(lines[end]) or _indent(lines[end]) > dash_col):
        end += 1
    while end > dashes[-1] + 1 and _is_filler(lines[end - 1]):
        end -= 1
    bounds = [*dashes, end]
    entries = []
    for i, item_data in enumerate(items):
        block = "".join(line + "\n" for line in lines[bounds[i] : bounds[i + 1]])
        ident = item_data.get("id") if isinstance(item_data, dict) else None
        readable = isinstance(ident, str) and bool(ident)
        key: Hashable = ident if readable else ("raw", block)
        when = item_data.get("removed_at") if isinstance(item_data, dict) else None
        content = canonical(item_data)
        entries.append(Event(bounds[i] + 1, key, content, block.encode(), str(when or ""), readable))
    header = "".join(line + "\n" for line in lines[: dashes[0]])
    trailer = "".join(line + "\n" for line in lines[end:])
    return Split(data, header.encode(), entries, trailer.encode(), dash_col)


def _reindent(block: bytes, src: int, dst: int) -> bytes:
    if src == dst:
        return block
    out = []
    for line in block.split(b"\n"):
        if not line.strip():
            out.append(line)
        elif dst > src:
            out.append(b" " * (dst - src) + line)
        else:
            cut = min(src - dst, len(line) - len(line.lstrip(b" ")))
            out.append(line[cut:])
    return b"\n".join(out)


def _markers(base: bytes, ours: bytes, theirs: bytes, size: int) -> bytes:
    """Conflict markers around the lines that differ, like a text merge."""
    versions = [v.split(b"\n") for v in (ours, base, theirs)]
    head = 0
    while all(head < len(v) - 1 for v in versions) and len({v[head] for v in versions}) == 1:
        head += 1
    tail = 0
    while all(len(v) - 1 - tail > head for v in versions) and len({v[-2 - tail] for v in versions}) == 1:
        tail += 1

    def middle(v: list[bytes]) -> bytes:
        return b"".join(line + b"\n" for line in v[head : len(v) - 1 - tail])

    o, b, t = versions
    common_tail = b"".join(line + b"\n" for line in o[len(o) - 1 - tail : len(o) - 1])
    return (
        b"".join(line + b"\n" for line in o[:head])
        + b"<" * size
        + b" ours\n"
        + middle(o)
        + b"|" * size
        + b" base\n"
        + middle(b)
        + b"=" * size
        + b"\n"
        + middle(t)
        + b">" * size
        + b" theirs\n"
        + common_tail
    )


def merge_ledger(
    base: bytes, ours: bytes, theirs: bytes, *, path: str = "cases_removed.yaml", marker_size: int = 7
) -> LedgerMerge:
    """Merge three versions of the deletion ledger; pure, over bytes."""
    texts = (_normalise(base), _normalise(ours), _normalise(theirs))
    try:
        sb, so, st = (split(v, f"{name}") for v, name in zip(texts, ("base", "ours", "theirs")))
    except LedgerSplitError as exc:
        return LedgerMerge(False, _markers(*texts, marker_size), [str(exc)])
    # One list indentation for the result: the base's, else the smaller side's.
    target = (
        sb.indent if sb.indent is not None else min((s.indent for s in (so, st) if s.indent is not None), default=2)
    )
    for s in (sb, so, st):
        for entry in s.entries:
            entry.raw = _reindent(entry.raw, s.indent or 0, target)
    units, conflicts, added = merge_fragments(sb.entries, so.entries, st.entries, noun="entry")
    for part, values in (
        ("header", (sb.header, so.header, st.header)),
        ("trailer", (sb.trailer, so.trailer, st.trailer)),
    ):
        b, o, t = values
        if o != t and o != b and t != b:
            conflicts.append(
                f"both sides changed the ledger's {part} (the lines outside `{LIST_KEY}:` entries) differently"
            )
    if units is None or conflicts:
        return LedgerMerge(False, _markers(*texts, marker_size), conflicts, added)
    if not units:
        # No entries anywhere: the whole text is the unit (keeps `removed: []`).
        return LedgerMerge(True, pick3(*texts), [], added)
    header = pick3(sb.header, so.header, st.header)
    trailer = pick3(sb.trailer, so.trailer, st.trailer)
    result = header + b"".join(units) + trailer
    problem = _verify(result, [*sb.entries, *so.entries, *st.entries], len(units))
    if problem:
        return LedgerMerge(False, _markers(*texts, marker_size), [problem], added)
    return LedgerMerge(True, result, [], added)


def _verify(result: bytes, entries: list[Event], count: int) -> str | None:
    """The merged text must load strictly and hold exactly the merged entries."""
    try:
        merged = split(result, "merged")
    except LedgerSplitError as exc:
        return f"the merged ledger would not be valid ({exc}); resolve by hand"
    if len(merged.entries) != count:
        return f"the merged ledger would hold {len(merged.entries)} entries instead of {count}; resolve by hand"
    known = {(e.key, e.content) for e in entries}
    for entry in merged.entries:
        if (entry.key, entry.content) not in known:
            return f"merged entry {entry.label} came out different from every side; resolve by hand"
    return None
