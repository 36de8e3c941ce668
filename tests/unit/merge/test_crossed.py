"""Both sides renumbered: recognising a crossed renumbering and undoing it (failgate/merge/crossed.py).

Each attack (the same events filed under swapped case ids) stands beside its control (an
ordinary collision, or events that differ in more than `case_id`), which is not a crossing.
"""

from __future__ import annotations

import json

import pytest
from dataset_builder import HEADER, case_block, event

from failgate.merge.cases import merge_cases
from failgate.merge.crossed import (
    CROSSED,
    CrossingError,
    case_id_only,
    cases_by_id,
    find_crossing,
    translate_cases,
    translate_history,
)
from failgate.merge.history import merge_history
from failgate.merge.renumber import renumber_crossed

A, B, NOTE = "01KR0000000000000000000000", "01KR1111111111111111111111", "01KR2222222222222222222222"
BASE_H = event("01J0000000000000000000001A", "AGTFAIL-0001")


def case(number: int, who: str) -> str:
    return case_block(
        f"AGTFAIL-{number:04d}", title=f"{who} case", case_input={"messages": [{"role": "user", "content": who}]}
    )


def side(first: str, second: str) -> tuple[str, str]:
    """cases.yaml and history.jsonl of a side holding `first` as 0002 and `second` as 0003."""
    ids = {first: "AGTFAIL-0002", second: "AGTFAIL-0003"}
    history = BASE_H + "".join(
        event(e, ids[who], ts=ts)
        for who, e, ts in (("Alice", A, "2026-05-10T09:00:00Z"), ("Bob", B, "2026-05-11T09:00:00Z"))
    )
    return HEADER + case_block("AGTFAIL-0001") + "\n" + case(2, first) + "\n" + case(3, second), history


OURS_C, OURS_H = side("Alice", "Bob")
THEIRS_C, THEIRS_H = side("Bob", "Alice")
BASE_C = HEADER + case_block("AGTFAIL-0001")


def crossing():  # type: ignore[no-untyped-def]
    return find_crossing(OURS_H, THEIRS_H, cases_by_id(OURS_C), cases_by_id(THEIRS_C))


def test_the_same_events_under_swapped_ids_are_a_crossing() -> None:
    found = crossing()
    assert found is not None
    assert found.mapping == {"AGTFAIL-0002": "AGTFAIL-0003", "AGTFAIL-0003": "AGTFAIL-0002"}
    assert found.events == {A: ("AGTFAIL-0003", "AGTFAIL-0002"), B: ("AGTFAIL-0002", "AGTFAIL-0003")}
    assert "theirs' AGTFAIL-0002 \"Bob case\" is ours' AGTFAIL-0003" in found.describe()


def test_control_an_ordinary_collision_is_no_crossing() -> None:
    ours_h = BASE_H + event(A, "AGTFAIL-0002")
    theirs_h = BASE_H + event(B, "AGTFAIL-0002")
    assert find_crossing(ours_h, theirs_h, {}, {}) is None


def test_events_that_differ_in_more_than_case_id_are_not_one_event() -> None:
    assert case_id_only(
        {"id": A, "case_id": "X", "type": "promoted"}, {"id": A, "case_id": "Y", "type": "promoted"}
    ) == (
        "X",
        "Y",
    )
    assert case_id_only({"id": A, "case_id": "X", "actor": "a"}, {"id": A, "case_id": "Y", "actor": "b"}) is None
    assert case_id_only({"id": A, "case_id": "X"}, {"id": A, "case_id": "X"}) is None


def test_ids_that_would_vanish_from_a_merge_parent_are_refused_but_a_replay_may_drop_them() -> None:
    theirs_h = THEIRS_H.replace('"AGTFAIL-0002"', '"AGTFAIL-0007"')  # Bob's case is 0007 there: not a swap
    with pytest.raises(CrossingError, match="AGTFAIL-0007 would vanish"):
        find_crossing(OURS_H, theirs_h, {}, {})
    found = find_crossing(OURS_H, theirs_h, {}, {}, closed=False)
    assert found is not None and found.mapping["AGTFAIL-0007"] == "AGTFAIL-0003"


def test_a_crossing_whose_cases_have_different_inputs_is_refused() -> None:
    theirs = cases_by_id(THEIRS_C)
    theirs["AGTFAIL-0002"] = {**theirs["AGTFAIL-0002"], "input": {"messages": []}}
    with pytest.raises(CrossingError, match="inputs differ"):
        find_crossing(OURS_H, THEIRS_H, cases_by_id(OURS_C), theirs)


def test_one_id_mapped_two_ways_is_refused() -> None:
    theirs_h = THEIRS_H + event(NOTE, "AGTFAIL-0002", ts="2026-05-12T09:00:00Z")
    ours_h = OURS_H + event(NOTE, "AGTFAIL-0001", ts="2026-05-12T09:00:00Z")
    with pytest.raises(CrossingError, match="by one event and ours' AGTFAIL-0001"):
        find_crossing(ours_h, theirs_h, {}, {})


def test_translation_swaps_all_at_once_and_leaves_ours_own_lines() -> None:
    mapping = {"AGTFAIL-0002": "AGTFAIL-0003", "AGTFAIL-0003": "AGTFAIL-0002"}
    text, count = translate_history(THEIRS_H, mapping)
    assert text == OURS_H and count == 2
    kept, count = translate_history(THEIRS_H, mapping, keep={(A, "AGTFAIL-0003")})
    assert count == 1 and json.loads(kept.splitlines()[1])["case_id"] == "AGTFAIL-0003"
    swapped = translate_cases(THEIRS_C, mapping)
    assert [c for c in cases_by_id(swapped)] == ["AGTFAIL-0001", "AGTFAIL-0003", "AGTFAIL-0002"]
    assert (
        swapped.replace("AGTFAIL-0003", "X").replace("AGTFAIL-0002", "AGTFAIL-0003").replace("X", "AGTFAIL-0002")
        == THEIRS_C
    )  # only the id lines changed


def test_undoing_the_crossing_merges_to_ours_with_one_line_per_event() -> None:
    found = crossing()
    assert found is not None
    stages = tuple(s.encode() for s in (BASE_H, OURS_H, THEIRS_H))
    result = renumber_crossed(
        found,
        cases=(BASE_C.encode(), OURS_C.encode(), THEIRS_C.encode()),
        history=stages,  # type: ignore[arg-type]
        ours_history=OURS_H,
        theirs_history=THEIRS_H,
        used=[],
    )
    assert result.clean and result.renamed == [] and result.refiled == 2
    assert result.history == OURS_H
    assert [(c, v["title"]) for c, v in cases_by_id(result.cases.decode()).items()] == [
        ("AGTFAIL-0001", "Refund issued twice"),
        ("AGTFAIL-0002", "Alice case"),
        ("AGTFAIL-0003", "Bob case"),
    ]


def test_the_drivers_name_the_crossing_and_the_way_out() -> None:
    _, report = merge_history(BASE_H.encode(), OURS_H.encode(), THEIRS_H.encode())
    assert not report.clean
    assert f"event {A} names AGTFAIL-0002 in ours and AGTFAIL-0003 in theirs" in report.conflicts[0]
    assert all(CROSSED in c and "failgate renumber" in c for c in report.conflicts)
    cases = merge_cases(BASE_C.encode(), OURS_C.encode(), THEIRS_C.encode())
    assert cases.collisions and len(cases.conflicts) == 1
    assert (
        CROSSED in cases.conflicts[0]
        and "theirs' AGTFAIL-0002 \"Bob case\" is ours' AGTFAIL-0003" in cases.conflicts[0]
    )


def test_control_the_drivers_still_call_an_ordinary_collision_a_collision() -> None:
    ours_h, theirs_h = BASE_H + event(A, "AGTFAIL-0002"), BASE_H + event(B, "AGTFAIL-0002")
    merged, report = merge_history(BASE_H.encode(), ours_h.encode(), theirs_h.encode())
    assert report.clean
    ours_c = BASE_C + "\n" + case(2, "Alice")
    theirs_c = BASE_C + "\n" + case(2, "Bob")
    result = merge_cases(BASE_C.encode(), ours_c.encode(), theirs_c.encode())
    assert not any(CROSSED in c for c in result.conflicts)
    assert "id collision: AGTFAIL-0002" in result.conflicts[0]


def recorded(number: int, who: str) -> str:
    """A case whose recording sits at its own id's default path, as renumber leaves it."""
    ref = f"cassettes/AGTFAIL-{number:04d}.jsonl"
    return case(number, who).replace("    input:\n", f"    input:\n      cassette: {ref}\n", 1)


def test_a_recorded_case_under_swapped_ids_is_still_a_crossing_and_its_cassette_follows() -> None:
    ours = HEADER + case_block("AGTFAIL-0001") + "\n" + recorded(2, "Alice") + "\n" + recorded(3, "Bob")
    theirs = HEADER + case_block("AGTFAIL-0001") + "\n" + recorded(2, "Bob") + "\n" + recorded(3, "Alice")
    found = find_crossing(OURS_H, THEIRS_H, cases_by_id(ours), cases_by_id(theirs))
    assert found is not None and found.mapping == {"AGTFAIL-0002": "AGTFAIL-0003", "AGTFAIL-0003": "AGTFAIL-0002"}
    # theirs refiled under ours' numbering holds ours' cases: ids and cassette paths swapped back
    translated = translate_cases(theirs, found.mapping)
    assert cases_by_id(translated) == cases_by_id(ours)
    assert translated == theirs.replace("0002", "000X").replace("0003", "0002").replace("000X", "0003")


def test_control_a_case_pointing_at_another_ids_recording_is_not_the_same_case() -> None:
    ours = HEADER + case_block("AGTFAIL-0001") + "\n" + recorded(2, "Alice") + "\n" + recorded(3, "Bob")
    # theirs' Alice (0003) names 0002's file: which recording it replays is part of what it is
    wrong = recorded(3, "Alice").replace("cassettes/AGTFAIL-0003.jsonl", "cassettes/AGTFAIL-0002.jsonl")
    theirs = HEADER + case_block("AGTFAIL-0001") + "\n" + recorded(2, "Bob") + "\n" + wrong
    with pytest.raises(CrossingError, match="inputs differ"):
        find_crossing(OURS_H, THEIRS_H, cases_by_id(ours), cases_by_id(theirs))
