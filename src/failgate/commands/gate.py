"""`failgate gate [--base REV]`: the pre-push and CI gate (DESIGN.md "The gate", issue 6).

The I/O edge of `failgate.gate.decision`: chooses the commit under test and the base,
reads the baseline from git objects (never a checkout), runs the agent on a
clean tree of the commit under test, and prints the decision.

- Commit under test: `--rev`, else `PRE_COMMIT_TO_REF` (pre-commit's pre-push
  stage: the pushed commit, not the index, which pre-commit leaves holding
  staged-but-uncommitted changes), else HEAD -- said out loud when running
  as a pre-commit hook without the ref variables (`pre-commit run
  --hook-stage pre-push --all-files` sets none).
- Base: `failgate.gate.base` (never one the branch chose: `--base`, the CI
  event's target or pushed range, else the protected branch and the
  `base_branch` configured at the merge-base with it). Baseline =
  history.jsonl at merge-base(commit, base); none on a first push.
- Before anything runs, `failgate.gate.integrity`: the ledger check over
  every commit of the range, the policy at the base and the changes to it.
- When the work tree differs from the commit under test (or that commit is
  not HEAD), the eval runs in a temporary `git worktree add --detach` of it,
  removed afterwards: uncommitted edits neither hide nor cause a failure.
- Policy (`gate.mode`, `dataset`, sets, judge settings) is the base's
  (`failgate.gate.policy`); the agent is the branch's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from failgate.findings import FailgateError

_ZERO = "0" * 40


@dataclasses.dataclass
class GateSettings:
    base: str | None = None
    rev: str | None = None
    fmt: str = "text"
    output: Path | None = None
    jobs: int | None = None
    html: Path | None = None  # the report page, focused on the range (failgate.report.pages.gate_page)
    notify: bool = False  # send the red cases to [tool.failgate.notify] (the gate on main)


def choose_commit(repo: Any, rev: str | None) -> tuple[str, list[str]]:
    if rev:
        return repo.resolve(rev), []
    to_ref = os.environ.get("PRE_COMMIT_TO_REF")
    if to_ref and to_ref != _ZERO:
        branch = os.environ.get("PRE_COMMIT_REMOTE_BRANCH") or "the remote"
        sha = repo.resolve(to_ref)
        return sha, [f"pre-push: judging the pushed commit {sha[:10]} (PRE_COMMIT_TO_REF) for {branch}, not the index"]
    head = repo.resolve("HEAD")
    if os.environ.get("PRE_COMMIT") == "1":
        return head, [
            "PRE_COMMIT_TO_REF is not set (e.g. `pre-commit run --hook-stage pre-push --all-files`): "
            f"judging HEAD ({head[:10]}) against the configured base instead"
        ]
    return head, []


@contextlib.contextmanager
def evaluation_tree(repo: Any, commit: str, notes: list[str]) -> Iterator[Path]:
    """The work tree to run the agent in: this one when it *is* the commit, else a temporary worktree."""
    import shutil
    import tempfile

    head = repo.head_commit()
    dirty = repo.get_dirty_paths()
    if commit == head and not dirty:
        yield repo.workdir
        return
    if commit == head:
        notes.append(
            f"the work tree differs from {commit[:10]} ({len(dirty)} changed path(s), e.g. {dirty[0]}): "
            "evaluating a clean temporary worktree of the commit"
        )
    else:
        notes.append(f"{commit[:10]} is not the checked-out HEAD: evaluating a clean temporary worktree of it")
    holder = Path(tempfile.mkdtemp(prefix="failgate-gate-"))
    tree = holder / "tree"
    try:
        repo.add_worktree(commit, tree)
        yield tree
    finally:
        repo.remove_worktree(tree)
        shutil.rmtree(holder, ignore_errors=True)


@contextlib.contextmanager
def _cwd(path: Path) -> Iterator[None]:
    # An agent that reads files relative to its cwd must see the commit under test.
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def _materialise_fixtures(repo: Any, commit: str, dataset_rel: str, cases: list[Any], into: Path) -> None:
    """Retired cases run from their baseline definition, fixtures included: a removed case
    may have taken its fixture files with it."""
    for case in cases:
        raw = case.get("input") if isinstance(case.get("input"), dict) else {}
        fixtures = raw.get("fixtures")
        for item in fixtures if isinstance(fixtures, list) else [fixtures] if fixtures else []:
            data = repo.get_blob(commit, f"{dataset_rel}/{item}" if dataset_rel else str(item))
            if data is not None:
                target = into / str(item)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)


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


def evaluate(settings: GateSettings) -> Any:
    import tempfile

    from failgate.config import Config, load_config
    from failgate.dataset.history import fold_latest, range_events
    from failgate.dataset.model import CASES_FILE, HISTORY_FILE, WATCHLIST_FILE
    from failgate.dataset.parse import parse_dataset
    from failgate.eval import cases as evalcases
    from failgate.eval.agents import build_agent
    from failgate.eval.agents.interpreter import for_config as agent_python_for
    from failgate.eval.judge import JudgeOptions
    from failgate.eval.runner import EvalCase, run_eval
    from failgate.gate import integrity
    from failgate.gate.at_rev import RepoAt, join
    from failgate.gate.base import choose_base
    from failgate.gate.decision import Range, decide, retired_cases
    from failgate.gate.definitions import redefined_cases
    from failgate.gate.policy import effective_raw, gate_mode
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

    with evaluation_tree(repo, commit, notes) as tree, tempfile.TemporaryDirectory(prefix="failgate-base-") as scratch:
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
                lambda path: repo.get_blob_id(merge_base, join(base_rel, path)),
                lambda path: repo.get_blob_id(commit, join(dataset_rel, path)),
            )
        )
        fixtures = Path(scratch)
        if merge_base is not None:
            _materialise_fixtures(
                repo, merge_base, base_rel, [r.definition for r in (*retired, *redefinitions)], fixtures
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
        options = JudgeOptions.from_config(eval_config.section("judge"), str(root))
        # The consumer's interpreter (its venv, not a pre-commit hook's), importing the tree's code first.
        python = agent_python_for(eval_config, code_root=root, python_root=config.root)
        agent = build_agent(
            root=root, agent=eval_config.agent, agent_command=eval_config.agent_command, jobs=jobs, python=python
        )
        notes.append(f"agent: {agent.name} in {python.describe()}")
        common = {"jobs": jobs, "timeout_s": eval_config.timeout_s, "options": options}
        try:
            with _cwd(root), case_progress("gate", progress_wanted()) as progress:
                common["progress"] = progress  # one bar, its total set by each run in turn
                result = run_eval(selection.cases, agent, taxonomy=selection.taxonomy, **common)  # type: ignore[arg-type]
                retired_result = (
                    run_eval(retired_items, agent, taxonomy=selection.taxonomy, set_name="retired", **common)
                    if retired_items
                    else None
                )  # type: ignore[arg-type]
                redefined_result = (
                    run_eval(
                        redefined_items, agent, taxonomy=selection.taxonomy, set_name="baseline definitions", **common
                    )  # type: ignore[arg-type]
                    if redefined_items
                    else None
                )
                sets = [
                    run_eval(s.cases, agent, taxonomy=s.taxonomy, set_name=s.set_name, floor=s.floor, **common)  # type: ignore[arg-type]
                    for s in set_selections
                ]
        finally:
            agent.close()

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
        # [judge] is policy: gold path and floor as the base configured them (gate.policy).
        gold=None
        if merge_base is None
        else _gold_condition(
            repo, commit, merge_base, root_rel, eval_config.section("judge"), added, result.judge_settings
        ),
    )
    decision.decisions = integrity.with_commits(at, review.commits, dataset_rel, decision.decisions)
    return decision


def _gold_condition(
    repo: Any, commit: str, merge_base: str, root_rel: str, judge: dict[str, Any], events: list[Any], fingerprint: str
) -> tuple[bool, str] | None:
    """A repo with a gold set accepts a judge change only with a grading of
    that gold file under the new judge (failgate.eval.judge.gold); None without
    one. A gold set that existed at the base and is gone now grades nothing."""
    import hashlib

    from failgate.config.sections import gold_settings
    from failgate.eval.judge.gold import gold_set_accepts
    from failgate.gate.at_rev import join

    gold_rel, floor = gold_settings(judge)
    path = join(root_rel, gold_rel)
    data = repo.get_blob(commit, path)
    if data is None:
        if repo.get_blob(merge_base, path) is None:
            return None
        return False, f"the gold set {gold_rel} was removed in the range, so nothing grades the new judge"
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    return gold_set_accepts(events, fingerprint, floor, digest)


def execute(settings: GateSettings) -> int:
    from failgate.gate.report import render

    if settings.output is not None:
        from failgate.atomic import check_writable

        check_writable(settings.output, "--output")
    decision = evaluate(settings)
    from failgate.progress import color_wanted

    color = color_wanted(sys.stdout)
    if settings.output is not None:
        from failgate.atomic import write_atomic

        settings.output.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(settings.output, render(decision, settings.fmt))
        click.echo(render(decision, "text", color=color), nl=False)
        click.echo(f"failgate gate: wrote the {settings.fmt} report to {settings.output}", err=True)
    else:
        click.echo(render(decision, settings.fmt, color=color and settings.fmt == "text"), nl=False)
    from failgate.reporting import under_github_actions

    if under_github_actions():
        from failgate.eval.report.text import github_annotations

        # failing active cases (flipped or not) as ::error at their line in cases.yaml
        for line in github_annotations(decision.result):
            click.echo(line)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        # GitHub renders this file on the run's page; append, other steps write there too.
        with contextlib.suppress(OSError), open(summary, "a", encoding="utf-8") as handle:
            handle.write(render(decision, "markdown"))
    if settings.html is not None:
        # After the verdict is out: a path that cannot be written (exit 2) does not hide it.
        from failgate.commands.report import write_gate_html

        write_gate_html(decision, settings.html)
        click.echo(f"failgate gate: wrote the HTML report to {settings.html}", err=True)
    if settings.notify:
        # After the verdict is out, and whatever a sink does: a notification never changes it.
        from failgate.notify.after_gate import notify_decision

        report = notify_decision(decision, "gate")
        for message in report.log:
            click.echo(message, err=True)
        for line in report.lines():
            click.echo(line, err=True)
    return decision.exit_code


@click.command("gate")
@click.option(
    "--base",
    metavar="REV",
    help="Compare against the merge-base with REV (default: under GitHub "
    "Actions the PR target or the pushed range's old tip; else the remote's default branch, or the "
    "base_branch configured there).",
)
@click.option(
    "--rev", metavar="REV", help="The commit under test (default: PRE_COMMIT_TO_REF in a pre-push hook, else HEAD)."
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "junit", "markdown"]), default="text", show_default=True
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the report to FILE (the text report still goes to stdout).",
)
@click.option(
    "--jobs", "-j", type=click.IntRange(min=1, max=256), help="Cases in flight at once (default: config `jobs`)."
)
@click.option(
    "--html",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="Also write the HTML report focused on the range under test (its flips first) to PATH.",
)
@click.option(
    "--notify",
    is_flag=True,
    help="Send the red cases to the sinks [tool.failgate.notify] routes them to (for the gate on main).",
)
def command(**kwargs: Any) -> int:
    """Eval the commit under test; fail on any failing case or any flip since the base."""
    return execute(GateSettings(**kwargs))
