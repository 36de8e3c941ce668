"""The comment's body: pure text in, text out.

The gate's Markdown report already puts decisions and policy changes first,
then the per-mode matrix, the flips and failures with their cases' severity
and blast radius. The body adds a hidden marker (how the next push finds the
comment to update instead of adding another) and the link to the run's
artifacts, where the HTML report is.
"""

from __future__ import annotations

MARKER = "<!-- failgate:gate-report -->"
MAX_BODY = 65536  # GitHub refuses a longer comment body
TRUNCATED = "\n\n… the report is longer than a comment can hold; the full report is in the run's step summary.\n"


def comment_body(report_markdown: str, artifact_link: str | None, artifact_name: str = "failgate-reports") -> str:
    footer = (
        f"\n---\nHTML report: the [`{artifact_name}` artifact]({artifact_link}) of this run.\n" if artifact_link else ""
    )
    head = MARKER + "\n"
    room = MAX_BODY - len(head) - len(footer) - len(TRUNCATED)
    report = report_markdown if len(report_markdown) <= room + len(TRUNCATED) else report_markdown[:room] + TRUNCATED
    return head + report.rstrip("\n") + "\n" + footer


def is_ours(body: object) -> bool:
    return isinstance(body, str) and body.startswith(MARKER)
