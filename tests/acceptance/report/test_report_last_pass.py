"""`failgate report` shows each active case's last recorded pass: oldest first, a case never
recorded as passing at the top; a later failure does not move the date."""

from __future__ import annotations

import datetime as _dt
import json

from failgate.dataset.history import fold_bytes
from failgate.report.health import build_report, render_text


def _event(case_id: str, ts: str, outcome: str, n: int) -> str:
    return json.dumps(
        {"id": f"01J{n:023d}", "ts": ts, "case_id": case_id, "type": "result", "outcome": outcome, "commit": "a" * 40}
    )


def test_last_pass_dates_oldest_first_and_a_failure_does_not_move_them() -> None:
    history = "\n".join(
        [
            _event("AGTFAIL-0001", "2026-11-02T10:00:00Z", "pass", 1),
            _event("AGTFAIL-0002", "2026-11-20T10:00:00Z", "pass", 2),
            _event("AGTFAIL-0002", "2026-12-01T10:00:00Z", "fail", 3),  # failed since: still 11-20
            _event("AGTFAIL-0001", "2026-11-25T10:00:00Z", "pass", 4),
            _event("AGTFAIL-0003", "2026-11-30T10:00:00Z", "fail", 5),  # never passed
        ]
    ).encode()
    cases = [{"id": f"AGTFAIL-000{n}", "status": "active", "failure_mode": "hallucination"} for n in (1, 2, 3)]
    cases.append({"id": "AGTFAIL-0004", "status": "deprecated", "deprecated_reason": "x"})
    report = build_report({}, cases, [], fold_bytes(history), _dt.date(2026, 12, 7))
    assert report.last_pass == [("AGTFAIL-0003", None), ("AGTFAIL-0002", "2026-11-20"), ("AGTFAIL-0001", "2026-11-25")]
    text = render_text(report)
    assert "last recorded pass (oldest first):" in text
    assert text.index("AGTFAIL-0003  never recorded") < text.index("AGTFAIL-0002  2026-11-20")
    assert "AGTFAIL-0004" not in text.split("last recorded pass")[1]  # deprecated cases are not listed
    assert report.as_data()["last_pass"][1] == {"id": "AGTFAIL-0002", "date": "2026-11-20"}


def test_the_cli_report_shows_it(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from unit.intake.test_intake import dataset_repo

    from failgate.cli import main

    dataset_repo(tmp_path, monkeypatch)
    assert main(["report"]) == 0
    out = capsys.readouterr().out
    assert "last recorded pass (oldest first):" in out and "AGTFAIL-0001" in out.split("last recorded pass")[1]
