from __future__ import annotations

from dataset_builder import event

from failgate.dataset.ids import ids_ever_used, next_case_id, next_id_for
from failgate.dataset.parse import parse_dataset


def test_next_id_is_above_every_id_that_ever_existed() -> None:
    cases = b"schema_version: 1\ncases:\n  - id: AGTFAIL-0003\n"
    removed = b"schema_version: 1\nremoved:\n  - id: AGTFAIL-0007\n    case: {id: AGTFAIL-0007}\n"
    history = (event("01J0000000000000000000001A", "AGTFAIL-0012", "removed")).encode()
    dataset = parse_dataset("d", cases=cases, removed=removed, history=history)
    assert ids_ever_used(dataset) == {"AGTFAIL-0003", "AGTFAIL-0007", "AGTFAIL-0012"}
    assert next_id_for(dataset) == "AGTFAIL-0013"


def test_next_id_on_an_empty_dataset_and_wide_numbers() -> None:
    assert next_case_id([]) == "AGTFAIL-0001"
    assert next_case_id(["AGTFAIL-9999"]) == "AGTFAIL-10000"
    assert next_case_id(["AGTFAIL-0002"], reserved=["AGTFAIL-0005", "not-an-id"]) == "AGTFAIL-0006"
