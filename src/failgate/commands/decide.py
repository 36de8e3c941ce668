"""`failgate decide ID --redefined|--judge-changed --reason TEXT --by WHO`: a named, reasoned decision.

The gate accepts a change to what it trusts from the base only as a decision
(DESIGN.md, "What the gate trusts"): a case whose judged definition changed
(`--redefined`), or a judge fingerprint change (`--judge-changed --from FP
--to FP`, both printed by the gate). The event is appended to history.jsonl
under the dataset lock, atomically, and validated against the event schema
like every other; the gate lists it first, for the dataset's CODEOWNERS.
"""

from __future__ import annotations

import re

import click

from failgate.findings import FailgateError

_FINGERPRINT = re.compile(r"^sha256:[0-9a-f]{16,64}$")


def _known_ids(directory: object) -> set[str]:
    from pathlib import Path

    from failgate.dataset.model import CASES_FILE, WATCHLIST_FILE
    from failgate.dataset.parse import parse_dataset

    base = Path(str(directory))
    read = {name: (base / name).read_bytes() for name in (CASES_FILE, WATCHLIST_FILE) if (base / name).is_file()}
    dataset = parse_dataset(str(base), cases=read.get(CASES_FILE), watchlist=read.get(WATCHLIST_FILE))
    return set(dataset.case_ids()) | {c["id"] for c in dataset.watchlist if isinstance(c.get("id"), str)}


def record_decision(
    case_id: str,
    kind: str,
    reason: str | None,
    by: str | None,
    judge_from: str | None = None,
    judge_to: str | None = None,
) -> dict[str, object]:
    from failgate.atomic import locked, write_atomic
    from failgate.config import load_config
    from failgate.dataset.events import JUDGE_CHANGED, append_event_text, new_event
    from failgate.dataset.model import HISTORY_FILE
    from failgate.dataset.schemas import validator_for
    from failgate.dataset.text import unwritable_character

    if not reason or not reason.strip():
        raise FailgateError("--reason is required: say why, for the reviewers who will read it first")
    if not by or not by.strip():
        raise FailgateError("--by is required: who takes this decision (e.g. an e-mail address)")
    for flag, value in (("--reason", reason), ("--by", by)):
        # One line each: the gate prints them first in every report, where a
        # newline could forge a line of its own.
        bad = unwritable_character(value, one_line=True)
        if bad is not None:
            raise FailgateError(f"{flag} must be one line of text; it holds {bad}", exit_code=2)
    detail: dict[str, str] = {"reason": reason.strip()}
    if kind == JUDGE_CHANGED:
        for flag, fingerprint in (("--from", judge_from), ("--to", judge_to)):
            if not fingerprint or not _FINGERPRINT.match(fingerprint):
                raise FailgateError(
                    f"{flag} needs the judge fingerprint (sha256:...) the gate printed, got {fingerprint!r}"
                )
        detail.update({"from": str(judge_from), "to": str(judge_to)})
    config = load_config()
    directory = config.dataset_dir
    if case_id not in _known_ids(directory):
        raise FailgateError(f"{case_id} is not a case in {directory}; a decision names an existing case", exit_code=1)
    event = new_event(kind, case_id, actor=by.strip(), detail=detail)
    problems = [e.message for e in validator_for("history-event").iter_errors(event)]
    if problems:  # pragma: no cover - the checks above should have refused it
        raise FailgateError(f"the decision event would be invalid: {'; '.join(problems)}", exit_code=1)
    path = directory / HISTORY_FILE
    with locked(directory):
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        write_atomic(path, append_event_text(text, event))
    return event


@click.command("decide")
@click.argument("case_id", metavar="ID")
@click.option(
    "--redefined",
    "kind",
    flag_value="redefined",
    help="The case's expected/repeat/pass_if/input/fixtures changed on purpose.",
)
@click.option(
    "--judge-changed",
    "kind",
    flag_value="judge_changed",
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
    event = record_decision(case_id, kind, reason, by, judge_from, judge_to)
    click.echo(
        f"recorded a {kind} decision for {case_id} (event {event['id']}) in history.jsonl; "
        "commit it with the change it explains: the gate lists it first for review"
    )
    return 0
