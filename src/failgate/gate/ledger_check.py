"""`failgate check-ledger [--base REV]`, the use case: refuse a commit that loses history.

Two modes (the contract's command table):
- default, the pre-commit hook: the index (what will be committed) against
  HEAD (and, during a merge, against every MERGE_HEAD);
- `--base REV`, CI: the commit under test (HEAD) against merge-base(HEAD, REV),
  so a pull request is judged against where it forked, not against whatever
  the target branch gained since, and every commit in between against its parents.

Everything is read from git objects (no checkout), through `at_rev`. A base that
cannot be found is an error (exit 2) that says how to fetch it, never a silent pass.
"""

from __future__ import annotations

import dataclasses

from failgate.checks.ledger import check_ledger
from failgate.checks.ledger_range import LOSSES, renumbered
from failgate.config import Config, load_config
from failgate.dataset.parse import Dataset, pair_files
from failgate.exit_codes import PROBLEM
from failgate.findings import FailgateError, Finding
from failgate.gate.at_rev import INDEX, RepoAt
from failgate.gitrepo import FETCH_HINT, GitRepo, open_repo


@dataclasses.dataclass
class Comparison:
    base: Dataset | None  # None when there is nothing to compare against
    now: Dataset | None
    description: str  # what was compared with what, for the summary line
    span: tuple[str, str] | None = None  # --base: (HEAD, merge-base), every commit between is checked too


def _at(config: Config, repo: GitRepo) -> RepoAt:
    return RepoAt(repo, repo.relpath(config.root))


def _side(at: RepoAt, rev: str) -> tuple[str, dict[str, bytes]]:
    directory = at.dataset_rel(rev)
    return directory, at.files(rev, directory)


def load_comparisons(base_rev: str | None) -> list[Comparison]:
    """Pre-commit mode: the index against HEAD and, during a merge, against every
    MERGE_HEAD too (a merge without failgate's drivers keeps "ours" and drops
    theirs' lines; nothing either parent had may vanish). `--base`: HEAD against
    the merge-base."""
    config = load_config()
    repo = open_repo(config.root)
    directory = repo.relpath(config.dataset_dir)
    if base_rev is None and config.recovered:
        # The index may hold half of what a killed command wrote: judge it only
        # once the finished files are staged again.
        raise FailgateError(
            f"a killed failgate command left {directory or '.'}/ half written; it is now finished "
            f"in the work tree: review it, stage it again (`git add {directory or '.'}`) and retry",
            exit_code=PROBLEM,
        )
    at = _at(config, repo)
    if base_rev is None:
        head = repo.head_commit()
        if head is None:
            return [Comparison(None, None, "first commit: nothing committed yet to compare against")]
        now_dir, now_files = _side(at, INDEX)
        parents = [("HEAD", head)] + [
            (f"{name} {sha[:10]}", sha)
            for name, shas in repo.get_in_progress_heads().items()
            if name == "MERGE_HEAD"
            for sha in shas
        ]
        comparisons = []
        for label, sha in parents:
            base_dir, base_files = _side(at, sha)
            base, now = pair_files(base_dir, now_dir, base_files, now_files)
            comparisons.append(
                Comparison(
                    base,
                    now,
                    f"staged {now_dir or '.'}/ against {label} ({sha[:10]})"
                    if label == "HEAD"
                    else f"staged {now_dir or '.'}/ against {label}",
                )
            )
        return comparisons
    head = repo.head_commit()
    if head is None:
        raise FailgateError("HEAD has no commit yet: commit something before checking against a base")
    target = repo.resolve(base_rev)
    merge_base = repo.merge_base(head, target)
    if merge_base is None:
        if repo.is_shallow():
            raise FailgateError(f"no merge-base of HEAD and {base_rev}: {FETCH_HINT}")
        raise FailgateError(f"HEAD and {base_rev} share no history (no merge-base); check the --base revision")
    base_dir, base_files = _side(at, merge_base)
    now_dir, now_files = _side(at, head)
    base, now = pair_files(base_dir, now_dir, base_files, now_files)
    description = f"{now_dir or '.'}/ at HEAD ({head[:10]}) against merge-base with {base_rev} ({merge_base[:10]})"
    return [Comparison(base, now, description, (head, merge_base))]


def check_ledger_at(base_rev: str | None) -> tuple[list[Finding], str]:
    """The findings and what was compared: the index against HEAD (and MERGE_HEAD),
    or with `base_rev`, HEAD against the merge-base and every commit in between."""
    comparisons = load_comparisons(base_rev)
    findings: list[Finding] = []
    for comparison in comparisons:
        if comparison.base is None or comparison.now is None:
            continue
        if comparison is comparisons[0]:
            found = check_ledger(comparison.base, comparison.now)
        else:
            # Against a merged parent: only what that side had and the result lost.
            side = renumbered(comparison.base, comparison.now)
            found = [
                dataclasses.replace(f, message=f"against {comparison.description.split(' against ')[-1]}: {f.message}")
                for f in check_ledger(side, comparison.now)
                if f.is_error and f.code in LOSSES
            ]
        findings.extend(found)
    description = "; ".join(c.description for c in comparisons)
    span = comparisons[0].span
    if span is not None and not any(f.is_error for f in findings):
        # Every commit of the range against every parent: a commit that skipped
        # pre-commit, or a merge that dropped a side, is invisible at the end points.
        config = load_config()
        in_between = _at(config, open_repo(config.root)).ledger_over_range(*span)
        findings.extend(in_between)
        description += " and every commit in between against its parents"
        if any(f.is_error for f in in_between):
            from failgate.checks.ledger_range import rewrite_hint

            # The end points agree: what a commit lost, a later one put back.
            description += "; " + rewrite_hint(span[1][:10])
    return findings, description
