"""The Action's gate on a push to the default branch notifies ([tool.failgate.notify], read at the
pushed range's base); on any other branch, and on pull requests, it does not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import commit_all, git
from gate_repo import break_cases
from recording_server import Reply, serve

from acceptance.action.test_action import pull_request, run_action, runner_python  # noqa: F401  (fixtures)


def _push_to(work: Path, branch: str, hook_url: str) -> dict[str, Any]:
    git(work, "checkout", "-q", "-B", branch)
    config = work / "failgate.toml"
    break_cases(work)  # start green
    if "[notify.sinks.page]" not in config.read_text():
        config.write_text(config.read_text() + f'\n[notify.sinks.page]\nkind = "webhook"\nurl = "{hook_url}"\n')
    commit_all(work, "route P0 and irreversible writes to the on-call webhook")
    before = git(work, "rev-parse", "HEAD").stdout.strip()
    break_cases(work, 2)
    commit_all(work, "agent change")
    return {"before": before, "ref": f"refs/heads/{branch}", "repository": {"default_branch": "main"}}


def _case_for_the_page(work: Path) -> None:
    # The fixture's cases are P1 customer_visible: make case 2 an irreversible write, which pages.
    cases = work / "evals/failures/cases.yaml"
    text = cases.read_text()
    head, sep, rest = text.partition("  - id: AGTFAIL-0002\n")
    cases.write_text(head + sep + rest.replace("blast_radius: customer_visible", "blast_radius: irreversible_write", 1))


def test_a_push_to_main_pages_and_another_branch_does_not(
    pull_request: dict[str, Any],  # noqa: F811
    runner_python: Path,  # noqa: F811
) -> None:
    work = pull_request["work"]
    with serve(lambda req: Reply(204, b"")) as hook:
        git(work, "checkout", "-q", "main")
        _case_for_the_page(work)
        commit_all(work, "case 2 writes irreversibly")
        event = _push_to(work, "main", hook.url + "/hook")
        result = run_action(pull_request, runner_python, {"html": ""}, event_name="push", event=event)
        assert result.returncode == 1, result.stdout + result.stderr
        posts = [r for r in hook.requests if r.method == "POST"]
        assert len(posts) == 1 and [c["id"] for c in posts[0].json()["cases"]] == ["AGTFAIL-0002"]
        assert "notify: sent page: AGTFAIL-0002" in result.stdout + result.stderr

        hook.requests.clear()
        event = _push_to(work, "topic", hook.url + "/hook")  # control: not the default branch
        result = run_action(pull_request, runner_python, {"html": ""}, event_name="push", event=event)
        assert result.returncode == 1
        assert hook.requests == []
