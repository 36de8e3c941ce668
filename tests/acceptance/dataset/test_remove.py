"""failgate remove: the pure text edits, refusals, the CLI and check-ledger afterwards."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from conftest import commit_all, git
from ledger_data import LEDGER_EMPTY, cases_text, history_text, write_dataset

from failgate.cli import main
from failgate.dataset.events import event_line, new_event, new_event_id
from failgate.dataset.removal import remove_case
from failgate.dataset.yamlstrict import load_yaml_text
from failgate.findings import FailgateError

DS = "evals/failures"
NOW = dt.datetime(2026, 5, 8, 12, 0, 0, tzinfo=dt.timezone.utc)


def test_event_ids_are_ulids_in_time_order() -> None:
    a = new_event_id(NOW)
    b = new_event_id(NOW + dt.timedelta(milliseconds=1))
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", a) and a < b
    assert len({new_event_id(NOW) for _ in range(100)}) == 100
    event = new_event("removed", "AGTFAIL-0001", now=NOW, actor="dana", detail=None)
    assert list(event) == ["id", "ts", "case_id", "type", "actor"] and event["ts"] == "2026-05-08T12:00:00Z"
    assert json.loads(event_line(event)) == event and event_line(event).endswith("}\n")
    with pytest.raises(ValueError):
        new_event("deleted", "AGTFAIL-0001")


def test_pure_removal_keeps_the_rest_byte_identical() -> None:
    cases = cases_text(1, 2, 3).replace("  - id: AGTFAIL-0003", "  # keep this comment\n  - id: AGTFAIL-0003")
    result = remove_case(
        cases_text=cases,
        removed_text=LEDGER_EMPTY,
        history_text=history_text(1, 2, 3),
        case_id="AGTFAIL-0002",
        reason="duplicate of AGTFAIL-0001",
        by="dana",
        now=NOW,
    )
    # The case's block (with its comment above) is cut; nothing else moves.
    before, after = cases.split("  # Refund issued twice (2)\n")
    assert result.cases == before + after[after.index("  # Refund issued twice (3)") :]
    assert "# keep this comment" in result.cases
    entry = load_yaml_text(result.removed, "r").data["removed"][0]
    assert entry["id"] == "AGTFAIL-0002" and entry["removed_by"] == "dana"
    assert entry["removed_at"] == "2026-05-08T12:00:00Z" and entry["reason"] == "duplicate of AGTFAIL-0001"
    original = load_yaml_text(cases, "c").data["cases"][1]
    assert entry["case"] == original  # the full snapshot, dates still strings
    assert result.history.startswith(history_text(1, 2, 3))
    last = json.loads(result.history.splitlines()[-1])
    assert last["type"] == "removed" and last["case_id"] == "AGTFAIL-0002" and last["actor"] == "dana"


def test_pure_removal_creates_the_ledger_and_empties_the_list() -> None:
    result = remove_case(
        cases_text=cases_text(1),
        removed_text=None,
        history_text=None,
        case_id="AGTFAIL-0001",
        reason="obsolete tool",
        by="dana",
        now=NOW,
    )
    assert load_yaml_text(result.cases, "c").data["cases"] == []
    ledger = load_yaml_text(result.removed, "r").data
    assert ledger["schema_version"] == 1 and [e["id"] for e in ledger["removed"]] == ["AGTFAIL-0001"]
    assert result.history.count("\n") == 1


def test_history_without_final_newline_gets_one() -> None:
    result = remove_case(
        cases_text=cases_text(1, 2),
        removed_text=LEDGER_EMPTY,
        history_text=history_text(1, 2).rstrip("\n"),
        case_id="AGTFAIL-0001",
        reason="r",
        by="b",
        now=NOW,
    )
    assert [json.loads(line)["case_id"] for line in result.history.splitlines()] == [
        "AGTFAIL-0001",
        "AGTFAIL-0002",
        "AGTFAIL-0001",
    ]


@pytest.mark.parametrize(
    ("case_id", "reason", "by", "message"),
    [
        ("AGTFAIL-0001", "", "dana", "needs a reason"),
        ("AGTFAIL-0001", "   ", "dana", "needs a reason"),
        ("AGTFAIL-0001", "why", None, "--by"),
        ("AGTFAIL-0042", "why", "dana", "no case AGTFAIL-0042"),
    ],
)
def test_pure_refusals(case_id: str, reason: str, by: str | None, message: str) -> None:
    with pytest.raises(FailgateError, match=message) as info:
        remove_case(
            cases_text=cases_text(1), removed_text=None, history_text=None, case_id=case_id, reason=reason, by=by
        )
    assert info.value.exit_code == 1


# -- the command -------------------------------------------------------------------


@pytest.fixture
def repo(git_repo: Path) -> Path:
    write_dataset(git_repo / DS)
    commit_all(git_repo, "dataset")
    return git_repo


def snapshot(directory: Path) -> dict[str, bytes]:
    # The lock file (atomic.LOCK_NAME) is left in place on purpose: unlinking a
    # flock'ed file races with the next writer.
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file() and p.name != ".failgate.lock"}


def test_remove_then_check_ledger_and_validate_pass(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = repo / DS
    before = (directory / "cases.yaml").read_text()
    code = main(["remove", "AGTFAIL-0002", "--reason", "duplicate of AGTFAIL-0001", "--by", "dana@example.com"])
    out = capsys.readouterr().out
    assert code == 0 and "removed AGTFAIL-0002" in out and "git add" in out
    after = (directory / "cases.yaml").read_text()
    start = before.index("  # Refund issued twice (2)")
    end = before.index("  # Refund issued twice (3)")
    assert after == before[:start] + before[end:]
    git(repo, "add", DS)
    assert main(["check-ledger"]) == 0, capsys.readouterr().out
    code = main(["validate"])
    assert code == 0, capsys.readouterr()
    commit_all(repo, "remove")
    assert main(["check-ledger", "--base", "HEAD~1"]) == 0


def test_remove_refusals_change_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = repo / DS
    before = snapshot(directory)
    assert main(["remove", "AGTFAIL-0002", "--by", "dana"]) == 1
    assert "needs a reason" in capsys.readouterr().err
    assert main(["remove", "AGTFAIL-0099", "--reason", "x", "--by", "dana"]) == 1
    assert "no case AGTFAIL-0099" in capsys.readouterr().err
    assert snapshot(directory) == before
    assert main(["remove", "AGTFAIL-0002", "--reason", "x", "--by", "dana"]) == 0
    after_first = snapshot(directory)
    assert main(["remove", "AGTFAIL-0002", "--reason", "again", "--by", "dana"]) == 1
    assert "already removed" in capsys.readouterr().err
    assert snapshot(directory) == after_first
    assert not list(directory.glob(".*.failgate-tmp"))  # no temp files left behind


def test_remove_without_a_dataset(git_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["remove", "AGTFAIL-0001", "--reason", "x", "--by", "y"]) == 1
    assert "nothing to remove" in capsys.readouterr().err


def test_remove_creates_a_missing_ledger(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(repo, "rm", "-q", f"{DS}/cases_removed.yaml")
    commit_all(repo, "no ledger yet")
    assert main(["remove", "AGTFAIL-0001", "--reason", "obsolete", "--by", "dana"]) == 0
    ledger = load_yaml_text((repo / DS / "cases_removed.yaml").read_text(), "r").data
    assert ledger["schema_version"] == 1 and ledger["removed"][0]["id"] == "AGTFAIL-0001"
    git(repo, "add", DS)
    assert main(["check-ledger"]) == 0, capsys.readouterr().out


def test_a_failed_write_leaves_every_file_as_it_was(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import failgate.atomic as atomic

    directory = repo / DS
    before = snapshot(directory)
    calls = {"n": 0}
    real = atomic._temp_for

    def flaky(path: Path, data: bytes) -> Path:
        calls["n"] += 1
        if calls["n"] == 3:  # the third file fails after two temp files exist
            raise OSError("disk full")
        return real(path, data)

    monkeypatch.setattr(atomic, "_temp_for", flaky)
    assert main(["remove", "AGTFAIL-0002", "--reason", "x", "--by", "dana"]) == 1  # one line, no traceback
    assert snapshot(directory) == before and not list(directory.glob(".*.failgate-tmp"))
