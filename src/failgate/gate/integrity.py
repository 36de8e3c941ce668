"""What the gate checks before it runs anything: the range's ledger, its policy, its dataset location.

- The ledger check over every commit of the range against every parent
  (`checks.ledger_range`): commits that skipped pre-commit and merges that
  dropped the other side's lines are refused before the agent even runs.
- The policy at the base (`gate.policy`), and every policy or agent change in
  the range with who made it, for the report's "Policy and agent changes".
- The dataset directory: the base's, as long as the commit under test still
  holds a dataset there; a move is reported as a policy change, and its
  cases are compared by id with the base's like any other range.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from typing import Any

from failgate.dataset.model import CASES_FILE, DEFAULT_DATASET_DIR, HISTORY_FILE, REMOVED_FILE, WATCHLIST_FILE
from failgate.findings import FailgateError
from failgate.gate.at_rev import RepoAt, join
from failgate.gate.decision import Retirement
from failgate.gate.decisions import Decision
from failgate.gate.policy import CONFIG_FILES, FILE_EFFECT, POLICY_FILES, ConfigAt, PolicyChange, policy_changes


@dataclasses.dataclass
class Review:
    base_config: ConfigAt
    now_config: ConfigAt
    base_dataset_rel: str
    now_dataset_rel: str  # where the cases are read at the commit under test
    now_dataset_key: str  # the same, relative to the configuration root (for the eval's Config)
    policy_changes: list[PolicyChange]
    commits: list[str]  # the range, oldest first
    notes: list[str]


def review(at: RepoAt, commit: str, merge_base: str | None) -> Review:
    findings = at.ledger_over_range(commit, merge_base)
    if any(f.is_error for f in findings):
        restored = merge_base is not None and _tip_is_whole(at, merge_base, commit)
        raise FailgateError(
            "check-ledger over the pushed range found lost history",
            exit_code=1,
            findings=findings + [_summary(len(findings), merge_base, commit, findings[0].location.path, restored)],
        )
    now_config = at.config(commit)
    base_config = at.config(merge_base) if merge_base else now_config
    notes = [p for p in (base_config.problem,) if p]
    base_rel, now_rel = at.dataset_rel(merge_base) if merge_base else at.dataset_rel(commit), at.dataset_rel(commit)
    key_of = {base_rel: _key(base_config), now_rel: _key(now_config)}
    if base_rel != now_rel and at.read(commit, join(base_rel, CASES_FILE)) is not None:
        chosen = base_rel
        notes.append(
            f"the range points `dataset` at {now_rel}/; the gate follows the base's {base_rel}/ "
            "until that change is merged"
        )
    else:
        chosen = now_rel
    commits = at.repo.list_range(commit, merge_base) if merge_base else []
    changes = policy_changes(base_config, now_config) if merge_base else []
    if changes:
        paths = sorted(
            {p for p in (base_config.path, now_config.path) if p} | {join(at.root_rel, name) for name in CONFIG_FILES}
        )
        changed_in = at.last_change(commits, lambda _sha: paths)
        by = at.repo.get_author(changed_in) if changed_in else None
        changes = [dataclasses.replace(c, by=by, commit=changed_in) for c in changes]
    if merge_base is not None:
        changes += policy_file_changes(at, commits, merge_base, commit)
        changes += project_code_changes(at, commits, merge_base, commit)
    return Review(base_config, now_config, base_rel, chosen, key_of[chosen], changes, commits, notes)


def _only(path: str, _sha: str) -> list[str]:
    return [path]


def _these(paths: list[str], _sha: str) -> list[str]:
    return paths


def policy_file_changes(at: RepoAt, commits: list[str], merge_base: str, commit: str) -> list[PolicyChange]:
    """Edits to the files that decide how the checks run (`gate.policy.POLICY_FILES`) and to the
    base's gold set, each with the last commit of the range that touched it and its author."""
    from failgate.config.sections import gold_settings

    judge = at.config(merge_base).raw.get("judge")
    paths = [*POLICY_FILES, join(at.root_rel, gold_settings(judge if isinstance(judge, dict) else {})[0])]
    found = []
    for path in paths:
        before, after = at.repo.get_tree_id(merge_base, path), at.repo.get_tree_id(commit, path)
        if before == after:
            continue
        changed_in = at.last_change(commits, functools.partial(_only, path))
        found.append(
            PolicyChange(
                path,
                f"{before[:10]}" if before else None,
                f"{after[:10]}" if after else None,
                "policy",
                by=at.repo.get_author(changed_in) if changed_in else None,
                commit=changed_in,
                effect=FILE_EFFECT,
            )
        )
    return found


# Project-local code the configuration names besides the agent and the judges, and what it decides.
PROJECT_CODE = {
    "redactor": "decides what personal data intake keeps out of git; reviewers: read the diff",
    "embedder": "decides which failures intake calls the same as a case; reviewers: read the diff",
}


def _project_code(at: RepoAt, rev: str, key: str) -> tuple[str | None, dict[str, str] | None]:
    """`[intake] <key>` at `rev` and, for code in the tree, its modules by content (`tree_code`)."""
    from failgate.eval.judge.tree_code import tree_modules
    from failgate.gate.judging import code_roots_at

    intake = at.config(rev).raw.get("intake")
    ref = intake.get(key) if isinstance(intake, dict) else None
    if not isinstance(ref, str) or ":" not in ref:
        return (ref if isinstance(ref, str) else None), None
    return ref, tree_modules(ref.partition(":")[0], at.project_reader(rev), code_roots_at(at, rev))


def project_code_changes(at: RepoAt, commits: list[str], merge_base: str, commit: str) -> list[PolicyChange]:
    """A project-local redactor or embedder whose code differs from the base's, by content like a
    judge plugin (a version string stands only for code installed from outside the tree), with
    the last commit of the range that touched it and its author."""
    found = []
    for key, effect in PROJECT_CODE.items():
        (ref_before, code_before), (ref_after, code_after) = (
            _project_code(at, merge_base, key),
            _project_code(at, commit, key),
        )
        if (ref_before, code_before) == (ref_after, code_after):
            continue
        old, new = code_before or {}, code_after or {}
        edited = sorted(path for path in set(old) | set(new) if old.get(path) != new.get(path))
        where = [join(at.root_rel, path) for path in edited or CONFIG_FILES]  # the code, else the setting
        changed_in = at.last_change(commits, functools.partial(_these, where))
        found.append(
            PolicyChange(
                f"intake.{key}",
                ref_before,
                ref_after,
                "policy",
                by=at.repo.get_author(changed_in) if changed_in else None,
                commit=changed_in,
                effect=(f"its code changed: {', '.join(edited)}; " if edited else "") + effect,
            )
        )
    return found


def _key(config: ConfigAt) -> str:
    value = config.raw.get("dataset")
    return str(value) if isinstance(value, str) and value else DEFAULT_DATASET_DIR


def _tip_is_whole(at: RepoAt, merge_base: str, commit: str) -> bool:
    """The tip itself loses nothing against the base: a later commit of the range restored what
    an earlier one deleted, so there is nothing left to restore, only a history to rewrite."""
    from failgate.checks.ledger import check_ledger

    return not any(f.is_error for f in check_ledger(*at.pair(merge_base, commit)))


def _summary(count: int, merge_base: str | None, commit: str, path: str, restored: bool = False) -> Any:
    from failgate.findings import Finding, Location

    start = merge_base[:10] if merge_base else "(root)"
    from failgate.checks.ledger_range import rewrite_hint

    fix = rewrite_hint(start) if restored else "restore the lines, or remove cases on the record with `failgate remove`"
    return Finding(
        "RANGE",
        f"{count} problem(s) in {start}..{commit[:10]}: a commit in the pushed range lost what "
        f"a parent had (a commit that skipped pre-commit, or a merge without failgate's drivers); {fix}",
        Location(path),
    )


def with_commits(at: RepoAt, commits: Sequence[str], dataset_rel: str, decisions: list[Decision]) -> list[Decision]:
    """Each decision with the commit of the range that added its event (for the reviewers' table)."""
    if not decisions:
        return decisions
    path = join(dataset_rel, HISTORY_FILE)
    found: dict[str, str] = {}
    for sha in commits:  # oldest first: the first commit whose history holds the id added it
        data = at.read(sha, path) or b""
        for decision in decisions:
            if decision.event_id not in found and decision.event_id.encode() in data:
                found[decision.event_id] = sha
    return [
        dataclasses.replace(
            d,
            commit=found.get(d.event_id),
            author=at.repo.get_author(found[d.event_id]) if d.event_id in found else None,
            committer=at.repo.get_committer(found[d.event_id]) if d.event_id in found else None,
        )
        for d in decisions
    ]


def retirements_with_authors(
    at: RepoAt, commits: Sequence[str], dataset_rel: str, retirements: list[Retirement]
) -> list[Retirement]:
    """Each retirement with the last commit of the range that touched the case files, and its author."""
    if not retirements:
        return retirements
    paths = [join(dataset_rel, name) for name in (CASES_FILE, WATCHLIST_FILE, REMOVED_FILE)]
    changed_in = at.last_change(list(commits), lambda _sha: paths)
    by = at.repo.get_author(changed_in) if changed_in else None
    return [dataclasses.replace(r, by=by, commit=changed_in) for r in retirements]
