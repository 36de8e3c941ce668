"""One reading of history: an added line is one event in failgate's own form, under its own id.

The baseline reader and the range reader must never see two different
events in one line, so an escape that spells a key or a value another way,
and a second event under an existing id, are refused where they are added:
by check-ledger, and by the gate's own range check through every channel.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import commit_all, git
from gate_channels import CHANNELS, World, attempt, make_world
from gate_repo import DS, failgate, history_events

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def world(git_repo: Path, tmp_path: Path) -> World:
    return make_world(git_repo, tmp_path)


def branch(world: World, name: str) -> Path:
    git(world.repo, "checkout", "-q", "-B", name, "main")
    return world.repo


def a_pass_for_case_1(repo: Path, event_id: str = "01JZZ000000000000000000077") -> dict[str, object]:
    last = next(e for e in reversed(history_events(repo)) if e.get("type") == "result")
    return {**last, "id": event_id, "ts": "2026-06-01T10:00:00Z", "case_id": "AGTFAIL-0001", "outcome": "pass"}


def append(repo: Path, line: str) -> None:
    with (repo / DS / "history.jsonl").open("a") as handle:
        handle.write(line + "\n")


def outcome_everywhere(world: World, name: str, refused: bool, *needles: str) -> None:
    for channel in CHANNELS:
        was_refused, output = attempt(world, channel, name)
        assert was_refused == refused, f"{channel}: refused={was_refused}:\n{output}"
        for needle in needles:
            assert needle in output, f"{channel}: {needle!r} missing:\n{output}"


def test_an_escape_that_spells_result_another_way_is_refused(world: World) -> None:
    repo = branch(world, "escaped")
    line = json.dumps(a_pass_for_case_1(repo)).replace('"type": "result"', '"type": "res\\u0075lt"')
    assert '"res\\u0075lt"' in line and json.loads(line)["type"] == "result"
    append(repo, line)
    commit_all(repo, "a result, spelt oddly")
    ledger = failgate(repo, "check-ledger", "--base", "main")
    assert ledger.returncode == 1 and "NONCANONICAL" in ledger.stdout, ledger.stdout + ledger.stderr
    outcome_everywhere(world, "escaped", True, "NONCANONICAL")


def test_control_the_same_event_in_failgates_own_form_goes_through(world: World) -> None:
    repo = branch(world, "plain")
    append(repo, json.dumps(a_pass_for_case_1(repo), ensure_ascii=False))
    commit_all(repo, "a result")
    assert failgate(repo, "check-ledger", "--base", "main").returncode == 0
    outcome_everywhere(world, "plain", False)


def test_a_second_event_under_an_existing_id_is_refused_by_check_ledger_and_the_gate(world: World) -> None:
    repo = branch(world, "dup")
    first = next(e for e in history_events(repo) if e.get("type") == "result")
    append(repo, json.dumps({**first, "ts": "2026-06-01T10:00:00Z"}, ensure_ascii=False))  # same id, same outcome
    commit_all(repo, "record it again")
    ledger = failgate(repo, "check-ledger", "--base", "main")
    assert ledger.returncode == 1 and "DUPLICATE_EVENT" in ledger.stdout, ledger.stdout + ledger.stderr
    assert f"event id {first['id']} is already used" in ledger.stdout
    outcome_everywhere(world, "dup", True, "DUPLICATE_EVENT")


def test_the_baseline_reader_sees_an_escaped_result_as_the_range_reader_does() -> None:
    from failgate.dataset.history import fold_latest, parse_events

    plain = {"id": "01JZZ000000000000000000001", "ts": "2026-06-01T10:00:00Z", "case_id": "AGTFAIL-0001"}
    lines = [
        json.dumps({**plain, "type": "result", "outcome": "pass"}),
        json.dumps({**plain, "id": "01JZZ000000000000000000002", "type": "result", "outcome": "fail"}).replace(
            '"type": "result"', '"type": "res\\u0075lt"'
        ),
    ]
    data = ("\n".join(lines) + "\n").encode()
    events, _ = parse_events(data)
    assert events[-1]["type"] == "result" and events[-1]["outcome"] == "fail"
    fold = fold_latest(data, ["AGTFAIL-0001"])
    assert fold.get("AGTFAIL-0001").last_outcome == "fail"  # was "pass": the escaped line was skipped unread
