"""Render an EvalResult: text (the matrix, for people), json, junit, markdown.

`render(result, fmt)` returns the whole document as a string; the shared
numbers (the per-failure-mode matrix, the severity breakdown) come from
`matrix()` and `severity_rows()` so every format shows the same figures.
"""

from __future__ import annotations

from collections.abc import Callable

from failgate.eval.report.figures import Row, matrix, severity_rows, skipped, verdict, watch_failures
from failgate.eval.runner import EvalResult

FORMATS = ("text", "json", "junit", "markdown")
__all__ = ["FORMATS", "Row", "matrix", "render", "severity_rows", "skipped", "verdict", "watch_failures"]


def render(result: EvalResult, fmt: str, *, color: bool = False) -> str:
    from failgate.eval.report import machine, text

    renderers: dict[str, Callable[[EvalResult], str]] = {
        "text": lambda r: text.render_text(r, color=color),
        "json": machine.render_json,
        "junit": machine.render_junit,
        "markdown": machine.render_markdown,
    }
    return renderers[fmt](result)
