"""Three-way merge of `cases.yaml`, case by case, over the file's text (docs/explanation/merge-drivers.md).

Each version is split (with the strict loader's node marks) into header
units (the text above each top-level key: its comments, then the key with its
value), one block per case keyed by `id` (its `- ` item plus the comment lines
directly above it), and a trailer. `keyed.merge_units` merges header units and
cases by the three-way rule per key; nothing is re-dumped, every byte of the
result comes from one of the three versions.

Rules beyond the per-key table in `keyed`:
- **id collision**: one new id, two different cases (different `input`) is a
  conflict that names the id, both titles and the fix (`failgate renumber`);
  the same case added on both sides with different text is a plain conflict;
- **taxonomy** (`schema_version` + `failure_modes`): a change on one side, or
  the same change on both, is taken. Different changes on both sides are a
  conflict, even when both only *added* modes: the ledger check accepts a mode
  only with a version bump and `added_in` equal to the new version, judged
  against each parent of the merge commit. Two modes added in version 2 on two
  branches have no automatic union that passes against both parents (one of
  them must become `added_in: 3`), so a person decides which is added first.
  "Compatible" therefore means: changes in different header units (a comment
  on one side, a mode on the other), which merge cleanly;
- blank lines between cases follow the file's rhythm, so a case appended after
  the last one on one side does not count as an edit of that last case;
- conflicts stay confined: markers (of git's `%L` size) go inside the
  conflicting case's block or header unit, the rest of the file is merged;
- the clean result is read back strictly and must hold exactly the merged
  cases and taxonomy; anything else is a whole-file conflict, never a broken
  file. CRLF becomes LF and a byte-order mark is dropped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable
from typing import Any

from failgate.dataset.model import case_number
from failgate.findings import FailgateError
from failgate.merge.appendonly import canonical
from failgate.merge.counts import add_regressed_counts
from failgate.merge.keyed import Piece, Problem, Unit, merge_units, pick3

LIST_KEY = "cases"
TAXONOMY_KEYS = ("schema_version", "failure_modes")
FIX_COMMAND = "failgate renumber"


@dataclasses.dataclass
class Collision:
    case_id: str
    ours_title: str
    theirs_title: str


@dataclasses.dataclass
class CasesMerge:
    clean: bool
    text: bytes  # the merged file, or the file with conflict markers
    conflicts: list[str] = dataclasses.field(default_factory=list)
    collisions: list[Collision] = dataclasses.field(default_factory=list)
    added: tuple[int, int] = (0, 0)  # cases only ours / only theirs added


@dataclasses.dataclass
class Split:
    header: list[Unit]
    cases: list[Unit]
    trailer: str
    indent: int | None  # column of the cases' dashes
    data: dict[str, Any]


class SplitError(Exception):
    pass


def normalise(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text = data.decode("utf-8", "replace").replace("\r\n", "\n")
    return text if not text or text.endswith("\n") else text + "\n"


def _filler(line: str) -> bool:
    return not line.strip() or line.strip().startswith("#")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _join(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def _case_order(case_id: str) -> tuple[int, str]:
    number = case_number(case_id)
    return (number if number is not None else 1 << 62, case_id)


def split(text: str, name: str) -> Split:
    """Header units, case blocks and trailer of one normalised version."""
    from failgate.dataset.casefile import entry_blocks
    from failgate.dataset.yamlstrict import load_yaml_text

    if all(_filler(line) for line in text.split("\n")):
        return Split([], [], text, None, {})  # no file at the base of an add/add
    try:
        doc = load_yaml_text(text, name)
        if not isinstance(doc.data, dict):
            raise SplitError(f"{name}: the top level is not a mapping")
        extent = doc.extent([LIST_KEY])
        if extent is not None and extent[4] and doc.data.get(LIST_KEY) == []:
            # `cases: []` (what init writes) is an empty block list: lets the
            # first cases added on both sides merge like any others.
            start_line, start_col, end_line, end_col = extent[:4]
            text = text[: doc.offset(start_line, start_col)].rstrip(" ") + text[doc.offset(end_line, end_col) :]
            doc = load_yaml_text(text, name)
        blocks = entry_blocks(doc, LIST_KEY)
    except FailgateError as exc:
        raise SplitError(f"{name}: {exc.message}") from None
    lines = text.split("\n")[:-1]
    keys = sorted((int(position[0]), str(k)) for k, position in doc.marks[id(doc.data)][2].items())
    list_line = next((line for line, key in keys if key == LIST_KEY), -1)
    starts = [b.start for b in blocks]
    if starts:
        # entry_blocks leaves the first case's comment above it in the header;
        # it belongs to the case, as it does for every later one.
        while starts[0] - 1 > list_line and lines[starts[0] - 1].strip().startswith("#"):
            starts[0] -= 1
    header_end = starts[0] if blocks else len(lines)
    items = doc.data.get(LIST_KEY) if blocks else []
    cases: list[Unit] = []
    dashes: list[int] = []
    for i, block in enumerate(blocks):
        body = lines[starts[i] : block.end]
        trail = 0
        while body and not body[-1].strip():
            body.pop()
            trail += 1
        data = items[i] if isinstance(items, list) and i < len(items) else None
        ident = block.entry_id
        key: Hashable = ident if ident else ("raw", _join(body))
        label = ident or f"(the case at line {block.item_start + 1}, which has no id)"
        last = i == len(blocks) - 1
        cases.append(Unit(key, _join(body), None if last else trail, _case_order(ident or ""), label, data))
        dashes.append(_indent(lines[block.item_start]))
    trailer = _join(lines[blocks[-1].end :]) if blocks else ""
    header = _header_units(lines[:header_end], [(line, key) for line, key in keys if line < header_end], doc.data)
    return Split(header, cases, trailer, min(dashes) if dashes else None, doc.data)


def _header_units(lines: list[str], keys: list[tuple[int, str]], data: dict[str, Any]) -> list[Unit]:
    """The header as units: the top comment, then per key its comments and its body."""
    units: list[Unit] = []
    bounds: list[tuple[int, int, str]] = []  # (lead start, key line, key)
    previous = 0
    for line, key in keys:
        lead = line
        while lead - 1 >= previous and lines[lead - 1].strip().startswith("#"):
            lead -= 1
        bounds.append((lead, line, key))
        previous = line + 1
    first = bounds[0][0] if bounds else len(lines)
    if first:
        units.append(Unit(("top",), _join(lines[:first]), 0, (0, ""), "the comments at the top", None))
    for index, (lead, line, key) in enumerate(bounds):
        end = bounds[index + 1][0] if index + 1 < len(bounds) else len(lines)
        if lead < line:
            units.append(Unit(("lead", key), _join(lines[lead:line]), 0, (1, key), f"the comment above `{key}:`", None))
        units.append(Unit(("body", key), _join(lines[line:end]), 0, (1, key), f"`{key}:`", data.get(key)))
    return units


def _reindent(text: str, src: int, dst: int) -> str:
    if src == dst:
        return text
    out = []
    for line in text.split("\n"):
        if not line.strip():
            out.append(line)
        elif dst > src:
            out.append(" " * (dst - src) + line)
        else:
            out.append(line[min(src - dst, _indent(line)) :])
    return "\n".join(out)


def markers(base: str, ours: str, theirs: str, size: int, *, trim: bool = True) -> str:
    """Conflict markers around the lines that differ (all of them without `trim`)."""
    versions = [v.split("\n")[:-1] if v else [] for v in (ours, base, theirs)]
    head = tail = 0
    if trim:
        while all(head < len(v) for v in versions) and len({v[head] for v in versions}) == 1:
            head += 1
        while all(len(v) - tail > head for v in versions) and len({v[-1 - tail] for v in versions}) == 1:
            tail += 1
    o, b, t = versions
    return (
        _join(o[:head])
        + "<" * size
        + " ours\n"
        + _join(o[head : len(o) - tail])
        + "|" * size
        + " base\n"
        + _join(b[head : len(b) - tail])
        + "=" * size
        + "\n"
        + _join(t[head : len(t) - tail])
        + ">" * size
        + " theirs\n"
        + _join(o[len(o) - tail :])
    )


def _taxonomy(data: dict[str, Any]) -> str:
    return canonical([data.get(k) for k in TAXONOMY_KEYS])


def _title(unit: Unit | None) -> str:
    data = unit.data if unit is not None and isinstance(unit.data, dict) else {}
    return str(data.get("title") or "(no title)")


def _same_case(o: Unit, t: Unit) -> bool:
    # One case promoted on both sides (a cherry-pick, then edited) has one input.
    a, b = (u.data if isinstance(u.data, dict) else {} for u in (o, t))
    return "input" in a and canonical(a.get("input")) == canonical(b.get("input"))


def is_collision(problem: Problem) -> bool:
    """The same new id on two different cases (not one case added twice)."""
    _, o, t = problem.units
    return (
        problem.kind == "add-add"
        and isinstance(problem.key, str)
        and o is not None
        and t is not None
        and not _same_case(o, t)
    )


def _describe(problem: Problem, path: str) -> str:
    b, o, t = problem.units
    what = problem.label
    if problem.kind == "edit":
        return f"{what} was changed differently on both sides; the conflict markers are inside its block"
    if problem.kind == "delete-edit":
        gone, kept = ("ours", "theirs") if o is None else ("theirs", "ours")
        return (
            f"{what} was removed in {gone} (moved to the deletion ledger) but edited in {kept}: delete its block "
            "to keep the removal, or keep the edit and drop its new ledger entry"
        )
    if is_collision(problem):
        return (
            f'id collision: {what} was given to two different cases, ours "{_title(o)}" and theirs '
            f'"{_title(t)}". Ids are never reused, so one case needs a new id: run `{FIX_COMMAND}` (it gives '
            "theirs' case the next free id, rewrites its history.jsonl events and stages both files), "
            "then `git commit`"
        )
    if problem.kind == "add-add":
        return f"{what} was added on both sides with different text; keep one version"
    if problem.kind == "taxonomy":
        return (
            f"both sides changed the taxonomy ({what}) differently. A failure mode is added with its own "
            "schema_version bump (added_in = the new version), which the ledger check verifies against each "
            "side, so there is no automatic union: keep one side's change, and re-add the other's modes with "
            "the next schema_version on top"
        )
    if problem.kind == "order":
        return "both sides reordered the cases differently"
    return f"both sides changed {what} differently"


def _render_piece(piece: Piece, size: int) -> str:
    if piece.problem is None:
        return piece.text
    b, o, t = (u.text if u is not None else "" for u in piece.problem.units)
    return markers(b, o, t, size, trim=piece.problem.kind not in ("add-add", "delete-edit"))


def merge_cases(
    base: bytes, ours: bytes, theirs: bytes, *, path: str = "cases.yaml", marker_size: int = 7
) -> CasesMerge:
    """Merge three versions of cases.yaml; pure, over bytes."""
    if ours == theirs or theirs == base:
        return CasesMerge(True, ours)
    if ours == base:
        return CasesMerge(True, theirs)
    texts = (normalise(base), normalise(ours), normalise(theirs))
    try:
        sb, so, st = (split(v, name) for v, name in zip(texts, ("base", "ours", "theirs")))
    except SplitError as exc:
        return _whole_conflict(texts, marker_size, [f"{exc}; resolve by hand"])
    dupes = []
    for name, s in (("base", sb), ("ours", so), ("theirs", st)):
        seen: set[Hashable] = set()
        for unit in s.cases:
            if unit.key in seen:
                dupes.append(f"{name} has {unit.label} twice")
            seen.add(unit.key)
    if dupes:
        return _whole_conflict(texts, marker_size, dupes)
    target = (
        sb.indent if sb.indent is not None else min((s.indent for s in (so, st) if s.indent is not None), default=2)
    )
    for s in (sb, so, st):
        for unit in s.cases:
            unit.text = _reindent(unit.text, s.indent or 0, target)

    add_regressed_counts(sb.cases, so.cases, st.cases)
    header, header_problems = merge_units(sb.header, so.header, st.header)
    tax = [_taxonomy(s.data) for s in (sb, so, st)]
    if tax[1] != tax[0] and tax[2] != tax[0] and tax[1] != tax[2]:
        header, header_problems = _taxonomy_conflict(header, header_problems, sb, so, st)
    cases, case_problems = merge_units(sb.cases, so.cases, st.cases)
    conflicts = [_describe(p, path) for p in header_problems + case_problems]
    collisions = [
        Collision(str(p.key), _title(p.units[1]), _title(p.units[2])) for p in case_problems if is_collision(p)
    ]
    crossed = None
    if collisions:  # only then: the driver's usual run never loads the crossing's module
        from failgate.merge.crossed import crossed_cases

        crossed = crossed_cases({u.key: u.data for u in so.cases}, {u.key: u.data for u in st.cases})
    if crossed:  # one line for the crossing instead of "renumber theirs" per collision (merge/crossed.py)
        conflicts = [_describe(p, path) for p in header_problems + case_problems if not is_collision(p)] + [crossed]
    # Blank lines at the top of the trailer are what removing the last case
    # leaves behind, not a change of the trailer: compare without them.
    cores = [s.trailer.lstrip("\n") for s in (sb, so, st)]
    trailer = pick3(*cores)
    if trailer:
        trailer = "\n" * pick3(*(len(s.trailer) - len(c) for s, c in zip((sb, so, st), cores))) + trailer
    if cores[1] != cores[2] and cores[0] not in cores[1:]:
        conflicts.append("both sides changed the lines after the last case differently")
        trailer = markers(cores[0], cores[1], cores[2], marker_size)
    rhythm = 1 if any(u.trail for s in (sb, so, st) for u in s.cases) else 0
    out = "".join(_render_piece(p, marker_size) for p in header)
    if not cases:
        out = _empty_list(out)
    for index, piece in enumerate(cases):
        trail = 0 if index == len(cases) - 1 else (piece.trail if piece.trail else rhythm)
        out += _render_piece(piece, marker_size) + "\n" * trail
    out += trailer
    base_keys = {u.key for u in sb.cases}
    added = (sum(1 for u in so.cases if u.key not in base_keys), sum(1 for u in st.cases if u.key not in base_keys))
    if conflicts:
        return CasesMerge(False, out.encode(), conflicts, collisions, added)
    problem = _verify(out, cases, pick3(*tax))
    if problem:
        return _whole_conflict(texts, marker_size, [problem])
    return CasesMerge(True, out.encode(), [], [], added)


def _taxonomy_conflict(
    header: list[Piece], problems: list[Problem], sb: Split, so: Split, st: Split
) -> tuple[list[Piece], list[Problem]]:
    """Markers on the taxonomy's header units where the sides differ, one message."""
    maps = [{u.key: u for u in s.header} for s in (sb, so, st)]
    taxonomy = Problem("taxonomy", "taxonomy", "schema_version and failure_modes", (None, None, None))
    result = []
    for piece in header:
        units = (maps[0].get(piece.key), maps[1].get(piece.key), maps[2].get(piece.key))
        is_tax = isinstance(piece.key, tuple) and piece.key[0] == "body" and piece.key[1] in TAXONOMY_KEYS
        o, t = units[1], units[2]
        if is_tax and (o.text if o else "") != (t.text if t else ""):
            result.append(Piece(piece.key, "", piece.trail, None, Problem("taxonomy", piece.key, "", units)))
        else:
            result.append(piece)
    kept = [p for p in problems if not (isinstance(p.key, tuple) and p.key[0] == "body" and p.key[1] in TAXONOMY_KEYS)]
    return result, [*kept, taxonomy]


def _empty_list(header: str) -> str:
    """`cases:` with nothing under it would load as null: write `cases: []`."""
    lines = header.split("\n")
    for index, line in enumerate(lines):
        if line.split("#", 1)[0].rstrip() == f"{LIST_KEY}:":
            lines[index] = line.replace(f"{LIST_KEY}:", f"{LIST_KEY}: []", 1)
            break
    return "\n".join(lines)


def _whole_conflict(texts: tuple[str, str, str], size: int, conflicts: list[str]) -> CasesMerge:
    return CasesMerge(False, markers(*texts, size).encode(), conflicts)


def _verify(text: str, cases: list[Piece], taxonomy: str) -> str | None:
    """The merged text must load strictly and say exactly what was merged."""
    try:
        merged = split(text, "merged")
    except SplitError as exc:
        return f"the merged file would not be valid ({exc}); resolve by hand"
    got = [canonical(u.data) for u in merged.cases]
    want = [canonical(p.unit.data if p.unit else None) for p in cases]
    if got != want:
        return "the merged file would not read back as the merged cases; resolve by hand"
    if _taxonomy(merged.data) != taxonomy:
        return "the merged header would not read back as the merged taxonomy; resolve by hand"
    return None
