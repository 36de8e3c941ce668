"""cases.yaml merge driver: the three-way table, case by case (docs/explanation/merge-drivers.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from dataset_builder import HEADER, case_block

from failgate import cli
from failgate.dataset.yamlstrict import load_yaml
from failgate.merge import DRIVERS, gitattributes_lines
from failgate.merge.cases import merge_cases


def block(number: int, title: str | None = None, **kw: object) -> str:
    title = title or f"Case {number}"
    kw.setdefault("case_input", {"messages": [{"role": "user", "content": f"input of {title}"}]})
    return case_block(f"AGTFAIL-{number:04d}", title=title, **kw)  # type: ignore[arg-type]


def cases_file(*blocks: str, header: str = HEADER) -> str:
    return header + "\n".join(blocks)


BASE = cases_file(block(1), block(2), block(3))


def merge(base: str, ours: str, theirs: str, size: int = 7):  # type: ignore[no-untyped-def]
    return merge_cases(base.encode(), ours.encode(), theirs.encode(), marker_size=size)


def both_ways(base: str, ours: str, theirs: str):  # type: ignore[no-untyped-def]
    a, b = merge(base, ours, theirs), merge(base, theirs, ours)
    assert a.clean == b.clean
    if a.clean:
        assert a.text == b.text, "merging a into b and b into a must give the same bytes"
    return a


def ids(text: bytes) -> list[str]:
    return [c["id"] for c in load_yaml(text, "merged").data["cases"]]


def test_registered_for_cases_yaml() -> None:
    assert DRIVERS["cases.yaml"].name == "failgate-cases"
    assert "evals/failures/cases.yaml merge=failgate-cases eol=lf" in gitattributes_lines("evals/failures")


def test_cases_added_on_both_sides_are_kept_in_id_order() -> None:
    ours = cases_file(block(1), block(2), block(3), block(5))
    theirs = cases_file(block(1), block(2), block(3), block(4), block(6))
    result = both_ways(BASE, ours, theirs)
    assert result.clean and result.added == (1, 2)
    assert ids(result.text) == [f"AGTFAIL-{n:04d}" for n in (1, 2, 3, 4, 5, 6)]
    # Text, not a re-dump: comments and the blank line between cases are kept.
    assert result.text.decode() == cases_file(*(block(n) for n in (1, 2, 3, 4, 5, 6)))


def test_added_case_stays_where_its_side_put_it() -> None:
    ours = cases_file(block(1), block(9), block(2), block(3))
    theirs = cases_file(block(1), block(2), block(3), block(4))
    result = both_ways(BASE, ours, theirs)
    assert ids(result.text) == ["AGTFAIL-0001", "AGTFAIL-0009", "AGTFAIL-0002", "AGTFAIL-0003", "AGTFAIL-0004"]


def test_change_on_one_side_is_taken() -> None:
    ours = cases_file(block(1), block(2, severity="P0"), block(3))
    theirs = cases_file(block(1), block(2), block(3, regressed_count=1), block(4))
    result = both_ways(BASE, ours, theirs)
    data = load_yaml(result.text, "m").data["cases"]
    assert [c["severity"] for c in data] == ["P1", "P0", "P1", "P1"]
    assert data[2]["regressed_count"] == 1


def test_an_append_after_the_last_case_is_not_an_edit_of_it() -> None:
    # Appending adds a blank line after the old last case; the other side
    # edits that case (eval --record bumps regressed_count): both must merge.
    ours = cases_file(block(1), block(2), block(3), block(4))
    theirs = cases_file(block(1), block(2), block(3, regressed_count=1))
    result = both_ways(BASE, ours, theirs)
    assert result.clean
    assert result.text.decode() == cases_file(block(1), block(2), block(3, regressed_count=1), block(4))


def test_same_change_on_both_sides_appears_once() -> None:
    ours = theirs = cases_file(block(1), block(2, severity="P0"), block(3), block(4))
    assert both_ways(BASE, ours, theirs).text.decode() == ours
    ours2 = cases_file(block(1), block(2, severity="P0"), block(3), block(4))
    theirs2 = cases_file(block(1), block(2, severity="P0"), block(3), block(5))
    assert ids(both_ways(BASE, ours2, theirs2).text) == [f"AGTFAIL-{n:04d}" for n in (1, 2, 3, 4, 5)]


def test_different_changes_on_both_sides_conflict_inside_that_block_only() -> None:
    ours = cases_file(block(1), block(2, severity="P0"), block(3), block(4))
    theirs = cases_file(block(1), block(2, severity="P3"), block(3), block(5))
    result = merge(BASE, ours, theirs, size=9)
    assert not result.clean
    assert result.conflicts == [
        "AGTFAIL-0002 was changed differently on both sides; the conflict markers are inside its block"
    ]
    text = result.text.decode()
    assert (
        "<<<<<<<<< ours\n    severity: P0\n||||||||| base\n    severity: P1\n=========\n    severity: P3\n"
        ">>>>>>>>> theirs\n" in text
    )
    # Everything else is merged: both additions are there, once each.
    assert text.count("- id: AGTFAIL-0004") == 1 and text.count("- id: AGTFAIL-0005") == 1
    assert text.count("- id: AGTFAIL-0002") == 1  # the id line is outside the markers


def test_removed_on_one_side_and_untouched_on_the_other_is_removed() -> None:
    ours = cases_file(block(1), block(3))  # AGTFAIL-0002 moved to the ledger
    theirs = cases_file(block(1), block(2), block(3), block(4))
    result = both_ways(BASE, ours, theirs)
    assert ids(result.text) == ["AGTFAIL-0001", "AGTFAIL-0003", "AGTFAIL-0004"]
    # The last case removed on one side, the other appends after it.
    result = both_ways(BASE, cases_file(block(1), block(2)), theirs)
    assert ids(result.text) == ["AGTFAIL-0001", "AGTFAIL-0002", "AGTFAIL-0004"]


def test_removed_on_one_side_and_edited_on_the_other_is_a_conflict() -> None:
    ours = cases_file(block(1), block(3))
    theirs = cases_file(block(1), block(2, severity="P0"), block(3))
    result = merge(BASE, ours, theirs)
    assert not result.clean
    assert "AGTFAIL-0002 was removed in ours (moved to the deletion ledger) but edited in theirs" in result.conflicts[0]
    text = result.text.decode()
    assert "<<<<<<< ours\n||||||| base\n  # Case 2\n" in text and "    severity: P0\n" in text
    assert not merge(BASE, theirs, ours).clean


def test_removed_on_both_sides_is_removed() -> None:
    side = cases_file(block(1), block(3))
    assert ids(both_ways(BASE, side, cases_file(block(1), block(3), block(4))).text) == [
        "AGTFAIL-0001",
        "AGTFAIL-0003",
        "AGTFAIL-0004",
    ]


def test_id_collision_is_a_conflict_that_names_the_id_both_titles_and_the_fix() -> None:
    ours = cases_file(block(1), block(2), block(3), block(4, "Refund to a closed card"))
    theirs = cases_file(block(1), block(2), block(3), block(4, "Invented warranty terms"))
    result = merge(BASE, ours, theirs)
    assert not result.clean
    assert [(c.case_id, c.ours_title, c.theirs_title) for c in result.collisions] == [
        ("AGTFAIL-0004", "Refund to a closed card", "Invented warranty terms")
    ]
    message = result.conflicts[0]
    assert message.startswith("id collision: AGTFAIL-0004 was given to two different cases")
    assert '"Refund to a closed card"' in message and '"Invented warranty terms"' in message
    assert "`failgate renumber`" in message
    text = result.text.decode()
    # Both whole cases sit between the markers; never one silently overwriting the other.
    assert text.count("- id: AGTFAIL-0004") == 2
    assert (
        text.index("<<<<<<< ours")
        < text.index("Refund to a closed card")
        < text.index("=======")
        < text.index("Invented warranty terms")
        < text.index(">>>>>>> theirs")
    )


def test_same_case_added_with_different_text_is_a_plain_conflict() -> None:
    ours = cases_file(block(1), block(2), block(3), block(4, "Same"))
    theirs = cases_file(block(1), block(2), block(3), block(4, "Same", severity="P0"))
    result = merge(BASE, ours, theirs)
    assert not result.clean and not result.collisions
    assert "AGTFAIL-0004 was added on both sides with different text" in result.conflicts[0]


MODE_X = '  - {name: prompt_injection_uncaught, added_in: 2, rationale: "tool output can carry instructions"}\n'
MODE_Y = '  - {name: pii_leak, added_in: 2, rationale: "a reply quoted another customer\'s address"}\n'


def with_mode(mode: str) -> str:
    return HEADER.replace("schema_version: 1", "schema_version: 2").replace("cases:\n", mode + "cases:\n")


def test_taxonomy_change_on_one_side_is_taken_with_cases_from_the_other() -> None:
    ours = cases_file(block(1), block(2), block(3), header=with_mode(MODE_X))
    theirs = cases_file(block(1), block(2), block(3), block(4))
    result = both_ways(BASE, ours, theirs)
    data = load_yaml(result.text, "m").data
    assert data["schema_version"] == 2 and len(data["failure_modes"]) == 8 and len(data["cases"]) == 4


def test_header_changes_in_different_parts_merge() -> None:
    ours = cases_file(block(1), block(2), block(3), header=with_mode(MODE_X))
    theirs = cases_file(
        block(1),
        block(2),
        block(3),
        header=HEADER.replace("schema_version: 1", "# Owned by the evals team.\nschema_version: 1"),
    )
    result = both_ways(BASE, ours, theirs)
    assert result.clean
    assert result.text.decode().startswith(
        "# yaml-language-server: $schema=.schema/cases.schema.json\n# Owned by the evals team.\nschema_version: 2\n"
    )


def test_different_taxonomy_changes_on_both_sides_conflict_with_an_explanation() -> None:
    ours = cases_file(block(1), block(2), block(3), header=with_mode(MODE_X))
    theirs = cases_file(block(1), block(2), block(3), block(4), header=with_mode(MODE_Y))
    result = merge(BASE, ours, theirs)
    assert not result.clean
    assert any("both sides changed the taxonomy" in c and "schema_version bump" in c for c in result.conflicts)
    text = result.text.decode()
    assert "prompt_injection_uncaught" in text and "pii_leak" in text and "<<<<<<< ours" in text
    assert text.count("- id: AGTFAIL-0004") == 1  # the cases are merged all the same
    # The same taxonomy change on both sides is no conflict.
    assert both_ways(BASE, ours, cases_file(block(1), block(2), block(3), block(4), header=with_mode(MODE_X))).clean


def test_empty_list_and_empty_base() -> None:
    empty = HEADER.replace("cases:\n", "cases: []\n")
    ours, theirs = cases_file(block(1)), cases_file(block(2))
    result = both_ways(empty, ours, theirs)
    assert result.clean and ids(result.text) == ["AGTFAIL-0001", "AGTFAIL-0002"]
    result = both_ways("", ours, theirs)  # the file was added on both sides
    assert result.clean and ids(result.text) == ["AGTFAIL-0001", "AGTFAIL-0002"]
    # Both sides removed the only cases: `cases: []`, not a null.
    result = both_ways(cases_file(block(1), block(2)), cases_file(block(2)), cases_file(block(1)))
    assert result.clean and load_yaml(result.text, "m").data["cases"] == []


def test_crlf_and_indentation_differences_merge() -> None:
    ours = cases_file(block(1), block(2), block(3), block(4)).replace("\n", "\r\n")
    # theirs writes its list without indentation (`- id:` at column 0).
    body = cases_file(block(1), block(2), block(3), block(5))[len(HEADER) :]
    theirs = HEADER + "".join(line[2:] + "\n" if line.startswith("  ") else line + "\n" for line in body.splitlines())
    result = both_ways(BASE, ours, theirs)
    assert result.clean and ids(result.text) == [f"AGTFAIL-{n:04d}" for n in (1, 2, 3, 4, 5)]
    assert b"\r" not in result.text


@pytest.mark.parametrize(
    "bad", ["cases: [oops\n", "\tcases: []\n", "- just a list\n", "cases:\n  - id: A\n  - id: A\n"]
)
def test_unreadable_input_is_a_conflict_not_a_crash(bad: str) -> None:
    result = merge(BASE, BASE + "\n" + block(4), bad)
    assert not result.clean and result.conflicts
    assert b"<<<<<<< ours" in result.text


def test_driver_cli_writes_ours_and_exits_1_with_the_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = []
    for name, text in (
        ("O", BASE),
        ("A", cases_file(block(1), block(2), block(3), block(4, "Ours"))),
        ("B", cases_file(block(1), block(2), block(3), block(4, "Theirs"))),
    ):
        (tmp_path / name).write_text(text)
        paths.append(str(tmp_path / name))
    code = cli.main(["merge-driver", *paths, "evals/failures/cases.yaml", "7"])
    err = capsys.readouterr().err
    assert code == 1
    assert "id collision: AGTFAIL-0004" in err and "`failgate renumber`, then `git commit`" in err
    assert "<<<<<<< ours" in (tmp_path / "A").read_text()
    (tmp_path / "A").write_text(cases_file(block(1), block(2), block(3), block(4)))
    (tmp_path / "B").write_text(cases_file(block(1), block(2), block(3), block(5)))
    assert cli.main(["merge-driver", *paths, "evals/failures/cases.yaml", "7"]) == 0
    assert ids((tmp_path / "A").read_bytes())[-2:] == ["AGTFAIL-0004", "AGTFAIL-0005"]


# -- properties: random edits on both sides ------------------------------------

import datetime as _dt  # noqa: E402

from dataset_builder import event  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from failgate.checks.validate import validate_dataset  # noqa: E402
from failgate.dataset.casefile import set_entry_scalar  # noqa: E402
from failgate.dataset.model import case_number  # noqa: E402
from failgate.dataset.parse import parse_dataset  # noqa: E402
from failgate.dataset.removal import remove_case  # noqa: E402
from failgate.dataset.yamlstrict import load_yaml_text  # noqa: E402
from failgate.merge.history import merge_history  # noqa: E402
from failgate.merge.ledger import merge_ledger  # noqa: E402

NOW = _dt.datetime(2026, 5, 12, 8, 0, tzinfo=_dt.timezone.utc)
BASE_HISTORY = "".join(event(f"01KRBASE{n:018d}", f"AGTFAIL-{n:04d}") for n in (1, 2, 3))
BASE_LEDGER = "schema_version: 1\nremoved: []\n"

OPS = st.lists(st.tuples(st.sampled_from(["add", "edit", "remove"]), st.integers(0, 10), st.integers(0, 2)), max_size=4)


def apply(side: str, ops: list[tuple[str, int, int]]) -> tuple[str, str, str]:
    """One branch's work: promotions (the next id, or one a little above it),
    edits of any case, removals of base cases through `failgate remove`."""
    cases, ledger, history = BASE, BASE_LEDGER, BASE_HISTORY
    for step, (kind, pick, offset) in enumerate(ops):
        doc = load_yaml_text(cases, "cases.yaml")
        present = [c["id"] for c in doc.data["cases"]]
        if kind == "add":
            used = (
                present
                + [f"AGTFAIL-{n:04d}" for n in (1, 2, 3)]
                + [e["id"] for e in load_yaml_text(ledger, "l").data["removed"] or []]
            )
            number = max(case_number(i) or 0 for i in used) + 1 + offset
            title = f"{side} case {step}"
            cases = cases.replace("cases: []\n", "cases:\n").rstrip("\n") + "\n\n" + block(number, title)
            history += event(f"01KR{ {'ours': 'AA', 'theirs': 'BB'}[side] }{step:020d}", f"AGTFAIL-{number:04d}")
        elif kind == "edit" and present:
            target = present[pick % len(present)]
            cases = set_entry_scalar(doc, "cases", target, "severity", f"P{(pick + offset) % 4}")
        elif kind == "remove":
            base_ids = [i for i in present if i in ("AGTFAIL-0001", "AGTFAIL-0002", "AGTFAIL-0003")]
            if base_ids:
                target = base_ids[pick % len(base_ids)]
                done = remove_case(
                    cases_text=cases,
                    removed_text=ledger,
                    history_text=history,
                    case_id=target,
                    reason=f"{side} retired it",
                    by=side,
                    now=NOW,
                )
                cases, ledger, history = done.cases, done.removed, done.history
    return cases, ledger, history


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(OPS, OPS)
def test_random_edits_merge_into_a_valid_dataset_or_a_reported_conflict(ours_ops: list, theirs_ops: list) -> None:
    (oc, ol, oh), (tc, tl, th) = apply("ours", ours_ops), apply("theirs", theirs_ops)
    merged = merge_cases(BASE.encode(), oc.encode(), tc.encode())
    if not merged.clean:
        assert merged.conflicts and b"<<<<<<< ours" in merged.text
        return
    assert merge_cases(BASE.encode(), tc.encode(), oc.encode()).text == merged.text
    ledger = merge_ledger(BASE_LEDGER.encode(), ol.encode(), tl.encode())
    history, report = merge_history(BASE_HISTORY.encode(), oh.encode(), th.encode())
    if not (ledger.clean and report.clean):
        return  # those drivers reported their own conflict
    dataset = parse_dataset("", cases=merged.text, removed=ledger.text, history=history)
    errors = [f"{f.code} {f.message}" for f in validate_dataset(dataset) if f.is_error]
    assert errors == []
    # Nothing lost: every case either side had is merged in, or in the ledger.
    kept = set(dataset.case_ids()) | set(dataset.removed_ids())
    for side_cases in (oc, tc):
        assert {c["id"] for c in load_yaml_text(side_cases, "s").data["cases"]} <= kept


def test_the_same_regression_raised_on_both_sides_counts_once() -> None:
    # Two branches each record the same regression (after the base's last pass): the
    # history holds two `regressed` events naming that pass, one regression. Git keeps
    # 1 when the two files are byte-identical; here one side also promoted a case, so
    # the driver runs, and must give the same 1.
    ours = BASE.replace(block(2), block(2, regressed_count=1)) + "\n" + block(4)
    theirs = BASE.replace(block(2), block(2, regressed_count=1))
    result = both_ways(BASE, ours, theirs)
    assert result.clean, result.conflicts
    assert load_yaml(result.text, "c").data["cases"][1]["regressed_count"] == 1


def test_control_one_side_regressed_again_after_a_pass_of_its_own() -> None:
    # Ours: the shared regression, a pass, a second regression (2); theirs: the shared one (1).
    # Two regressions in all: base + 2 + 1 - the shared one.
    base = BASE.replace(block(2), block(2, regressed_count=1))
    ours = BASE.replace(block(2), block(2, regressed_count=3)) + "\n" + block(4)
    theirs = BASE.replace(block(2), block(2, regressed_count=2))
    result = both_ways(base, ours, theirs)
    assert result.clean, result.conflicts
    assert load_yaml(result.text, "c").data["cases"][1]["regressed_count"] == 3


def test_control_regressed_count_on_one_side_with_an_edit_on_the_other() -> None:
    ours = BASE.replace(block(2), block(2, regressed_count=1))
    theirs = BASE.replace(block(2), block(2, title="Case 2, renamed"))
    result = both_ways(BASE, ours, theirs)
    assert result.clean, result.conflicts
    case = load_yaml(result.text, "c").data["cases"][1]
    assert case["regressed_count"] == 1 and case["title"] == "Case 2, renamed"
