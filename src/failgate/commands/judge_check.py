"""`failgate judge-check [--record]`: grade the judge on the gold set.

Prints agreement, false-pass rate and Cohen's kappa per rule kind and overall
(failgate.eval.judge.gold). `--record` appends a `judge_graded` event to
history.jsonl with the judge's fingerprint and the figures: the gate accepts
a judge change only when such an event, under the new fingerprint, met
`[tool.failgate.judge] gold_floor` (default 0.9 agreement, and no false pass
on a P0 example). Exit 0 when the floor is met, 1 when not or when the gold
file is invalid, 2 for usage and configuration errors.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import click

from failgate.findings import FailgateError


def run_judge_check(record: bool, use_cache: bool) -> int:
    from failgate.checks.gold import load_gold, missing_gold
    from failgate.config import load_config
    from failgate.config.sections import gold_settings
    from failgate.eval.judge import JudgeOptions, settings_fingerprint
    from failgate.eval.judge.gold import grade_concurrently, render
    from failgate.reporting import print_findings

    config = load_config()
    section = config.section("judge")
    gold_rel, floor = gold_settings(section)
    gold_path = config.root / gold_rel
    shown = str(Path(gold_rel))
    if not gold_path.is_file():
        raise FailgateError(f"no gold set at {shown}", exit_code=2, findings=[missing_gold(shown)])
    data = gold_path.read_bytes()
    doc, findings = load_gold(data, shown)
    if findings:
        print_findings(findings, sys.stdout)
    if doc is None or any(f.is_error for f in findings):
        click.echo(
            f"failgate judge-check: {shown} is invalid; fix it first (failgate validate checks it too)", err=True
        )
        return 1
    options = JudgeOptions.from_config(section, str(config.root))
    if not use_cache:
        options = options.without_cache()
    fingerprint = settings_fingerprint(options)
    examples = doc.data["examples"]
    from failgate.eval.judge.llm_transport import total_stats

    before = total_stats()
    from failgate.progress import case_progress, progress_wanted

    with case_progress("judge-check", progress_wanted()) as progress:
        graded = grade_concurrently(examples, options, jobs=options.llm.max_concurrency, progress=progress)
    after = total_stats()
    click.echo(f"failgate judge-check: {len(graded)} gold example(s) from {shown}, floor {floor:g}\n")
    for line in render(graded, floor, fingerprint):
        click.echo(line)
    calls = {k: getattr(after, k) - getattr(before, k) for k in ("calls", "cached", "failed")}
    if any(calls.values()):
        from failgate.eval.report.text import judge_calls_line

        click.echo(judge_calls_line(calls))
    from failgate.eval.judge.gold import by_rule, figures, graded_detail, meets_floor

    overall = figures(graded)
    met, _ = meets_floor(overall, floor)
    if record:
        _record(
            config,
            fingerprint,
            graded_detail(overall, by_rule(graded), floor, shown, "sha256:" + hashlib.sha256(data).hexdigest()),
        )
    return 0 if met else 1


def _record(config: object, fingerprint: str, detail: dict[str, object]) -> None:
    from failgate.dataset.events import new_event_id, utc_timestamp
    from failgate.eval.judge.gold import graded_event
    from failgate.eval.recording import actor, append_events
    from failgate.gitrepo import open_repo

    repo = open_repo(config.root)  # type: ignore[attr-defined]
    event = graded_event(new_event_id(), utc_timestamp(), fingerprint, repo.head_commit(), actor(repo), detail)
    append_events(config.dataset_dir, [event])  # type: ignore[attr-defined]
    click.echo(
        f"failgate judge-check --record: appended a judge_graded event under {fingerprint[:19]}... "
        "to history.jsonl; commit it with the judge change",
        err=True,
    )


@click.command("judge-check")
@click.option("--record", is_flag=True, help="Append a judge_graded event (fingerprint + figures) to history.jsonl.")
@click.option("--no-cache", is_flag=True, help="Ask the judge model again instead of reading cached verdicts.")
def command(record: bool, no_cache: bool) -> int:
    """Grade the judge on the gold set: agreement, false-pass rate, Cohen's kappa."""
    return run_judge_check(record, use_cache=not no_cache)
