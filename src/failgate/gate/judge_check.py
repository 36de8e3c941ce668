"""`failgate judge-check [--record]`, the use case: grade the judge on the gold set.

Agreement, false-pass rate and Cohen's kappa per rule kind and overall
(`failgate.eval.judge.gold`). With `record`, a `judge_graded` event goes to
history.jsonl with the judge's fingerprint and the figures: the gate accepts a
judge change only when such an event, under the new fingerprint, met
`[tool.failgate.judge] gold_floor` (default 0.9 agreement, and no false pass on a
P0 example).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from failgate.checks.gold import load_gold, missing_gold
from failgate.config import Config, load_config
from failgate.dataset.events import new_event_id, utc_timestamp
from failgate.eval.judge import JudgeOptions, settings_fingerprint
from failgate.eval.judge.gold import (
    Graded,
    by_rule,
    figures,
    grade_concurrently,
    graded_detail,
    graded_event,
    meets_floor,
)
from failgate.exit_codes import USAGE
from failgate.findings import FailgateError, Finding

CALL_COUNTS = ("calls", "cached", "failed")


@dataclasses.dataclass
class JudgeCheck:
    gold: str  # the gold file as configured
    findings: list[Finding]  # the gold file's own (warnings, or the errors that stopped the grading)
    floor: float = 0.0
    fingerprint: str = ""
    graded: list[Graded] = dataclasses.field(default_factory=list)
    calls: dict[str, int] = dataclasses.field(default_factory=dict)  # judge-model calls made, cached, failed
    met: bool = False
    recorded: bool = False

    @property
    def valid(self) -> bool:
        return not any(f.is_error for f in self.findings) and bool(self.fingerprint)


def judge_check(
    record: bool, use_cache: bool = True, progress: Callable[[int, int, int], None] | None = None
) -> JudgeCheck:
    from failgate.eval.judge.llm_transport import total_stats  # httpx: only a grading pays for it

    config = load_config()
    section = config.section("judge")
    gold_rel, floor = config.gold.path, config.gold.floor
    gold_path = config.root / gold_rel
    shown = str(Path(gold_rel))
    if not gold_path.is_file():
        raise FailgateError(f"no gold set at {shown}", exit_code=USAGE, findings=[missing_gold(shown)])
    data = gold_path.read_bytes()
    doc, findings = load_gold(data, shown)
    if doc is None or any(f.is_error for f in findings):
        return JudgeCheck(shown, findings)
    options = JudgeOptions.from_config(section, str(config.root), config.get("pythonpath"))
    if not use_cache:
        options = options.without_cache()
    fingerprint = settings_fingerprint(options)
    before = total_stats()
    graded = grade_concurrently(doc.data["examples"], options, jobs=options.llm.max_concurrency, progress=progress)
    after = total_stats()
    overall = figures(graded)
    met, _ = meets_floor(overall, floor)
    if record:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        _record(config, fingerprint, graded_detail(overall, by_rule(graded), floor, shown, digest))
    calls = {k: getattr(after, k) - getattr(before, k) for k in CALL_COUNTS}
    return JudgeCheck(shown, findings, floor, fingerprint, graded, calls, met, record)


def _record(config: Config, fingerprint: str, detail: dict[str, Any]) -> None:
    from failgate.eval.recording import actor, append_events
    from failgate.gitrepo import open_repo  # pygit2: only --record reads git

    repo = open_repo(config.root)
    event = graded_event(new_event_id(), utc_timestamp(), fingerprint, repo.head_commit(), actor(repo), detail)
    append_events(config.dataset_dir, [event])
