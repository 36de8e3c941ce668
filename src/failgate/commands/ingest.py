"""`failgate ingest TRACES… [--since 7d] [--max N] [--format F]`: failed runs -> `_intake/` candidates.

Reads the exports streaming, keeps only failed runs, redacts and hashes
their inputs, links recurrences of known cases, stratifies by intent under
the cap and writes one review file. Prints the funnel. Exit 0 (also when
records were skipped: they are listed at file:line); 2 for usage errors.

`--manual --ticket SUP-123 [--by NAME]` writes a blank candidate for a
customer-reported failure instead.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from failgate.findings import FailgateError
from failgate.intake.traces import FORMATS as TRACE_FORMAT_NAMES

if TYPE_CHECKING:
    from failgate.intake.sources.ingest import Pulled


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def funnel_text(result: object, stats: object, *, limit: int, share: float, since: str | None) -> str:
    from failgate.intake.pipeline import IngestResult
    from failgate.intake.traces.model import ReadStats

    assert isinstance(result, IngestResult) and isinstance(stats, ReadStats)
    rows = (
        [
            (f"  {f.path}", f.runs, f"{f.records} records read as {f.format}, {f.runs} run{'s' if f.runs != 1 else ''}")
            for f in stats.files
        ]
        if len(stats.files) > 1 or any(f.runs == 0 for f in stats.files)
        else []
    )
    rows.insert(
        0,
        (
            "traces",
            result.traces,
            f"{stats.records} records read" + (f", {stats.skipped} skipped" if stats.skipped else ""),
        ),
    )
    if since:
        rows.append(("  older than --since", result.too_old, f"since {since}"))
    signals = ", ".join(f"{name} {n}" for name, n in result.signals.most_common())
    rows.append(("failed", result.failed, signals))
    dropped = sum(result.dropped.values())
    note = (
        f"{result.distinct} distinct redacted inputs; at most {result.cap} new per intent "
        f"({share:.0%} of a budget of {limit} candidates)"
    )
    if dropped:
        note += "; dropped " + ", ".join(f"{intent} {n}" for intent, n in result.dropped.most_common())
    rows.append(("after stratification", result.stratified, note))
    targets: dict[str, int] = {}
    for rec in result.recurrences:
        targets[rec.target] = targets.get(rec.target, 0) + rec.group.count
    rows.append(
        (
            "recurrences",
            len(result.recurrences),
            ", ".join(f"{t} ({n} trace{'s' if n != 1 else ''})" for t, n in sorted(targets.items())),
        )
    )
    # A likely match is an existing case (its id) or another candidate of this file ("candidate N").
    like_case = sum(1 for c in result.candidates if c.likely_same and not c.likely_same.ref.startswith("candidate "))
    like_candidate = sum(1 for c in result.candidates if c.likely_same and c.likely_same.ref.startswith("candidate "))
    likely = [f"{like_case} look like an existing case"] if like_case else []
    if like_candidate:
        likely.append(f"{like_candidate} like another candidate in this file")
    rows.append(("new candidates", len(result.candidates), ", ".join(likely)))
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{name:<{width}}  {count:>7}" + (f"   {note}" if note else "") for name, count, note in rows)


@click.command("ingest")
@click.argument("traces", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--since", metavar="AGE", help='Only traces newer than this, e.g. "7d", "36h" (default: config, else all).'
)
@click.option(
    "--max",
    "max_n",
    type=click.IntRange(min=1),
    metavar="N",
    help="At most N new candidates (default: intake.max_candidates, else 50).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", *TRACE_FORMAT_NAMES]),
    default="auto",
    show_default=True,
    help="Trace format; auto detects it per file.",
)
@click.option(
    "--source",
    "source_name",
    metavar="NAME",
    help="Pull the window's failed traces from the store [tool.failgate.intake.sources.NAME] names.",
)
@click.option(
    "--from",
    "from_url",
    metavar="URL",
    help="Pull from a store by URL: langfuse+https://HOST, phoenix+http://HOST:6006?project=P, "
    "mlflow+http://HOST:5000?experiment=ID (credentials from the store's usual environment variables).",
)
@click.option("--manual", is_flag=True, help="Write a blank candidate for a customer-reported failure.")
@click.option("--ticket", metavar="REF", help="With --manual: the escalation ticket, e.g. SUP-18987.")
@click.option("--by", "by", metavar="NAME", help="With --manual: who reports it (becomes owner and discoverer).")
def command(
    traces: tuple[Path, ...],
    since: str | None,
    max_n: int | None,
    fmt: str,
    source_name: str | None,
    from_url: str | None,
    manual: bool,
    ticket: str | None,
    by: str | None,
) -> int:
    """Turn failed production traces into candidates for review in _intake/."""
    from failgate.config import load_config
    from failgate.intake import settings as intake_settings  # declares [tool.failgate.intake] before loading

    config = load_config()
    settings = intake_settings.IntakeSettings.from_config(config)
    directory = config.dataset_dir
    shown = _display(directory, config.root)
    now = _dt.datetime.now(_dt.timezone.utc)
    if manual:
        return _manual(directory, shown, ticket, by, now, traces)
    if source_name or from_url:
        from failgate.intake.sources.ingest import pull_source

        if traces or (source_name and from_url):
            raise FailgateError("give trace files, --source NAME or --from URL: one of them")
        pulled = pull_source(config, settings, source_name, from_url, since, now)
        limit = max_n or settings.max_candidates
        return _ingest(config, settings, [], fmt, limit, pulled.cutoff, pulled.since, now, pulled=pulled)
    if not traces:
        raise FailgateError(
            "give one or more trace exports: failgate ingest TRACES... (or --source NAME, or --manual --ticket REF)"
        )
    since = since or settings.since
    cutoff = None
    if since:
        seconds = intake_settings.parse_since_text(since)
        if seconds is None:
            raise FailgateError(f'--since {since!r}: use a duration like "7d", "36h" or "2w"')
        cutoff = now - _dt.timedelta(seconds=seconds)
    return _ingest(config, settings, list(traces), fmt, max_n or settings.max_candidates, cutoff, since, now)


def _ingest(
    config: object,
    settings: object,
    paths: list[Path],
    fmt: str,
    limit: int,
    cutoff: _dt.datetime | None,
    since: str | None,
    now: _dt.datetime,
    pulled: Pulled | None = None,
) -> int:
    from failgate.atomic import locked
    from failgate.config import Config
    from failgate.dataset.model import CASES_FILE
    from failgate.dataset.parse import existing_file
    from failgate.intake.settings import IntakeSettings

    assert isinstance(config, Config) and isinstance(settings, IntakeSettings)
    directory = config.dataset_dir
    shown = _display(directory, config.root)
    if not existing_file(directory / CASES_FILE):
        raise FailgateError(f"no {CASES_FILE} in {shown}; run `failgate init` first")
    # Under the dataset lock from reading what is pending to writing the review file: two ingests of the
    # same export at once both found nothing pending and both wrote the same candidates.
    with locked(directory):
        return _ingest_locked(config, settings, paths, fmt, limit, cutoff, since, now, pulled)


def _ingest_locked(
    config: Any,
    settings: Any,
    paths: list[Path],
    fmt: str,
    limit: int,
    cutoff: _dt.datetime | None,
    since: str | None,
    now: _dt.datetime,
    pulled: Pulled | None = None,
) -> int:
    from failgate.atomic import write_atomic
    from failgate.dataset.hashing import input_hash
    from failgate.dataset.model import CASES_FILE, INTAKE_DIR
    from failgate.dataset.parse import read_dataset
    from failgate.eval.judge import JudgeOptions
    from failgate.intake.pipeline import run_pipeline
    from failgate.intake.review import file_name, pending_hashes, render
    from failgate.intake.rules import IntakeRules
    from failgate.intake.settings import load_redactor
    from failgate.intake.similarity import build_similarity
    from failgate.intake.traces import read_traces
    from failgate.intake.traces.model import ReadStats
    from failgate.progress import count_progress, progress_wanted
    from failgate.reporting import print_findings

    directory = config.dataset_dir
    shown = _display(directory, config.root)
    dataset = read_dataset(directory, shown)
    from failgate.intake.taxonomy import check_rule_modes

    check_rule_modes(settings, dataset.header, f"{shown}/{CASES_FILE}")
    root = str(config.root)
    known: dict[str, str] = pending_hashes(directory / INTAKE_DIR, f"{shown}/{INTAKE_DIR}")
    cases: list[Any] = [c for c in dataset.cases + dataset.watchlist if isinstance(c.get("id"), str)]
    for case in cases:
        # Both the recorded hash and the one failgate computes now: a case
        # written by hand with a stale hash still catches its recurrences.
        if isinstance(case.get("input_hash"), str):
            known[case["input_hash"]] = case["id"]
        if isinstance(case.get("input"), dict):
            known[input_hash(case["input"])] = case["id"]
    stats = ReadStats()
    with count_progress("ingest", progress_wanted(), "traces") as progress:
        result = run_pipeline(
            (
                read_traces(paths, fmt, stats=stats, display=lambda p: _display(p, config.root))
                if pulled is None
                else pulled.traces(stats)
            ),
            rules=IntakeRules(
                settings, JudgeOptions.from_config(config.section("judge"), root, config.get("pythonpath"))
            ),
            redact=load_redactor(settings, root),
            similarity=build_similarity(settings.embedder, root, settings.pythonpath),
            known=known,
            cases=cases,
            limit=limit,
            share=settings.max_intent_share,
            threshold=settings.similarity_threshold,
            since=cutoff,
            progress=progress,
        )
    if stats.findings:
        import sys

        print_findings(stats.findings, sys.stderr)
        if stats.skipped > len(stats.findings):
            click.echo(f"... and {stats.skipped - len(stats.findings)} more skipped records", err=True)
    funnel = funnel_text(result, stats, limit=limit, share=settings.max_intent_share, since=since)
    click.echo(funnel)
    if not result.candidates and not result.recurrences:
        click.echo("\nnothing to review: no new failures and no recurrences")
        return 0
    sources = [_display(p, config.root) for p in paths] if pulled is None else [pulled.label]
    text = render(
        result,
        now=now,
        sources=sources,
        funnel=funnel,
        latency_budget_ms=settings.latency_budget_ms,
        forbidden=settings.forbidden_tools,
    )
    intake_dir = directory / INTAKE_DIR
    intake_dir.mkdir(parents=True, exist_ok=True)
    from failgate.intake.recordings import write_candidate_cassettes

    write_candidate_cassettes(directory, result, now)  # first: the review file names them
    target = intake_dir / file_name(now, text)
    write_atomic(target, text)
    shown_target = _display(target, config.root)
    click.echo(
        f"\nwrote {shown_target}: review it (replace every TODO), then\n  failgate promote {shown_target} --candidate N"
    )
    return 0


def _manual(
    directory: Path, shown: str, ticket: str | None, by: str | None, now: _dt.datetime, traces: tuple[Path, ...]
) -> int:
    from failgate.atomic import write_atomic
    from failgate.dataset.model import INTAKE_DIR
    from failgate.intake.review import file_name, manual_entry, render_manual

    if traces:
        raise FailgateError("--manual takes no trace files")
    if not ticket or not ticket.strip():
        raise FailgateError("--manual needs --ticket REF (the escalation ticket the failure came from)")
    text = render_manual(
        manual_entry(ticket=ticket.strip(), by=by, today=now.date().isoformat()), now=now, ticket=ticket.strip()
    )
    intake_dir = directory / INTAKE_DIR
    intake_dir.mkdir(parents=True, exist_ok=True)
    target = intake_dir / file_name(now, text)
    write_atomic(target, text)
    click.echo(
        f"wrote {shown}/{INTAKE_DIR}/{target.name}: fill it from {ticket} (every TODO), put captured state\n"
        f"under input.fixtures, then: failgate promote {shown}/{INTAKE_DIR}/{target.name}"
    )
    return 0
