"""The GitHub Actions workflow `failgate init` writes (text only; init writes it).

It is one `uses:` of failgate's own composite action (`action.yml` at the
root of failgate's repository; its step is `action/run.sh`), which installs
failgate from the action's checkout and runs validate, the ledger check and
the gate, writes the step summary and annotations and uploads the JUnit and
HTML reports. Why each piece is there:
- `fetch-depth: 0`: `check-ledger --base` and the gate need the merge-base;
  the default depth-1 checkout does not have it (failgate then exits 2 rather
  than pass silently).
- the action's ledger check, on pull requests, runs against the target:
  GitHub checks out `refs/pull/N/merge`, a merge GitHub made itself, and
  server-side merges ignore custom merge drivers, so this is where a history
  line lost in that merge is caught; and against the PR's head, for lines of
  the branch's own side lost in the same merge. On push: against the branch
  before the push.
- `ACTION`: where failgate comes from is the user's to say (failgate's
  GitHub home is not fixed yet), so the line is a placeholder the manual (docs/how-to/github-actions.md) tells
  them to edit; an unedited one fails at "Unable to resolve action", loudly.
- `pull-requests: write`: the action posts the gate's report as one comment
  and updates it on each push; a fork's pull request gets a read-only token
  anyway, and the report then stays in the step summary.
- `pre-commit run --all-files` afterwards (`if: always()`): the same hooks as
  on developers' machines, with the python the action set up.
"""

from __future__ import annotations

import json

ACTION = "OWNER/failgate@REV"  # edit: the repository and revision you take failgate from


def ci_workflow(dataset_dir: str, action: str = ACTION) -> str:
    dataset = dataset_dir.strip("/") or "evals/failures"
    return f"""\
# Written by `failgate init`: keeps the failure dataset ({dataset}/) honest in CI.
# validate, the ledger check against the target branch (which also catches
# history lost in a server-side merge: those ignore failgate's merge drivers)
# and the zero-flip gate, with a step summary, annotations, JUnit and an HTML report.
name: failgate

on:
  pull_request:
  # A merge queue reports on its queued merges: a required check that never
  # runs there would block the queue (and an optional one would be skipped).
  merge_group:
  push:
    branches: [main]
    # A release tag is gated too (like a new branch: against the default branch).
    tags: ["*"]

permissions:
  contents: read
  pull-requests: write   # the gate's report as one comment on the pull request, updated on each push

jobs:
  failgate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          # the ledger check and the gate need the merge-base; a shallow clone has
          # no history to find it in (failgate then exits 2, never passes silently).
          fetch-depth: 0
      # EDIT the next line: where you take failgate's action from (owner/repo@rev).
      - uses: {action}
        with:
          dataset: {json.dumps(dataset)}
          html: failgate-report.html
          # The gate runs your agent: install what it imports, e.g.
          # install: pip install -e .
      - name: the same hooks as on developers' machines
        if: always()
        run: pip install pre-commit && pre-commit run --all-files --show-diff-on-failure
"""
