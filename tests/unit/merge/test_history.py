"""history.jsonl merge driver: pure merge, append-only rule, CLI protocol."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from failgate import cli
from failgate.merge import appendonly
from failgate.merge.history import merge_history


def ev(ident: str, ts: str = "2026-05-08T12:00:00Z", **extra: str) -> bytes:
    obj = {"id": ident, "ts": ts, "case_id": "AGTFAIL-0001", "type": "result", **extra}
    return json.dumps(obj).encode() + b"\n"


def ids(data: bytes) -> list[str]:
    return [json.loads(line)["id"] for line in data.splitlines() if line.strip()]


BASE = ev("b1", "2026-01-01T00:00:00Z") + ev("b2", "2026-01-02T00:00:00Z")


# -- the append-only definition ------------------------------------------------


def keys(*items: str) -> list[tuple[int, str, str]]:
    """'id' or 'id=content' -> (line, id, content)."""
    out = []
    for line, item in enumerate(items, 1):
        ident, _, content = item.partition("=")
        out.append((line, ident, content or ident))
    return out


def test_faithful_extension_with_interleaved_appends_is_not_tampering() -> None:
    assert appendonly.find_tampering(keys("a", "b", "c"), keys("a", "x", "b", "y", "c", "z")) == []


def test_deleted_edited_and_moved_events_are_named_with_lines() -> None:
    tampers = appendonly.find_tampering(keys("a", "b", "c", "d"), keys("a", "c=changed", "d", "b"))
    assert [(t.kind, t.event_id, t.old_line, t.new_line) for t in tampers] == [
        ("reordered", "b", 2, 4),
        ("edited", "c", 3, 2),
    ]
    deleted = appendonly.find_tampering(keys("a", "b"), keys("a"))
    assert [(t.kind, t.event_id, t.new_line) for t in deleted] == [("deleted", "b", None)]


def test_moving_one_event_reports_that_event_only() -> None:
    tampers = appendonly.find_tampering(keys("a", "b", "c", "d", "e"), keys("b", "c", "d", "e", "a"))
    assert [(t.kind, t.event_id) for t in tampers] == [("reordered", "a")]


def test_duplicate_ids_match_occurrence_by_occurrence() -> None:
    assert appendonly.find_tampering(keys("a", "a", "b"), keys("a", "a", "b", "a")) == []
    assert [t.kind for t in appendonly.find_tampering(keys("a", "a"), keys("a"))] == ["deleted"]


# -- merging -------------------------------------------------------------------


def test_pure_appends_merge_by_time_and_keep_the_base_verbatim() -> None:
    ours = BASE + ev("o1", "2026-02-01T00:00:00Z") + ev("o2", "2026-02-03T00:00:00Z")
    theirs = BASE + ev("t1", "2026-02-02T00:00:00Z")
    out, report = merge_history(BASE, ours, theirs)
    assert report.clean and report.prefix_lines == 2 and report.added == (2, 1)
    assert out.startswith(BASE)
    assert ids(out) == ["b1", "b2", "o1", "t1", "o2"]


def test_result_does_not_depend_on_which_side_is_ours() -> None:
    ours = BASE + ev("o1", "2026-02-01T00:00:00Z") + ev("s", "2026-02-05T00:00:00Z")
    theirs = BASE + ev("s", "2026-02-05T00:00:00Z") + ev("t1", "2026-02-01T00:00:00Z")
    a, ra = merge_history(BASE, ours, theirs)
    b, rb = merge_history(BASE, theirs, ours)
    assert ra.clean and rb.clean and a == b


def test_each_side_keeps_its_own_order_even_against_timestamps() -> None:
    # A two-way merge, not a sort: ours wrote o2 (later ts) before o1.
    ours = BASE + ev("o2", "2026-03-01T00:00:00Z") + ev("o1", "2026-02-01T00:00:00Z")
    theirs = BASE + ev("t1", "2026-02-15T00:00:00Z")
    out, report = merge_history(BASE, ours, theirs)
    assert report.clean
    order = ids(out)
    assert order.index("o2") < order.index("o1")


def test_event_added_on_both_sides_appears_once() -> None:
    shared = ev("cherry", "2026-02-01T00:00:00Z")
    out, report = merge_history(BASE, BASE + shared, BASE + ev("t1") + shared)
    assert report.clean
    assert ids(out).count("cherry") == 1


def test_same_event_written_differently_is_still_one_event() -> None:
    compact = b'{"id":"s","ts":"2026-02-01T00:00:00Z","type":"result"}\n'
    spaced = b'{"type": "result", "ts": "2026-02-01T00:00:00Z", "id": "s"}\n'
    a, ra = merge_history(BASE, BASE + compact, BASE + spaced)
    b, rb = merge_history(BASE, BASE + spaced, BASE + compact)
    assert ra.clean and a == b and ids(a) == ["b1", "b2", "s"]


def test_same_id_with_different_content_is_a_conflict() -> None:
    ours = BASE + ev("x", outcome="pass")
    theirs = BASE + ev("x", outcome="fail")
    out, report = merge_history(BASE, ours, theirs)
    assert not report.clean
    assert "event x was added on both sides with different content" in report.conflicts[0]
    assert out.startswith(BASE) and b"<<<<<<< ours\n" in out and b">>>>>>> theirs\n" in out


@pytest.mark.parametrize(
    ("ours", "expected"),
    [
        (ev("b1", "2026-01-01T00:00:00Z") + ev("b2", "2026-01-02T00:00:00Z", outcome="pass"), "edited in ours"),
        (ev("b1", "2026-01-01T00:00:00Z") + ev("o"), "was deleted in ours"),
        (ev("b2", "2026-01-02T00:00:00Z") + ev("b1", "2026-01-01T00:00:00Z"), "was moved in ours"),
    ],
    ids=["edited", "deleted", "reordered"],
)
def test_tampering_with_a_base_event_is_a_conflict(ours: bytes, expected: str) -> None:
    out, report = merge_history(BASE, ours, BASE + ev("t1"))
    assert not report.clean
    assert any(expected in c for c in report.conflicts), report.conflicts
    assert b"||||||| base\n" in out


def test_base_that_is_no_longer_a_byte_prefix_is_not_tampering() -> None:
    # After branch a merged b, the merge-base (b's tip) is a subsequence of a.
    merged_a = ev("b1", "2026-01-01T00:00:00Z") + ev("a1", "2026-01-01T12:00:00Z") + ev("b2", "2026-01-02T00:00:00Z")
    theirs = BASE + ev("t1", "2026-03-01T00:00:00Z")
    out, report = merge_history(BASE, merged_a, theirs)
    assert report.clean
    assert ids(out) == ["b1", "a1", "b2", "t1"]


def test_unreadable_added_line_is_a_conflict() -> None:
    out, report = merge_history(BASE, BASE + b"{not json\n", BASE + ev("t1"))
    assert not report.clean
    assert "ours line 3 is not a JSON object" in report.conflicts[0]
    _, report = merge_history(BASE, BASE + b'{"ts": "no id"}\n', BASE + ev("t1"))
    assert not report.clean


def test_unreadable_line_already_in_the_base_is_carried_over() -> None:
    base = BASE + b"garbage that validate reports\n" + ev("b3")
    ours = ev("b1", "2026-01-01T00:00:00Z") + ev("o1") + ev("b2", "2026-01-02T00:00:00Z") + base[len(BASE) :]
    out, report = merge_history(base, ours, base + ev("t1"))
    assert report.clean
    assert b"garbage that validate reports\n" in out


def test_missing_final_newline_is_handled() -> None:
    base_no_nl = BASE.rstrip(b"\n")
    out, report = merge_history(base_no_nl, BASE + ev("o1"), base_no_nl + b"\n" + ev("t1").rstrip(b"\n"))
    assert report.clean
    assert out.endswith(b"\n") and ids(out)[:2] == ["b1", "b2"] and sorted(ids(out)[2:]) == ["o1", "t1"]


def test_crlf_lines_are_the_same_events_and_the_result_is_lf() -> None:
    crlf = BASE.replace(b"\n", b"\r\n")
    out, report = merge_history(BASE, crlf + ev("o1").replace(b"\n", b"\r\n"), BASE + ev("t1"))
    assert report.clean
    assert b"\r" not in out and ids(out) == ["b1", "b2", "o1", "t1"]


def test_byte_order_mark_is_dropped() -> None:
    bom = b"\xef\xbb\xbf"
    out, report = merge_history(bom + BASE, bom + BASE + ev("o1"), BASE + ev("t1"))
    assert report.clean and not out.startswith(bom) and ids(out) == ["b1", "b2", "o1", "t1"]


def test_empty_base_means_both_sides_added_the_file() -> None:
    ours = ev("a", "2026-01-01T00:00:00Z") + ev("s", "2026-01-03T00:00:00Z")
    theirs = ev("s", "2026-01-03T00:00:00Z") + ev("b", "2026-01-02T00:00:00Z")
    out, report = merge_history(b"", ours, theirs)
    assert report.clean
    assert ids(out) == ["a", "s", "b"] or ids(out) == ["a", "b", "s"]
    assert sorted(ids(out)) == ["a", "b", "s"]
    assert merge_history(b"", theirs, ours)[0] == out


def test_blank_lines_in_the_merged_part_are_dropped() -> None:
    out, report = merge_history(BASE, BASE + b"\n" + ev("o1") + b"\n\n", BASE + ev("t1"))
    assert report.clean and out == BASE + ev("o1") + ev("t1")


@pytest.mark.parametrize("chunk", [1, 2, 5, 64])
def test_small_chunks_and_long_lines_give_the_same_result(chunk: int) -> None:
    long_event = ev("long", detail="x" * 300)
    base = BASE + long_event
    ours = base + ev("o1", "2026-03-01T00:00:00Z")
    theirs = ev("b1", "2026-01-01T00:00:00Z") + ev("t0") + ev("b2", "2026-01-02T00:00:00Z") + long_event
    expected = merge_history(base, ours, theirs)
    assert merge_history(base, ours, theirs, chunk_size=chunk) == expected
    assert expected[1].clean


# -- properties ----------------------------------------------------------------

TIMES = st.sampled_from(["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"])


@st.composite
def triples(draw: st.DrawFn) -> tuple[list[bytes], list[bytes], list[bytes], set[str]]:
    """A base and two sides that each add events anywhere (as merges do), some shared."""
    n_base = draw(st.integers(0, 6))
    base = [ev(f"b{i}", draw(TIMES)) for i in range(n_base)]
    shared = [ev(f"s{i}", draw(TIMES)) for i in range(draw(st.integers(0, 3)))]

    def side(prefix: str) -> list[bytes]:
        own = [ev(f"{prefix}{i}", draw(TIMES)) for i in range(draw(st.integers(0, 4)))]
        mine = own + [s for s in shared if draw(st.booleans())]
        mine = draw(st.permutations(mine))
        # Interleave the additions into the base at random places, keeping base order.
        out = list(base)
        for event in mine:
            lo = 0 if draw(st.booleans()) else len(out)
            out.insert(draw(st.integers(lo, len(out))), event)
        return out

    return base, side("o"), side("t"), {json.loads(s)["id"] for s in shared}


def _is_subsequence(small: list[str], big: list[str]) -> bool:
    it = iter(big)
    return all(x in it for x in small)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(triples())
def test_property_nothing_lost_nothing_duplicated_side_independent(
    triple: tuple[list[bytes], list[bytes], list[bytes], set[str]],
) -> None:
    base, ours, theirs, shared = triple
    out, report = merge_history(b"".join(base), b"".join(ours), b"".join(theirs))
    assert report.clean, report.conflicts
    result = ids(out)
    assert len(result) == len(set(result))  # nothing duplicated
    everything = set(ids(b"".join(base + ours + theirs)))
    assert set(result) == everything  # nothing lost, nothing invented
    assert _is_subsequence(ids(b"".join(base)), result)
    for side in (ours, theirs):  # each side's own order survives (shared events may be placed once)
        own = [i for i in ids(b"".join(side)) if i not in shared]
        assert _is_subsequence(own, result)
    swapped, _ = merge_history(b"".join(base), b"".join(theirs), b"".join(ours))
    assert swapped == out
    tiny, _ = merge_history(b"".join(base), b"".join(ours), b"".join(theirs), chunk_size=3)
    assert tiny == out


@settings(max_examples=100, deadline=None)
@given(triples())
def test_property_idempotent(triple: tuple[list[bytes], list[bytes], list[bytes], set[str]]) -> None:
    base, ours, _, _ = triple
    side = b"".join(ours)
    assert merge_history(b"".join(base), side, side)[0] == side
    assert merge_history(side, side, side)[0] == side
    assert merge_history(b"".join(base), b"".join(base), side)[0] == side  # the other side did nothing


@settings(max_examples=150, deadline=None)
@given(triples(), st.data())
def test_property_any_tampering_with_the_base_is_detected(
    triple: tuple[list[bytes], list[bytes], list[bytes], set[str]],
    data: st.DataObject,
) -> None:
    base, ours, theirs, _ = triple
    base_ids = ids(b"".join(base))
    if not base_ids:
        return
    tampered = list(ours)
    positions = [i for i, line in enumerate(tampered) if json.loads(line)["id"] in base_ids]
    kind = data.draw(st.sampled_from(["delete", "edit", "swap"]))
    i = data.draw(st.sampled_from(positions))
    if kind == "delete":
        del tampered[i]
    elif kind == "edit":
        obj = json.loads(tampered[i])
        obj["outcome"] = "tampered"
        tampered[i] = json.dumps(obj).encode() + b"\n"
    else:
        if len(positions) < 2:
            return
        j = data.draw(st.sampled_from([p for p in positions if p != i]))
        tampered[i], tampered[j] = tampered[j], tampered[i]
    if data.draw(st.booleans()):
        _, report = merge_history(b"".join(base), b"".join(tampered), b"".join(theirs))
    else:
        _, report = merge_history(b"".join(base), b"".join(theirs), b"".join(tampered))
    assert not report.clean


# -- the CLI protocol ----------------------------------------------------------


def _files(tmp_path: Path, base: bytes, ours: bytes, theirs: bytes) -> tuple[str, str, str]:
    paths = []
    for name, data in (("O", base), ("A", ours), ("B", theirs)):
        path = tmp_path / f".merge_file_{name}"
        path.write_bytes(data)
        paths.append(str(path))
    return paths[0], paths[1], paths[2]


def test_driver_writes_the_result_to_ours_and_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    o, a, b = _files(tmp_path, BASE, BASE + ev("o1"), BASE + ev("t1"))
    # git < 2.44 passes %S %X %Y literally; they must be ignored.
    code = cli.main(["merge-driver", o, a, b, "evals/failures/history.jsonl", "7", "%S", "%X", "%Y"])
    assert code == 0
    assert ids(Path(a).read_bytes()) == ["b1", "b2", "o1", "t1"]
    assert not (tmp_path / "evals").exists()  # never writes %P
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith((".tmp", ".failgate-tmp"))] == []


def test_driver_conflict_exits_1_and_explains(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_REFLOG_ACTION", "merge feature")  # as `git merge` calls it
    o, a, b = _files(tmp_path, BASE, ev("b1", "2026-01-01T00:00:00Z"), BASE + ev("t1"))
    assert cli.main(["merge-driver", o, a, b, "my dir/history.jsonl", "9"]) == 1
    err = capsys.readouterr().err
    assert "CONFLICT in my dir/history.jsonl" in err and "event b2" in err and "deleted in ours" in err
    assert b"<<<<<<<<< ours\n" in Path(a).read_bytes()  # %L = 9


def test_driver_never_crashes_on_missing_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["merge-driver", str(tmp_path / "nope"), str(tmp_path / "a"), str(tmp_path / "b"), "history.jsonl"])
    assert code == 1
    assert "could not merge history.jsonl" in capsys.readouterr().err


def test_driver_refuses_files_it_does_not_know(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    o, a, b = _files(tmp_path, b"x\n", b"y\n", b"z\n")
    assert cli.main(["merge-driver", o, a, b, "notes.txt"]) == 1
    assert Path(a).read_bytes() == b"y\n"
    assert "no merge driver for this file" in capsys.readouterr().err


def test_driver_killed_mid_write_leaves_ours_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import failgate.merge.history as history

    o, a, b = _files(tmp_path, BASE, BASE + ev("o1"), BASE + ev("t1"))
    real = history.copy_common_prefix

    def dies_halfway(streams, out, chunk_size=history.CHUNK):  # type: ignore[no-untyped-def]
        real(streams, out, chunk_size)
        raise KeyboardInterrupt  # the closest a test gets to SIGKILL mid-write

    monkeypatch.setattr(history, "copy_common_prefix", dies_halfway)
    assert cli.main(["merge-driver", o, a, b, "history.jsonl"]) == 1
    assert Path(a).read_bytes() == BASE + ev("o1")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith((".tmp", ".failgate-tmp"))] == []
