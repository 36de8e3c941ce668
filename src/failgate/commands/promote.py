"""`failgate promote FILE [--candidate N] [--no-reproduce --reason …] [--watchlist]`.

Lands one reviewed candidate of an `_intake/` file:

1. refuse TODOs left and case-schema failures (file:line);
2. dedupe again against the current dataset (same input_hash: refused, it is
   a recurrence);
3. reproduce: run the case against the current agent with the eval engine;
   it must FAIL (else "does not reproduce", unless `--no-reproduce --reason`);
4. under the dataset lock, re-read every file, allocate the next id above every
   id ever used, append the case to cases.yaml (or watchlist.yaml) as text,
   append a `promoted` event, take the candidate out of the review file
   (delete it when empty), check the result with `validate`, and write all of
   it in one `Transaction`. A refusal changes nothing.

A `kind: recurrence` entry appends its trace ids to the case's
`discovered_by` and a `recurrence` event instead (no reproduction).
The agent runs outside the lock: a slow agent must not block `eval --record`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from failgate.findings import FailgateError


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _read(path: Path, display: str) -> str | None:
    from failgate.dataset.yamlstrict import decode

    return decode(path.read_bytes(), display) if path.is_file() else None


def _actor() -> str:
    from failgate.dataset.events import default_actor
    from failgate.findings import FailgateError
    from failgate.gitrepo import open_repo

    try:
        email = open_repo().get_user_email()
    except FailgateError:
        email = None
    return default_actor(email)


def _tracked(path: Path) -> bool:
    from failgate.gitrepo import open_repo

    try:
        repo = open_repo(path.parent)
        return repo.get_staged_blob(repo.relpath(path)) is not None
    except FailgateError:
        return False


def reproduce(config: Any, case: dict[str, Any], directory: Path) -> Any:
    """Run the case against the configured agent; a Reproduction. A case with a cassette
    reproduces by replay: free, deterministic, and its mutating tools never run."""
    from failgate.eval.agents import build_agent
    from failgate.eval.judge import JudgeOptions
    from failgate.eval.replay import ReplaySettings
    from failgate.eval.runner import EvalCase, run_eval
    from failgate.intake.promotion import Reproduction

    options = JudgeOptions.from_config(config.section("judge"), str(config.root), config.get("pythonpath"))
    from failgate.eval.agents.interpreter import for_config

    replay = ReplaySettings.from_section(config.section("replay"))
    agent = build_agent(
        root=config.root,
        agent=config.agent,
        agent_command=config.agent_command,
        jobs=1,
        python=for_config(config),
        replay_tools=replay.tools,
    )
    try:
        result = run_eval(
            [EvalCase(case, directory)], agent, jobs=1, timeout_s=config.timeout_s, options=options, replay=replay
        )
    finally:
        agent.close()
    outcome = result.cases[0]
    return Reproduction(outcome.outcome, outcome.judge, tuple(outcome.reasons))


@click.command("promote")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--candidate", "number", type=int, metavar="N", help="Which candidate (its `candidate:` number).")
@click.option("--no-reproduce", is_flag=True, help="Do not require the case to fail now (needs --reason).")
@click.option("--reason", metavar="TEXT", help="Why the case cannot be reproduced now (recorded in history).")
@click.option("--watchlist", is_flag=True, help="Promote into watchlist.yaml (runs, never gates).")
@click.option("--by", "by", metavar="NAME", help="Who promotes it (default: git user.email).")
def command(
    file: Path, number: int | None, no_reproduce: bool, reason: str | None, watchlist: bool, by: str | None
) -> int:
    """Land a reviewed candidate as a case: validated, deduped, reproduced, appended."""
    from failgate.config import load_config
    from failgate.intake import settings as intake_settings  # declares [tool.failgate.intake]

    if no_reproduce and not (reason and reason.strip()):
        raise FailgateError("--no-reproduce needs --reason 'why it cannot fail now' (it is recorded)")
    if reason and not no_reproduce:
        raise FailgateError("--reason goes with --no-reproduce")
    config = load_config()
    settings = intake_settings.IntakeSettings.from_config(config)
    return execute(
        config, settings, file, number, reason.strip() if no_reproduce and reason else None, watchlist, by or _actor()
    )


def execute(
    config: Any,
    settings: Any,
    file: Path,
    number: int | None,
    no_reproduce_reason: str | None,
    watchlist: bool,
    actor: str | None,
) -> int:
    from failgate.dataset.parse import read_dataset
    from failgate.intake.promotion import (
        Reproduction,
        case_from_candidate,
        find_duplicate,
        refuse,
        review_findings,
        select_candidate,
    )
    from failgate.intake.review import candidates_of, load_intake
    from failgate.intake.settings import load_redactor

    directory = config.dataset_dir
    shown = _display(directory, config.root)
    intake_shown = _display(file, config.root)
    if not file.is_file():
        raise FailgateError(f"{intake_shown}: no such file")
    doc = load_intake(file, intake_shown)
    index = select_candidate(doc, number)
    candidate = candidates_of(doc)[index]
    if candidate.get("kind") == "recurrence":
        return _land(config, file, intake_shown, number, None, None, watchlist, actor)
    redact = load_redactor(settings, str(config.root))
    case = case_from_candidate(candidate, "AGTFAIL-0000", redact)
    findings = review_findings(doc, index, case, watchlist=watchlist, redact=redact)
    if findings:
        raise refuse(f"{intake_shown}: candidate {candidate.get('candidate')} is not ready", findings)
    dataset = read_dataset(directory, shown)
    duplicate = find_duplicate(case, dataset)
    if duplicate is not None:
        raise refuse(
            f"{intake_shown}: candidate {candidate.get('candidate')} has the same input_hash as "
            f"{duplicate[0]} ({shown}/{duplicate[1]}): it is a recurrence, not a new case. Set "
            f"`kind: recurrence` and `case: {duplicate[0]}` in the candidate to link it"
        )
    _warn_similar(case, dataset, settings, str(config.root))
    if no_reproduce_reason is None:
        click.echo(f"reproducing candidate {candidate.get('candidate')} against the current agent ...")
        reproduction = reproduce(config, case, directory)
        if reproduction.outcome != "fail":
            raise refuse(
                f"{intake_shown}: candidate {candidate.get('candidate')} does not reproduce: it passes its expected "
                "rules against the current agent. A case must fail before the fix lands (check the rules, the "
                "input and its fixtures), or promote with --no-reproduce --reason '...' to record why not"
            )
        click.echo("  reproduced: " + "; ".join(reproduction.reasons[:3]))
    else:
        from failgate.eval.judge import JudgeOptions, case_fingerprint

        # A plugin judge's version comes from importing its module: code the candidate names. Reviewing a
        # candidate without reproducing it runs none of it, so such a case is promoted without a fingerprint.
        expected = case.get("expected")
        names_code = isinstance(expected, list) and any(isinstance(r, dict) and "judge" in r for r in expected)
        options = JudgeOptions.from_config(config.section("judge"), str(config.root), config.get("pythonpath"))
        fingerprint = None if names_code else case_fingerprint(case, options)
        reproduction = Reproduction(None, fingerprint, (), no_reproduce_reason)
    return _land(config, file, intake_shown, number, case, reproduction, watchlist, actor)


def _warn_similar(case: dict[str, Any], dataset: Any, settings: Any, root: str) -> None:
    from failgate.intake.similarity import build_similarity

    same = [c for c in dataset.cases + dataset.watchlist if c.get("failure_mode") == case.get("failure_mode")]
    if not same:
        return
    similarity = build_similarity(settings.embedder, root, settings.pythonpath)
    vectors = similarity.vectors(
        [str(case.get("observed_behavior", ""))] + [str(c.get("observed_behavior", "")) for c in same]
    )
    for other, vector in zip(same, vectors[1:]):
        score = similarity.score(vectors[0], vector)
        if score >= settings.similarity_threshold:
            click.echo(
                f"warning: observed behaviour is {score:.2f} similar to {other.get('id')} "
                f"({other.get('title')}), same failure mode: make sure it is not the same failure",
                err=True,
            )


def _land(
    config: Any,
    file: Path,
    intake_shown: str,
    number: int | None,
    case: dict[str, Any] | None,
    reproduction: Any,
    watchlist: bool,
    actor: str | None,
) -> int:
    """Everything that writes, under the lock, from freshly read files."""
    from failgate.atomic import locked, write_atomic
    from failgate.checks.validate import validate_dataset
    from failgate.dataset.model import CASES_FILE, HISTORY_FILE, INTAKE_DIR, WATCHLIST_FILE
    from failgate.dataset.parse import existing_file, parse_dataset, read_dataset
    from failgate.findings import has_errors
    from failgate.intake.promotion import promote_texts, recurrence_texts, refuse, select_candidate
    from failgate.intake.review import load_intake
    from failgate.transaction import Transaction

    directory = config.dataset_dir
    shown = _display(directory, config.root)
    if not existing_file(directory / CASES_FILE):
        raise FailgateError(f"no {CASES_FILE} in {shown}; run `failgate init` first", exit_code=1)
    with locked(directory):
        # Re-read inside the lock: another promote or `eval --record` may have written since.
        doc = load_intake(file, intake_shown)
        index = select_candidate(doc, number)
        dataset = read_dataset(directory, shown)
        texts = {
            name: _read(directory / name, f"{shown}/{name}") for name in (CASES_FILE, WATCHLIST_FILE, HISTORY_FILE)
        }
        if case is None:
            result = recurrence_texts(
                dataset=dataset,
                intake_doc=doc,
                index=index,
                cases_text=texts[CASES_FILE],
                watchlist_text=texts[WATCHLIST_FILE],
                history_text=texts[HISTORY_FILE],
                actor=actor,
                intake_path=intake_shown,
            )
        else:
            target = WATCHLIST_FILE if watchlist else CASES_FILE
            result = promote_texts(
                dataset=dataset,
                intake_doc=doc,
                index=index,
                case=case,
                target_text=texts[target],
                history_text=texts[HISTORY_FILE],
                reproduction=reproduction,
                watchlist=watchlist,
                actor=actor,
                intake_path=intake_shown,
            )
        after = dict(texts)
        after[result.target] = result.target_text
        after[HISTORY_FILE] = result.history
        removed = directory / "cases_removed.yaml"
        new_dataset = parse_dataset(
            shown,
            cases=_bytes(after[CASES_FILE]),
            history=_bytes(after[HISTORY_FILE]),
            watchlist=_bytes(after[WATCHLIST_FILE]),
            removed=removed.read_bytes() if removed.is_file() else None,
        )
        findings = [
            f for f in validate_dataset(new_dataset, fixture_exists=lambda p: (directory / p).exists()) if f.is_error
        ]
        if has_errors(findings):
            raise refuse(f"promoting would leave {shown} invalid; nothing was changed", findings)
        transaction = Transaction(directory)
        from failgate.intake.recordings import land_candidate_cassette

        land_candidate_cassette(transaction, directory, case, result, config)
        transaction.write(directory / result.target, result.target_text)
        transaction.write(directory / HISTORY_FILE, result.history)
        # The journal names only files in the dataset directory (failgate.journal); a review file kept
        # elsewhere is updated right after the commit point. A kill in between leaves the candidate in it,
        # and promoting it again is refused by its input_hash, already in the dataset.
        in_journal = file.resolve().parent == (directory / INTAKE_DIR).resolve()
        if in_journal and result.intake is not None:
            transaction.write(file, result.intake)
        elif in_journal:
            transaction.unlink(file)  # the last candidate: the emptied review file goes, in the same transaction
        transaction.commit()
        if not in_journal and result.intake is not None:
            write_atomic(file, result.intake)
        elif not in_journal:
            file.unlink(missing_ok=True)
    files = [f"{shown}/{result.target}", f"{shown}/{HISTORY_FILE}"]
    if file.exists() or _tracked(file):
        # A deleted review file that git never knew: `git add` of it fails
        # ("pathspec did not match"), so it is named only when there is something to stage.
        files.append(intake_shown)
    if case is None:
        click.echo(
            f"linked a recurrence to {result.case_id}: discovered_by += {result.event['detail']['discovered_by']}"
            f"; `recurrence` event {result.event['id']}"
        )
    else:
        where = "watchlist.yaml (runs, never gates)" if watchlist else CASES_FILE
        click.echo(
            f"promoted {result.case_id} into {shown}/{where}: `promoted` event {result.event['id']}"
            + ("" if result.intake is not None else f"; {intake_shown} is empty and was deleted")
        )
    click.echo("Stage and commit: git add " + " ".join(f"'{f}'" for f in files) + " && git commit")
    return 0


def _bytes(text: str | None) -> bytes | None:
    return text.encode("utf-8") if text is not None else None
