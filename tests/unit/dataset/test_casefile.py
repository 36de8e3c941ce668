from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from failgate.dataset import casefile
from failgate.dataset.yamlstrict import load_yaml_text
from failgate.findings import FailgateError

TEXT = """\
# header comment
schema_version: 1
failure_modes: [tool_invocation]
cases:
  # the first case
  - id: AGTFAIL-0001
    title: one   # trailing comment
    regressed_count: 0
    expected:
      - contains: "x"

  # the second case
  - id: AGTFAIL-0002
    title: two
    regressed_count: 1

  - id: AGTFAIL-0003
    title: three
# end of file comment
"""


def doc(text: str = TEXT):
    return load_yaml_text(text, "cases.yaml")


def test_blocks_take_their_leading_comments() -> None:
    blocks = casefile.entry_blocks(doc(), "cases")
    assert [(b.entry_id, b.start, b.item_start, b.end) for b in blocks] == [
        ("AGTFAIL-0001", 4, 5, 11),
        ("AGTFAIL-0002", 11, 12, 16),
        ("AGTFAIL-0003", 16, 16, 18),
    ]


def test_remove_leaves_every_other_byte() -> None:
    result = casefile.remove_entry(doc(), "cases", "AGTFAIL-0002")
    assert result == TEXT.replace(
        "  # the second case\n  - id: AGTFAIL-0002\n    title: two\n    regressed_count: 1\n\n", ""
    )
    assert [c["id"] for c in load_yaml_text(result, "x").data["cases"]] == ["AGTFAIL-0001", "AGTFAIL-0003"]


def test_remove_last_case_leaves_an_empty_list() -> None:
    text = "schema_version: 1\ncases:\n  - id: AGTFAIL-0001\n"
    result = casefile.remove_entry(doc(text), "cases", "AGTFAIL-0001")
    assert load_yaml_text(result, "x").data == {"schema_version": 1, "cases": []}


def test_remove_unknown_id() -> None:
    with pytest.raises(FailgateError, match="no entry with id AGTFAIL-0009"):
        casefile.remove_entry(doc(), "cases", "AGTFAIL-0009")


def test_set_scalar_edits_one_value_in_place() -> None:
    result = casefile.set_entry_scalar(doc(), "cases", "AGTFAIL-0002", "regressed_count", 2)
    assert result == TEXT.replace("    regressed_count: 1\n", "    regressed_count: 2\n")
    result = casefile.set_entry_scalar(doc(), "cases", "AGTFAIL-0001", "title", "no")
    assert "    title: 'no'   # trailing comment\n" in result
    assert load_yaml_text(result, "x").data["cases"][0]["title"] == "no"


def test_set_scalar_adds_a_missing_field_to_the_entry() -> None:
    result = casefile.set_entry_scalar(doc(), "cases", "AGTFAIL-0003", "regressed_count", 1)
    assert result == TEXT.replace("    title: three\n", "    title: three\n    regressed_count: 1\n")


def test_append_matches_the_file_style_and_reloads() -> None:
    entry = {
        "id": "AGTFAIL-0004",
        "title": "yes: colon",
        "discovered_at": "2026-05-01",
        "expected": [{"contains": "no"}],
        "notes": "line one\nline two",
    }
    result = casefile.append_entry(doc(), "cases", entry)
    assert result.startswith(TEXT.split("# end of file comment")[0])
    assert result.endswith("# end of file comment\n")
    assert "\n  - id: AGTFAIL-0004\n    title: 'yes: colon'\n" in result
    assert load_yaml_text(result, "x").data["cases"][-1] == entry


def test_append_to_an_empty_flow_list() -> None:
    text = "schema_version: 1\ncases: []  # none yet\n"
    result = casefile.append_entry(doc(text), "cases", {"id": "AGTFAIL-0001", "title": "x"})
    assert load_yaml_text(result, "x").data["cases"] == [{"id": "AGTFAIL-0001", "title": "x"}]
    assert "# none yet" in result


def test_flow_style_list_is_refused() -> None:
    text = "cases: [{id: AGTFAIL-0001}]\n"
    with pytest.raises(FailgateError, match="flow style"):
        casefile.entry_blocks(doc(text), "cases")


scalars = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30),
    st.integers(-1000, 1000),
    st.booleans(),
    st.none(),
    st.sampled_from(["no", "yes", "2026-01-01", "0777", "~", "null"]),
)
entries = st.fixed_dictionaries(
    {"id": st.from_regex(r"AGTFAIL-[0-9]{4}", fullmatch=True)},
    optional={
        "title": scalars,
        "tags": st.lists(scalars, max_size=3),
        "input": st.dictionaries(st.sampled_from(["a", "b"]), scalars, max_size=2),
    },
)


@settings(max_examples=150, deadline=None)
@given(st.lists(entries, min_size=0, max_size=4, unique_by=lambda e: e["id"]), entries)
def test_append_then_remove_round_trips(existing: list[dict], new: dict) -> None:
    if any(e["id"] == new["id"] for e in existing):
        return
    text = "schema_version: 1\ncases: []\n"
    for entry in existing:
        text = casefile.append_entry(doc(text), "cases", entry)
    appended = casefile.append_entry(doc(text), "cases", new)
    assert load_yaml_text(appended, "x").data["cases"] == [*existing, new]
    removed = casefile.remove_entry(doc(appended), "cases", new["id"])
    assert load_yaml_text(removed, "x").data == load_yaml_text(text, "x").data
