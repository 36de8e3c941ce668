"""`python -m failgate.pullrequest REPORT.md`: the Action's comment step.

Reads what GitHub Actions sets (`GITHUB_EVENT_NAME`, `GITHUB_EVENT_PATH`,
`GITHUB_REPOSITORY`, `GITHUB_API_URL`, `GITHUB_SERVER_URL`, `GITHUB_RUN_ID`,
`GITHUB_STEP_SUMMARY`) and the token in `FAILGATE_GITHUB_TOKEN` (which the
Action passes to this step only, never to the agent under test). Always exits
0: a comment that cannot be posted never changes the gate's verdict; it says
why on the step summary instead.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from failgate.dataset.jsonstrict import loads_or_none

PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")
NO_PERMISSION = (401, 403, 404)


def _summary(text: str) -> None:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        try:
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(text + "\n")
        except OSError:
            pass


def main(argv: list[str]) -> int:
    from failgate.pullrequest.comment import comment_body
    from failgate.pullrequest.github import CommentRefused, GitHub

    env = os.environ
    if env.get("GITHUB_EVENT_NAME") not in PULL_REQUEST_EVENTS:
        return 0
    if len(argv) != 1 or not Path(argv[0]).is_file() or not Path(argv[0]).read_text(encoding="utf-8").strip():
        print("failgate: no gate report to comment with (the gate did not get that far)")
        return 0
    try:
        event = loads_or_none(Path(env["GITHUB_EVENT_PATH"]).read_text(encoding="utf-8"))
        number = int(event["pull_request"]["number"])
    except (KeyError, OSError, ValueError, TypeError):
        print("::warning title=failgate::no pull request number in the event; no comment posted")
        return 0
    token = env.get("FAILGATE_GITHUB_TOKEN", "")
    repository = env.get("GITHUB_REPOSITORY", "")
    server, run = env.get("GITHUB_SERVER_URL"), env.get("GITHUB_RUN_ID")
    link = f"{server}/{repository}/actions/runs/{run}#artifacts" if server and repository and run else None
    body = comment_body(Path(argv[0]).read_text(encoding="utf-8"), link)
    if not token or not repository:
        _summary("> failgate posted no pull-request comment: no token (the `token` input) or repository.")
        return 0
    github = GitHub(env.get("GITHUB_API_URL", "https://api.github.com"), repository, token)
    try:
        posted = github.upsert(number, body)
    except CommentRefused as exc:
        if exc.status in NO_PERMISSION:
            why = (
                f"{exc}: the token cannot write to this pull request (a pull request from a fork gets a read-only "
                "token; a workflow needs `permissions: pull-requests: write`). The report is in this step summary."
            )
            print(f"::notice title=failgate::{why}")
            _summary(f"> failgate could not comment on #{number}: {why}")
        else:
            print(f"::warning title=failgate::the pull-request comment was not posted: {exc}")
            _summary(f"> failgate could not comment on #{number}: {exc}")
        return 0
    print(f"failgate: {posted.action} the gate's comment on #{number}" + (f": {posted.url}" if posted.url else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
