"""`failgate decide`: a decision is one validated, atomic history line; bad input changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gate_repo import DS, history_events, setup_consumer

from failgate.cli import main

FP = "sha256:" + "a" * 64
FP2 = "sha256:" + "b" * 64


@pytest.fixture
def consumer(git_repo: Path) -> Path:
    return setup_consumer(git_repo)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_redefined_decision_is_appended_and_valid(consumer: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "decide", "AGTFAIL-0002", "--redefined", "--reason", "rule was wrong", "--by", "dana")
    assert code == 0 and "recorded a redefined decision for AGTFAIL-0002" in out, out
    event = history_events(consumer)[-1]
    assert event["type"] == "redefined" and event["actor"] == "dana" and event["detail"] == {"reason": "rule was wrong"}
    assert run(capsys, "validate")[0] == 0


def test_judge_changed_names_both_fingerprints(consumer: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(
        capsys,
        "decide",
        "AGTFAIL-0001",
        "--judge-changed",
        "--from",
        FP,
        "--to",
        FP2,
        "--reason",
        "new refusal patterns",
        "--by",
        "dana",
    )
    assert code == 0, out
    assert history_events(consumer)[-1]["detail"] == {"reason": "new refusal patterns", "from": FP, "to": FP2}


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["AGTFAIL-0001", "--redefined", "--by", "dana"], 2, "--reason is required"),
        (["AGTFAIL-0001", "--redefined", "--reason", " ", "--by", "dana"], 2, "--reason is required"),
        (["AGTFAIL-0001", "--redefined", "--reason", "x"], 2, "--by is required"),
        (["AGTFAIL-0001", "--reason", "x", "--by", "dana"], 2, "--redefined or --judge-changed"),
        (
            ["AGTFAIL-0001", "--judge-changed", "--from", "abc", "--to", FP, "--reason", "x", "--by", "d"],
            2,
            "--from needs",
        ),
        (["AGTFAIL-0999", "--redefined", "--reason", "x", "--by", "dana"], 1, "not a case"),
    ],
)
def test_bad_input_changes_nothing(
    consumer: Path, capsys: pytest.CaptureFixture[str], args: list[str], code: int, message: str
) -> None:
    before = (consumer / DS / "history.jsonl").read_bytes()
    got, out = run(capsys, "decide", *args)
    assert got == code and message in out and "Traceback" not in out, out
    assert (consumer / DS / "history.jsonl").read_bytes() == before


def test_decision_events_need_a_reason_in_the_schema(consumer: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with (consumer / DS / "history.jsonl").open("a") as handle:
        handle.write(
            json.dumps(
                {
                    "id": "01J" + "9" * 23,
                    "ts": "2026-06-01T10:00:00Z",
                    "case_id": "AGTFAIL-0001",
                    "type": "redefined",
                    "actor": "dana",
                    "detail": {},
                }
            )
            + "\n"
        )
    code, out = run(capsys, "validate")
    assert code == 1 and "reason" in out, out
