"""The two scheduled workflows `failgate init --schedule` writes (text only; init writes them).

- weekly intake (`failgate-intake.yml`, Mondays): `failgate ingest --source NAME`
  pulls the last seven days of failed traces from the trace store; when it wrote
  a review file, the file goes to the intake cycle's owner
  (`[tool.failgate.intake] owner`) as a pull request on a `failgate/intake-DATE`
  branch (or as an issue holding the file: `review_as = "issue"` in the intake section), opened
  with the `gh` CLI that GitHub's runners carry.
- nightly watch (`failgate-watch.yml`): `failgate watch` on main against its
  last green run, notifying by severity and blast radius
  (`[tool.failgate.notify]`); `.git/failgate/` (what was already reported, the
  last green commit) is kept between nights with `actions/cache`.

Both are opt-in: a scheduled job needs a trace store, its credentials as
repository secrets and sinks to notify, which a repository adopting failgate
does not have on day one; a schedule failing every week would teach people to
ignore it. The secrets a source or a sink needs are the variables its
configuration names (`*_env`): each is listed, mapped from a secret of the
same name, so the file says exactly what to add in the repository's settings.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

INSTALL = "git+https://github.com/OWNER/failgate@REV"  # edit: where you take failgate from (as for the action)
INTAKE_FILE = ".github/workflows/failgate-intake.yml"
WATCH_FILE = ".github/workflows/failgate-watch.yml"


def _secrets(names: Iterable[str], indent: str) -> str:
    lines = [f"{indent}{name}: ${{{{ secrets.{name} }}}}" for name in sorted(set(names))]
    return "\n".join(lines) + "\n" if lines else f"{indent}{{}}\n"


def intake_workflow(
    dataset_dir: str, source: str, owner: str | None, env_names: Iterable[str], review: str = "pull_request"
) -> str:
    dataset = dataset_dir.strip("/") or "evals/failures"
    who = owner or ""
    if review == "issue":
        open_review = """\
          gh issue create --title "failgate intake: $(date -u +%F)" \\
            --body-file <(printf 'Review the candidates below (replace every TODO), then promote them with\\n`failgate promote FILE --candidate N` in a pull request.\\n\\n```yaml\\n'; cat "$file"; printf '\\n```\\n') \\
            ${OWNER:+--assignee "${OWNER#@}"}"""
    else:
        open_review = f"""\
          branch="failgate/intake-$(date -u +%F)"
          git switch -c "$branch"
          git add {dataset}/_intake
          git -c user.name="failgate" -c user.email="failgate@users.noreply.github.com" \\
            commit -m "failgate intake: $(date -u +%F)"
          git push origin "$branch"
          gh pr create --base "${{GITHUB_REF_NAME}}" --head "$branch" --title "failgate intake: $(date -u +%F)" \\
            --body "Failed traces of the last 7 days from the trace store. Review $file (replace every TODO), promote what earns a slot (failgate promote FILE --candidate N), delete the rest." \\
            ${{OWNER:+--reviewer "${{OWNER#@}}"}}"""
    return f"""\
# Written by `failgate init --schedule`: the weekly intake of failed production traces.
# Every Monday: pull the last 7 days of failed traces from the trace store
# [tool.failgate.intake.sources.{source}] names, and when candidates come out, open a
# {"pull request" if review != "issue" else "issue"} with the review file for the intake owner.
name: failgate weekly intake

on:
  schedule:
    - cron: "17 6 * * 1"   # Mondays 06:17 UTC
  workflow_dispatch:

permissions:
  contents: write
  pull-requests: write
  issues: write

jobs:
  intake:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      # EDIT the next line: where you take failgate from (as in the failgate workflow's `uses:`).
      - run: pip install "{INSTALL}"
      - name: pull the week's failed traces
        id: ingest
        env:
          # The variables [tool.failgate.intake.sources.{source}] names, from repository secrets.
{_secrets(env_names, "          ")}        run: |
          failgate ingest --source {json.dumps(source)} --since 7d
          file=$(git status --porcelain --untracked-files=all -- {dataset}/_intake | sed -n 's/^?? //p' | grep '\\.yaml$' | head -n 1 || true)
          echo "file=$file" >> "$GITHUB_OUTPUT"
      - name: hand the review file to the intake owner
        if: steps.ingest.outputs.file != ''
        env:
          GH_TOKEN: ${{{{ github.token }}}}
          OWNER: {json.dumps(who)}   # [tool.failgate.intake] owner
          file: ${{{{ steps.ingest.outputs.file }}}}
        run: |
{open_review}
"""


def watch_workflow(env_names: Iterable[str]) -> str:
    return f"""\
# Written by `failgate init --schedule`: the nightly watch.
# Every night: the gate on main against its own last green run, so drift from outside the
# repository (the provider's model changed, a dependency moved) is caught the night it
# happens; red cases go where [tool.failgate.notify] routes them by severity and blast radius.
name: failgate nightly watch

on:
  schedule:
    - cron: "43 2 * * *"   # every night, 02:43 UTC
  workflow_dispatch:

permissions:
  contents: read
  issues: write   # only for a github_issue sink

jobs:
  watch:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0   # the baseline is read from the history at the last green run
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      # EDIT the next line: where you take failgate from (as in the failgate workflow's `uses:`).
      - run: pip install "{INSTALL}"
      # The gate runs your agent: install what it imports, e.g.
      # - run: pip install -e .
      - name: what was already reported, and the last green run
        uses: actions/cache@v4
        with:
          path: .git/failgate
          key: failgate-watch-${{{{ github.run_id }}}}
          restore-keys: failgate-watch-
      - name: failgate watch
        env:
          GITHUB_TOKEN: ${{{{ github.token }}}}
          # The variables [tool.failgate.notify] sinks name, from repository secrets.
{_secrets(env_names, "          ")}        run: failgate watch
"""


DEFAULT_SOURCE = "traces"


def _table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def wanted_secrets(raw: dict[str, Any]) -> tuple[str, list[str], list[str]]:
    """(the source the weekly job pulls, the variables it needs, the variables the notify sinks need)."""
    from failgate.intake.sources import KINDS

    intake = _table(raw.get("intake"))
    sources = _table(intake.get("sources"))
    name = next(iter(sources), DEFAULT_SOURCE)
    table = _table(sources.get(name))
    kind = KINDS.get(str(table.get("kind")))
    source_env = []
    for key in ("user_env", "password_env", "token_env"):
        value = table.get(key) or (getattr(kind, key) if kind else None)
        if value:
            source_env.append(str(value))
    sinks = _table(_table(raw.get("notify")).get("sinks"))
    notify_env = [
        str(sink[key])
        for sink in sinks.values()
        if isinstance(sink, dict)
        for key in ("url_env", "token_env", "routing_key_env")
        if sink.get(key) and sink.get(key) != "GITHUB_TOKEN"
    ]
    return name, source_env, notify_env
