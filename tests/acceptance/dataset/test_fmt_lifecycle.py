"""`fmt` records the history events a case's own edits call for: `status_changed` when a case
is deprecated or moved to the watchlist, `remediated` when a remediation entry is added; only
changes since the previous commit, never a backfill, and idempotent."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import git
from dataset_builder import write_dataset

from failgate.cli import main

DS = Path("evals") / "failures"


def _commit(repo: Path, message: str = "dataset") -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", message)


def _events(repo: Path, kind: str) -> list[dict]:
    lines = (repo / DS / "history.jsonl").read_text().splitlines()
    return [e for e in map(json.loads, lines) if e["type"] == kind]


def _fmt(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["fmt", *args])
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.fixture
def committed(git_repo: Path) -> Path:
    write_dataset(git_repo / DS)
    _commit(git_repo)
    return git_repo


def test_a_committed_dataset_is_not_backfilled(committed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Both cases carry a remediation entry that no event records: written before fmt recorded them.
    assert _fmt(capsys) == (0, "")
    assert _events(committed, "remediated") == []


def test_deprecating_a_case_records_status_changed_once(committed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = committed / DS / "cases.yaml"
    text = cases.read_text()
    head, sep, rest = text.partition("  - id: AGTFAIL-0002\n")
    rest = rest.replace(
        "status: active\n", "status: deprecated\n    deprecated_reason: the warranty flow was retired\n", 1
    )
    cases.write_text(head + sep + rest)
    code, out = _fmt(capsys)
    assert code == 1 and "recorded status_changed AGTFAIL-0002 (active -> deprecated)" in out
    (event,) = _events(committed, "status_changed")
    assert event["case_id"] == "AGTFAIL-0002" and event["detail"] == {
        "from": "active",
        "to": "deprecated",
        "reason": "the warranty flow was retired",
    }
    # who recorded it: the committer's address, or "ci" under CI (failgate.dataset.events.default_actor)
    assert event["actor"] == (
        "ci" if os.environ.get("CI", "").lower() in ("true", "1", "yes") else "author@example.com"
    )
    assert _fmt(capsys) == (0, "")  # idempotent: the event is there now
    assert main(["validate"]) == 0


def test_adding_a_remediation_records_remediated(committed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = committed / DS / "cases.yaml"
    text = cases.read_text()
    head, sep, rest = text.partition("  - id: AGTFAIL-0001\n")
    rest = rest.replace(
        "        change: Idempotency key on issue_refund.\n",
        "        change: Idempotency key on issue_refund.\n      - date: 2026-12-01\n        change: Retry budget on the gateway.\n",
        1,
    )
    cases.write_text(head + sep + rest)
    assert _fmt(capsys, "--check")[0] == 1 and _events(committed, "remediated") == []  # --check writes nothing
    code, out = _fmt(capsys)
    assert code == 1 and "recorded remediated AGTFAIL-0001 (2026-12-01: Retry budget on the gateway.)" in out
    (event,) = _events(committed, "remediated")
    assert event["detail"] == {"date": "2026-12-01", "change": "Retry budget on the gateway."}
    assert _fmt(capsys) == (0, "")
    _commit(committed, "remediation")
    assert _fmt(capsys) == (0, "")  # committed: nothing new since HEAD


def test_moving_a_case_to_the_watchlist_records_it(committed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = committed / DS / "cases.yaml"
    text = cases.read_text()
    head, sep, rest = text.partition("  # Warranty answer invented\n  - id: AGTFAIL-0002\n")
    cases.write_text(head)
    (committed / DS / "watchlist.yaml").write_text("schema_version: 1\ncases:\n  - id: AGTFAIL-0002\n" + rest)
    code, out = _fmt(capsys)
    assert code == 1 and "AGTFAIL-0002 (active -> watchlist)" in out
    (event,) = _events(committed, "status_changed")
    assert event["detail"] == {"from": "active", "to": "watchlist"}


def test_without_a_commit_nothing_is_recorded(git_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_dataset(git_repo / DS)
    assert _fmt(capsys) == (0, "")
