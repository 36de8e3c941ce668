"""`failgate judge-change`'s use case: the owner's part of a judge change, in one transaction.

The manual's "Judge changes" (docs/how-to/judge-change.md). In the work tree
that changes the judge, against the same base the gate will use:

1. the judge before (the base's, from git objects) and after (the work tree's)
   are fingerprinted by content (`eval.judge.identity`); equal means there is
   nothing to decide;
2. where the base keeps a gold set, the new judge is graded on the *base's*
   gold file against the base's floor, as the gate will grade it;
3. the failure set runs under the new judge: every gating case must pass
   (otherwise main turns red at the merge);
4. only then, under the dataset lock and in one transaction, history.jsonl
   gets the results under the new judge, the grading (a record for people)
   and ONE `judge_changed` decision naming the judge before and after.

Nothing is written when a step fails.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from failgate.findings import FailgateError


@dataclasses.dataclass
class JudgeChangeRecord:
    before: str
    after: str
    what: list[str]
    gold: str | None  # the grading's verdict line, None without a gold set at the base
    results: int  # result events recorded under the new judge
    to_commit: list[str]  # paths relative to the repository root
    base: str


def _one_line(flag: str, value: str | None) -> str:
    from failgate.dataset.text import unwritable_character

    if not value or not value.strip():
        raise FailgateError(f"{flag} is required: the gate shows it to the reviewers beside the judge change")
    bad = unwritable_character(value, one_line=True)
    if bad is not None:
        raise FailgateError(f"{flag} must be one line of text; it holds {bad}")
    return value.strip()


def record_judge_change(reason: str | None, by: str | None, base: str | None, jobs: int | None) -> JudgeChangeRecord:
    from failgate.config import load_config
    from failgate.config.sections import gold_settings
    from failgate.dataset.events import new_event, new_event_id, utc_timestamp
    from failgate.dataset.model import CASES_FILE, HISTORY_FILE, WATCHLIST_FILE
    from failgate.dataset.parse import parse_dataset
    from failgate.dotted import code_roots
    from failgate.eval import cases as evalcases
    from failgate.eval.agents import build_agent
    from failgate.eval.agents.interpreter import for_config
    from failgate.eval.judge import JudgeOptions
    from failgate.eval.judge.gold import graded_event
    from failgate.eval.judge.identity import identity, installed_version_of, plugin_uses
    from failgate.eval.judge.tree_code import files_under
    from failgate.eval.recording import Stamp, actor, record_results
    from failgate.eval.runner import run_eval
    from failgate.gate import judging
    from failgate.gate.at_rev import RepoAt, join
    from failgate.gate.base import choose_base
    from failgate.gitrepo import open_repo

    reason, by = _one_line("--reason", reason), _one_line("--by", by)
    config = load_config()
    repo = open_repo(config.root)
    head = repo.head_commit()
    if head is None:
        raise FailgateError("no commit yet: a judge change is measured against the base, commit the dataset first")
    at = RepoAt(repo, repo.relpath(config.root))

    def base_branch_at(rev: str) -> str | None:
        forked = repo.merge_base(head, rev)
        value = at.config(forked).raw.get("base_branch") if forked else None
        return value if isinstance(value, str) else None

    configured = config.raw.get("base_branch")
    choice = choose_base(repo, head, base, base_branch_at, configured if isinstance(configured, str) else None)
    merge_base = repo.merge_base(head, choice.commit) if choice.commit else None
    if merge_base is None:
        raise FailgateError(f"no base to compare the judge with ({choice.name}); give --base REV")

    directory = config.dataset_dir
    base_rel = at.dataset_rel(merge_base)
    base_cases = parse_dataset(base_rel, cases=repo.get_blob(merge_base, join(base_rel, CASES_FILE))).cases
    selection = evalcases.load_selection(config, None)
    now_cases = [item.case for item in selection.cases if item.source == "cases"]
    judged_cases = [*base_cases, *now_cases]
    root = str(config.root)
    before = judging.identity_at(at, merge_base, judged_cases, root)
    section = config.section("judge")
    options = JudgeOptions.from_config(section, root, config.get("pythonpath"))
    gold_rel, _ = gold_settings(section)
    gold_path = config.root / gold_rel
    gold_now = gold_path.read_bytes() if gold_path.is_file() else None

    settings = judging.settings_part(judged_cases, options)
    # The same reading the gate makes of a revision (`judging.identity_at`), over the work tree.
    roots = code_roots(options.pythonpath)
    after = identity(
        settings, gold_now, plugin_uses(judged_cases), files_under(root), installed_version_of(root), roots
    )
    if after == before:
        raise FailgateError(
            f"the judge here is the base's ({before.fingerprint[:19]} at {merge_base[:10]}, {choice.name}): "
            "nothing to decide. Change the judge first (settings, model, a plugin's code, the gold set)"
        )

    workers = jobs or config.jobs
    grading = judging.grade_on_base_gold(at, merge_base, options, workers)
    if grading is not None and not grading.met:
        raise FailgateError(
            f"the new judge does not meet the base's gold floor: {grading.why}; nothing was written", exit_code=1
        )
    agent = build_agent(
        root=config.root,
        agent=config.agent,
        agent_command=config.agent_command,
        jobs=workers,
        python=for_config(config),
    )
    try:
        result = run_eval(selection.cases, agent, jobs=workers, timeout_s=config.timeout_s, options=options)
    finally:
        agent.close()
    failing = [c.case_id for c in result.failed]
    if failing:
        raise FailgateError(
            f"{len(failing)} gating case(s) fail under the new judge ({', '.join(failing)}): the gate would refuse "
            "the change, and after the merge main would be red. Nothing was written",
            exit_code=1,
        )

    who = actor(repo)
    extra: list[dict[str, Any]] = []
    if grading is not None and grading.detail is not None:
        extra.append(graded_event(new_event_id(), utc_timestamp(), after.fingerprint, head, who, grading.detail))
    decision = new_event(
        "judge_changed", "", actor=by, detail={"reason": reason, "from": before.fingerprint, "to": after.fingerprint}
    )
    decision.pop("case_id")  # about the whole judge, not a case
    extra.append(decision)
    history_rel = repo.relpath(directory / HISTORY_FILE)
    dirty = any(path != history_rel for path in repo.get_dirty_paths())
    summary = record_results(directory, result.cases, Stamp(head, dirty, who), extra)
    to_commit = [history_rel]
    if summary.counts:
        to_commit += [
            repo.relpath(directory / name) for name in (CASES_FILE, WATCHLIST_FILE) if (directory / name).is_file()
        ]
    return JudgeChangeRecord(
        before.fingerprint,
        after.fingerprint,
        after.differences(before),
        None if grading is None else grading.why,
        sum(e["type"] == "result" for e in summary.events),
        to_commit,
        choice.name,
    )


def describe(record: JudgeChangeRecord) -> list[str]:
    lines = [
        f"failgate judge-change: judge {record.before[:19]} -> {record.after[:19]} against {record.base} "
        f"({', '.join(record.what)})",
    ]
    if record.gold:
        lines.append(f"  gold set: {record.gold}")
    lines += [
        f"  recorded {record.results} result(s) under the new judge, and one judge_changed decision",
        "  commit it with the change, in the same pull request; the gate lists it first for review:",
        f"    git add {' '.join(record.to_commit)} && git commit -m 'judge change: ...'",
    ]
    return lines
