"""The configuration and the dataset as they are at a revision (or in the index), from git objects.

Shared by the gate and `check-ledger`: both follow the dataset directory that
the configuration *at that revision* names, so pointing `dataset` at a copy
(with a case and its history deleted there) is compared case by case with the
directory the base had, not silently taken as the new truth.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from failgate.dataset.model import CASES_FILE, DEFAULT_DATASET_DIR, HISTORY_FILE, REMOVED_FILE, WATCHLIST_FILE
from failgate.dataset.parse import Dataset, pair_files
from failgate.gate.policy import ConfigAt, config_at, dataset_dir

INDEX = ":index"  # a pseudo-revision: what is staged


def join(directory: str, name: str) -> str:
    return f"{directory}/{name}" if directory else name


class RepoAt:
    """Readers over one repository for a configuration root (`root_rel`, '' for the top)."""

    def __init__(self, repo: Any, root_rel: str) -> None:
        self.repo = repo
        self.root_rel = root_rel
        # Commits never change, nor the index within one command: the range check
        # asks for each revision's configuration several times.
        self._configs: dict[str, ConfigAt] = {}

    def read(self, rev: str, path: str) -> bytes | None:
        if rev == INDEX:
            return self.repo.get_staged_blob(path)
        return self.repo.get_blob(rev, path)

    def project_reader(self, rev: str) -> Callable[[str], bytes | None]:
        """Paths relative to the configuration root, read at `rev` (how the judge's code is read)."""
        return lambda path: self.read(rev, join(self.root_rel, path))

    def config(self, rev: str) -> ConfigAt:
        if rev not in self._configs:
            self._configs[rev] = config_at(lambda path: self.read(rev, path), self.root_rel)
        return self._configs[rev]

    def dataset_rel(self, rev: str) -> str:
        return join(self.root_rel, dataset_dir(self.config(rev), DEFAULT_DATASET_DIR).strip("/"))

    def files(self, rev: str, directory: str) -> dict[str, bytes]:
        if rev == INDEX:
            return self.repo.read_index_files(directory)
        return self.repo.read_tree_files(rev, directory)

    def fingerprint(self, rev: str) -> Hashable:
        directory = self.dataset_rel(rev)
        return directory, self.repo.get_tree_id(rev, directory)

    def ledger_over_range(self, tip: str, exclude: str | None) -> list[Any]:
        """check-ledger for every commit in `exclude..tip` against every parent."""
        from failgate.checks.ledger_range import check_commits

        commits = [(sha, self.repo.get_parents(sha)) for sha in self.repo.list_range(tip, exclude)]
        return check_commits(commits, self.pair, self.fingerprint, self.only_appends)

    def only_appends(self, base_rev: str, now_rev: str) -> bool:
        """The commit changed nothing in the dataset but append lines to history.jsonl
        (what `eval --record` does): no ledger finding is possible, so nothing is parsed."""
        directory = self.dataset_rel(base_rev)
        if directory != self.dataset_rel(now_rev):
            return False
        for name in (CASES_FILE, REMOVED_FILE, WATCHLIST_FILE):
            if self.repo.get_blob_id(base_rev, join(directory, name)) != self.repo.get_blob_id(
                now_rev, join(directory, name)
            ):
                return False
        old, new = self.read(base_rev, join(directory, HISTORY_FILE)), self.read(now_rev, join(directory, HISTORY_FILE))
        if old is None or new is None:
            return old == new
        if not ((not old or old.endswith(b"\n")) and new.startswith(old) and b"\r" not in new[len(old) :]):
            return False
        return _plain_appends(old, new[len(old) :])

    def pair(self, base_rev: str, now_rev: str) -> tuple[Dataset, Dataset]:
        """Both sides parsed, the base's history only when `now` did not merely append to it
        (`dataset.parse.pair_files`): a commit recording results reads a 30 MB history once."""
        base_dir, now_dir = self.dataset_rel(base_rev), self.dataset_rel(now_rev)
        return pair_files(base_dir, now_dir, self.files(base_rev, base_dir), self.files(now_rev, now_dir))

    def last_change(self, commits: list[str], paths: Callable[[str], list[str]]) -> str | None:
        """The newest of `commits` (oldest first) that changed any of `paths(commit)` against its first parent."""
        for sha in reversed(commits):
            parents = self.repo.get_parents(sha)
            for path in paths(sha):
                before = self.repo.get_blob_id(parents[0], path) if parents else None
                if before != self.repo.get_blob_id(sha, path):
                    return sha
        return None


def _plain_appends(old: bytes, tail: bytes) -> bool:
    """The appended lines are each one event in failgate's own form, under an id neither the
    old lines nor another appended line hold: nothing for the ledger check to find. Anything
    else goes through the full check (`checks.ledger`: NONCANONICAL, DUPLICATE_EVENT)."""
    from failgate.dataset.events import event_line
    from failgate.dataset.jsonstrict import loads_or_none

    ids = set()
    for raw in tail.split(b"\n"):
        if not raw.strip():
            continue
        event = loads_or_none(raw)  # the nesting and integer limits every reader keeps
        try:
            if not isinstance(event, dict) or event_line(event).encode("utf-8") != raw + b"\n":
                return False
            ident = event.get("id")
            if not isinstance(ident, str) or ident in ids or b'"' + ident.encode("utf-8") + b'"' in old:
                return False
        except UnicodeEncodeError:
            return False  # a lone surrogate: failgate never writes one; the full check reports the line
        ids.add(ident)
    return True
