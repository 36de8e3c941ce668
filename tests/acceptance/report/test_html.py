"""`failgate report --html`: the timeline behind the heatmap, and the page as text.

The browser checks (colours, hover, focus, screenshot) are in test_report_browser.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from gate_repo import DS, cases_text
from hypothesis import given
from hypothesis import strategies as st
from report_history import COMMITS, JUDGE_TWO, REMOVED, known_lines, write_known

from failgate.cli import main
from failgate.dataset.history import fold_events
from failgate.dataset.parse import parse_dataset
from failgate.report.timeline import Recorded, add_gate_run, build_timeline


def known_timeline():  # type: ignore[no-untyped-def]
    dataset = parse_dataset(
        DS, cases=cases_text((1, 2)).encode(), removed=REMOVED.encode(), history=known_lines().encode()
    )
    return build_timeline((e for _, e in dataset.events()), cases=dataset.cases, removed=dataset.removed)


def by_id(timeline):  # type: ignore[no-untyped-def]
    return {row.case_id: row for row in timeline.rows}


def test_cells_show_flips_flaky_carried_and_removed() -> None:
    timeline = known_timeline()
    rows = by_id(timeline)
    assert [c.commit for c in timeline.columns] == COMMITS
    assert rows["AGTFAIL-0001"].cells == ["pass", "flip", "fail", "pass"]
    assert rows["AGTFAIL-0001"].carried == [False, False, True, False]
    assert rows["AGTFAIL-0001"].flips == 1
    assert rows["AGTFAIL-0002"].cells == ["pass", "pass", "flaky", "fail"]
    assert rows["AGTFAIL-0003"].cells == ["fail", "fail", "removed", "removed"]
    assert rows["AGTFAIL-0003"].status == "removed" and rows["AGTFAIL-0003"].severity == "P0"
    assert rows["AGTFAIL-0001"].recorded[1][0].judge == JUDGE_TWO


def test_a_fail_after_a_fail_is_no_flip_control() -> None:
    """Control for the flip: the same fail, after a fail rather than a pass, is a plain fail."""
    events = [
        {"case_id": "AGTFAIL-0001", "type": "result", "outcome": o, "commit": c}
        for o, c in (("fail", "a"), ("fail", "b"), ("pass", "c"), ("fail", "d"))
    ]
    assert build_timeline(events).rows[0].cells == ["fail", "fail", "pass", "flip"]


def test_rows_are_grouped_by_failure_mode_in_taxonomy_order_then_severity() -> None:
    rows = known_timeline().rows
    # gate_repo gives case n the mode MODES[n % 3]: 1 retrieval_miss, 2 hallucination, 3 tool_invocation
    assert [r.case_id for r in rows] == ["AGTFAIL-0003", "AGTFAIL-0001", "AGTFAIL-0002"]
    assert [r.failure_mode for r in rows] == ["tool_invocation", "retrieval_miss", "hallucination"]


def test_deprecation_and_reactivation_show_in_the_columns_after_them() -> None:
    events = [
        {"case_id": "AGTFAIL-0001", "type": "result", "outcome": "pass", "commit": "a"},
        {"case_id": "AGTFAIL-0001", "type": "status_changed", "detail": {"from": "active", "to": "deprecated"}},
        {"case_id": "AGTFAIL-0002", "type": "result", "outcome": "pass", "commit": "b"},
        {"case_id": "AGTFAIL-0001", "type": "status_changed", "detail": {"from": "deprecated", "to": "active"}},
        {"case_id": "AGTFAIL-0002", "type": "result", "outcome": "pass", "commit": "c"},
    ]
    timeline = build_timeline(events)
    assert by_id(timeline)["AGTFAIL-0001"].cells == ["pass", "deprecated", "pass"]
    assert [p.deprecated for p in timeline.sizes] == [1, 0]


def test_per_mode_pass_rate_counts_judged_cases_only() -> None:
    rates = known_timeline().mode_rates
    assert rates["retrieval_miss"] == [1.0, 0.0, 0.0, 1.0]
    assert rates["hallucination"] == [1.0, 1.0, 0.0, 0.0]  # flaky is not a pass
    assert rates["tool_invocation"] == [0.0, 0.0, None, None]  # removed: no longer judged
    assert rates["latency_breach"] == [None] * 4


def test_the_gate_run_is_the_last_column_and_its_flips_come_first() -> None:
    timeline = known_timeline()
    runs = {
        "AGTFAIL-0001": Recorded("pass", None, None, "this gate run"),
        "AGTFAIL-0002": Recorded("fail", None, None, "this gate run"),
    }
    add_gate_run(timeline, "f" * 40, runs, {"AGTFAIL-0002": "flip"}, {COMMITS[3]})
    assert timeline.rows[0].case_id == "AGTFAIL-0002" and timeline.rows[0].cells[-1] == "flip"
    assert timeline.columns[-1].label == "now"
    assert [c.in_range for c in timeline.columns] == [False, False, False, True, True]
    assert by_id(timeline)["AGTFAIL-0003"].cells[-1] == "removed"


def test_cli_writes_one_self_contained_page(git_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_known(git_repo)
    out = git_repo / "out" / "report.html"
    assert main(["report", "--html", str(out)]) == 0
    page = out.read_text()
    # No network at view time: nothing to fetch, and the page's policy forbids it.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "default-src 'none'" in page
    data = json.loads(re.search(r'<script type="application/json" id="fg-data">(.*?)</script>', page, re.S)[1])
    assert [c[0] for c in data["columns"]] == COMMITS
    assert page.count('class="row"') == 3
    assert "flaky (different outcomes at one commit)" in page  # the health tables
    assert "wrote the HTML report" in capsys.readouterr().err


def test_markup_in_the_data_is_shown_not_run(git_repo: Path) -> None:
    """Attack: a title and an actor that close the script block. Control: the page still parses its data."""
    directory = write_known(git_repo)
    cases = (directory / "cases.yaml").read_text().replace("Case number 1", "'</script><script>alert(1)</script>'")
    (directory / "cases.yaml").write_text(cases)
    (directory / "history.jsonl").write_text(known_lines().replace('"actor": "ci"', '"actor": "</script><b>x"'))
    out = git_repo / "report.html"
    assert main(["report", "--html", str(out)]) == 0
    page = out.read_text()
    assert "<script>alert(1)" not in page and "<b>x" not in page
    block = re.search(r'<script type="application/json" id="fg-data">(.*?)</script>', page, re.S)[1]
    assert "</script><b>x" in json.loads(block)["actors"]


def test_an_unwritable_path_is_a_usage_error_without_traceback(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_known(git_repo)
    (git_repo / "blocker").write_text("a file, not a directory\n")
    assert main(["report", "--html", str(git_repo / "blocker" / "report.html")]) == 2
    err = capsys.readouterr().err
    assert "cannot write the HTML report" in err and "Traceback" not in err


def test_an_unreadable_dataset_writes_no_page(git_repo: Path) -> None:
    directory = write_known(git_repo)
    (directory / "cases.yaml").write_text("schema_version: 1\ncases: [\n")
    out = git_repo / "report.html"
    assert main(["report", "--html", str(out)]) == 1
    assert not out.exists()


_event = st.one_of(
    st.fixed_dictionaries(
        {
            "case_id": st.sampled_from(["AGTFAIL-0001", "AGTFAIL-0002", "AGTFAIL-0003"]),
            "type": st.just("result"),
            "outcome": st.sampled_from(["pass", "fail"]),
            "commit": st.sampled_from(["a", "b", "c", "d", "e"]),
        }
    ),
    st.fixed_dictionaries(
        {"case_id": st.sampled_from(["AGTFAIL-0001", "AGTFAIL-0002"]), "type": st.sampled_from(["removed", "promoted"])}
    ),
    st.fixed_dictionaries(
        {
            "case_id": st.just("AGTFAIL-0003"),
            "type": st.just("status_changed"),
            "detail": st.fixed_dictionaries({"to": st.sampled_from(["deprecated", "active"])}),
        }
    ),
)


def revisits(events: list[dict]) -> bool:  # type: ignore[type-arg]
    commits = [e["commit"] for e in events if e.get("type") == "result"]
    return any(c in commits[:i] and commits[i - 1] != c for i, c in enumerate(commits))


@given(st.lists(_event, max_size=40))
def test_the_grid_agrees_with_the_history_fold(events: list[dict]) -> None:  # type: ignore[type-arg]
    """Whatever the history: one cell per column, every recorded result in its cell, the
    last recorded outcome where the fold says, and pass rates within 0..1."""
    timeline = build_timeline(events)
    fold = fold_events(events)
    for row in timeline.rows:
        assert len(row.cells) == len(row.carried) == len(timeline.columns)
        entry = fold.get(row.case_id)
        assert sum(len(r) for r in row.recorded.values()) == (entry.runs if entry else 0)
        assert [not c for c in row.carried] == [i in row.recorded for i in range(len(timeline.columns))]
        if entry is not None and entry.runs:
            last = max(row.recorded)
            outcomes = {r.outcome for r in row.recorded[last]}
            state = row.cells[last]
            assert state == "flaky" if len(outcomes) > 1 else (state == "pass") == (outcomes == {"pass"})
            if not revisits(events):
                # A result recorded later for an older commit lands in that commit's column; otherwise
                # the newest column holds the fold's last outcome.
                assert row.recorded[last][-1].outcome == entry.last_outcome
    for series in timeline.mode_rates.values():
        assert all(v is None or 0 <= v <= 1 for v in series)


def test_a_long_history_keeps_the_newest_columns_with_their_carried_cells() -> None:
    from failgate.report.pages import _shown
    from failgate.report.timeline import keep_last

    timeline = known_timeline()
    assert keep_last(timeline, 2) == 2
    rows = by_id(timeline)
    assert [c.commit for c in timeline.columns] == COMMITS[2:]
    assert rows["AGTFAIL-0001"].cells == ["fail", "pass"] and rows["AGTFAIL-0001"].carried == [True, False]
    assert set(rows["AGTFAIL-0002"].recorded) == {0}  # reindexed: the flaky commit is column 0 now
    assert timeline.mode_rates["retrieval_miss"] == [0.0, 1.0]
    assert "the oldest 2 recorded commit(s) are not shown" in _shown(2)
    # Control: a history shorter than the limit is left whole.
    assert keep_last(known_timeline(), 1000) == 0
