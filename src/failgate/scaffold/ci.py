"""The GitHub Actions workflow `failgate init` writes (text only; init writes it).

Why each piece is there:
- `fetch-depth: 0`: `check-ledger --base` needs the merge-base; the default
  depth-1 checkout does not have it (check-ledger then exits 2 rather than
  pass silently).
- `pre-commit run --all-files`: the same hooks as on developers' machines.
- `check-ledger --base origin/<target>` on pull requests: GitHub checks out
  `refs/pull/N/merge`, a merge GitHub made itself, and server-side merges
  ignore custom merge drivers — this is where a history line lost in that
  merge is caught. The second run against the PR's head catches lines of the
  branch's own side lost in the same merge.
- on push: the pushed commits against what the branch was before.
- `failgate gate`: the same gate as the pre-push hook; under Actions it picks
  the base itself (the PR's target; on push the pushed range's old tip from
  the event, since `origin/<branch>` is the pushed commit there). JUnit for
  the checks page, Markdown for the run summary.
"""
from __future__ import annotations

_ZERO = "0" * 40


def ci_workflow(dataset_dir: str) -> str:
    dataset = dataset_dir.strip("/") or "evals/failures"
    return f"""\
# Written by `failgate init`: keeps the failure dataset ({dataset}/) honest in CI.
# The same hooks as locally, plus the ledger check against the target branch,
# which also catches history lost in a server-side merge (those ignore
# failgate's merge drivers).
name: failgate

on:
  pull_request:
  push:
    branches: [main]

permissions:
  contents: read

jobs:
  failgate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          # check-ledger --base needs the merge-base; a shallow clone has no
          # history to find it in (failgate then exits 2, never passes silently).
          fetch-depth: 0
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: pip install failgate pre-commit
      - run: failgate install
      - run: pre-commit run --all-files --show-diff-on-failure
      - name: ledger against the target branch
        if: github.event_name == 'pull_request'
        run: failgate check-ledger --base "origin/${{{{ github.base_ref }}}}"
      - name: ledger against the pull request's own head
        if: github.event_name == 'pull_request'
        run: failgate check-ledger --base "${{{{ github.event.pull_request.head.sha }}}}"
      - name: ledger against the branch before this push
        if: github.event_name == 'push' && github.event.before != '{_ZERO}'
        run: failgate check-ledger --base "${{{{ github.event.before }}}}"
      # The gate runs your agent: install what it imports first (e.g. `pip install -e .`).
      # It writes its Markdown summary to $GITHUB_STEP_SUMMARY itself.
      - name: gate (100 % on the failure set, zero flips since the target)
        run: failgate gate --format junit --output failgate-gate.xml
      - name: upload the gate's JUnit report
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: failgate-gate-junit
          path: failgate-gate.xml
          if-no-files-found: ignore
"""
