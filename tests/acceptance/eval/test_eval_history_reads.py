"""`failgate eval` opens history.jsonl only when a result needs it (`--record`).

Which cases run and how they are judged depends on cases.yaml and the watchlist;
parsing a 30 MB history to learn nothing was most of a plain eval's profile. The
promise is observed, not timed: a Python audit hook sees every `open` of the eval's
own process (the agent runs in another), and a history that would make any parse
fail shows that nothing parsed it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from gate_repo import DS, setup_consumer

from failgate import cli

_OPENED: list[str] | None = None  # the paths opened while a test listens


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _OPENED is not None and event == "open" and isinstance(args[0], (str, bytes, Path)):
        _OPENED.append(str(Path(str(args[0], "utf-8") if isinstance(args[0], bytes) else args[0]).resolve()))


sys.addaudithook(_audit)  # audit hooks cannot be removed: this one records only while a test listens


def _opened_during(*argv: str) -> tuple[int, list[str]]:
    global _OPENED
    _OPENED = []
    try:
        code = cli.main(list(argv))
        return code, _OPENED
    finally:
        _OPENED = None


@pytest.fixture
def consumer(git_repo: Path) -> Path:
    return setup_consumer(git_repo)


def test_a_plain_eval_never_opens_history(consumer: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, opened = _opened_during("eval")
    assert code == 0, capsys.readouterr()
    history = str((consumer / DS / "history.jsonl").resolve())
    cases = str((consumer / DS / "cases.yaml").resolve())
    assert cases in opened  # the hook does see the dataset's files being read
    assert history not in opened


@pytest.mark.parametrize("flags", [["--format", "json"], ["--last-failed"], ["--case", "AGTFAIL-0001"]])
def test_no_other_flag_that_reads_no_result_opens_history(
    consumer: Path, flags: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, opened = _opened_during("eval", *flags)
    assert code == 0, capsys.readouterr()
    assert str((consumer / DS / "history.jsonl").resolve()) not in opened


def test_control_record_opens_history(consumer: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, opened = _opened_during("eval", "--record")
    assert code == 0, capsys.readouterr()
    assert str((consumer / DS / "history.jsonl").resolve()) in opened


def test_a_plain_eval_runs_beside_a_broken_history(consumer: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Nothing parses history on a plain eval: a line validate would refuse changes no verdict.
    history = consumer / DS / "history.jsonl"
    history.write_text(history.read_text() + "{not json\n")
    assert cli.main(["eval"]) == 0, capsys.readouterr()


def test_record_still_refuses_to_run_over_a_broken_history(consumer: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # --record appends to the file: a broken line is said before the agent runs, and nothing is written.
    history = consumer / DS / "history.jsonl"
    before = history.read_text() + "{not json\n"
    history.write_text(before)
    assert cli.main(["eval", "--record"]) == 1
    out = capsys.readouterr()
    assert "INVALID_JSON" in out.out + out.err
    assert history.read_text() == before
