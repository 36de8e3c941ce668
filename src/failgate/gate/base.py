"""Which commit the gate compares against: never one the branch under test chose.

The manual's "What the gate trusts" (docs/explanation/what-the-gate-trusts.md), and the rules that follow from it:

- `--base REV` when given.
- Under GitHub Actions (`GITHUB_ACTIONS=true`), the workflow calls plain
  `failgate gate`: on `pull_request` the target branch (`origin/$GITHUB_BASE_REF`);
  on `push` the pushed range's old tip (`before` in the JSON at
  `GITHUB_EVENT_PATH`), because `origin/<pushed branch>` *is* the pushed
  commit there and a commit compared with itself passes everything. A new
  branch (`before` all zeros) or a `before` that is gone after a force push
  falls back to the remote's default branch, else to "no baseline".
- Otherwise the protected branch: the remote's default branch
  (`refs/remotes/<remote>/HEAD`, else `<remote>/main`, `<remote>/master`),
  else a local `main`/`master`; `base_branch` is then read from the
  configuration *at the merge-base with it*, so `base_branch = "HEAD"` on the
  branch changes nothing. The branch's own upstream is never used: it is the
  branch itself on the remote.
- A base that is the commit under test or one of its descendants is refused
  (exit 2) with the fix, except in the CI fallbacks above, which say "no baseline".
- A first push to an empty remote has no baseline: every active case must pass.
- `pull_request_target` checks out the base branch by default: the commit under
  test must be the pull request's head or a merge containing it (exit 2 with the
  `ref:` fix). `merge_group` (a merge queue) compares with the queue's base.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Mapping
from typing import Any

from failgate.findings import FailgateError

ZERO = "0" * 40
_FIX = (
    'set base_branch in [tool.failgate] to the protected branch (e.g. "origin/main") and merge that, '
    "or pass --base REV naming it"
)


@dataclasses.dataclass(frozen=True)
class BaseChoice:
    name: str  # what the report calls the base
    commit: str | None  # None: no baseline (empty remote, new history)
    notes: tuple[str, ...] = ()


def _remote(env: Mapping[str, str], repo: Any) -> str:
    named = env.get("PRE_COMMIT_REMOTE_NAME")
    if named:
        return named
    remotes = repo.get_remote_names()
    return "origin" if "origin" in remotes or not remotes else remotes[0]


def protected_branch(repo: Any, remote: str) -> str | None:
    """The remote's default branch as this clone knows it, else a local main/master."""
    candidates = [repo.get_remote_default_branch(remote), f"{remote}/main", f"{remote}/master", "main", "master"]
    for name in candidates:
        if name and _resolves(repo, name):
            return name
    return None


def _is_protected(repo: Any, rev: str) -> bool:
    """A protected branch that *is* the commit under test (a fresh branch, an old commit of main)
    is an honest, empty range; a name like HEAD or the branch's own upstream is a dodge."""
    names = {"main", "master"}
    for remote in repo.get_remote_names():
        names |= {f"{remote}/main", f"{remote}/master", repo.get_remote_default_branch(remote) or ""}
    return rev in names


def _resolves(repo: Any, rev: str) -> bool:
    try:
        repo.resolve(rev)
    except FailgateError:
        return False
    return True


def _empty_remote(repo: Any, rev: str) -> str | None:
    """The remote's name when `rev` is `<remote>/<branch>` of a remote that has no branches yet."""
    remote, _, branch = rev.partition("/")
    if branch and remote in repo.get_remote_names() and not repo.get_remote_branches(remote):
        return remote
    return None


def _no_baseline(name: str, why: str) -> BaseChoice:
    return BaseChoice(name, None, (f"no baseline yet: {why}; every active case must pass",))


def _named(repo: Any, rev: str, commit: str, how: str, *, refuse_self: bool = True) -> BaseChoice:
    remote = _empty_remote(repo, rev) if not _resolves(repo, rev) else None
    if remote is not None:
        return _no_baseline(rev, f"{remote} has no branches (first push to an empty remote)")
    sha = repo.resolve(rev)  # a named base that does not resolve is an error, never a silent fallback
    if refuse_self and repo.is_ancestor(commit, sha) and not _is_protected(repo, rev):
        what = "the commit under test" if sha == commit else "a descendant of the commit under test"
        raise FailgateError(
            f"base {rev!r} ({how}) is {what} ({sha[:10]}): the gate would compare the commit with itself "
            f"and pass anything; {_FIX}"
        )
    return BaseChoice(rev, sha, (f"base {rev}: {how}",))


def _github_event(env: Mapping[str, str]) -> dict[str, Any]:
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


PR_TARGET_FIX = (
    "pull_request_target checks out the base branch unless told otherwise, and the gate would judge it "
    "against itself and pass every pull request. Check out the pull request: in the workflow's "
    "actions/checkout step, `with: ref: ${{ github.event.pull_request.head.sha }}` (and fetch-depth: 0)"
)


def _pull_request_target_checkout(repo: Any, commit: str, env: Mapping[str, str]) -> None:
    """Under `pull_request_target` the commit under test must be the pull request's head or a
    merge containing it; exit 2 with the `ref:` fix otherwise."""
    pull = _github_event(env).get("pull_request")
    head = (pull.get("head") or {}).get("sha") if isinstance(pull, dict) else None
    if isinstance(head, str) and repo.has_commit(head) and repo.is_ancestor(head, commit):
        return
    shown = head[:10] if isinstance(head, str) else "(not in the event)"
    raise FailgateError(
        f"the checked-out commit {commit[:10]} is not the pull request's head {shown} nor a merge "
        f"containing it. {PR_TARGET_FIX}",
        exit_code=2,
    )


def _github(repo: Any, commit: str, env: Mapping[str, str]) -> BaseChoice | None:
    event = env.get("GITHUB_EVENT_NAME")
    if event == "pull_request_target":
        _pull_request_target_checkout(repo, commit, env)
    if event == "merge_group":
        # A merge queue tests the queued merge against the queue's base (the target as it will be).
        group = _github_event(env).get("merge_group")
        base_sha = group.get("base_sha") if isinstance(group, dict) else None
        if isinstance(base_sha, str) and repo.has_commit(base_sha) and base_sha != commit:
            return BaseChoice(base_sha, repo.resolve(base_sha), (f"base {base_sha[:10]}: the merge queue's base",))
    if event in ("pull_request", "pull_request_target") and env.get("GITHUB_BASE_REF"):
        return _named(repo, f"origin/{env['GITHUB_BASE_REF']}", commit, "the pull request's target branch")
    if event != "push":
        return None
    before = str(_github_event(env).get("before") or "")
    if before and before != ZERO and repo.has_commit(before) and before != commit:
        how = (
            "the branch before this push (github.event.before)"
            if repo.is_ancestor(before, commit)
            else "the branch before this force push (github.event.before; compared from the merge-base)"
        )
        return BaseChoice(before, repo.resolve(before), (f"base {before[:10]}: {how}",))
    why = (
        "a new branch (github.event.before is all zeros)"
        if not before or before == ZERO
        else f"the branch's old tip {before[:10]} (github.event.before) is gone: a force push rewrote the branch, "
        "and what it held beyond this commit is no longer on it (recover it from a clone that still has it)"
    )
    fallback = protected_branch(repo, "origin")
    if fallback is not None and not repo.is_ancestor(commit, repo.resolve(fallback)):
        return BaseChoice(fallback, repo.resolve(fallback), (f"base {fallback}: {why}; the default branch instead",))
    return _no_baseline("(none)", why)


def choose_base(
    repo: Any,
    commit: str,
    explicit: str | None,
    configured_at: Callable[[str], str | None],
    configured_now: str | None,
    env: Mapping[str, str] | None = None,
) -> BaseChoice:
    """`configured_at(rev)` is `base_branch` in the configuration at the merge-base of the
    commit with `rev`; `configured_now` the branch's own, used only when there is no
    protected branch to read it from (a repository without remote, main or master)."""
    env = os.environ if env is None else env
    if explicit:
        return _named(repo, explicit, commit, "--base")
    if env.get("GITHUB_ACTIONS") == "true":
        chosen = _github(repo, commit, env)
        if chosen is not None:
            return chosen
    remote = _remote(env, repo)
    if remote in repo.get_remote_names() and not repo.get_remote_branches(remote):
        return _no_baseline(
            configured_now or f"{remote}/main", f"{remote} has no branches (first push to an empty remote)"
        )
    protected = protected_branch(repo, remote)
    if protected is None:
        if configured_now:
            return _named(
                repo,
                configured_now,
                commit,
                "base_branch of the commit under test (no protected branch found to read it from)",
            )
        raise FailgateError(
            f"no base to compare against: no {remote}/HEAD, {remote}/main, {remote}/master, main or "
            f"master; pass --base REV or set base_branch in [tool.failgate]"
        )
    configured = configured_at(protected)
    if configured and configured != protected:
        return _named(repo, configured, commit, f"base_branch as configured at the merge-base with {protected}")
    how = (
        "base_branch as configured at the merge-base"
        if configured
        else "the protected branch (no base_branch configured at the base; the branch's own upstream is never used)"
    )
    return _named(repo, protected, commit, how)
