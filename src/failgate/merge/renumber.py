"""`failgate renumber`, the pure part: resolve id collisions of a merge (docs/how-to/recover-from-a-merge-conflict.md).

Two branches that each promote a case take the same next id. The cases.yaml
driver reports that as a conflict (`merge.cases`); this module resolves it:
theirs' case (the side being merged in: MERGE_HEAD, the commit being
cherry-picked or replayed by a rebase) gets the next free id, above every id
either side ever used, and the events theirs wrote for it in history.jsonl
are rewritten to the new id. Then cases.yaml is merged again from the three
versions, with the renumbered theirs, so the result is exactly what the
driver would have produced had theirs picked the free id to begin with.

Why theirs and not "the later case": the case on HEAD is already committed on
the branch you are on, its promotion event sits in HEAD's history.jsonl, and
the pre-commit ledger check (staged against HEAD) refuses an edit of any
committed event. Theirs' events are new relative to HEAD, so renaming them
is an edit nobody has seen yet. For the usual flows this is also the fair
choice: merging a feature branch into main, or rebasing it, renumbers the
feature's case and leaves the ids main has published alone.

Pure: bytes and texts in, texts out; git and files are the command's business.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from failgate.dataset.casefile import set_entry_scalar
from failgate.dataset.cassette import cassette_ref
from failgate.dataset.ids import next_case_id
from failgate.dataset.jsonstrict import loads_or_none, split_lines
from failgate.dataset.yamlstrict import load_yaml_text
from failgate.exit_codes import PROBLEM
from failgate.findings import FailgateError
from failgate.merge.cases import merge_cases, normalise
from failgate.merge.cassettes import moved_ref, set_input_cassette
from failgate.merge.crossed import Crossing, event_pairs, rewrite_case_ids, translate_cases, translate_history
from failgate.merge.history import merge_history


@dataclasses.dataclass(frozen=True)
class Renamed:
    old: str
    new: str
    title: str  # theirs' case, the one that moved
    kept_title: str  # ours' case, which keeps the id
    events: int  # history.jsonl lines rewritten
    cassette: str | None = None  # theirs' input.cassette as it was (the use case moves the file: merge.cassettes)


@dataclasses.dataclass
class Renumbering:
    cases: bytes  # the merged cases.yaml (with markers if other conflicts remain)
    history: str  # the working tree's history.jsonl with theirs' events renamed
    renamed: list[Renamed]
    remaining: list[str]  # conflicts in cases.yaml that renumbering does not solve
    crossing: Crossing | None = None  # both sides had renumbered: theirs' ids -> ours'
    refiled: int = 0  # theirs' history lines filed under ours' numbering

    @property
    def clean(self) -> bool:
        return not self.remaining


def _event_ids(history: str, case_id: str | None = None) -> set[str]:
    ids = set()
    # `\n` only (jsonstrict.split_lines): splitlines() also breaks at U+2028
    # and U+0085, which a JSON string may hold unescaped.
    for _, line in split_lines(history):
        event = loads_or_none(line)
        if isinstance(event, dict) and isinstance(event.get("id"), str):
            if case_id is None or event.get("case_id") == case_id:
                ids.add(event["id"])
    return ids


def rename_events(history: str, event_ids: set[str], old: str, new: str) -> tuple[str, int]:
    """`history` with `case_id` old -> new on the lines of `event_ids` (`crossed.rewrite_case_ids`)."""
    return rewrite_case_ids(history, lambda e: new if e.get("id") in event_ids and e.get("case_id") == old else None)


def renumber(
    *,
    base: bytes,
    ours: bytes,
    theirs: bytes,
    history: str,
    ours_history: str,
    theirs_history: str,
    used: Iterable[str],
    only: Sequence[str] = (),
    path: str = "cases.yaml",
    marker_size: int = 7,
) -> Renumbering:
    """Give theirs' colliding cases new ids and merge again.

    `history` is the merged history.jsonl of the working tree; `used` every
    id either side ever used (cases, ledger, watchlist, history).
    Raises FailgateError (exit 1) when there is nothing to renumber.
    """
    first = merge_cases(base, ours, theirs, path=path, marker_size=marker_size)
    collisions = [c for c in first.collisions if not only or c.case_id in only]
    if not collisions:
        unknown = [i for i in only if i not in {c.case_id for c in first.collisions}]
        detail = f" ({', '.join(unknown)} is not one)" if unknown else ""
        if first.clean:
            raise FailgateError(
                f"nothing to renumber: {path} merges cleanly, no id was taken twice{detail}", exit_code=PROBLEM
            )
        raise FailgateError(
            f"nothing to renumber: the conflict in {path} is not an id collision{detail}: "
            + "; ".join(first.conflicts)
            + f". Resolve it by hand, then `git add {path}`.",
            exit_code=PROBLEM,
        )
    taken = set(used)
    theirs_text = normalise(theirs)
    theirs_own = _event_ids(theirs_history) - _event_ids(ours_history)
    renamed: list[Renamed] = []
    for collision in sorted(collisions, key=lambda c: c.case_id):
        new = next_case_id(taken, reserved=[r.new for r in renamed])
        taken.add(new)
        doc = load_yaml_text(theirs_text, f"{path} (theirs)")
        ref = _cassette_of(doc.data, collision.case_id)
        theirs_text = set_entry_scalar(doc, "cases", collision.case_id, "id", new)
        new_ref = moved_ref(ref, collision.case_id, new)
        if new_ref is not None:
            # The recording follows the id (merge.cassettes): cassettes/<old>.jsonl is ours' now.
            theirs_text = set_input_cassette(theirs_text, f"{path} (theirs)", new, new_ref)
        events = _event_ids(theirs_history, collision.case_id) & theirs_own
        history, count = rename_events(history, events, collision.case_id, new)
        renamed.append(Renamed(collision.case_id, new, collision.theirs_title, collision.ours_title, count, ref))
    result = merge_cases(base, ours, theirs_text.encode(), path=path, marker_size=marker_size)
    if result.collisions:  # pragma: no cover - the new ids are above every id in use
        raise FailgateError(f"internal error: {path} still has an id collision after renumbering")
    return Renumbering(result.text, history, renamed, result.conflicts)


def _cassette_of(data: object, case_id: str) -> str | None:
    items = data.get("cases") if isinstance(data, dict) else None
    case = next((c for c in items or [] if isinstance(c, dict) and c.get("id") == case_id), None)
    return cassette_ref(case) if case is not None else None


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def renumber_crossed(
    crossing: Crossing,
    *,
    cases: bytes | tuple[bytes, bytes, bytes],
    history: str | tuple[bytes, bytes, bytes],
    ours_history: str,
    theirs_history: str,
    used: Iterable[str],
    replay: bool = False,
    path: str = "cases.yaml",
    history_path: str = "history.jsonl",
    marker_size: int = 7,
) -> Renumbering:
    """Undo a crossed renumbering (`failgate.merge.crossed`) in favour of ours' numbering.

    `cases` and `history`: the three conflict stages (base, ours, theirs) when the file
    is in conflict, else the merged file (cases.yaml bytes, history.jsonl text) as the
    work tree holds it. Theirs' and the base's lines are refiled under ours' ids, the
    files merged again (one event id is one line again), and any id collision left
    (a case each side promoted since) is renumbered the ordinary way.
    Raises FailgateError (exit 1) when the history still conflicts after that.
    """
    keep = event_pairs(ours_history)
    theirs_history, refiled = translate_history(theirs_history, crossing.mapping, keep)
    merged_history = history if isinstance(history, str) else ""
    if isinstance(history, tuple):
        base_h, ours_h, theirs_h = history
        base_hist, _ = translate_history(_text(base_h), crossing.mapping, keep)
        theirs_hist, refiled = translate_history(_text(theirs_h), crossing.mapping, keep)
        merged, report = merge_history(
            base_hist.encode(), ours_h, theirs_hist.encode(), marker_size=marker_size, replay=replay
        )
        if not report.clean:
            raise FailgateError(
                f"{history_path} still conflicts after filing theirs' events under ours' numbering: "
                + "; ".join(report.conflicts)
                + f". Resolve it by hand (keep every event once), `git add {history_path}`, then run "
                "`failgate renumber` again",
                exit_code=PROBLEM,
            )
        merged_history = _text(merged)
    if not isinstance(cases, tuple):
        return Renumbering(cases, merged_history, [], [], crossing, refiled)
    base_c, ours_c, theirs_c = cases
    base_t = translate_cases(normalise(base_c), crossing.mapping, f"{path} (base)").encode()
    theirs_t = translate_cases(normalise(theirs_c), crossing.mapping, f"{path} (theirs)").encode()
    result = merge_cases(base_t, ours_c, theirs_t, path=path, marker_size=marker_size)
    if not result.collisions:
        return Renumbering(result.text, merged_history, [], result.conflicts, crossing, refiled)
    again = renumber(
        base=base_t,
        ours=ours_c,
        theirs=theirs_t,
        history=merged_history,
        ours_history=ours_history,
        theirs_history=theirs_history,
        used=used,
        path=path,
        marker_size=marker_size,
    )
    return dataclasses.replace(again, crossing=crossing, refiled=refiled)
