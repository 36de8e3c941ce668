"""A fixture history with known flips, for the HTML report's tests.

`known_history()` writes, for three cases over four commits:

    AGTFAIL-0001  pass@c1  fail@c2 (a flip)  .      pass@c4
    AGTFAIL-0002  pass@c1  .                 pass+fail@c3 (flaky)  .
    AGTFAIL-0003  fail@c1  .                 removed before c3

so the page must show a flip at (0001, c2), a carried fail at (0001, c3), a
flaky cell at (0002, c3) and removed cells for 0003 from c3 on.
"""

from __future__ import annotations

import json
from pathlib import Path

from gate_repo import DS, case_block, cases_text, promoted

COMMITS = [f"{n:x}" * 40 for n in (10, 11, 12, 13)]  # "aaaa...", "bbbb...", ...
JUDGE_ONE, JUDGE_TWO = "sha256:" + "1a" * 8, "sha256:" + "2b" * 8


def result(n: int, case: int, outcome: str, commit: int, *, judge: str = JUDGE_ONE, actor: str = "ci") -> str:
    return (
        json.dumps(
            {
                "id": f"01R{n:023d}",
                "ts": f"2026-06-{n + 1:02d}T10:00:00Z",
                "case_id": f"AGTFAIL-{case:04d}",
                "type": "result",
                "outcome": outcome,
                "commit": COMMITS[commit],
                "judge": judge,
                "actor": actor,
            }
        )
        + "\n"
    )


def removed_event(case: int) -> str:
    return (
        json.dumps(
            {
                "id": f"01X{case:023d}",
                "ts": "2026-06-06T10:00:00Z",
                "case_id": f"AGTFAIL-{case:04d}",
                "type": "removed",
                "actor": "dana",
                "detail": {"reason": "duplicate"},
            }
        )
        + "\n"
    )


# The deletion ledger keeps case 3's snapshot: its row shows its mode and severity.
REMOVED = (
    "schema_version: 1\nremoved:\n  - id: AGTFAIL-0003\n    removed_at: 2026-06-06\n    removed_by: dana\n"
    "    reason: duplicate\n    case:\n"
    + "".join("      " + line[4:] + "\n" for line in case_block(3, severity="P0").splitlines())
)


def known_lines() -> str:
    return "".join(
        [
            promoted(1),
            promoted(2),
            promoted(3),
            result(1, 1, "pass", 0, actor="dana@example.com"),
            result(2, 2, "pass", 0),
            result(3, 3, "fail", 0),
            result(4, 1, "fail", 1, judge=JUDGE_TWO),
            removed_event(3),
            result(6, 2, "pass", 2),
            result(7, 2, "fail", 2),
            result(8, 1, "pass", 3),
        ]
    )


def write_known(root: Path) -> Path:
    """The dataset files (cases 1 and 2 active, 3 in the deletion ledger) under root/DS."""
    directory = root / DS
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "cases.yaml").write_text(cases_text((1, 2)))
    (directory / "cases_removed.yaml").write_text(REMOVED)
    (directory / "history.jsonl").write_text(known_lines())
    (root / "failgate.toml").write_text('agent = "nowhere:run"\n')
    return directory
