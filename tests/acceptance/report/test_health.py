"""The history fold (one pass) and `failgate report` on it: steady regression vs flaky."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from conftest import commit_all
from gate_repo import DS, cases_text, failgate, setup_consumer

from failgate.dataset.history import fold_bytes, fold_events, parse_events, split_range
from failgate.report.health import build_report


def ev(
    n: int,
    case: str,
    kind: str = "result",
    outcome: str | None = None,
    commit: str | None = None,
    ts: str = "2026-05-02T10:00:00Z",
    **extra: object,
) -> dict:
    event = {"id": f"01J{n:023d}", "ts": ts, "case_id": case, "type": kind, **extra}
    if outcome:
        event["outcome"] = outcome
    if commit:
        event["commit"] = commit * 40 if len(commit) == 1 else commit
    return event


def jsonl(events: list[dict]) -> bytes:
    return "".join(json.dumps(e) + "\n" for e in events).encode()


def sequence(case: str, outcomes: str, commits: str, start: int = 0) -> list[dict]:
    return [
        ev(start + i, case, outcome={"P": "pass", "F": "fail"}[o], commit=c, ts=f"2026-05-{i + 1:02d}T10:00:00Z")
        for i, (o, c) in enumerate(zip(outcomes, commits))
    ]


def test_fold_tracks_last_outcome_flips_and_disagreements() -> None:
    events = [
        ev(0, "AGTFAIL-0001", "promoted"),
        *sequence("AGTFAIL-0001", "PPFF", "abcd", 1),
        ev(9, "AGTFAIL-0001", "regressed", ts="2026-05-03T10:00:00Z"),
        *sequence("AGTFAIL-0002", "PFPF", "aaaa", 10),
        ev(20, "AGTFAIL-0002", "status_changed", detail={"from": "active", "to": "deprecated"}),
    ]
    fold = fold_events(events)
    steady, flaky = fold.cases["AGTFAIL-0001"], fold.cases["AGTFAIL-0002"]
    assert steady.last_outcome == "fail" and steady.flips == 1 and steady.flip_rate == 1 / 3
    assert steady.regressions == 1 and steady.last_pass_commit == "b" * 40 and steady.promoted_at
    assert flaky.flip_rate == 1.0 and flaky.disagreements == {"a" * 40} and flaky.status == "deprecated"


def test_parse_skips_what_is_not_an_object_and_handles_crlf() -> None:
    data = jsonl([ev(1, "AGTFAIL-0001", outcome="pass")]).replace(b"\n", b"\r\n") + b"not json\n[1]\n\n"
    events, skipped = parse_events(data)
    assert len(events) == 1 and skipped == 2
    assert fold_bytes(data).cases["AGTFAIL-0001"].last_outcome == "pass"


def test_split_range_by_prefix_and_by_id_after_a_merge() -> None:
    base = jsonl([ev(1, "AGTFAIL-0001", outcome="pass")])
    grown = base + jsonl([ev(2, "AGTFAIL-0001", outcome="fail")])
    assert [e["id"] for e in split_range(base, grown)[1]] == [ev(2, "x")["id"]]
    merged = jsonl([ev(3, "AGTFAIL-0002", "promoted")]) + base  # not a prefix any more
    old, new = split_range(base, merged)
    assert len(old) == 1 and [e["case_id"] for e in new] == ["AGTFAIL-0002"]


def test_report_tells_a_steady_regression_from_a_flaky_case() -> None:
    cases = [
        {
            "id": f"AGTFAIL-000{n}",
            "status": "active",
            "failure_mode": "hallucination",
            "severity": "P1",
            "intent": "refund",
            "discovered_at": "2026-05-01",
            "remediation": [{"date": "2026-05-02"}],
        }
        for n in (1, 2)
    ]
    cases[1]["remediation"] = []  # AGTFAIL-0002 recovers with no fix on record
    fold = fold_events(sequence("AGTFAIL-0001", "PPFF", "abcd") + sequence("AGTFAIL-0002", "PFPFP", "abcde", 10))
    report = build_report({}, cases, [], fold, dt.date(2026, 5, 10))
    by_id = {f.case_id: f for f in report.flakiness}
    assert by_id["AGTFAIL-0001"].flip_rate == 1 / 3 and by_id["AGTFAIL-0001"].verdict.startswith("steady")
    assert by_id["AGTFAIL-0002"].flip_rate == 1.0 and by_id["AGTFAIL-0002"].verdict.startswith("flaky")
    assert by_id["AGTFAIL-0002"].unexplained_recoveries == 2
    # The same outcomes, each recovery following a dated fix: a fragile case
    # that regressed twice, not a flaky one (change-only recording makes the
    # outcomes alternate either way).
    cases[1]["remediation"] = [{"date": "2026-05-02"}, {"date": "2026-05-05"}]
    fixed = {f.case_id: f for f in build_report({}, cases, [], fold, dt.date(2026, 5, 10)).flakiness}
    assert fixed["AGTFAIL-0002"].unexplained_recoveries == 0 and fixed["AGTFAIL-0002"].verdict.startswith("steady")
    same_commit = fold_events(sequence("AGTFAIL-0001", "PF", "aa"))
    flaky = build_report({}, cases, [], same_commit, dt.date(2026, 5, 10)).flakiness[0]
    assert flaky.disagreements == 1 and "different outcomes at one commit" in flaky.verdict


def test_report_warnings_prune_candidates_and_remediation() -> None:
    cases = [
        {
            "id": f"AGTFAIL-{n:04d}",
            "status": "active",
            "failure_mode": "retrieval_miss",
            "severity": "P2",
            "intent": "refund" if n < 50 else f"other{n}",
            "discovered_at": "2025-01-01",
            "remediation": [] if n == 3 else [{"date": "2025-01-02"}],
            "regressed_count": 3 if n == 4 else 0,
        }
        for n in range(1, 211)
    ]
    fold = fold_events([ev(1, "AGTFAIL-0001", outcome="fail", ts="2026-04-01T00:00:00Z")])
    report = build_report({}, cases, [], fold, dt.date(2026, 5, 10))
    assert any("over 200: dedupe is broken" in w for w in report.warnings)
    assert any("intent 'refund' is 23%" in w for w in report.warnings) is False  # 49/210 = 23%: under 30 %
    assert report.fragile == [("AGTFAIL-0004", 3)] and report.no_remediation == ["AGTFAIL-0003"]
    prune_ids = [i for i, _ in report.prune]
    assert "AGTFAIL-0001" not in prune_ids and ("AGTFAIL-0002", "2025-01-01") in report.prune
    small = build_report({}, cases[:10], [], fold, dt.date(2026, 5, 10))
    assert any("under 60" in w for w in small.warnings) and any("intent 'refund' is 100%" in w for w in small.warnings)


def test_report_cli_text_and_json(git_repo: Path) -> None:
    setup_consumer(git_repo)
    (git_repo / DS / "cases.yaml").write_text(cases_text((1, 2, 3), **{"AGTFAIL-0002": {"regressed": 2}}))
    with (git_repo / DS / "history.jsonl").open("ab") as handle:
        handle.write(jsonl(sequence("AGTFAIL-0001", "PFPF", "aaaa", 100)))
    commit_all(git_repo, "history")
    text = failgate(git_repo, "report", "--today", "2026-05-10")
    assert text.returncode == 0, text.stderr
    assert "3 active case(s)" in text.stdout and "under 60" in text.stdout
    assert "AGTFAIL-0002  regressed_count 2" in text.stdout and "flaky" in text.stdout
    data = json.loads(failgate(git_repo, "report", "--format", "json").stdout)
    assert data["active"] == 3 and data["flakiness"][0]["case_id"] == "AGTFAIL-0001"
    assert data["flakiness"][0]["disagreements"] == 1


def test_fold_latest_agrees_with_the_full_fold_on_last_results() -> None:
    events = (
        sequence("AGTFAIL-0001", "PPFP", "abcd")
        + sequence("AGTFAIL-0002", "PF", "ef", 10)
        + [ev(30, "AGTFAIL-0002", "regressed"), ev(31, "AGTFAIL-0003", "promoted")]
    )
    data = jsonl(events).replace(b"\n", b"\r\n", 3) + b'garbage with "result"\n'
    from failgate.dataset.history import fold_latest

    full, latest = fold_bytes(data), fold_latest(data, ["AGTFAIL-0001", "AGTFAIL-0002", "AGTFAIL-0003"])
    for case_id in ("AGTFAIL-0001", "AGTFAIL-0002"):
        a, b = full.cases[case_id], latest.cases[case_id]
        assert (a.last_outcome, a.last_judge, a.last_commit) == (b.last_outcome, b.last_judge, b.last_commit)
    assert latest.cases["AGTFAIL-0001"].last_pass_commit == "d" * 40
    assert "AGTFAIL-0003" not in latest.cases  # promoted, never run
    # backwards: two AGTFAIL-0002 results, then AGTFAIL-0001's last one, and it stops there
    assert fold_latest(data, ["AGTFAIL-0001"]).events == 3
