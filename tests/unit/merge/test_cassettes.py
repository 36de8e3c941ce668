"""Theirs' cassette follows its renumbered case (failgate/merge/cassettes.py, and its use in merge/renumber.py).

Each attack (a recording that would be left under the old id, or taken for another case's)
stands beside its control (a case without a cassette, a header that names another case).
"""

from __future__ import annotations

import pytest
from dataset_builder import HEADER, case_block, event

from failgate.dataset.cassette import parse_cassette, render_cassette
from failgate.dataset.yamlstrict import load_yaml_text
from failgate.findings import FailgateError
from failgate.merge.cassettes import (
    comparable_input,
    crossed_recording,
    moved_ref,
    plan_move,
    rewrite_header,
    set_input_cassette,
    sharers,
)
from failgate.merge.renumber import renumber

TOOL = {"type": "tool", "name": "issue_refund", "arguments": {"order_id": "8812"}, "result": {"ok": True}}


def recording(case_id: str, **header: object) -> bytes:
    return render_cassette(case_id, [TOOL, {**TOOL, "arguments": {"order_id": "9"}}], source="test", **header)


def case(number: int, who: str, cassette: str | None = None) -> str:
    block = case_block(
        f"AGTFAIL-{number:04d}", title=f"{who} case", case_input={"messages": [{"role": "user", "content": who}]}
    )
    return block.replace("    input:\n", f"    input:\n      cassette: {cassette}\n", 1) if cassette else block


BASE = HEADER + case_block("AGTFAIL-0001")


def test_the_default_path_moves_to_the_new_id_and_any_other_path_stays() -> None:
    assert moved_ref("cassettes/AGTFAIL-0003.jsonl", "AGTFAIL-0003", "AGTFAIL-0004") == "cassettes/AGTFAIL-0004.jsonl"
    assert moved_ref("./cassettes/AGTFAIL-0003.jsonl", "AGTFAIL-0003", "AGTFAIL-0004") == "cassettes/AGTFAIL-0004.jsonl"
    assert moved_ref("recordings/warranty.jsonl", "AGTFAIL-0003", "AGTFAIL-0004") is None
    assert moved_ref("cassettes/AGTFAIL-0001.jsonl", "AGTFAIL-0003", "AGTFAIL-0004") is None
    assert moved_ref(None, "AGTFAIL-0003", "AGTFAIL-0004") is None
    assert moved_ref("../cassettes/AGTFAIL-0003.jsonl", "AGTFAIL-0003", "AGTFAIL-0004") is None


def test_rewrite_header_changes_the_case_id_and_no_other_byte() -> None:
    data = recording("AGTFAIL-0003")
    out = rewrite_header(data, "AGTFAIL-0003", "AGTFAIL-0004")
    head, rest = data.split(b"\n", 1)
    assert out == head.replace(b'"AGTFAIL-0003"', b'"AGTFAIL-0004"') + b"\n" + rest
    parsed, findings = parse_cassette(out, "x.jsonl")
    assert not findings and parsed is not None and parsed.case_id == "AGTFAIL-0004"


def test_rewrite_header_keeps_a_hand_written_header_as_written() -> None:
    data = b'{ "case_id" :"AGTFAIL-0003","type":"header",  "version":1}\n' + recording("x").split(b"\n", 1)[1]
    out = rewrite_header(data, "AGTFAIL-0003", "AGTFAIL-0004")
    assert out == data.replace(b'"AGTFAIL-0003"', b'"AGTFAIL-0004"')


def test_rewrite_header_names_no_other_value_the_old_id() -> None:
    # A tool argument that happens to be the old id is the recording: never touched.
    data = render_cassette("AGTFAIL-0003", [{**TOOL, "arguments": {"case_id": "AGTFAIL-0003"}}])
    out = rewrite_header(data, "AGTFAIL-0003", "AGTFAIL-0004")
    assert out.split(b"\n", 1)[1] == data.split(b"\n", 1)[1]


@pytest.mark.parametrize(
    "data",
    [recording("AGTFAIL-0009"), b"not json\n" + recording("x"), b"\xff\xfe\n", b""],
    ids=["names-another-case", "no-header", "not-utf8", "empty"],
)
def test_control_a_header_that_does_not_name_the_old_id_is_left_for_validate(data: bytes) -> None:
    assert rewrite_header(data, "AGTFAIL-0003", "AGTFAIL-0004") == data


def plan(ref: str = "cassettes/AGTFAIL-0003.jsonl", **kw: object):  # type: ignore[no-untyped-def]
    args: dict = {"theirs": recording("AGTFAIL-0003"), "ours": b"ours", "base": None, "target_taken": False}
    return plan_move("AGTFAIL-0003", "AGTFAIL-0004", ref, **{**args, **kw}, directory="evals/failures")


def test_plan_moves_theirs_and_puts_ours_back() -> None:
    move = plan()
    assert (move.source, move.target, move.moved) == (
        "cassettes/AGTFAIL-0003.jsonl",
        "cassettes/AGTFAIL-0004.jsonl",
        True,
    )
    assert move.data == rewrite_header(recording("AGTFAIL-0003"), "AGTFAIL-0003", "AGTFAIL-0004")
    assert move.restore == b"ours"
    assert plan(ours=None).restore is None  # theirs alone had one: the old name goes


def test_plan_renames_a_file_of_theirs_alone_in_place() -> None:
    move = plan("recordings/w.jsonl", ours=None)
    assert (move.source, move.target, move.moved, move.restore) == (
        "recordings/w.jsonl",
        "recordings/w.jsonl",
        False,
        None,
    )
    assert parse_cassette(move.data, "w")[0].case_id == "AGTFAIL-0004"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("ref", "kw", "says"),
    [
        ("recordings/w.jsonl", {}, "HEAD holds a file there too"),
        ("recordings/w.jsonl", {"ours": None, "base": b"old"}, "the base holds a file there too"),
        ("cassettes/AGTFAIL-0003.jsonl", {"theirs": None}, "theirs' revision does not hold it"),
        ("cassettes/AGTFAIL-0003.jsonl", {"target_taken": True}, "to evals/failures/cassettes/AGTFAIL-0004.jsonl"),
        ("cassettes/AGTFAIL-0003.jsonl", {"others": ["theirs' AGTFAIL-0005"]}, "theirs' AGTFAIL-0005 use(s) it too"),
    ],
    ids=["head-holds-it", "base-holds-it", "theirs-lacks-it", "target-taken", "shared"],
)
def test_plan_refuses_what_it_cannot_tell_naming_the_file(ref: str, kw: dict, says: str) -> None:
    with pytest.raises(FailgateError) as raised:
        plan(ref, **kw)
    assert f"evals/failures/{ref}" in str(raised.value) and says in str(raised.value)
    assert "Nothing was written" in str(raised.value) and raised.value.exit_code == 1


def test_sharers_are_the_other_cases_naming_the_file() -> None:
    default = "cassettes/AGTFAIL-0003.jsonl"
    ours = {"AGTFAIL-0003": {"input": {"cassette": default}}, "AGTFAIL-0001": {"input": {}}}
    theirs = {"AGTFAIL-0003": {"input": {"cassette": default}}, "AGTFAIL-0005": {"input": {"cassette": default}}}
    assert sharers(default, "AGTFAIL-0003", ours, theirs) == ["theirs' AGTFAIL-0005"]
    assert sharers(default, "AGTFAIL-0003", ours, {"AGTFAIL-0003": theirs["AGTFAIL-0003"]}) == []
    # At another path, ours' case under the same id is another case naming theirs' file.
    other = {"AGTFAIL-0003": {"input": {"cassette": "r/w.jsonl"}}}
    assert sharers("r/w.jsonl", "AGTFAIL-0003", other, other) == ["ours' AGTFAIL-0003"]


def test_set_input_cassette_edits_only_that_value() -> None:
    text = BASE + "\n" + case(3, "Bob", "cassettes/AGTFAIL-0003.jsonl")
    out = set_input_cassette(text, "cases.yaml", "AGTFAIL-0003", "cassettes/AGTFAIL-0004.jsonl")
    assert out == text.replace("cassette: cassettes/AGTFAIL-0003.jsonl", "cassette: cassettes/AGTFAIL-0004.jsonl")
    quoted = text.replace("cassette: cassettes/AGTFAIL-0003.jsonl", "cassette: 'cassettes/AGTFAIL-0003.jsonl'")
    out = set_input_cassette(quoted, "cases.yaml", "AGTFAIL-0003", "cassettes/AGTFAIL-0004.jsonl")
    assert load_yaml_text(out, "c").data["cases"][1]["input"]["cassette"] == "cassettes/AGTFAIL-0004.jsonl"


def collide(ours_cassette: str | None, theirs_cassette: str | None):  # type: ignore[no-untyped-def]
    ours = BASE + "\n" + case(3, "Alice", ours_cassette)
    theirs = BASE + "\n" + case(3, "Bob", theirs_cassette)
    history = event("01KR0000000000000000000000", "AGTFAIL-0003")
    theirs_h = event("01KR1111111111111111111111", "AGTFAIL-0003")
    return renumber(
        base=BASE.encode(),
        ours=ours.encode(),
        theirs=theirs.encode(),
        history=history + theirs_h,
        ours_history=history,
        theirs_history=theirs_h,
        used={"AGTFAIL-0001", "AGTFAIL-0003"},
    )


def test_renumber_points_theirs_case_at_its_moved_cassette_and_keeps_its_hash() -> None:
    result = collide("cassettes/AGTFAIL-0003.jsonl", "cassettes/AGTFAIL-0003.jsonl")
    cases = {c["id"]: c for c in load_yaml_text(result.cases.decode(), "c").data["cases"]}
    assert cases["AGTFAIL-0003"]["input"]["cassette"] == "cassettes/AGTFAIL-0003.jsonl"  # ours'
    assert cases["AGTFAIL-0004"]["input"]["cassette"] == "cassettes/AGTFAIL-0004.jsonl"  # theirs', moved
    theirs_hash = load_yaml_text(BASE + "\n" + case(3, "Bob"), "c").data["cases"][1]["input_hash"]
    assert cases["AGTFAIL-0004"]["input_hash"] == theirs_hash  # the cassette is outside the hash
    assert [(r.old, r.new, r.cassette) for r in result.renamed] == [
        ("AGTFAIL-0003", "AGTFAIL-0004", "cassettes/AGTFAIL-0003.jsonl")
    ]


def test_control_without_cassettes_renumber_writes_what_it_wrote_before() -> None:
    result = collide(None, None)
    expected = BASE + "\n" + case(3, "Alice") + "\n" + case(3, "Bob").replace("id: AGTFAIL-0003", "id: AGTFAIL-0004")
    assert result.cases.decode() == expected
    assert [r.cassette for r in result.renamed] == [None]


def test_a_cassette_at_its_own_path_keeps_its_path_in_cases_yaml() -> None:
    result = collide(None, "recordings/w.jsonl")
    cases = {c["id"]: c for c in load_yaml_text(result.cases.decode(), "c").data["cases"]}
    assert cases["AGTFAIL-0004"]["input"]["cassette"] == "recordings/w.jsonl"


def test_comparable_input_drops_only_a_cassette_at_its_own_ids_path() -> None:
    own = {"input": {"messages": [], "cassette": "cassettes/AGTFAIL-0003.jsonl"}}
    assert comparable_input(own, "AGTFAIL-0003") == {"messages": []}
    assert comparable_input(own, "AGTFAIL-0004") == own["input"]  # another id's file is part of what it is
    other = {"input": {"messages": [], "cassette": "recordings/w.jsonl"}}
    assert comparable_input(other, "AGTFAIL-0003") == other["input"]
    assert comparable_input({"input": {"messages": []}}, "AGTFAIL-0003") == {"messages": []}


def test_crossed_recording_keeps_ours_when_it_is_theirs_renamed() -> None:
    theirs = recording("AGTFAIL-0004")
    ours = rewrite_header(theirs, "AGTFAIL-0004", "AGTFAIL-0003")
    assert crossed_recording("AGTFAIL-0004", "AGTFAIL-0003", theirs=theirs, ours=ours, shown="c/3") == ours


@pytest.mark.parametrize(
    ("theirs", "ours", "says"),
    [
        (recording("AGTFAIL-0004"), recording("AGTFAIL-0003", recorded_at="later"), "their recordings differ"),
        (None, recording("AGTFAIL-0003"), "one side has no recording"),
        (recording("AGTFAIL-0004"), None, "one side has no recording"),
    ],
    ids=["differ", "theirs-missing", "ours-missing"],
)
def test_crossed_recording_refuses_two_recordings_naming_ours(
    theirs: bytes | None, ours: bytes | None, says: str
) -> None:
    with pytest.raises(FailgateError) as raised:
        crossed_recording(
            "AGTFAIL-0004", "AGTFAIL-0003", theirs=theirs, ours=ours, shown="ds/cassettes/AGTFAIL-0003.jsonl"
        )
    assert "ds/cassettes/AGTFAIL-0003.jsonl" in str(raised.value) and says in str(raised.value)
