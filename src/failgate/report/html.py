"""`failgate report --html`: one self-contained page. Pure: data in, HTML text out.

Rendering choice: the standard library's `string.Template` over one page
skeleton shipped in `failgate/report/page/` (HTML, CSS, JS as package files),
hand-made SVG for the two charts, and the heatmap as plain elements (one `<i>`
per cell, its state as a class). No template engine and no plotting library:
the page has one fixed shape, a plotting library would add megabytes of inline
JavaScript per page (plotly.js is ~3.5 MB) for two line charts, and plain
elements keep 100,000 cells readable with JavaScript off. A Content-Security-
Policy `default-src 'none'` makes the promise of no network at view time one
the browser enforces.

The tooltips (commit, date, judge fingerprint, actor) come from one JSON block
read by a small script with one listener on the grid, so the page carries each
recorded result once instead of a `title` attribute per cell.
"""

from __future__ import annotations

import html
import json
import string
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

from failgate.report.health import HealthReport
from failgate.report.timeline import STATES, Timeline

_LEGEND = {
    "pass": "pass (recorded)",
    "fail": "fail (recorded)",
    "flip": "flip: fail right after a pass",
    "flaky": "flaky: both outcomes at one commit",
    "removed": "removed",
    "deprecated": "deprecated",
    "none": "nothing recorded yet",
}
_CARRIED = {"pass": "pass (carried: nothing recorded at that commit)", "fail": "fail (carried)"}
# Eight colours that stay apart for the usual colour-vision deficiencies (Okabe-Ito order).
_LINE_COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#000000", "#f0e442")


def _asset(name: str) -> str:
    return resources.files("failgate.report").joinpath("page", name).read_text(encoding="utf-8")


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def render_page(
    timeline: Timeline,
    health: HealthReport | None,
    *,
    title: str,
    subtitle: str,
    top: str = "",
) -> str:
    """The whole document. `top` is HTML placed first (the gate's verdict and flips)."""
    body = [top, _heatmap(timeline), _charts(timeline)]
    if health is not None:
        body.append(_health(health))
    page = string.Template(_asset("report.html"))
    return page.substitute(
        title=_e(title),
        subtitle=_e(subtitle),
        css=_asset("report.css"),
        js=_asset("report.js"),
        body="\n".join(b for b in body if b),
        data=_data_json(timeline),
    )


def _data_json(timeline: Timeline) -> str:
    """The tooltips' data, compact: a 100,000-result history stays a few MB.

    Each column carries the judge and actor of its first result; per row,
    `{column: cell}` where a cell is 1 / 0 (one pass / fail with the column's
    timestamp, judge and actor: the usual case) or a list of
    `[passed, ts or 0, judge index, actor index]` entries."""
    judges: dict[str | None, int] = {}
    actors: dict[str | None, int] = {}
    defaults: list[tuple[str | None, str | None, str | None]] = [(c.ts, None, None) for c in timeline.columns]
    seen_default = [False] * len(timeline.columns)
    for row in timeline.rows:
        for col, results in row.recorded.items():
            if not seen_default[col] and results:
                first = results[0]
                defaults[col] = (defaults[col][0], first.judge, first.actor)
                seen_default[col] = True

    def index(table: dict[str | None, int], value: str | None) -> int:
        found = table.get(value)
        if found is None:
            found = table[value] = len(table)
        return found

    rec = []
    for row in timeline.rows:
        cells: dict[int, Any] = {}
        for col, results in row.recorded.items():
            ts, judge, actor = defaults[col]
            if len(results) == 1 and results[0][1:] == (ts, judge, actor, None):
                cells[col] = 1 if results[0].outcome == "pass" else 0
                continue
            cells[col] = [
                [
                    1 if r.outcome == "pass" else 0,
                    0 if r.ts == ts else r.ts,
                    index(judges, r.judge),
                    index(actors, r.actor),
                    *([r.tally] if r.tally else []),
                ]
                for r in results
            ]
        rec.append(cells)
    payload = {
        "columns": [
            [c.commit, c.ts, c.in_range, c.label, index(judges, defaults[i][1]), index(actors, defaults[i][2])]
            for i, c in enumerate(timeline.columns)
        ],
        "rows": [[r.case_id, r.title, r.failure_mode, r.severity, r.status] for r in timeline.rows],
        "rec": rec,
        "judges": list(judges),
        "actors": list(actors),
    }
    # No `<` at all inside the script block (`</script>` would end it, `<!--<script` would
    # change how the HTML parser reads it); `\u003c` is the same string to JSON.
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def _heatmap(timeline: Timeline) -> str:
    legend = "".join(f'<span><i class="{s}"></i>{_e(_LEGEND[s])}</span>' for s in STATES)
    legend += "".join(f'<span><i class="{s} c"></i>{_e(text)}</span>' for s, text in _CARRIED.items())
    parts = [
        '<section id="heatmap"><h2>Cases &times; commits</h2>',
        f'<p class="sub">{len(timeline.rows)} case(s) &times; {len(timeline.columns)} commit(s), oldest on the left; '
        "hover a cell, or Tab into the grid and use the arrow keys, for its commit, date, judge and actor.</p>",
        f'<p class="legend">{legend}</p>',
        f'<div class="hm-wrap"><div class="hm{" wide" if len(timeline.columns) <= 60 else ""}" id="hm" '
        'aria-label="cases by commits heatmap">',
    ]
    if any(c.in_range for c in timeline.columns):
        ticks = "".join(
            '<i class="now"></i>' if c.label else '<i class="in"></i>' if c.in_range else "<i></i>"
            for c in timeline.columns
        )
        parts.append(f'<div class="ticks" title="the range under test">{ticks}</div>')
    mode = None
    for index, row in enumerate(timeline.rows):
        group = "gate: flips and failures" if row.focus else row.failure_mode
        if group != mode:
            if mode is not None:
                parts.append("</div>")
            mode = group
            count = sum(
                1 for r in timeline.rows if (("gate: flips and failures" if r.focus else r.failure_mode) == group)
            )
            parts.append(f'<div class="mode" data-mode="{_e(group)}"><div class="mode-h">{_e(group)} ({count})</div>')
        status = "" if row.status == "active" else f' <span class="st">{_e(row.status)}</span>'
        cells = "".join(
            f'<i class="{state} c"></i>' if carried and state in ("pass", "fail") else f"<i class={state}></i>"
            for state, carried in zip(row.cells, row.carried)
        )
        parts.append(
            f'<div class="row" data-r="{index}" data-case="{_e(row.case_id)}">'
            f'<span class="lab" title="{_e(row.title)}">{_e(row.case_id)}'
            f'<b class="sev {_e(row.severity)}">{_e(row.severity)}</b>{status}</span>'
            f'<span class="cells">{cells}</span></div>'
        )
    if mode is not None:
        parts.append("</div>")
    parts.append("</div></div></section>")
    return "\n".join(parts)


Series = Sequence[tuple[float, "float | None"]]  # (x in 0..1, y or None for a gap)


def _even(values: Sequence[float | None]) -> list[tuple[float, float | None]]:
    """One point per column, evenly spaced."""
    step = 1 / max(len(values) - 1, 1)
    return [(index * step, value) for index, value in enumerate(values)]


def _steps(values: Sequence[float]) -> list[tuple[float, float | None]]:
    """A count that changes at events: hold each value until the next (a step line)."""
    step = 1 / max(len(values) - 1, 1)
    out: list[tuple[float, float | None]] = []
    for index, value in enumerate(values):
        if out:
            out.append((index * step, out[-1][1]))
        out.append((index * step, value))
    return out


def _polyline(points: Series, width: int, height: int, top: float, scale: float) -> list[str]:
    """Polyline point lists for one series; a gap where the value is unknown."""
    runs: list[list[str]] = [[]]
    for x, value in points:
        if value is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append(f"{40 + x * width:.1f},{top + height - value * scale:.1f}")
    return [" ".join(r) for r in runs if r]


def _chart(
    series: Mapping[str, Series],
    *,
    label: str,
    maximum: float,
    ticks: Sequence[tuple[float, str]],
    left: str,
    right: str,
) -> str:
    width, height, top = 640, 160, 10
    scale = height / maximum if maximum else 0.0
    out = [
        f'<svg width="{width + 60}" height="{height + 40}" role="img" aria-label="{_e(label)}">',
        f'<rect x="40" y="{top}" width="{width}" height="{height}" fill="none" stroke="#d0d7de"/>',
    ]
    for value, text in ticks:
        y = top + height - value * scale
        out.append(
            f'<line x1="40" x2="{40 + width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eaeef2"/>'
            f'<text x="34" y="{y + 4:.1f}" text-anchor="end">{_e(text)}</text>'
        )
    out.append(
        f'<text x="40" y="{top + height + 16}">{_e(left)}</text>'
        f'<text x="{40 + width}" y="{top + height + 16}" text-anchor="end">{_e(right)}</text>'
    )
    key = []
    for index, (name, values) in enumerate(series.items()):
        colour = _LINE_COLOURS[index % len(_LINE_COLOURS)]
        for points in _polyline(values, width, height, top, scale):
            out.append(
                f'<polyline data-series="{_e(name)}" fill="none" stroke="{colour}" stroke-width="1.5" '
                f'points="{points}"/>'
            )
        key.append(f'<span><b style="background:{colour}"></b>{_e(name)}</span>')
    out.append("</svg>")
    return f'<figure><figcaption>{_e(label)}</figcaption>{"".join(out)}<p class="key">{"".join(key)}</p></figure>'


def _charts(timeline: Timeline) -> str:
    columns = timeline.columns
    if not columns and not timeline.sizes:
        return '<section id="trends"><h2>Trends</h2><p>No recorded results or dataset changes yet.</p></section>'
    first = (columns[0].ts or columns[0].commit[:10])[:10] if columns else ""
    last = (columns[-1].ts or columns[-1].label or columns[-1].commit[:10])[:10] if columns else ""
    rates = {m: _even(v) for m, v in timeline.mode_rates.items() if any(x is not None for x in v)}
    parts = ['<section id="trends"><h2>Trends</h2><div class="charts">']
    parts.append(
        _chart(
            rates,
            label="pass rate per failure mode, per recorded commit",
            maximum=1.0,
            ticks=[(0, "0%"), (0.5, "50%"), (1, "100%")],
            left=first,
            right=last,
        )
    )
    sizes = timeline.sizes
    if sizes:
        top = max(max(p.active, p.promoted, p.removed, p.deprecated) for p in sizes) or 1
        series = {
            "active": _steps([float(p.active) for p in sizes]),
            "promoted": _steps([float(p.promoted) for p in sizes]),
            "removed": _steps([float(p.removed) for p in sizes]),
            "deprecated": _steps([float(p.deprecated) for p in sizes]),
        }
        parts.append(
            _chart(
                series,
                label="dataset size over time (per promotion, removal, deprecation)",
                maximum=float(top),
                ticks=[(0, "0"), (top / 2, f"{top / 2:g}"), (top, f"{top}")],
                left=(sizes[0].ts or "")[:10],
                right=(sizes[-1].ts or "")[:10],
            )
        )
    parts.append("</div></section>")
    return "\n".join(parts)


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[int] = ()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="n">{_e(v)}</td>' if i in numeric else f"<td>{_e(v)}</td>" for i, v in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _health(report: HealthReport) -> str:
    r = report
    total = r.active or 1
    parts = [
        '<section id="health"><h2>Health</h2>',
        f"<p>{r.active} active case(s), {r.deprecated} deprecated, {r.watchlist} on the watchlist.</p>",
    ]
    parts += [f'<p class="warn">warning: {_e(w)}</p>' for w in r.warnings] or [
        "<p>Size band and intent shares: ok.</p>"
    ]
    parts.append(
        '<div class="charts"><div><h3>per failure mode</h3>'
        + _table(["failure mode", "active cases"], list(r.by_mode.items()), [1])
        + "</div>"
    )
    parts.append(
        "<div><h3>per severity</h3>" + _table(["severity", "active cases"], list(r.by_severity.items()), [1]) + "</div>"
    )
    parts.append(
        "<div><h3>intent shares</h3>"
        + _table(
            ["intent", "cases", "share"], [(i, n, f"{n / total * 100:.0f}%") for i, n in r.by_intent.items()], [1, 2]
        )
        + "</div></div>"
    )
    parts.append(
        "<h3>regressed more than once (structurally fragile)</h3>"
        + (_table(["case", "regressed_count"], r.fragile, [1]) if r.fragile else "<p>none</p>")
    )
    parts.append(
        "<h3>prune candidates (no failure in 9 months)</h3>"
        + (_table(["case", "last failure"], r.prune) if r.prune else "<p>none</p>")
    )
    if r.no_remediation:
        parts.append(f"<h3>without remediation</h3><p>{_e(', '.join(r.no_remediation))}</p>")
    parts.append(
        "<h3>flaky vs regressed</h3>"
        + (
            _table(
                [
                    "case",
                    "runs",
                    "flips",
                    "flip rate",
                    "same-commit",
                    "unexplained recoveries",
                    "recent outcomes",
                    "verdict",
                ],
                [
                    (
                        f.case_id,
                        f.runs,
                        f.flips,
                        "-" if f.flip_rate is None else f"{f.flip_rate:.2f}",
                        f.disagreements,
                        f.unexplained_recoveries,
                        f.outcomes,
                        f.verdict,
                    )
                    for f in r.flakiness
                ],
                [1, 2, 3, 4, 5],
            )
            if r.flakiness
            else "<p>no case has two recorded runs yet</p>"
        )
    )
    parts.append("</section>")
    return "\n".join(parts)
