"""The notification step of `gate --notify` and `watch`: the decision in, one message per sink out.

The routing table is read at the base of the decision (its merge-base, the
commit the baseline came from), like every other policy the gate applies; the
owners are the cases' own at the commit under test; what was already sent is
remembered under the git directory (`notify.state`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from failgate.notify import NotifyReport, alerts_of, notify
from failgate.notify.routing import routing_from
from failgate.notify.sinks import RunContext
from failgate.notify.state import STATE_FILE


def run_link(env: Mapping[str, str]) -> str | None:
    server, repository, run = env.get("GITHUB_SERVER_URL"), env.get("GITHUB_REPOSITORY"), env.get("GITHUB_RUN_ID")
    return f"{server}/{repository}/actions/runs/{run}" if server and repository and run else None


def notify_decision(decision: Any, run: str, env: Mapping[str, str] | None = None) -> NotifyReport:
    from failgate.config import load_config
    from failgate.dataset.model import CASES_FILE
    from failgate.dataset.parse import parse_dataset
    from failgate.gate.at_rev import RepoAt, join
    from failgate.gitrepo import open_repo

    env = os.environ if env is None else env
    config = load_config()
    repo = open_repo(config.root)
    at = RepoAt(repo, repo.relpath(config.root))
    commit = decision.range.commit
    policy_rev = decision.range.merge_base or commit
    routing = routing_from(at.config(policy_rev).raw.get("notify"))
    dataset_rel = at.dataset_rel(commit)
    dataset = parse_dataset(dataset_rel, cases=repo.get_blob(commit, join(dataset_rel, CASES_FILE)))
    owners = {str(c.get("id")): str(c.get("owner") or "(no owner)") for c in dataset.cases}
    context = RunContext(
        run=run,
        repository=env.get("GITHUB_REPOSITORY") or config.root.name,
        commit=commit,
        verdict=decision.verdict(),
        link=run_link(env),
    )
    return notify(alerts_of(decision, owners), routing, context, repo.common_dir / STATE_FILE, env)
