"""`failgate gate`'s use case: gather the base and the range from git, run the agent, decide.

The I/O edge of `failgate.gate.decision` (the manual's "The gate"): chooses the
commit under test and the base, reads the baseline from git objects (never a
checkout), runs the agent on a clean tree of the commit under test, and
returns the decision for the command to render.

- Commit and tree: `gate.tree`. Base: `gate.base` (never one the branch
  chose). Baseline = history.jsonl at merge-base(commit, base); none on a
  first push.
- Before anything runs, `gate.integrity`: the ledger check over every commit
  of the range, the policy at the base and the changes to it.
- Policy (`gate.mode`, `dataset`, sets, judge settings) is the base's
  (`gate.policy`); the agent is the branch's. A range that changes the judge
  is judged by both judges (`gate.judging`, `gate.judge_change`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from failgate.findings import FailgateError


@dataclasses.dataclass
class GateSettings:
    base: str | None = None
    rev: str | None = None
    fmt: str = "text"
    output: Path | None = None
    jobs: int | None = None
    html: Path | None = None  # the report page, focused on the range (failgate.report.pages.gate_page)
    notify: bool = False  # send the red cases to [tool.failgate.notify] (the gate on main)


def _check_set_file(selection: Any) -> None:
    """A set's case file is validated by its own schema (id, input, expected, optional tags)."""
    from failgate.dataset.schemas import validator_for
    from failgate.dataset.yamlstrict import load_yaml
    from failgate.findings import Finding

    path = selection.cases_path
    doc = load_yaml(path.read_bytes(), str(path))
    findings = [
        Finding("SCHEMA", f"set {selection.set_name}: {error.message}", doc.locate(list(error.absolute_path)))
        for error in validator_for("aggregate-cases").iter_errors(doc.data)
    ]
    if findings:
        raise FailgateError(f"{path}: invalid set file", exit_code=1, findings=findings)


def _now_selection(eval_config: Any, dataset: Any) -> Any:
    """The failure set at the commit under test, parsed once from its blobs (evalcases'
    own loader would also parse the 100,000-line history, which the gate reads otherwise)."""
    from failgate.eval import cases as evalcases

    if "cases.yaml" not in dataset.present:
        raise FailgateError(f"no {dataset.path('cases.yaml')} at the commit under test; the gate needs the dataset")
    return evalcases.selection_from_dataset(
        dataset, eval_config.dataset_dir, what="the dataset at the commit under test"
    )


def _adopt_new_judge_model(base_run: Any, branch_run: Any) -> tuple[Any, list[str]]:
    """Cases the base's judge could not judge at all (no judge model there) take the branch's
    verdict: a judge model configured with its first llm_rubric case is a judge change the
    range pays for, not a case that fails "not configured"."""
    import dataclasses as dc

    from failgate.eval.judge import NO_JUDGE_MODEL

    branch = branch_run.by_id()
    adopted, cases = [], []
    for case in base_run.cases:
        failed = [r for r in case.failed_rules]
        if failed and all(r.got == NO_JUDGE_MODEL for r in failed) and case.case_id in branch:
            adopted.append(case.case_id)
            cases.append(branch[case.case_id])
        else:
            cases.append(case)
    if not adopted:
        return base_run, []
    note = (
        f"{', '.join(adopted)}: the base configures no judge model; judged by the branch's, "
        "which this range adds (a judge change: it needs its decision)"
    )
    return dc.replace(base_run, cases=cases), [note]


def evaluate(settings: GateSettings) -> Any:
    import contextlib
    import tempfile

    from failgate.config import Config, load_config
    from failgate.dataset.history import fold_latest, range_events
    from failgate.dataset.model import CASES_FILE, HISTORY_FILE, WATCHLIST_FILE
    from failgate.dataset.parse import parse_dataset
    from failgate.dataset.quarantine import quarantines
    from failgate.dotted import code_from, import_paths
    from failgate.eval import cases as evalcases
    from failgate.eval.agents import build_agent
    from failgate.eval.agents.interpreter import for_config as agent_python_for
    from failgate.eval.attempts import attempt_policy
    from failgate.eval.judge import JudgeOptions
    from failgate.eval.rejudge import rejudge
    from failgate.eval.runner import EvalCase, run_eval
    from failgate.gate import integrity, judge_change, judging
    from failgate.gate.at_rev import RepoAt, join
    from failgate.gate.base import choose_base
    from failgate.gate.decision import Range, decide, retired_cases, retirements
    from failgate.gate.decisions import decisions_in
    from failgate.gate.definitions import redefined_cases
    from failgate.gate.drops import reliability_plan
    from failgate.gate.policy import effective_raw, gate_alpha, gate_mode
    from failgate.gate.tree import (
        choose_commit,
        evaluation_tree,
        materialise_fixtures,
        revision_tree,
        working_directory,
    )
    from failgate.gitrepo import FETCH_HINT, open_repo
    from failgate.progress import case_progress, progress_wanted

    config = load_config()
    repo = open_repo(config.root)
    if repo.is_shallow():
        raise FailgateError(f"the gate reads its baseline from the history at the merge-base; {FETCH_HINT}")
    commit, notes = choose_commit(repo, settings.rev)
    at = RepoAt(repo, repo.relpath(config.root))

    def base_branch_at(rev: str) -> str | None:
        forked = repo.merge_base(commit, rev)
        value = at.config(forked).raw.get("base_branch") if forked else None
        return value if isinstance(value, str) else None

    now_branch = at.config(commit).raw.get("base_branch")
    choice = choose_base(
        repo, commit, settings.base, base_branch_at, now_branch if isinstance(now_branch, str) else None
    )
    notes += choice.notes
    merge_base = repo.merge_base(commit, choice.commit) if choice.commit else None
    if choice.commit and merge_base is None:
        raise FailgateError(f"{commit[:10]} and {choice.name} share no history (no merge-base); check --base")
    # Everything the verdict depends on comes from the base (gate.policy); with no
    # baseline yet, the commit's own configuration is all there is.
    review = integrity.review(at, commit, merge_base)
    mode = gate_mode(review.base_config)
    root_rel = at.root_rel

    with (
        evaluation_tree(repo, commit, notes) as tree,
        tempfile.TemporaryDirectory(prefix="failgate-base-") as scratch,
        contextlib.ExitStack() as stack,
    ):
        root = tree / root_rel if root_rel else tree
        branch_config = load_config(root)
        raw = effective_raw(review.base_config, branch_config.raw)
        raw["dataset"] = review.now_dataset_key
        eval_config = Config(root=branch_config.root, source=branch_config.source, raw=raw)
        dataset_rel, base_rel = review.now_dataset_rel, review.base_dataset_rel
        notes += review.notes

        def blob(rev: str, directory: str, name: str) -> bytes | None:
            return repo.get_blob(rev, join(directory, name))

        def unchanged(name: str) -> bool:
            return (
                merge_base is not None
                and base_rel == dataset_rel
                and (
                    repo.get_blob_id(merge_base, join(base_rel, name))
                    == repo.get_blob_id(commit, join(dataset_rel, name))
                )
            )

        # Most pushes touch neither file: equal blob ids mean equal bytes, parsed once.
        now_dataset = parse_dataset(
            dataset_rel,
            cases=blob(commit, dataset_rel, CASES_FILE),
            watchlist=blob(commit, dataset_rel, WATCHLIST_FILE),
        )
        if merge_base is None:
            base_dataset = parse_dataset(base_rel, cases=None)
        elif unchanged(CASES_FILE) and unchanged(WATCHLIST_FILE):
            base_dataset = now_dataset
        else:
            base_dataset = parse_dataset(
                base_rel,
                cases=blob(merge_base, base_rel, CASES_FILE),
                watchlist=blob(merge_base, base_rel, WATCHLIST_FILE),
            )
        selection = _now_selection(eval_config, now_dataset)
        base_history = blob(merge_base, base_rel, HISTORY_FILE) if merge_base else None
        added = [] if unchanged(HISTORY_FILE) else range_events(base_history, blob(commit, dataset_rel, HISTORY_FILE))
        baseline = fold_latest(base_history, base_dataset.case_ids())
        now_cases = [i.case for i in selection.cases if i.source == "cases"]
        now_watch = [i.case for i in selection.cases if i.source == "watchlist"]
        retired = retired_cases(baseline, base_dataset.cases, now_cases, now_watch)
        redefinitions = (
            []
            if merge_base is None
            else redefined_cases(
                base_dataset.cases,
                now_cases,
                # By content: a fixture that is a link is what it points at (editing the target redefines).
                lambda path: repo.get_content_id(merge_base, join(base_rel, path)),
                lambda path: repo.get_content_id(commit, join(dataset_rel, path)),
            )
        )
        fixtures = Path(scratch)
        if merge_base is not None:
            materialise_fixtures(
                repo,
                merge_base,
                base_rel,
                [*(r.definition for r in retired), *(r.definition for r in redefinitions)],
                fixtures,
            )
        retired_items = [
            EvalCase(dict(r.definition), fixtures, gating=True, source=f"retired:{r.how}") for r in retired
        ]
        redefined_items = [
            EvalCase(dict(r.definition), fixtures, gating=True, source="redefined") for r in redefinitions
        ]
        set_selections = [evalcases.load_selection(eval_config, name) for name in sorted(eval_config.sets)]
        for set_selection in set_selections:
            _check_set_file(set_selection)

        jobs = settings.jobs or eval_config.jobs
        options = JudgeOptions.from_config(eval_config.section("judge"), str(root), eval_config.get("pythonpath"))
        # The judge at the base and at the commit under test, by content (eval.judge.identity).
        judged_cases = [*base_dataset.cases, *now_cases]
        judge_before = judge_after = None
        if merge_base is not None:
            judge_before = judging.identity_at(at, merge_base, judged_cases, str(root))
            judge_after = judging.identity_at(at, commit, judged_cases, str(root))
        # The blocking verdict is the base's judge, its plugin code included: when the range changes
        # that code, the base's own tree provides it, imported apart from the branch's (the branch's
        # plugins judge only the comparison below).
        base_code: Any = contextlib.nullcontext()
        if merge_base and judge_before and judge_after and judge_before.code != judge_after.code:
            base_root = stack.enter_context(revision_tree(repo, merge_base)) / root_rel
            section, base_pythonpath = eval_config.section("judge"), review.base_config.raw.get("pythonpath")
            options = dataclasses.replace(
                JudgeOptions.from_config(section, str(root), base_pythonpath), code_root=str(base_root)
            )
            base_code = code_from(import_paths(str(base_root), options.pythonpath))
            notes.append(f"plugin judges: the base's code ({merge_base[:10]}) decides the verdict")
        # The consumer's interpreter (its venv, not a pre-commit hook's), importing the tree's code first.
        python = agent_python_for(eval_config, code_root=root, python_root=config.root)
        from failgate.eval.replay import ReplaySettings, gate_section

        # Cases with a cassette replay it: on_divergence is the base's policy; a tool either side names is intercepted.
        replay = ReplaySettings.from_section(
            gate_section(eval_config.section("replay"), branch_config.section("replay"))
        )
        agent = build_agent(
            root=root,
            agent=eval_config.agent,
            agent_command=eval_config.agent_command,
            jobs=jobs,
            python=python,
            replay_tools=replay.tools,
        )
        notes.append(f"agent: {agent.name} in {python.describe()}")
        # Stochastic cases against the base's own k/N records, at the base's error budget.
        stochastic = [i.id for i in selection.cases if i.gating and attempt_policy(i.case).most > 1]
        reliability = reliability_plan(baseline, stochastic, gate_alpha(review.base_config))
        common: dict[str, Any] = {
            "jobs": jobs,
            "timeout_s": eval_config.timeout_s,
            "options": options,
            "replay": replay,
        }
        try:
            with working_directory(root), base_code, case_progress("gate", progress_wanted()) as progress:
                common["progress"] = progress  # one bar, its total set by each run in turn
                result = run_eval(
                    selection.cases, agent, taxonomy=selection.taxonomy, reliability=reliability, **common
                )
                retired_result = (
                    run_eval(retired_items, agent, taxonomy=selection.taxonomy, set_name="retired", **common)
                    if retired_items
                    else None
                )
                redefined_result = (
                    run_eval(
                        redefined_items, agent, taxonomy=selection.taxonomy, set_name="baseline definitions", **common
                    )
                    if redefined_items
                    else None
                )
                sets = [
                    run_eval(s.cases, agent, taxonomy=s.taxonomy, set_name=s.set_name, floor=s.floor, **common)
                    for s in set_selections
                ]
        finally:
            agent.close()

        check = None
        branch_result = None
        if (
            merge_base is not None
            and judge_before is not None
            and judge_after is not None
            and judge_before != judge_after
        ):
            # The range changes the judge: the same responses, judged by the branch's own judge too.
            branch_section = judging.judge_section(at, commit)
            branch_options = JudgeOptions.from_config(branch_section, str(root), eval_config.get("pythonpath"))
            runs = [(selection.cases, result), (retired_items, retired_result), (redefined_items, redefined_result)]
            base_runs = [run for _, run in runs if run is not None]
            branch_runs = [rejudge(items, run, branch_options) for items, run in runs if run is not None]
            branch_result = branch_runs[0]
            result, adopted = _adopt_new_judge_model(result, branch_result)
            notes += adopted
            grading = judging.grade_on_base_gold(at, merge_base, branch_options, jobs)
            check = judge_change.check(
                before=judge_before.fingerprint,
                after=judge_after.fingerprint,
                what=judge_after.differences(judge_before),
                decisions=decisions_in(added),
                base_runs=[result, *base_runs[1:]],
                branch_runs=branch_runs,
                gold=None if grading is None else (grading.met, grading.why),
            )

    decision = decide(
        range=Range(commit, merge_base, choice.name, tuple(notes)),
        baseline=baseline,
        base_cases=base_dataset.cases,
        now_cases=now_cases,
        range_events=added,
        result=result,
        retired=retired,
        retired_result=retired_result,
        sets=sets,
        mode=mode,
        redefinitions=redefinitions,
        redefined_result=redefined_result,
        policy_changes=review.policy_changes,
        judge_check=check,
        branch_result=branch_result,
        reliability=reliability,
        quarantines=quarantines(base_history),
    )
    decision.decisions = integrity.with_commits(at, review.commits, dataset_rel, decision.decisions)
    decision.retirements = integrity.retirements_with_authors(
        at, review.commits, dataset_rel, retirements(base_dataset.cases, now_cases, now_watch)
    )
    if check is None and merge_base is not None and judge_before is not None and decision.earlier_judge_cases:
        from failgate.dataset.history import parse_events

        vouching = judging.vouching_decision(parse_events(base_history or b"")[0], judge_before.fingerprint)
        changed_in = None if vouching else judging.where_judge_changed(at, merge_base, judged_cases, str(config.root))
        decision.judge_note = judge_change.baseline_note(vouching, changed_in)
    return decision
