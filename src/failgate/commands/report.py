"""`failgate report`: dataset health from the files and the history (exit 0; 2 for usage errors).

`--html PATH` also writes the self-contained page (`failgate.report.run`).
"""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

import click

from failgate.exit_codes import OK
from failgate.report.run import write_gate_html  # noqa: F401  (the gate's --html imports it from here)


@click.command("report")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--html",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="Also write the self-contained HTML page (heatmap, trends, health) to PATH.",
)
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), hidden=True, help="Pretend today is this date (tests).")
def command(fmt: str, today: _dt.datetime | None, html: Path | None) -> int:
    """Dataset health: per-mode counts, size band, intent shares, fragile and flaky cases, prune candidates."""
    from failgate.report.health import render_text
    from failgate.report.run import dataset_health

    health = dataset_health(today.date() if today else None, html)
    if health.html is not None:
        click.echo(f"failgate report: wrote the HTML report to {health.html}", err=True)
    if fmt == "json":
        click.echo(json.dumps(health.report.as_data(), indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(health.report), nl=False)
    return OK
