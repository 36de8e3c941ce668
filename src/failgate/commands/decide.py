"""`failgate decide ID --redefined|--judge-changed --reason TEXT --by WHO`: a named, reasoned decision.

The gate accepts a change to what it trusts from the base only as a decision
(docs/explanation/what-the-gate-trusts.md): a case whose judged definition changed
(`--redefined`), or a judge fingerprint change (`--judge-changed --from FP
--to FP`, both printed by the gate). The event is appended to history.jsonl
under the dataset lock, atomically, and validated against the event schema
like every other (`failgate.edits.decision`); the gate lists it first, for the
dataset's CODEOWNERS.
"""

from __future__ import annotations

import click

from failgate.dataset.events import JUDGE_CHANGED, QUARANTINED, REDEFINED
from failgate.exit_codes import OK, USAGE
from failgate.findings import FailgateError


@click.command("decide")
@click.argument("case_id", metavar="ID")
@click.option(
    "--redefined",
    "kind",
    flag_value=REDEFINED,
    help="The case's expected/repeat/pass_if/input/fixtures changed on purpose.",
)
@click.option(
    "--judge-changed",
    "kind",
    flag_value=JUDGE_CHANGED,
    help="The case's judge fingerprint changed on purpose (give --from and --to).",
)
@click.option("--from", "judge_from", metavar="FINGERPRINT", help="--judge-changed: the baseline's fingerprint.")
@click.option("--to", "judge_to", metavar="FINGERPRINT", help="--judge-changed: the new fingerprint.")
@click.option(
    "--quarantine",
    "kind",
    flag_value=QUARANTINED,
    help="Take a flaky case out of the gate until --until DATE (honoured once merged; expires by itself).",
)
@click.option("--until", metavar="DATE", help="--quarantine: the last day it holds (YYYY-MM-DD, after today).")
@click.option("--reason", default=None, help="Why (required); the gate shows it to the reviewers.")
@click.option("--by", "by", default=None, help="Who decides (required), e.g. an e-mail address.")
def command(
    case_id: str,
    kind: str | None,
    judge_from: str | None,
    judge_to: str | None,
    until: str | None,
    reason: str | None,
    by: str | None,
) -> int:
    """Record a decision the gate lists for review (redefined case, judge change, quarantine)."""
    if kind is None:
        raise FailgateError("say which decision: --redefined or --judge-changed, or --quarantine")
    if until is not None and kind != QUARANTINED:
        raise FailgateError("--until goes with --quarantine", exit_code=USAGE)
    from failgate.edits.decision import record_decision

    event = record_decision(case_id, kind, reason, by, judge_from, judge_to, until)
    click.echo(
        f"recorded a {kind} decision for {case_id} (event {event['id']}) in history.jsonl; "
        "commit it with the change it explains: the gate lists it first for review"
    )
    return OK
