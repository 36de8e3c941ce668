"""`failgate eval --record`: append to history.jsonl only what changed.

Per case that ran (docs/reference/gate.md, "Recording"):
- a `result` event when its outcome differs from the last recorded one, when
  nothing was recorded yet, or when the last one was judged by a different
  judge (an outcome under another judge is not the same observation: without
  this, a rules change would leave the baseline pointing at the old judge and
  the gate would stop comparing);
- a `regressed` event when that change is pass -> fail, naming in `detail.after`
  the pass it follows (what makes the same regression recorded on two branches
  one regression: `dataset.history.Regressions`), and `regressed_count` in
  cases.yaml (or watchlist.yaml) set to the case's number of regressions, by a
  one-line text edit (`casefile.set_entry_scalar`).

Each event carries the commit (HEAD) with `dirty` when tracked files differ
from it, the judge fingerprint of the case, and the actor (`ci` under CI,
else git `user.email`).

Concurrency: the read-fold-decide-write step runs under the dataset lock and
writes both files through one `Transaction`, so two recorders serialise: the
second one folds the first one's events and appends only what is still new.
The agent runs before the lock is taken; only the bookkeeping is serialised.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from failgate.dataset.events import event_line, new_event
from failgate.dataset.history import FAIL, PASS, HistoryFold, fold_bytes, regression_counts
from failgate.dataset.model import CASES_FILE, HISTORY_FILE, WATCHLIST_FILE
from failgate.eval.runner import CaseResult


@dataclasses.dataclass(frozen=True)
class Stamp:
    commit: str | None
    dirty: bool
    actor: str


@dataclasses.dataclass
class RecordSummary:
    events: list[dict[str, Any]]
    counts: dict[str, int]  # case id -> new regressed_count, for cases whose count changed
    stamp: Stamp

    def describe(self) -> str:
        if not self.events:
            return "failgate eval --record: nothing changed since the last record; history.jsonl untouched"
        results = sum(e["type"] == "result" for e in self.events)
        regressed = [e["case_id"] for e in self.events if e["type"] == "regressed"]
        at = f" at {self.stamp.commit[:10]}" if self.stamp.commit else ""
        dirty = " (dirty work tree)" if self.stamp.dirty else ""
        text = f"failgate eval --record: appended {results} result event(s){at}{dirty} as {self.stamp.actor}"
        if regressed:
            text += f"; regressed: {', '.join(regressed)}"
        return text


def plan_events(
    fold: HistoryFold, results: Sequence[CaseResult], stamp: Stamp, now: _dt.datetime | None = None
) -> list[dict[str, Any]]:
    """The events to append for these results, given what the history says. Pure."""
    events: list[dict[str, Any]] = []
    for case in results:
        if case.outcome not in (PASS, FAIL):
            continue  # skipped (deprecated) cases were not observed
        last = fold.get(case.case_id)
        previous = last.last_outcome if last else None
        # A stochastic case's k/N is the base record the reliability rule compares against: a new
        # k/N is a new observation even when the outcome is the same.
        tally = {"attempts": case.runs, "passes": case.passes} if case.stochastic else {}
        same_tally = last is not None and (last.last_attempts, last.last_passes) == (
            tally.get("attempts"),
            tally.get("passes"),
        )
        if previous == case.outcome and last is not None and last.last_judge == case.judge and same_tally:
            continue
        common = {"commit": stamp.commit, "dirty": stamp.dirty, "judge": case.judge, "actor": stamp.actor}
        events.append(new_event("result", case.case_id, now=now, outcome=case.outcome, **tally, **common))
        if previous == PASS and case.outcome == FAIL:
            reason = case.reasons[0] if case.reasons else "failed"
            detail = {"from": PASS, "to": FAIL, "reason": reason[:300]}
            if last is not None and last.last_pass_id is not None:
                detail["after"] = last.last_pass_id
            events.append(new_event("regressed", case.case_id, now=now, detail=detail, **common))
    return events


def regressed_counts(fold: HistoryFold, events: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Each case's number of regressions (`Regressions`) after appending `events`."""
    return regression_counts(events, {case_id: entry.regressed for case_id, entry in fold.cases.items()})


def actor(repo: Any) -> str:
    from failgate.dataset.events import default_actor

    return default_actor(repo.get_user_email() if repo is not None else None)


def _edit_counts(text: str, path: str, counts: dict[str, int]) -> tuple[str, dict[str, int]]:
    """`text` with each listed case's regressed_count set; only lines that change are touched."""
    from failgate.dataset.casefile import reparse, set_entry_scalar

    doc = reparse(text, path)
    lines = text.split("\n")
    entries = doc.data.get("cases") if isinstance(doc.data, dict) else None
    changed: list[tuple[str, int]] = []
    # From the last case up, against the one parse (see `dataset.derived.fix_derived`).
    for entry in reversed(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict) or entry.get("id") not in counts:
            continue
        case_id, value = entry["id"], counts[entry["id"]]
        if entry.get("regressed_count") == value or ("regressed_count" not in entry and value == 0):
            continue
        text = set_entry_scalar(doc, "cases", case_id, "regressed_count", value, lines=lines)
        changed.append((case_id, value))
    if changed:
        reparse(text, path)  # the edited text must still load strictly
    return text, dict(reversed(changed))


def record_results(
    dataset_dir: Path, results: Sequence[CaseResult], stamp: Stamp, extra: Sequence[dict[str, Any]] = ()
) -> RecordSummary:
    """Append the changes to `dataset_dir/history.jsonl` and fix regressed_count, atomically;
    `extra` events (a judge change's grading and decision) go in the same transaction."""
    from failgate.atomic import locked
    from failgate.transaction import Transaction

    history_path = dataset_dir / HISTORY_FILE
    with locked(dataset_dir):
        current = history_path.read_bytes() if history_path.is_file() else b""
        fold = fold_bytes(current)
        events = plan_events(fold, results, stamp) + list(extra)
        if not events:
            return RecordSummary([], {}, stamp)
        counts = regressed_counts(fold, events)
        touched = {e["case_id"] for e in events if e["type"] == "regressed"}
        wanted = {case_id: counts[case_id] for case_id in touched}
        transaction = Transaction(dataset_dir)
        changed: dict[str, int] = {}
        for name in (CASES_FILE, WATCHLIST_FILE):
            path = dataset_dir / name
            if not wanted or not path.is_file():
                continue
            text = path.read_text(encoding="utf-8")
            new_text, edited = _edit_counts(text, str(path), wanted)
            if edited:
                transaction.write(path, new_text)
                changed.update(edited)
        text = current.decode("utf-8")
        if text and not text.endswith("\n"):
            text += "\n"  # a hand-edited file without its final newline
        transaction.write(history_path, text + "".join(event_line(e) for e in events))
        transaction.commit()
    return RecordSummary(events, changed, stamp)


def record(config: Any, result: Any) -> RecordSummary:
    """The I/O edge for `eval --record`: stamp from git, then record under the lock."""
    from failgate.gitrepo import open_repo

    repo = open_repo(config.root)
    directory = config.dataset_dir
    history_rel = repo.relpath(directory / HISTORY_FILE)
    # Our own pending appends to history.jsonl do not change what was run.
    dirty = any(path != history_rel for path in repo.get_dirty_paths())
    head = repo.head_commit()
    stamp = Stamp(commit=head, dirty=dirty or head is None, actor=actor(repo))
    return record_results(directory, result.cases, stamp)


def append_events(dataset_dir: Path, events: Sequence[dict[str, Any]]) -> None:
    """Append events that belong to no case result (a gold-set grading) to
    history.jsonl, under the dataset lock, atomically."""
    from failgate.atomic import locked
    from failgate.transaction import Transaction

    history_path = dataset_dir / HISTORY_FILE
    with locked(dataset_dir):
        text = history_path.read_text("utf-8") if history_path.is_file() else ""
        if text and not text.endswith("\n"):
            text += "\n"
        transaction = Transaction()
        transaction.write(history_path, text + "".join(event_line(e) for e in events))
        transaction.commit()
