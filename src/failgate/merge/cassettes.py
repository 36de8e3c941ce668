"""`failgate renumber` moves a renumbered case's cassette with it (docs/how-to/recover-from-a-merge-conflict.md).

A promoted case names its recording as `input.cassette: cassettes/AGTFAIL-0003.jsonl`
(`dataset.cassette.default_path`), and the cassette's header names the case it belongs
to (validate refuses one that names another: docs/how-to/replay.md, "Get a cassette").
When two branches promote a case each as AGTFAIL-0003, both add that file too, and git
stops on it (add/add: no driver merges a recording). Renumbering theirs' case to
AGTFAIL-0004 without its cassette would leave it replaying ours' recording, or a file
of conflict markers. So the recording moves with the id:

- theirs' case uses the default path of its old id: theirs' bytes (from theirs'
  revision, never the conflicted work-tree file) go to the default path of the new
  id with the header's `case_id` rewritten (nothing else changes), the case's
  `input.cassette` follows, and the old path goes back to what HEAD holds there
  (ours' recording; nothing when only theirs had one);
- theirs' case uses another path that is theirs alone (neither HEAD nor the base
  holds it) and no other case uses: its header is rewritten in place;
- anything else (another case uses the file too, HEAD or the base holds a file at
  that path, theirs' revision lacks it, the new path is taken) is refused, naming
  the file, before anything is written: whose recording it is cannot be told.

`input.cassette` is left out of `input_hash` (`dataset.hashing`), so the hash stays.
Pure: bytes and texts in, bytes and texts out; git and files are the use case's.
"""

from __future__ import annotations

import dataclasses
import json
import posixpath
import re
from collections.abc import Collection, Mapping
from typing import Any

from failgate.dataset.cassette import cassette_ref, default_path, path_problem
from failgate.dataset.jsonstrict import loads_or_none
from failgate.exit_codes import PROBLEM
from failgate.findings import FailgateError
from failgate.merge.appendonly import with_case_id


@dataclasses.dataclass(frozen=True)
class CassetteMove:
    old_id: str
    new_id: str
    source: str  # theirs' input.cassette, relative to the dataset directory
    target: str  # where theirs' recording lands (== source: its header rewritten in place)
    data: bytes  # theirs' recording, its header naming new_id
    restore: bytes | None  # what `source` holds afterwards when it moved: HEAD's bytes, None for no file

    @property
    def moved(self) -> bool:
        return self.source != self.target


def moved_ref(ref: str | None, old_id: str, new_id: str) -> str | None:
    """The `input.cassette` theirs' case carries under its new id: the new default path
    when it used the old one; None when it has no cassette or keeps its path."""
    if ref is None or path_problem(ref) is not None or posixpath.normpath(ref) != default_path(old_id):
        return None
    return default_path(new_id)


def rewrite_header(data: bytes, old_id: str, new_id: str) -> bytes:
    """`data` with its header line's `case_id` old_id -> new_id; every other byte as it was.

    The header is edited as text (`appendonly.with_case_id`, as history lines are), so the recording's lines,
    which the gate compares by blob, stay the same bytes. A header that does not name
    old_id is left as it is: validate names that problem, renumbering did not make it.
    """
    end = data.find(b"\n")
    head, rest = (data, b"") if end < 0 else (data[:end], data[end:])
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return data
    header = loads_or_none(text)
    if not isinstance(header, dict) or header.get("type") != "header" or header.get("case_id") != old_id:
        return data
    return with_case_id(text, header, new_id).encode("utf-8") + rest


def crossed_recording(theirs_id: str, ours_id: str, *, theirs: bytes | None, ours: bytes | None, shown: str) -> bytes:
    """Both sides renumbered (`merge.crossed`): theirs' case theirs_id is ours' ours_id, and each
    side's recording sits at its own id's default path. Ours' numbering is kept, so ours' file
    is the one to keep, once it is the same recording: theirs' bytes with the header naming
    ours_id. Returns ours' bytes; raises FailgateError (exit 1) naming the file otherwise."""
    if theirs is None or ours is None or rewrite_header(theirs, theirs_id, ours_id) != ours:
        raise FailgateError(
            f"cannot keep ours' numbering for {shown}: theirs' {theirs_id} and ours' {ours_id} are one case, but "
            f"{'one side has no recording' if theirs is None or ours is None else 'their recordings differ'} "
            f"(beyond the case id in the header). Nothing was written. Resolve it by hand: keep the recording "
            f"you want at {shown} with its header naming {ours_id}, `git add` it, then run `failgate renumber` again",
            exit_code=PROBLEM,
        )
    return ours


def comparable_input(case: Mapping[str, Any], case_id: str) -> Any:
    """The case's `input` as two numberings of one case compare it: a cassette at its own id's
    default path is the id's name for the recording, not part of what the case is (its bytes are
    compared apart, `crossed_recording`)."""
    value = case.get("input")
    ref = cassette_ref(case)
    if isinstance(value, Mapping) and ref is not None and path_problem(ref) is None:
        if posixpath.normpath(ref) == default_path(case_id):
            return {k: v for k, v in value.items() if k != "cassette"}
    return value


def plan_move(
    old_id: str,
    new_id: str,
    ref: str,
    *,
    theirs: bytes | None,
    ours: bytes | None,
    base: bytes | None,
    target_taken: bool,
    others: Collection[str] = (),
    directory: str = "",
) -> CassetteMove:
    """Where theirs' recording of the case renumbered old_id -> new_id goes (module docstring).

    `theirs`, `ours`, `base`: the bytes at `ref` in theirs' revision, HEAD and the base
    (None when absent); `target_taken`: a file already sits at the new default path;
    `others`: the cases other than this one and ours' old_id that name `ref` too.
    Raises FailgateError (exit 1), naming the file, for what it will not guess.
    """
    source = posixpath.normpath(ref)
    shown = f"{directory}/{source}" if directory else source
    new_ref = moved_ref(ref, old_id, new_id)
    way_out = (
        f"Nothing was written. Resolve it by hand: give theirs' case a cassette file of its own whose header "
        f"names {new_id}, set its input.cassette, `git add` the files, then `failgate validate`"
    )
    if others:
        raise FailgateError(
            f"cannot move theirs' cassette {shown} with {old_id} -> {new_id}: {', '.join(sorted(others))} "
            f"use(s) it too, and a cassette belongs to one case. {way_out}",
            exit_code=PROBLEM,
        )
    if theirs is None:
        raise FailgateError(
            f"cannot move theirs' cassette {shown} with {old_id} -> {new_id}: theirs' revision does not hold "
            f"it. {way_out}",
            exit_code=PROBLEM,
        )
    if new_ref is not None:
        if target_taken:
            target_shown = f"{directory}/{new_ref}" if directory else new_ref
            raise FailgateError(
                f"cannot move theirs' cassette {shown} to {target_shown} with {old_id} -> {new_id}: a file is "
                f"already there. {way_out}",
                exit_code=PROBLEM,
            )
        return CassetteMove(old_id, new_id, source, new_ref, rewrite_header(theirs, old_id, new_id), ours)
    if ours is not None or base is not None:
        held = "HEAD" if ours is not None else "the base"
        raise FailgateError(
            f"cannot renumber theirs' cassette {shown} with {old_id} -> {new_id}: it is not at the case's "
            f"default path ({default_path(old_id)}) and {held} holds a file there too, so whose recording it "
            f"is cannot be told. {way_out}",
            exit_code=PROBLEM,
        )
    return CassetteMove(old_id, new_id, source, source, rewrite_header(theirs, old_id, new_id), None)


def set_input_cassette(text: str, path: str, case_id: str, ref: str) -> str:
    """cases.yaml `text` with `input.cassette` of case `case_id` set to `ref`, editing only
    that value (a one-line scalar: how promote and eval --record-cassettes write it)."""
    from failgate.dataset.yamlstrict import load_yaml_text

    doc = load_yaml_text(text, path)
    lines = doc.text.split("\n")
    edit_input_cassette(doc, lines, case_id, ref)
    edited = "\n".join(lines)
    items = doc.data["cases"]
    index = next(i for i, c in enumerate(items) if isinstance(c, dict) and c.get("id") == case_id)
    items[index]["input"]["cassette"] = ref
    if load_yaml_text(edited, path).data != doc.data:  # pragma: no cover - a one-line scalar replaced
        raise FailgateError(f"{path}: could not set {case_id}.input.cassette to {ref}; edit it by hand")
    return edited


def edit_input_cassette(doc: Any, lines: list[str], case_id: str, ref: str) -> None:
    """`lines` (of `doc`'s text, edited in place: several edits against one parse, none of which
    moves a line) with case `case_id`'s one-line `input.cassette` value replaced by `ref`."""
    items = doc.data.get("cases") if isinstance(doc.data, dict) else None
    index = next(
        (i for i, c in enumerate(items or []) if isinstance(c, dict) and c.get("id") == case_id),
        None,
    )
    node, found = doc.node_at(["cases", index, "input", "cassette"]) if index is not None else (None, False)
    start, end = (node.start_mark, node.end_mark) if found and node is not None else (None, None)
    if start is None or end is None or start.line != end.line:
        raise FailgateError(
            f"{doc.path}: {case_id}.input.cassette is not a one-line value; set it to {ref} by hand",
            exit_code=PROBLEM,
        )
    line = lines[start.line]
    written = line[start.column : end.column]
    # Written plain (as promote writes it) stays plain; a quoted value is quoted again.
    plain = re.fullmatch(r"[A-Za-z0-9_./-]+", written) and re.fullmatch(r"[A-Za-z0-9_./-]+", ref)
    lines[start.line] = line[: start.column] + (ref if plain else json.dumps(ref)) + line[end.column :]


def sharers(ref: str, old_id: str, ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> list[str]:
    """The cases, other than theirs' old_id, that name `ref` as their cassette: ours' and
    theirs' (id -> case, as each side's cases.yaml holds them). Ours' old_id at the old
    default path is the colliding recording the move makes room for, not a sharer."""
    normal = posixpath.normpath(ref)
    found = []
    for side, cases in (("ours'", ours), ("theirs'", theirs)):
        for case_id, case in sorted(cases.items()):
            other = cassette_ref(case) if isinstance(case, Mapping) else None
            if other is None or path_problem(other) is not None or posixpath.normpath(other) != normal:
                continue
            if case_id == old_id and (side == "theirs'" or normal == default_path(old_id)):
                continue
            found.append(f"{side} {case_id}")
    return found
