"""`failgate report`: dataset health from the files and the history (exit 0; 2 for usage errors)."""
from __future__ import annotations

import datetime as _dt
import json

import click

from failgate.findings import FailgateError


def execute(fmt: str, today: _dt.date | None = None) -> int:
    from failgate.config import load_config
    from failgate.dataset.parse import existing_file, read_dataset
    from failgate.report.health import build_report, render_text
    from failgate.dataset.history import fold_bytes
    from failgate.dataset.model import CASES_FILE, HISTORY_FILE

    config = load_config()
    directory = config.dataset_dir
    if not existing_file(directory / CASES_FILE):
        raise FailgateError(f"no {CASES_FILE} in {directory}; run `failgate init` or set `dataset` in [tool.failgate]")
    dataset = read_dataset(directory)
    if dataset.cases_doc is None:
        raise FailgateError("the dataset cannot be read; run `failgate validate`", exit_code=1,
                            findings=[f for f in dataset.findings if f.is_error])
    history = directory / HISTORY_FILE
    fold = fold_bytes(history.read_bytes() if history.is_file() else None)
    report = build_report(dataset.header, dataset.cases, dataset.watchlist, fold,
                          today or _dt.datetime.now(_dt.timezone.utc).date())
    if fmt == "json":
        click.echo(json.dumps(report.as_data(), indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(report), nl=False)
    return 0


@click.command("report")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), hidden=True, help="Pretend today is this date (tests).")
def command(fmt: str, today: _dt.datetime | None) -> int:
    """Dataset health: per-mode counts, size band, intent shares, fragile and flaky cases, prune candidates."""
    return execute(fmt, today.date() if today else None)
