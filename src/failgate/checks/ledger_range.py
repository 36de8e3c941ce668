"""The ledger check over every commit of a range, against every parent. Pure over readers.

`git revert`, `git cherry-pick`, `git am` and `--no-verify` commit without the
pre-commit hook, and a merge made without failgate's drivers (a clone without
failgate on PATH, `--ours`, a web editor, a server-side merge) drops the other
side's appended lines while its own side looks intact. So the pre-push gate
and CI check each commit of the pushed range against each of its parents:
nothing either parent had may vanish from the ledger files or the history.

A commit whose dataset directory is the same tree as its parent's changed
nothing there and costs one tree-id lookup; only commits that touched the
dataset are parsed.
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Hashable, Sequence

from failgate.checks.ledger import check_ledger
from failgate.dataset.parse import Dataset
from failgate.findings import Finding

# Past this many commits that touch the dataset, only the range's end points are compared.
MAX_COMMITS = 500


def check_commits(
    commits: Sequence[tuple[str, Sequence[str]]],
    dataset_at: Callable[[str], Dataset],
    fingerprint: Callable[[str], Hashable],
) -> list[Finding]:
    """`commits`: (commit, its parents), any order. `fingerprint(rev)` is equal for two
    revisions whose dataset is byte-identical (dataset directory + its tree id)."""
    findings: list[Finding] = []
    cache: dict[str, Dataset] = {}

    def load(rev: str) -> Dataset:
        if rev not in cache:
            cache[rev] = dataset_at(rev)
        return cache[rev]

    seen: set[tuple[str, str]] = set()
    touched = 0
    for commit, parents in commits:
        mine = fingerprint(commit)
        for parent in parents:
            if fingerprint(parent) == mine:
                continue
            touched += 1
            if touched > MAX_COMMITS:
                return findings
            for finding in check_ledger(load(parent), load(commit)):
                if not finding.is_error:
                    continue
                key = (finding.code, finding.message)
                if key in seen:
                    continue  # the same loss seen from two commits: say it once
                seen.add(key)
                side = f" (against parent {parent[:10]})" if len(parents) > 1 else ""
                findings.append(dataclasses.replace(
                    finding, message=f"commit {commit[:10]}{side}: {finding.message}"))
    return findings
