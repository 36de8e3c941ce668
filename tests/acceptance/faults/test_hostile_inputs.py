"""Hostile inputs against every command: no traceback, exit 1 or 2, nothing changed.

Each row is one hostile input (a file edited, a file replaced, an argument)
and the command it is fed to. The promise under attack is the manual's (docs/reference/exit-codes.md) "No
command prints a Python traceback for bad input": the command must refuse
with a finding or a usage error (exit 1 or 2), and every byte of the work
tree must be as it was (a refused input changes nothing). `.git/` is left
out of the snapshot: the gate and check-ledger read objects and may write
git's own caches, never the user's files.

Controls: `test_control_*` run the same commands on the untouched repo and
must pass, so a row fails because of its input, not because the scenario is
broken.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import commit_all, git

EXAMPLE = Path(__file__).parents[3] / "src" / "failgate" / "examples" / "support-bot"
DS = "evals/failures"
CASES = f"{DS}/cases.yaml"
HISTORY = f"{DS}/history.jsonl"
REMOVED = f"{DS}/cases_removed.yaml"
WATCHLIST = f"{DS}/watchlist.yaml"
DEEP = 990  # under libyaml's own limit, over what a recursive walk survives
VERY_DEEP = 100_000
HUGE_INT = "1" * 4400  # over Python's 4,300-digit int-string limit


@dataclasses.dataclass
class Hostile:
    name: str
    argv: list[str]
    edit: Callable[[Path], None] = lambda repo: None
    stage: bool = False  # `git add -A` after the edit (check-ledger reads the index)
    commit: bool = False  # commit the edit (the gate judges a commit, not the work tree)
    codes: tuple[int, ...] = (1, 2)
    may_write: tuple[str, ...] = ()  # a merge driver writes its result (or conflict) over %A

    @property
    def refused(self) -> bool:
        return 0 not in self.codes


ANY = (0, 1, 2)  # robustness rows: exit 0 is right (the input is only odd), a traceback is not


def replace(path: str, old: str, new: str, count: int = 1) -> Callable[[Path], None]:
    def edit(repo: Path) -> None:
        text = (repo / path).read_text(encoding="utf-8")
        assert old in text, (path, old)
        (repo / path).write_text(text.replace(old, new, count), encoding="utf-8")

    return edit


def write(path: str, data: str | bytes) -> Callable[[Path], None]:
    def edit(repo: Path) -> None:
        target = repo / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        target.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))

    return edit


def append(path: str, data: str | bytes) -> Callable[[Path], None]:
    def edit(repo: Path) -> None:
        with open(repo / path, "ab") as fh:
            fh.write(data if isinstance(data, bytes) else data.encode("utf-8"))

    return edit


def make_dir(path: str) -> Callable[[Path], None]:
    def edit(repo: Path) -> None:
        (repo / path).unlink()
        (repo / path).mkdir()
        (repo / path / "keep").write_text("x\n")

    return edit


def make_fifo(path: str) -> Callable[[Path], None]:
    def edit(repo: Path) -> None:
        (repo / path).unlink()
        os.mkfifo(repo / path)

    return edit


def both(*edits: Callable[[Path], None]) -> Callable[[Path], None]:
    def edit(repo: Path) -> None:
        for one in edits:
            one(repo)

    return edit


FIRST_ID = "  - id: AGTFAIL-0001\n"
FIRST_TITLE = "    title: Refund issued twice after a payment-gateway timeout retry\n"
COUNT_LINE = "    regressed_count: "
deep_flow = "[" * DEEP + "]" * DEEP
very_deep_flow = "[" * VERY_DEEP + "]" * VERY_DEEP
deep_json = json.dumps(
    {
        "id": "01KQ763K187GQCGWNGTTZHYYZA",
        "ts": "2026-04-27T10:00:09Z",
        "case_id": "AGTFAIL-0001",
        "type": "result",
        "outcome": "pass",
        "detail": "X",
    }
).replace('"X"', very_deep_flow)
deep_json_990 = deep_json.replace(very_deep_flow, deep_flow)


def event(**fields: object) -> str:
    base = {
        "id": "01KQ763K187GQCGWNGTTZHYYZB",
        "ts": "2026-04-27T10:00:09Z",
        "case_id": "AGTFAIL-0001",
        "type": "remediated",
        "actor": "x",
    }
    base.update(fields)
    return json.dumps(base) + "\n"


def trace(**fields: object) -> str:
    base = {
        "trace_id": "t-1",
        "timestamp": "2026-05-07T10:00:00Z",
        "input": "Where is order 8820?",
        "output": "I'm sorry, but I can't help with that.",
    }
    base.update(fields)
    return json.dumps(base) + "\n"


# What each kind of broken cases.yaml is fed to.
CASES_READERS = (["validate"], ["report"], ["eval"], ["remove", "AGTFAIL-0002", "--reason", "dup", "--by", "me"])

CASES_EDITS: list[tuple[str, Callable[[Path], None]]] = [
    ("huge-int", replace(CASES, COUNT_LINE + "0", COUNT_LINE + HUGE_INT)),
    ("id-list", replace(CASES, FIRST_ID, "  - id: [AGTFAIL-0001, AGTFAIL-0002]\n")),
    ("id-mapping", replace(CASES, FIRST_ID, "  - id: {AGTFAIL-0001: 1}\n")),
    ("deep-990", replace(CASES, FIRST_TITLE, FIRST_TITLE + f"    notes: {deep_flow}\n")),
    ("deep-input-990", replace(CASES, "    input:\n", f"    input:\n      nest: {deep_flow}\n")),
    ("tags-int-key", replace(CASES, FIRST_TITLE, FIRST_TITLE + "    tags: [{1: a, b: c}]\n")),
    ("lone-surrogate", replace(CASES, FIRST_TITLE, '    title: "bad \\ud800 here"\n')),
    (
        "invalid-utf8",
        lambda repo: (repo / CASES).write_bytes(
            (repo / CASES).read_bytes().replace(b"Refund issued", b"Ref\xffund", 1)
        ),
    ),
    ("control-char", replace(CASES, "Refund issued twice", "Refund \x07issued")),
    ("tab-indent", replace(CASES, FIRST_TITLE, "\t" + FIRST_TITLE.lstrip())),
    ("bom", lambda repo: (repo / CASES).write_bytes(b"\xef\xbb\xbf" + (repo / CASES).read_bytes())),
    ("alias", replace(CASES, FIRST_TITLE, "    title: &t x\n    observed: *t\n")),
    ("duplicate-key", replace(CASES, FIRST_TITLE, FIRST_TITLE + FIRST_TITLE)),
    ("top-level-list", write(CASES, "- a\n- b\n")),
    ("empty", write(CASES, "")),
    ("directory", make_dir(CASES)),
    ("fifo", make_fifo(CASES)),
    ("comment-glued-to-quote", replace(CASES, FIRST_TITLE, '    title: "Refund issued twice"# glued\n')),
    ("comment-glued-to-flow", replace(CASES, "schema_version: 1\n", "schema_version: 1\nextra: [a]#c\n")),
    ("unclosed-bracket", replace(CASES, FIRST_TITLE, "    title: [unclosed\n")),
    ("two-documents", append(CASES, "---\nschema_version: 1\n")),
    ("python-tag", replace(CASES, FIRST_TITLE, "    title: !!python/object:os.system x\n")),
    ("very-deep", replace(CASES, FIRST_TITLE, FIRST_TITLE + f"    notes: {very_deep_flow}\n")),
    ("taxonomy-is-int", replace(CASES, "failure_modes:\n", "failure_modes: 7\nx:\n")),
    ("cases-is-mapping", replace(CASES, "cases:\n", "cases: {a: 1}\nold_cases:\n")),
    ("id-trailing-newline", replace(CASES, FIRST_ID, '  - id: "AGTFAIL-0001\\n"\n')),
]

# check-ledger guards ids, the ledger and the history, not the schema: a
# duplicate key or an odd tag is validate's finding (the other hook).
LEDGER_CHECK_ACCEPTS = {"tags-int-key", "duplicate-key", "taxonomy-is-int", "cases-is-mapping"}

ROWS: list[Hostile] = []
for _label, _edit in CASES_EDITS:
    ROWS.append(Hostile(f"cases-{_label}/validate", ["validate", "--no-cache"], _edit))
    if _label not in LEDGER_CHECK_ACCEPTS | {"fifo"}:  # git cannot stage a FIFO
        ROWS.append(Hostile(f"cases-{_label}/check-ledger", ["check-ledger"], _edit, stage=True))
for _label in ("huge-int", "deep-990", "lone-surrogate", "directory", "fifo", "comment-glued-to-quote"):
    _edit = dict(CASES_EDITS)[_label]
    for _argv in CASES_READERS[1:]:
        ROWS.append(Hostile(f"cases-{_label}/{_argv[0]}", list(_argv), _edit))
for _label in ("id-list", "id-mapping"):  # eval runs cases by id: refused
    ROWS.append(Hostile(f"cases-{_label}/eval", ["eval"], dict(CASES_EDITS)[_label]))
for _label in ("id-list", "id-mapping", "tags-int-key"):  # a health report carries on, without a traceback
    ROWS.append(Hostile(f"cases-{_label}/report", ["report"], dict(CASES_EDITS)[_label], codes=ANY))
ROWS.append(Hostile("cases-tags-int-key/eval", ["eval"], dict(CASES_EDITS)["tags-int-key"], codes=ANY))
# fmt rewrites derived fields in place: on a file it cannot read strictly it must write nothing.
for _label in (
    "huge-int",
    "deep-990",
    "lone-surrogate",
    "directory",
    "fifo",
    "duplicate-key",
    "comment-glued-to-quote",
    "two-documents",
):
    ROWS.append(Hostile(f"cases-{_label}/fmt", ["fmt"], dict(CASES_EDITS)[_label]))
# An id written as a list is validate's finding; fmt has no derived field to fix there.
ROWS.append(Hostile("cases-id-list/fmt", ["fmt"], dict(CASES_EDITS)["id-list"], codes=ANY))
ROWS += [
    Hostile("decide-unknown-id", ["decide", "AGTFAIL-9999", "--redefined", "--reason", "new rules", "--by", "me"]),
    Hostile("decide-empty-reason", ["decide", "AGTFAIL-0002", "--redefined", "--reason", " ", "--by", "me"]),
    Hostile("decide-control-char-by", ["decide", "AGTFAIL-0002", "--redefined", "--reason", "x", "--by", "me\nyou"]),
    Hostile("decide-no-kind", ["decide", "AGTFAIL-0002", "--reason", "x", "--by", "me"]),
    Hostile(
        "decide-bad-fingerprint",
        [
            "decide",
            "AGTFAIL-0002",
            "--judge-changed",
            "--from",
            "md5:1",
            "--to",
            "sha256:" + "0" * 64,
            "--reason",
            "x",
            "--by",
            "me",
        ],
    ),
    Hostile("judge-change-no-reason", ["judge-change", "--by", "me"]),
    Hostile("judge-change-control-char-by", ["judge-change", "--reason", "x", "--by", "me\nyou"]),
    Hostile("judge-change-nothing-changed", ["judge-change", "--reason", "x", "--by", "me"]),
    Hostile("judge-check-gold-not-yaml", ["judge-check"], write("evals/judge_gold.yaml", "examples: [\n")),
    Hostile(
        "judge-check-gold-wrong-shape",
        ["judge-check"],
        write("evals/judge_gold.yaml", "schema_version: 1\nexamples: 7\n"),
    ),
    Hostile(
        "judge-check-gold-deep",
        ["judge-check"],
        write("evals/judge_gold.yaml", "schema_version: 1\nexamples: " + "[" * 200 + "]" * 200 + "\n"),
    ),
]

HISTORY_EDITS: list[tuple[str, Callable[[Path], None]]] = [
    ("huge-int", append(HISTORY, event(detail={"n": 0}).replace('"n": 0', f'"n": {HUGE_INT}'))),
    ("deep-100k", append(HISTORY, deep_json + "\n")),
    ("deep-990", append(HISTORY, deep_json_990 + "\n")),
    ("lone-surrogate", append(HISTORY, event(actor="\\ud800").replace("\\\\ud800", "\\ud800"))),
    ("duplicate-json-keys", append(HISTORY, event().replace('"actor": "x"', '"actor": "x", "actor": "y"'))),
    ("nan", append(HISTORY, event(detail={"n": 0}).replace('"n": 0', '"n": NaN'))),
    ("infinity", append(HISTORY, event(detail={"n": 0}).replace('"n": 0', '"n": -Infinity'))),
    ("future-ts", append(HISTORY, event(ts="2999-01-01T00:00:00Z"))),
    ("case-id-list", append(HISTORY, event(case_id=["AGTFAIL-0001"]))),
    ("case-id-mapping", append(HISTORY, event(case_id={"a": 1}))),
    ("not-json", append(HISTORY, "{not json\n")),
    ("invalid-utf8", append(HISTORY, b'{"id": "\xff"}\n')),
    ("array-line", append(HISTORY, "[1, 2]\n")),
    ("event-id-trailing-newline", append(HISTORY, event(id="01KQ763K187GQCGWNGTTZHYYZC\n"))),
]
# Lines that are not strict JSON; check-ledger refuses those when added
# (the others are schema findings, validate's).
NOT_STRICT_JSON = {
    "huge-int",
    "deep-100k",
    "deep-990",
    "lone-surrogate",
    "duplicate-json-keys",
    "nan",
    "infinity",
    "not-json",
    "invalid-utf8",
    "array-line",
}
for _label, _edit in HISTORY_EDITS:
    ROWS.append(Hostile(f"history-{_label}/validate", ["validate", "--no-cache"], _edit))
    if _label in NOT_STRICT_JSON:
        ROWS.append(Hostile(f"history-{_label}/check-ledger", ["check-ledger"], _edit, stage=True))
for _label in ("deep-100k", "case-id-list", "huge-int", "lone-surrogate"):
    _edit = dict(HISTORY_EDITS)[_label]
    ROWS.append(Hostile(f"history-{_label}/report", ["report"], _edit, codes=ANY))  # a health report skips bad lines

for _label, _edit in [
    ("id-list", replace(WATCHLIST, "  - id: AGTFAIL-0024\n", "  - id: [AGTFAIL-0024]\n")),
    ("id-mapping", replace(WATCHLIST, "  - id: AGTFAIL-0024\n", "  - id: {x: 1}\n")),
    ("deep-990", replace(WATCHLIST, "  - id: AGTFAIL-0024\n", f"  - id: AGTFAIL-0024\n    notes: {deep_flow}\n")),
]:
    ROWS.append(Hostile(f"watchlist-{_label}/validate", ["validate", "--no-cache"], _edit))
    ROWS.append(Hostile(f"watchlist-{_label}/eval", ["eval"], _edit))

for _label, _edit in [
    ("id-mapping", replace(REMOVED, "  - id: AGTFAIL-0006\n", "  - id: {AGTFAIL-0006: x}\n")),
    ("huge-int", replace(REMOVED, "schema_version: 1\n", f"schema_version: {HUGE_INT}\n")),
    ("deep-990", replace(REMOVED, "  - id: AGTFAIL-0006\n", f"  - id: AGTFAIL-0006\n    notes: {deep_flow}\n")),
]:
    ROWS.append(Hostile(f"ledger-{_label}/validate", ["validate", "--no-cache"], _edit))
    ROWS.append(Hostile(f"ledger-{_label}/check-ledger", ["check-ledger"], _edit, stage=True))

REVIEW = f"{DS}/_intake/review.yaml"
# A reviewed candidate as `ingest` writes it and a reviewer fills it in; the
# control below promotes it.
FILLED = """\
schema_version: 1
generated_at: "2026-12-02T06:35:55Z"
sources:
  - "t.jsonl"
candidates:
  - candidate: 1
    kind: new
    title: Refused a policy question that mentioned a chargeback
    failure_mode: refusal_overreach
    severity: P2
    blast_radius: customer_visible
    status: active
    owner: "@support-agents"
    discovered_at: '2026-05-07'
    discovered_by:
      - trace:n1
    intent: refund_request
    input:
      messages:
        - role: user
          content: I had a chargeback on order 8820, mail me at <EMAIL>. What is the refund policy?
    observed_behavior: The agent refused instead of stating the refund policy.
    expected:
      - not_refused: true
    remediation: []
    regressed_count: 0
"""
# The support bot answers this one correctly today: promote it on the record.
PROMOTE = ["promote", REVIEW, "--candidate", "1", "--no-reproduce", "--reason", "fixed before intake"]
RECURRENCE = FILLED.replace("    kind: new\n", "    kind: recurrence\n    case: AGTFAIL-0008\n")
for _label, _text in [
    ("huge-int", f"candidates:\n  - candidate: {HUGE_INT}\n"),
    ("deep-990", f"candidates: {deep_flow}\n"),
    ("id-list", "candidates:\n  - candidate: 1\n    case: {id: [1, 2], title: x}\n"),
    ("lone-surrogate", 'candidates:\n  - candidate: 1\n    case: {title: "\\ud800"}\n'),
    ("not-yaml", "candidates: [\n"),
    ("top-level-list", "- 1\n"),
]:
    ROWS.append(Hostile(f"promote-{_label}", ["promote", REVIEW], write(REVIEW, _text)))
for _label, _edit in [
    ("recurrence-case-list", write(REVIEW, RECURRENCE.replace("case: AGTFAIL-0008", "case: [AGTFAIL-0008]"))),
    ("recurrence-case-mapping", write(REVIEW, RECURRENCE.replace("case: AGTFAIL-0008", "case: {AGTFAIL-0008: 1}"))),
    ("candidate-number-list", write(REVIEW, FILLED.replace("- candidate: 1", "- candidate: [1]"))),
    ("input-deep-990", write(REVIEW, FILLED.replace("    input:\n", f"    input:\n      nest: {deep_flow}\n"))),
    ("input-huge-int", write(REVIEW, FILLED.replace("    input:\n", f"    input:\n      n: {HUGE_INT}\n"))),
    (
        "input-lone-surrogate",
        write(REVIEW, FILLED.replace("content: I had", 'content: "bad \\ud800"\n          was: I had')),
    ),
    ("cases-huge-int", both(write(REVIEW, FILLED), dict(CASES_EDITS)["huge-int"])),
    ("cases-id-list", both(write(REVIEW, FILLED), dict(CASES_EDITS)["id-list"])),
    ("history-huge-int", both(write(REVIEW, FILLED), dict(HISTORY_EDITS)["huge-int"])),
    ("history-deep-100k", both(write(REVIEW, FILLED), dict(HISTORY_EDITS)["deep-100k"])),
    ("history-lone-surrogate", both(write(REVIEW, FILLED), dict(HISTORY_EDITS)["lone-surrogate"])),
    ("history-case-id-list", both(write(REVIEW, FILLED), dict(HISTORY_EDITS)["case-id-list"])),
    ("history-case-id-mapping", both(write(REVIEW, FILLED), dict(HISTORY_EDITS)["case-id-mapping"])),
    (
        "watchlist-id-list",
        both(write(REVIEW, FILLED), replace(WATCHLIST, "  - id: AGTFAIL-0024\n", "  - id: [AGTFAIL-0024]\n")),
    ),
]:
    ROWS.append(Hostile(f"promote-{_label}", PROMOTE, _edit))
ROWS += [
    Hostile("promote-missing-file", ["promote", f"{DS}/_intake/nope.yaml"]),
    Hostile(
        "promote-directory", ["promote", f"{DS}/_intake"], lambda repo: (repo / DS / "_intake").mkdir(exist_ok=True)
    ),
    Hostile("remove-empty-reason", ["remove", "AGTFAIL-0002", "--reason", "  ", "--by", "me"]),
    Hostile("remove-unknown-id", ["remove", "AGTFAIL-9999", "--reason", "dup", "--by", "me"]),
    Hostile("remove-id-trailing-newline", ["remove", "AGTFAIL-0002\n", "--reason", "dup", "--by", "me"]),
    Hostile("remove-malformed-id", ["remove", "[1]", "--reason", "dup", "--by", "me"]),
]

TRACES = "traces.jsonl"
for _label, _text in [
    ("deep-100k", '{"trace_id": "t", "input": ' + very_deep_flow + "}\n"),
    ("huge-int", '{"trace_id": ' + HUGE_INT + ', "input": "x"}\n'),
    ("lone-surrogate-only", '{"trace_id": "t", "input": "\\ud800", "output": "\\udfff"}\n'),
    ("not-json", "{nope\n"),
    ("array", "[1, 2, 3]\n"),
]:
    # ingest exits 0 with skipped records (docs/reference/exit-codes.md); no candidate is written
    ROWS.append(Hostile(f"ingest-{_label}", ["ingest", TRACES], write(TRACES, _text), codes=ANY))
ROWS.append(Hostile("ingest-missing-file", ["ingest", "nope.jsonl"]))

ROWS += [
    Hostile(
        "merge-driver-history-deep",
        ["merge-driver", "O", "A", "B", HISTORY],
        both(write("O", ""), write("A", deep_json + "\n"), write("B", event())),
        may_write=("A",),
    ),
    Hostile(
        "merge-driver-history-surrogate",
        ["merge-driver", "O", "A", "B", HISTORY],
        both(
            write("O", ""),
            write("A", event(actor="\\ud800").replace("\\\\ud800", "\\ud800")),
            write("B", event(id="01KQ763K187GQCGWNGTTZHYYZD")),
        ),
        codes=ANY,
        may_write=("A",),
    ),
    Hostile(
        "merge-driver-ledger-huge-int",
        ["merge-driver", "O", "A", "B", REMOVED],
        both(
            write("O", "schema_version: 1\nremoved: []\n"),
            write("A", f"schema_version: {HUGE_INT}\nremoved: []\n"),
            write("B", "schema_version: 1\nremoved: [{id: AGTFAIL-0009}]\n"),
        ),
        may_write=("A",),
    ),
    Hostile(
        "merge-driver-cases-deep",
        ["merge-driver", "O", "A", "B", CASES],
        both(
            write("O", "schema_version: 1\ncases: []\n"),
            write("A", f"schema_version: 1\ncases: []\nx: {deep_flow}\n"),
            write("B", "schema_version: 1\ncases: []\ny: 1\n"),
        ),
        may_write=("A",),
    ),
    Hostile("merge-driver-missing-files", ["merge-driver", "nope-O", "nope-A", "nope-B", HISTORY]),
    *[
        Hostile(f"gate-committed-{label}", ["gate", "--base", "HEAD~1"], edit, commit=True)
        for label, edit in [
            ("cases-id-list", dict(CASES_EDITS)["id-list"]),
            ("cases-id-mapping", dict(CASES_EDITS)["id-mapping"]),
            ("cases-huge-int", dict(CASES_EDITS)["huge-int"]),
            ("cases-deep-990", dict(CASES_EDITS)["deep-990"]),
            ("cases-lone-surrogate", dict(CASES_EDITS)["lone-surrogate"]),
            ("watchlist-id-list", replace(WATCHLIST, "  - id: AGTFAIL-0024\n", "  - id: [AGTFAIL-0024]\n")),
        ]
    ],
    # An added history line the gate cannot read names no case it runs: the
    # gate's verdict stands (exit 0); validate and check-ledger, which CI runs
    # beside it, refuse the line.
    *[
        Hostile(
            f"gate-committed-history-{label}",
            ["gate", "--base", "HEAD~1"],
            dict(HISTORY_EDITS)[label],
            commit=True,
            codes=ANY,
        )
        for label in ("case-id-list", "case-id-mapping", "deep-100k", "huge-int", "lone-surrogate")
    ],
    Hostile("gate-bad-base", ["gate", "--base", "no-such-rev"]),
    # watch is the gate against the last green run: the same refusals, before any notification.
    Hostile("watch-committed-cases-id-list", ["watch", "--base", "HEAD~1"], dict(CASES_EDITS)["id-list"], commit=True),
    Hostile("watch-bad-base", ["watch", "--base", "no-such-rev"]),
    Hostile("eval-recorded-deep", ["eval", "--recorded", "rec.jsonl"], write("rec.jsonl", deep_json + "\n")),
    Hostile("eval-recorded-not-json", ["eval", "--recorded", "rec.jsonl"], write("rec.jsonl", "{nope\n")),
    Hostile("config-not-toml", ["validate"], write("failgate.toml", "agent = [\n")),
    Hostile("config-dataset-list", ["validate"], write("failgate.toml", 'dataset = ["a"]\n')),
    Hostile(
        "config-jobs-string",
        ["eval"],
        write("failgate.toml", 'agent = "failgate.examples.support_bot:run"\njobs = "many"\n'),
    ),
    Hostile("validate-file-outside", ["validate", "README.md"], write("README.md", "x\n")),
    Hostile("renumber-not-merging", ["renumber", "AGTFAIL-0001"]),
]


def snapshot(repo: Path) -> dict[str, bytes | str]:
    out: dict[str, bytes | str] = {}
    for path in sorted(repo.rglob("*")):
        rel = path.relative_to(repo).as_posix()
        if rel.split("/")[0] in (".git", ".failgate-cache") or path.name == ".failgate.lock":
            continue  # git's own files, and failgate's caches (ignored by the .gitignore init writes)
        if path.is_fifo():
            out[rel] = "fifo"
        elif path.is_file():
            out[rel] = path.read_bytes()
        elif path.is_dir():
            out[rel] = "dir"
    return out


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, demo_judge: Any) -> Path:
    from failgate.examples.support_bot_judge import config_lines

    root = tmp_path_factory.mktemp("hostile") / "repo"
    (root / "evals").mkdir(parents=True)
    shutil.copytree(EXAMPLE, root / DS)
    (root / "failgate.toml").write_text(
        'agent = "failgate.examples.support_bot:run"\n' + config_lines(demo_judge.base_url)
    )
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "author@example.com")
    git(root, "config", "user.name", "Test Author")
    commit_all(root, "dataset")
    # A baseline recorded by today's judge, so that the gate's control passes.
    subprocess.run(
        [sys.executable, "-m", "failgate.cli", "eval", "--record"],
        cwd=root,
        check=True,
        capture_output=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
    )
    commit_all(root, "baseline")
    return root


@pytest.fixture
def repo(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(template, root, symlinks=True)
    monkeypatch.chdir(root)
    monkeypatch.delenv("FAILGATE_DEMO_BUG", raising=False)
    return root


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    from failgate.cli import main

    try:
        code = main(argv)
    except BaseException as exc:  # a traceback is exactly what this test hunts
        pytest.fail(f"failgate {' '.join(argv)} raised:\n{''.join(traceback.format_exception(exc))}")
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_hostile_input_is_refused_and_changes_nothing(
    row: Hostile, repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    row.edit(repo)
    if row.stage:
        git(repo, "add", "-A")
    if row.commit:
        commit_all(repo, row.name)
    before = snapshot(repo)
    code, output = run(row.argv, capsys)
    assert "Traceback" not in output
    assert code in row.codes, output[-2000:]
    after = snapshot(repo)
    for name in row.may_write:
        before.pop(name, None), after.pop(name, None)
    assert after == before


def test_control_the_gate_passes_a_harmless_commit(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write("NOTES.md", "unrelated\n")(repo)
    commit_all(repo, "notes")
    code, output = run(["gate", "--base", "HEAD~1"], capsys)
    assert code == 0, output[-2000:]


def test_control_a_filled_candidate_and_a_recurrence_promote(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(REVIEW, FILLED)(repo)
    code, output = run(PROMOTE, capsys)
    assert code == 0, output
    write(REVIEW, RECURRENCE)(repo)
    code, output = run(PROMOTE, capsys)
    assert code == 0, output


def test_control_a_line_separator_inside_a_json_string_is_one_event(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """U+2028 is a character of a JSON string, not a line break: the event is read whole (exit 0)."""
    append(HISTORY, event(actor="a\u2028{\x85}").replace("\\u2028", "\u2028").replace("\\u0085", "\x85"))(repo)
    code, output = run(["validate", "--no-cache"], capsys)
    assert code == 0, output
    git(repo, "add", "-A")
    code, output = run(["check-ledger"], capsys)
    assert code == 0, output


@pytest.mark.parametrize("argv", [["validate", "--no-cache"], ["check-ledger"], ["report"], ["eval"]])
def test_control_the_untouched_repo_passes(argv: list[str], repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, output = run(argv, capsys)
    assert code == 0, output[-2000:]


def test_the_table_covers_every_command() -> None:
    from failgate.cli import COMMANDS

    covered = {row.argv[0] for row in ROWS if row.refused}
    # init, install and demo take no input a user could make hostile here
    # (their option checks are tests/acceptance/faults/test_faults.py); every other command is attacked.
    assert set(COMMANDS) - covered <= {"init", "install", "demo"}
    assert sum(row.refused for row in ROWS) >= 60


def table_counts() -> dict[str, int]:
    """Rows per command (refused / robustness), for the issue's closing note."""
    counts: dict[str, int] = {}
    for row in ROWS:
        key = f"{row.argv[0]} ({'refused' if row.refused else 'no traceback'})"
        counts[key] = counts.get(key, 0) + 1
    return counts


def test_control_merge_driver_ingest_remove_on_sound_input(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The commands the table attacks with files of their own work on sound ones."""
    both(write("O", ""), write("A", event()), write("B", event(id="01KQ763K187GQCGWNGTTZHYYZD")))(repo)
    code, output = run(["merge-driver", "O", "A", "B", HISTORY], capsys)
    assert code == 0, output
    both(
        write("O", "schema_version: 1\nremoved: []\n"),
        write("A", "schema_version: 1\nremoved: []\n# ours\n"),
        write("B", "schema_version: 1\nremoved: []\n"),
    )(repo)
    assert run(["merge-driver", "O", "A", "B", REMOVED], capsys)[0] == 0
    write(TRACES, trace())(repo)
    code, output = run(["ingest", TRACES], capsys)
    assert code == 0 and "1 records read" in output, output
    code, output = run(["remove", "AGTFAIL-0002", "--reason", "duplicate of AGTFAIL-0001", "--by", "me"], capsys)
    assert code == 0, output
