"""The ledger check over every commit of a range, against every parent. Pure over readers.

`git revert`, `git cherry-pick`, `git am` and `--no-verify` commit without the
pre-commit hook, and a merge made without failgate's drivers (a clone without
failgate on PATH, `--ours`, a web editor, a server-side merge) drops the other
side's appended lines while its own side looks intact. So the pre-push gate
and CI check each commit of the pushed range against each of its parents:
nothing either parent had may vanish from the ledger files or the history.

A commit whose dataset directory is the same tree as its parent's changed
nothing there and costs one tree-id lookup; one that only appended to
history.jsonl (eval --record) costs a byte-prefix comparison; only the other
commits that touched the dataset are parsed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Sequence

from failgate.checks.ledger import check_ledger
from failgate.dataset.parse import Dataset, HistoryLine
from failgate.findings import Finding

LOSSES = ("VANISHED", "LEDGER_DELETED", "LEDGER_EDITED", "HISTORY_DELETED", "HISTORY_EDITED")
# Past this many commits that touch the dataset, only the range's end points are compared.
MAX_COMMITS = 500


def rewrite_hint(start: str) -> str:
    """What to do when the range's tip has every line again but a commit in it lost some."""
    return (
        "the tip has every line again (a later commit restored them), but the branch still holds a commit "
        f"without them: rewrite the branch so none loses them, e.g. `git rebase -i {start}` and squash the "
        "commit that deleted them into the one that restored them, then push with --force-with-lease"
    )


def check_commits(
    commits: Sequence[tuple[str, Sequence[str]]],
    pair: Callable[[str, str], tuple[Dataset, Dataset]],
    fingerprint: Callable[[str], Hashable],
    only_appends: Callable[[str, str], bool] = lambda _parent, _commit: False,
) -> list[Finding]:
    """`commits`: (commit, its parents), any order; `pair(parent, commit)` parses both
    sides. `fingerprint(rev)` is equal for two revisions whose dataset is byte-identical
    (dataset directory + its tree id)."""
    findings: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    touched = 0
    for commit, parents in commits:
        mine = fingerprint(commit)
        for parent in parents:
            if fingerprint(parent) == mine or only_appends(parent, commit):
                continue  # nothing changed, or only appended to history: nothing can be lost
            touched += 1
            if touched > MAX_COMMITS:
                return findings
            base, now = pair(parent, commit)
            side_base = base if parent == parents[0] else renumbered(base, now)
            for finding in check_ledger(side_base, now):
                if not finding.is_error or (parent != parents[0] and finding.code not in LOSSES):
                    continue  # a merged side is checked for what it had and lost; the rest against the first parent
                key = (finding.code, finding.message)
                if key in seen:
                    continue  # the same loss seen from two commits: say it once
                seen.add(key)
                side = f" (against parent {parent[:10]})" if len(parents) > 1 else ""
                findings.append(dataclasses.replace(finding, message=f"commit {commit[:10]}{side}: {finding.message}"))
    return findings


def renumbered(side: Dataset, merged: Dataset) -> Dataset:
    """The merged side's history as `failgate renumber` leaves it: when the merge gave
    one of that side's colliding cases a new id, the side's events for it were
    rewritten, and only their `case_id` differs. Any other difference still counts."""
    by_id = {line.event.get("id"): line for line in merged.history if line.event and line.event.get("id")}
    lines, changed = [], False
    for line in side.history:
        event = line.event
        other = by_id.get(event.get("id")) if event else None
        if (
            other is not None
            and other.event is not None
            and other.raw != line.raw
            and event is not None
            and {k: v for k, v in event.items() if k != "case_id"}
            == {k: v for k, v in other.event.items() if k != "case_id"}
        ):
            lines.append(HistoryLine(line.lineno, other.raw, other.event))
            changed = True
        else:
            lines.append(line)
    return dataclasses.replace(side, history=lines) if changed else side
