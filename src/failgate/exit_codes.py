"""The exit codes every `failgate` command keeps, and what each command's codes mean.

Three codes, as pre-commit hooks and coverage.py use them: 0 all is well, 1 the data (or the
agent) has a problem the command found, 2 the command could not judge (usage, configuration, a
base it cannot resolve). No command exits with a traceback for bad input. The manual's "Exit
codes" page is generated from this module; a test checks every command of the CLI is listed.
"""

from __future__ import annotations

OK = 0
PROBLEM = 1
USAGE = 2

MEANINGS: dict[int, str] = {
    OK: "ok: nothing to report, or the command did what it was asked",
    PROBLEM: "a problem in the data or the agent's results (findings were printed), or the command refused; also a write that failed (full disk, read-only checkout): nothing was changed",
    USAGE: "usage or configuration error: a bad option, invalid configuration, an unresolvable or shallow base; fix and rerun",
}

# command -> what 0 and 1 mean for it (2 always means USAGE).
COMMAND_EXITS: dict[str, tuple[str, str]] = {
    "init": ("scaffolded, or already initialised", "—"),
    "install": ("merge drivers registered", "—"),
    "validate": ("the dataset is valid (warnings may print)", "invalid: findings printed"),
    "fmt": (
        "nothing to change (with `--check`: all derived fields right)",
        "a file was fixed (with `--check`: would be)",
    ),
    "check-ledger": ("nothing vanished, ledger and history append-only", "violations printed"),
    "merge-driver": ("merged; the result is in %A", "conflict: markers left in %A, the reason printed"),
    "eval": ("every gating case passes (a set: pass rate >= floor)", "a gating case fails"),
    "gate": (
        "100 %, no flips, nothing unexplained (or advisory mode)",
        "blocked: failures, flips, unexplained changes",
    ),
    "ingest": ("candidates written (skipped records are findings, not failures)", "—"),
    "promote": ("the case (or recurrence) landed", "refused: TODOs, PII, schema errors, a duplicate, no reproduction"),
    "remove": ("the case moved to the ledger", "refused: no reason, unknown or already removed id"),
    "decide": ("the decision was recorded", "refused: not a case of the dataset, or the event would be invalid"),
    "renumber": ("the collision was fixed and staged", "nothing to renumber, or conflicts left"),
    "report": ("the report was written", "the dataset cannot be read (run `failgate validate`)"),
    "demo": ("the demo ran", "a step of the demo failed"),
    "watch": (
        "main is green against its last green run (notifications sent for what is red never change this)",
        "a gating case fails or flipped on main: the red cases were routed to their sinks",
    ),
    "judge-change": (
        "the new judge's grading, results and decision were recorded: commit what it printed",
        "nothing recorded: a gating case fails under the new judge, or its gold-set grading is below the floor",
    ),
    "judge-check": (
        "agreement >= the gold floor and no P0 false pass",
        "below the floor, or a P0 example passed wrongly",
    ),
}
