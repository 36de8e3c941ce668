"""The Action speaks in the pull request: one comment, updated on each push, against a local
server that answers the GitHub REST endpoints the step uses (list, create, update issue comments)."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import commit_all, git
from gate_repo import break_cases
from recording_server import Received, Reply, serve

from acceptance.action.test_action import pull_request, run_action, runner_python  # noqa: F401  (fixtures)
from failgate.pullrequest.comment import MARKER, MAX_BODY, comment_body

TOKEN = "ghs_failgateTestToken0123456789abcdef"
REPO = "acme/support-bot"


class FakeGitHub:
    """Issue comments of pull request #7, as the REST API serves them."""

    def __init__(self) -> None:
        self.comments: list[dict[str, Any]] = [
            {"id": 1, "body": "Looks good to me, but see the gate.", "user": {"login": "dana"}}
        ]
        self.ids = itertools.count(100)
        self.read_only = False

    def __call__(self, req: Received) -> Reply:
        if req.headers.get("authorization") != f"Bearer {TOKEN}":
            return Reply(401, {"message": "Bad credentials"})
        listing = f"/repos/{REPO}/issues/7/comments"
        if req.method == "GET" and req.path == listing:
            page, per_page = int(req.query["page"][0]), int(req.query["per_page"][0])
            return Reply(200, self.comments[(page - 1) * per_page : page * per_page])
        if self.read_only:
            return Reply(403, {"message": "Resource not accessible by integration"})
        if req.method == "POST" and req.path == listing:
            comment = {"id": next(self.ids), "body": req.json()["body"], "html_url": "https://github.example/c"}
            self.comments.append(comment)
            return Reply(201, comment)
        match = re.fullmatch(rf"/repos/{REPO}/issues/comments/(\d+)", req.path)
        if req.method == "PATCH" and match:
            for comment in self.comments:
                if comment["id"] == int(match[1]):
                    comment["body"] = req.json()["body"]
                    return Reply(200, comment)
            return Reply(404, {"message": "Not Found"})
        return Reply(404, {"message": "Not Found"})


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Any:
    fake = FakeGitHub()
    with serve(fake) as server:
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
        monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.example")
        monkeypatch.setenv("GITHUB_RUN_ID", "4242")
        yield fake, server


def _pr_event(work: Path) -> dict[str, Any]:
    head = git(work, "rev-parse", "HEAD").stdout.strip()
    return {"pull_request": {"number": 7, "base": {"ref": "main"}, "head": {"sha": head, "ref": "feature"}}}


def _ours(fake: FakeGitHub) -> list[dict[str, Any]]:
    return [c for c in fake.comments if c["body"].startswith(MARKER)]


def test_one_comment_created_then_updated_on_the_next_push(
    pull_request: dict[str, Any],  # noqa: F811
    runner_python: Path,  # noqa: F811
    github: Any,
) -> None:
    fake, server = github
    work = pull_request["work"]
    break_cases(work, 2)
    commit_all(work, "agent change")
    first = run_action(pull_request, runner_python, {"token": TOKEN}, event=_pr_event(work))
    assert first.returncode == 1, first.stdout + first.stderr
    (comment,) = _ours(fake)
    body = comment["body"]
    # decisions and policy changes first, then the matrix, then the flips with severity and blast radius
    assert body.index("Decisions in this range") < body.index("Policy and agent changes") < body.index("failure mode")
    assert body.index("failure mode") < body.index("Flips") and "AGTFAIL-0002" in body
    assert "| P1 | customer_visible |" in body
    assert "https://github.example/acme/support-bot/actions/runs/4242#artifacts" in body
    assert fake.comments[0]["body"] == "Looks good to me, but see the gate."  # a person's comment is untouched

    (work / "README.md").write_text("another push\n")
    commit_all(work, "second push")
    second = run_action(pull_request, runner_python, {"token": TOKEN}, event=_pr_event(work))
    assert second.returncode == 1
    (updated,) = _ours(fake)  # still one comment ...
    assert updated["id"] == comment["id"] and updated["body"] != body  # ... updated for the new head
    head = git(work, "rev-parse", "HEAD").stdout.strip()
    assert head[:10] in updated["body"]
    methods = [(r.method, r.path.rsplit("/", 2)[-2]) for r in server.requests if r.method != "GET"]
    assert methods == [("POST", "7"), ("PATCH", "comments")]
    for result in (first, second):
        assert TOKEN not in result.stdout + result.stderr
    assert "updated the gate's comment on #7" in second.stdout


def test_without_write_permission_it_degrades_to_the_step_summary(
    pull_request: dict[str, Any],  # noqa: F811
    runner_python: Path,  # noqa: F811
    github: Any,
) -> None:
    fake, _ = github
    fake.read_only = True  # a fork's pull request: the token can read, not write
    work = pull_request["work"]
    break_cases(work, 2)
    commit_all(work, "agent change")
    result = run_action(pull_request, runner_python, {"token": TOKEN}, event=_pr_event(work))
    assert result.returncode == 1  # the gate's verdict, not the comment's fate
    summary = (pull_request["tmp"] / "summary.md").read_text()
    assert "could not comment on #7" in summary and "pull-requests: write" in summary
    assert "AGTFAIL-0002" in summary  # the report is there instead
    assert _ours(fake) == [] and TOKEN not in result.stdout + result.stderr


def test_a_push_event_posts_no_comment(
    pull_request: dict[str, Any],  # noqa: F811
    runner_python: Path,  # noqa: F811
    github: Any,
) -> None:
    _, server = github
    before = git(pull_request["work"], "rev-parse", "HEAD").stdout.strip()
    result = run_action(
        pull_request, runner_python, {"token": TOKEN, "html": ""}, event_name="push", event={"before": before}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert server.requests == []


def test_the_agent_under_test_never_sees_the_token(
    pull_request: dict[str, Any],  # noqa: F811
    runner_python: Path,  # noqa: F811
    github: Any,
) -> None:
    work = pull_request["work"]
    agent = work / "gateagent.py"
    agent.write_text(
        agent.read_text()
        + "\nimport os as _os\n_leak = [k for k, v in _os.environ.items() if v == "
        + json.dumps(TOKEN)
        + "]\nif _leak:\n    raise SystemExit('token visible to the agent: ' + ','.join(_leak))\n"
    )
    commit_all(work, "an agent that looks for the token")
    result = run_action(pull_request, runner_python, {"token": TOKEN, "html": ""}, event=_pr_event(work))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_body_is_cut_to_what_a_comment_holds() -> None:
    body = comment_body("x" * (MAX_BODY * 2), "https://example/run#artifacts")
    assert len(body) <= MAX_BODY and body.startswith(MARKER) and body.rstrip().endswith("of this run.")
    assert comment_body("short", None) == MARKER + "\nshort\n"
