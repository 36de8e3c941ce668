"""cases_removed.yaml merge driver: text-preserving, entries keyed by id."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from failgate import cli
from failgate.dataset.yamlstrict import load_yaml
from failgate.merge.ledger import merge_ledger

HEADER = """\
# Deletion ledger: append-only, written by `failgate remove`.
# Reviewers: an entry is never edited or deleted.
schema_version: 1
removed:
"""


def entry(number: int, when: str = "2026-02-01", indent: str = "  ", reason: str = "flaky upstream") -> str:
    body = (
        f"- id: AGTFAIL-{number:04d}\n"
        f"  removed_at: '{when}'\n"
        f"  removed_by: sam  # on call\n"
        f"  reason: |\n"
        f"    {reason}\n"
        f"    (see the incident)\n"
        f"  case:\n"
        f"    id: AGTFAIL-{number:04d}\n"
        f"    title: case {number}\n"
    )
    return "".join(indent + line + "\n" for line in body.splitlines())


BASE = HEADER + entry(1, "2026-01-01")


def removed_ids(text: bytes) -> list[str]:
    return [e["id"] for e in load_yaml(text, "merged").data["removed"]]


def merge(base: str, ours: str, theirs: str):  # type: ignore[no-untyped-def]
    return merge_ledger(base.encode(), ours.encode(), theirs.encode())


def test_both_sides_new_entries_are_kept_in_a_side_independent_order() -> None:
    ours = BASE + entry(5, "2026-02-03")
    theirs = BASE + entry(7, "2026-02-02")
    a, b = merge(BASE, ours, theirs), merge(BASE, theirs, ours)
    assert a.clean and b.clean and a.text == b.text
    assert a.text.decode() == BASE + entry(7, "2026-02-02") + entry(5, "2026-02-03")
    assert a.added == (1, 1)


def test_header_comments_and_entry_text_are_preserved_verbatim() -> None:
    ours = BASE + entry(5)
    theirs = BASE.replace("# Reviewers:", "# Reviewers (see CODEOWNERS):") + entry(6, "2026-02-02")
    result = merge(BASE, ours, theirs)
    assert result.clean
    text = result.text.decode()
    assert text.startswith(HEADER.replace("# Reviewers:", "# Reviewers (see CODEOWNERS):"))
    assert "removed_by: sam  # on call" in text and "    (see the incident)" in text


def test_same_removal_on_both_sides_appears_once() -> None:
    result = merge(BASE, BASE + entry(5), BASE + entry(5))
    assert result.clean and removed_ids(result.text) == ["AGTFAIL-0001", "AGTFAIL-0005"]
    result = merge(BASE, BASE + entry(5) + entry(6), BASE + entry(5) + entry(8))
    assert result.clean and removed_ids(result.text) == ["AGTFAIL-0001", "AGTFAIL-0005", "AGTFAIL-0006", "AGTFAIL-0008"]


def test_same_id_removed_twice_with_different_content_is_a_conflict() -> None:
    result = merge(BASE, BASE + entry(5, reason="flaky"), BASE + entry(5, reason="obsolete"))
    assert not result.clean
    assert "entry AGTFAIL-0005 was added on both sides with different content" in result.conflicts[0]
    assert b"<<<<<<< ours\n" in result.text and b">>>>>>> theirs\n" in result.text


@pytest.mark.parametrize(
    ("ours", "expected"),
    [
        (HEADER + entry(1, "2026-01-01", reason="edited"), "edited in ours"),
        (HEADER, "deleted in ours"),
        (HEADER + entry(2) + entry(1, "2026-01-01"), "moved in ours"),
    ],
    ids=["edited", "deleted", "reordered"],
)
def test_tampering_with_an_old_entry_is_a_conflict(ours: str, expected: str) -> None:
    base = BASE + entry(2)
    result = merge(base, ours, base + entry(9))
    assert not result.clean
    assert any(expected in c for c in result.conflicts), result.conflicts


def test_comment_change_inside_an_old_entry_is_not_an_edit() -> None:
    ours = BASE.replace("# on call", "# was on call") + entry(5)
    result = merge(BASE, ours, BASE + entry(6))
    assert result.clean and b"# was on call" in result.text


def test_header_changed_differently_on_both_sides_is_a_conflict() -> None:
    ours = BASE.replace("# Reviewers:", "# A:") + entry(5)
    theirs = BASE.replace("# Reviewers:", "# B:") + entry(6)
    result = merge(BASE, ours, theirs)
    assert not result.clean and "header" in result.conflicts[0]


def test_empty_flow_list_and_empty_base() -> None:
    empty = "schema_version: 1\nremoved: []\n"
    ours = "schema_version: 1\nremoved:\n" + entry(5)
    theirs = "schema_version: 1\nremoved:\n" + entry(6, "2026-02-02")
    result = merge(empty, ours, theirs)
    assert result.clean and removed_ids(result.text) == ["AGTFAIL-0005", "AGTFAIL-0006"]
    result = merge("", ours, theirs)  # the file was added on both sides
    assert result.clean and removed_ids(result.text) == ["AGTFAIL-0005", "AGTFAIL-0006"]
    result = merge("", empty, empty)
    assert result.clean and result.text.decode() == empty


def test_different_list_indentation_is_unified() -> None:
    base = "schema_version: 1\nremoved: []\n"
    ours = "schema_version: 1\nremoved:\n" + entry(5, indent="")
    theirs = "schema_version: 1\nremoved:\n" + entry(6, "2026-02-02", indent="    ")
    result = merge(base, ours, theirs)
    assert result.clean and removed_ids(result.text) == ["AGTFAIL-0005", "AGTFAIL-0006"]
    assert result.text.decode().splitlines()[2] == "- id: AGTFAIL-0005"


def test_keys_after_the_list_stay_after_it() -> None:
    trailer = "notes: kept last\n"
    result = merge(BASE + trailer, BASE + entry(5) + trailer, BASE + entry(6, "2026-02-02") + trailer)
    assert result.clean and result.text.decode().endswith(entry(6, "2026-02-02") + trailer)


def test_crlf_and_bom_are_normalised() -> None:
    ours = ("\ufeff" + BASE + entry(5)).replace("\n", "\r\n")
    result = merge(BASE, ours, BASE + entry(6, "2026-02-02"))
    assert result.clean and b"\r" not in result.text and not result.text.startswith(b"\xef\xbb\xbf")


def test_a_side_that_is_not_valid_yaml_is_a_conflict() -> None:
    result = merge(BASE, BASE + "  - id: [unclosed\n", BASE + entry(6))
    assert not result.clean and "ours is not valid YAML" in result.conflicts[0]
    result = merge(BASE, BASE + "  - removed_at: '2026-02-01'\n    reason: no id\n", BASE + entry(6))
    assert not result.clean and 'ours line 14 is not an entry with an "id"' in result.conflicts[0]


def test_idempotent() -> None:
    side = BASE + entry(5) + entry(6)
    assert merge(BASE, side, side).text.decode() == side
    assert merge(side, side, side).text.decode() == side
    assert merge(BASE, BASE, side).text.decode() == side


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(2, 9), unique=True, max_size=4),
    st.lists(st.integers(10, 14), unique=True, max_size=3),
    st.lists(st.integers(15, 19), unique=True, max_size=3),
    st.lists(st.integers(20, 22), unique=True, max_size=2),
    st.data(),
)
def test_property_nothing_lost_or_duplicated_and_side_independent(
    base_ids: list[int], ours_ids: list[int], theirs_ids: list[int], shared: list[int], data: st.DataObject
) -> None:
    days = st.sampled_from(["2026-02-01", "2026-02-02", "2026-02-03"])
    when = {n: data.draw(days) for n in [*base_ids, *ours_ids, *theirs_ids, *shared]}
    base = HEADER + "".join(entry(n, when[n]) for n in base_ids)
    ours_new = data.draw(st.permutations([*ours_ids, *shared]))
    theirs_new = data.draw(st.permutations([*theirs_ids, *shared]))
    ours = base + "".join(entry(n, when[n]) for n in ours_new)
    theirs = base + "".join(entry(n, when[n]) for n in theirs_new)
    if not base_ids:
        base = base.replace("removed:\n", "removed: []\n")
    a, b = merge(base, ours, theirs), merge(base, theirs, ours)
    assert a.clean and b.clean and a.text == b.text
    got = removed_ids(a.text) if (base_ids or ours_new or theirs_new) else []
    expected = {f"AGTFAIL-{n:04d}" for n in [*base_ids, *ours_new, *theirs_new]}
    assert len(got) == len(set(got)) and set(got) == expected
    assert got[: len(base_ids)] == [f"AGTFAIL-{n:04d}" for n in base_ids]


def test_driver_cli_merges_the_ledger(tmp_path: Path) -> None:
    files = []
    for name, text in (("O", BASE), ("A", BASE + entry(5)), ("B", BASE + entry(6, "2026-02-02"))):
        (tmp_path / name).write_text(text)
        files.append(str(tmp_path / name))
    assert cli.main(["merge-driver", *files, "evals/failures/cases_removed.yaml", "7"]) == 0
    assert removed_ids((tmp_path / "A").read_bytes()) == ["AGTFAIL-0001", "AGTFAIL-0005", "AGTFAIL-0006"]
