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
import json
import re
from collections.abc import Iterable, Sequence

from failgate.dataset.casefile import set_entry_scalar
from failgate.dataset.ids import next_case_id
from failgate.dataset.jsonstrict import loads_or_none, split_lines
from failgate.dataset.yamlstrict import load_yaml_text
from failgate.exit_codes import PROBLEM
from failgate.findings import FailgateError
from failgate.merge.cases import merge_cases, normalise


@dataclasses.dataclass(frozen=True)
class Renamed:
    old: str
    new: str
    title: str  # theirs' case, the one that moved
    kept_title: str  # ours' case, which keeps the id
    events: int  # history.jsonl lines rewritten


@dataclasses.dataclass
class Renumbering:
    cases: bytes  # the merged cases.yaml (with markers if other conflicts remain)
    history: str  # the working tree's history.jsonl with theirs' events renamed
    renamed: list[Renamed]
    remaining: list[str]  # conflicts in cases.yaml that renumbering does not solve

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
    """`history` with `case_id` old -> new on the lines of `event_ids`.

    Only the value changes, so the line reads as before apart from the id;
    the edit is checked by parsing the line back.
    """
    pattern = re.compile(r'("case_id"\s*:\s*)"' + re.escape(old) + '"')
    out, count = [], 0
    for line in re.findall(r"[^\n]*\n|[^\n]+\Z", history):  # lines with their `\n`, split at `\n` only
        body = line.rstrip("\r\n")
        event = loads_or_none(body) if body.strip() else None
        if isinstance(event, dict) and event.get("id") in event_ids and event.get("case_id") == old:
            expected = {**event, "case_id": new}
            edited = pattern.sub(lambda m: m.group(1) + json.dumps(new), body, count=1)
            try:
                ok = json.loads(edited) == expected
            except ValueError:
                ok = False
            if not ok:  # an escaped key or the like: write the event anew, same key order
                edited = json.dumps(expected, ensure_ascii=False)
            line = edited + line[len(body) :]
            count += 1
        out.append(line)
    return "".join(out), count


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
        theirs_text = set_entry_scalar(doc, "cases", collision.case_id, "id", new)
        events = _event_ids(theirs_history, collision.case_id) & theirs_own
        history, count = rename_events(history, events, collision.case_id, new)
        renamed.append(Renamed(collision.case_id, new, collision.theirs_title, collision.ours_title, count))
    result = merge_cases(base, ours, theirs_text.encode(), path=path, marker_size=marker_size)
    if result.collisions:  # pragma: no cover - the new ids are above every id in use
        raise FailgateError(f"internal error: {path} still has an id collision after renumbering")
    return Renumbering(result.text, history, renamed, result.conflicts)
