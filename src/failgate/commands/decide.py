"""`failgate decide ID --redefined|--judge-changed --reason TEXT --by WHO`: a named, reasoned decision.

The gate accepts a change to what it trusts from the base only as a decision
(DESIGN.md, "What the gate trusts"): a case whose judged definition changed
(`--redefined`), or a judge fingerprint change (`--judge-changed --from FP
--to FP`, both printed by the gate). The event is appended to history.jsonl
under the dataset lock, atomically, and validated against the event schema
like every other (`failgate.edits.decision`); the gate lists it first, for the
dataset's CODEOWNERS.
"""

from __future__ import annotations

import click

from failgate.dataset.events import JUDGE_CHANGED, REDEFINED
from failgate.exit_codes import OK
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
@click.option("--reason", default=None, help="Why (required); the gate shows it to the reviewers.")
@click.option("--by", "by", default=None, help="Who decides (required), e.g. an e-mail address.")
def command(
    case_id: str, kind: str | None, judge_from: str | None, judge_to: str | None, reason: str | None, by: str | None
) -> int:
    """Record a decision the gate lists for review (redefined case, judge change)."""
    if kind is None:
        raise FailgateError("say which decision: --redefined or --judge-changed")
    from failgate.edits.decision import record_decision

    event = record_decision(case_id, kind, reason, by, judge_from, judge_to)
    click.echo(
        f"recorded a {kind} decision for {case_id} (event {event['id']}) in history.jsonl; "
        "commit it with the change it explains: the gate lists it first for review"
    )
    return OK
