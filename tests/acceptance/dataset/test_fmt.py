"""`failgate fmt`: derived fields filled or corrected, every other byte kept, idempotent."""

from __future__ import annotations

from pathlib import Path

import pytest
from dataset_builder import HEADER, POLICY_INPUT, REFUND_INPUT, case_block, event, write_dataset

from failgate.cli import main
from failgate.dataset.hashing import input_hash

DS = Path("evals") / "failures"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["fmt", *args])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_a_clean_dataset_is_left_alone(git_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = write_dataset(git_repo / DS) / "cases.yaml"
    before = cases.read_bytes()
    assert run(capsys) == (0, "")
    assert cases.read_bytes() == before


def test_fills_a_missing_hash_under_the_input_and_fixes_a_wrong_one(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = HEADER + case_block("AGTFAIL-0001") + "\n" + case_block("AGTFAIL-0002", case_input=POLICY_INPUT)
    handwritten = good.replace(f"    input_hash: {input_hash(REFUND_INPUT)}\n", "", 1).replace(
        input_hash(POLICY_INPUT), "sha256:" + "0" * 64
    )
    cases = write_dataset(git_repo / DS, cases=handwritten) / "cases.yaml"
    code, out = run(capsys)
    assert code == 1
    assert "cases.yaml: fixed AGTFAIL-0001: added input_hash" in out
    assert "fixed AGTFAIL-0002: corrected input_hash" in out
    # Byte for byte what a correct file would be: the new line sits right under `input:`.
    assert cases.read_text() == good
    # Idempotent: a second run finds nothing.
    assert run(capsys) == (0, "")


def test_regressed_count_follows_the_history(git_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    history = (
        event("01J0000000000000000000001A", "AGTFAIL-0001")
        + event("01J0000000000000000000002B", "AGTFAIL-0002")
        + event("01J0000000000000000000003C", "AGTFAIL-0002", "regressed", outcome="fail")
    )
    body = case_block("AGTFAIL-0001", regressed_count=3) + "\n" + case_block("AGTFAIL-0002", case_input=POLICY_INPUT)
    without = body.replace("    regressed_count: 0\n", "")  # AGTFAIL-0002 lost its count entirely
    cases = write_dataset(git_repo / DS, cases=HEADER + without, history=history) / "cases.yaml"
    code, out = run(capsys)
    assert code == 1 and "AGTFAIL-0001: regressed_count 3 -> 0" in out
    assert "AGTFAIL-0002: regressed_count missing -> 1" in out
    expected = (
        HEADER
        + case_block("AGTFAIL-0001")
        + "\n"
        + case_block("AGTFAIL-0002", case_input=POLICY_INPUT, regressed_count=1)
    )
    assert cases.read_text() == expected
    assert main(["validate", "--no-cache"]) == 0


def test_comments_and_odd_formatting_survive(git_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    block = case_block("AGTFAIL-0001").replace(
        f"    input_hash: {input_hash(REFUND_INPUT)}\n", "    input_hash: 'sha256:stale'   # pasted by hand\n"
    )
    text = HEADER.replace("cases:\n", "# the team's notes\ncases:   # keep sorted\n") + block + "\n# trailing note\n"
    cases = write_dataset(git_repo / DS, cases=text) / "cases.yaml"
    assert run(capsys)[0] == 1
    after = cases.read_text()
    assert after == text.replace("'sha256:stale'", input_hash(REFUND_INPUT))


def test_check_writes_nothing(git_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = HEADER + case_block("AGTFAIL-0001", regressed_count=2)
    cases = write_dataset(git_repo / DS, cases=text, history=event("01J0000000000000000000001A", "AGTFAIL-0001"))
    code, out = run(capsys, "--check")
    assert code == 1 and "would fix AGTFAIL-0001: regressed_count 2 -> 0" in out
    assert (cases / "cases.yaml").read_text() == text


def test_invalid_yaml_changes_nothing_and_says_where(git_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = HEADER + case_block("AGTFAIL-0001", regressed_count=2) + "    regressed_count: 1\n"  # duplicate key
    cases = write_dataset(git_repo / DS, cases=text) / "cases.yaml"
    code, out = run(capsys)
    assert code == 1 and "cases.yaml:" in out and "DUPLICATE_KEY" in out and "Traceback" not in out
    assert cases.read_text() == text


def test_validate_names_fmt(git_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = HEADER + case_block("AGTFAIL-0001", regressed_count=2).replace(
        input_hash(REFUND_INPUT), "sha256:" + "1" * 64
    )
    write_dataset(git_repo / DS, cases=text)
    assert main(["validate", "--no-cache"]) == 1
    out = capsys.readouterr().out
    assert "REGRESSED_COUNT" in out and "INPUT_HASH" in out and out.count("`failgate fmt`") == 2


# The failgate-fmt hook under real pre-commit (fix, exit 1, then the commit passes) is
# tested in test_consumer.py, with the hook environment that file's session builds once.


def test_many_cases_missing_both_fields_are_filled_in_one_pass(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A dataset from before `fmt` existed: every case lacks input_hash and
    regressed_count. The edits all go against one parse, from the bottom up; the
    result must be byte for byte the file written correctly, in the order of the cases."""
    ids = [f"AGTFAIL-{n:04d}" for n in range(1, 41)]
    good = HEADER + "\n".join(
        case_block(i, case_input=POLICY_INPUT if n % 2 else REFUND_INPUT) for n, i in enumerate(ids)
    )
    bare = "".join(
        line
        for line in good.splitlines(keepends=True)
        if not line.startswith(("    input_hash:", "    regressed_count:"))
    )
    cases = write_dataset(git_repo / DS, cases=bare) / "cases.yaml"
    code, out = run(capsys)
    assert code == 1
    assert cases.read_text() == good
    fixed = [line.split("fixed ", 1)[1] for line in out.splitlines() if "fixed " in line]
    assert fixed == [f"{i}: {what}" for i in ids for what in ("added input_hash", "regressed_count missing -> 0")]
    assert run(capsys) == (0, "")  # control: nothing left to fix
