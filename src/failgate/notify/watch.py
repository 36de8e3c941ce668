"""`failgate watch`: the gate on main against its own last green run, every night.

Drift from outside the repository (the provider changed its model, a
dependency moved) shows up as a case that passed at the last green run and
fails now, on a commit nobody touched. The last green commit is remembered
under the git directory; before the first green run, when nothing was
committed since, or when that commit is no longer an ancestor (history
rewritten), the base is the checked-out protected branch itself, so the
baseline is what its own history.jsonl last recorded.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from failgate.notify import NotifyReport

WATCH_STATE = "failgate/watch.json"


@dataclasses.dataclass
class WatchResult:
    decision: Any
    base: str
    report: NotifyReport


def _last_green(path: Path) -> str | None:
    from failgate.dataset.jsonstrict import loads_or_none

    try:
        value = loads_or_none(path.read_text(encoding="utf-8")).get("last_green")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def watch(base: str | None = None, jobs: int | None = None) -> WatchResult:
    from failgate.atomic import write_atomic
    from failgate.config import load_config
    from failgate.gate.run import GateSettings, evaluate
    from failgate.gitrepo import open_repo
    from failgate.notify.after_gate import notify_decision

    config = load_config()
    repo = open_repo(config.root)
    head = repo.resolve("HEAD")
    state = repo.common_dir / WATCH_STATE
    if base is None:
        green = _last_green(state)
        if green and green != head and repo.has_commit(green) and repo.is_ancestor(green, head):
            base = green
        else:
            # The protected branch by name: the gate accepts it as the commit's own base (an empty range),
            # which a bare sha would be refused as (gate.base).
            base = repo.get_branch_name() or str(config.raw.get("base_branch") or "main")
    decision = evaluate(GateSettings(base=base, rev=head, jobs=jobs))
    report = notify_decision(decision, "watch")
    if decision.passed:
        state.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(state, json.dumps({"last_green": head}) + "\n")
    return WatchResult(decision, base, report)
