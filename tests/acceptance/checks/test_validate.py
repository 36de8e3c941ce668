from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from dataset_builder import HEADER, case_block, event, write_dataset

from failgate.cli import main

DATASET = Path("evals/failures")


def snapshot(root: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def run_validate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["validate", *args])
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.fixture
def dataset(git_repo: Path) -> Path:
    return write_dataset(git_repo / DATASET)


def test_valid_dataset_passes(dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, output = run_validate(capsys)
    assert code == 0, output
    assert output == ""


TWO_CASES = HEADER + case_block("AGTFAIL-0001") + case_block("AGTFAIL-0002", title="Second")


def replace_in_cases(old: str, new: str, count: int = 1):
    def edit(dataset: Path) -> None:
        path = dataset / "cases.yaml"
        text = path.read_text()
        assert old in text, old
        path.write_text(text.replace(old, new, count))

    return edit


def write_file(name: str, content: str | bytes):
    def edit(dataset: Path) -> None:
        path = dataset / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())

    return edit


def append_history(line: str):
    def edit(dataset: Path) -> None:
        with (dataset / "history.jsonl").open("a") as handle:
            handle.write(line)

    return edit


LEDGER_ENTRY = """\
schema_version: 1
removed:
  - id: AGTFAIL-0001
    removed_at: 2026-06-01
    removed_by: dana@example.com
    reason: {reason}
    case: {{id: AGTFAIL-0001, title: old}}
"""

BAD_INPUTS = {
    # name: (edit, code, file, line)
    "duplicate key": (
        replace_in_cases("    severity: P1\n", "    severity: P1\n    severity: P2\n"),
        "DUPLICATE_KEY",
        "cases.yaml",
        17,
    ),
    "free-text severity": (replace_in_cases("severity: P1", "severity: high"), "SCHEMA", "cases.yaml", 16),
    "unknown failure mode": (
        replace_in_cases("failure_mode: tool_invocation", "failure_mode: tool_misuse"),
        "UNKNOWN_MODE",
        "cases.yaml",
        15,
    ),
    "two failure modes": (
        replace_in_cases("failure_mode: tool_invocation", "failure_mode: [tool_invocation, hallucination]"),
        "SCHEMA",
        "cases.yaml",
        15,
    ),
    "bad blast radius": (
        replace_in_cases("blast_radius: irreversible_write", "blast_radius: big"),
        "SCHEMA",
        "cases.yaml",
        17,
    ),
    "duplicate id": (replace_in_cases("id: AGTFAIL-0002", "id: AGTFAIL-0001"), "DUPLICATE_ID", "cases.yaml", 39),
    "malformed id": (replace_in_cases("id: AGTFAIL-0001", "id: FAIL-1"), "SCHEMA", "cases.yaml", 13),
    "unknown rule": (
        replace_in_cases('- contains: "order 8812"', '- contain: "order 8812"'),
        "UNKNOWN_RULE",
        "cases.yaml",
        31,
    ),
    "anchor and alias": (
        replace_in_cases("owner: dana@example.com", "owner: &o dana@example.com", 1),
        "ALIAS",
        "cases.yaml",
        19,
    ),
    "billion laughs": (
        write_file(
            "cases.yaml",
            'a: &a ["lol","lol","lol","lol"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b]\n',
        ),
        "ALIAS",
        "cases.yaml",
        1,
    ),
    "tab indentation": (
        replace_in_cases("    title: Refund issued twice", "\ttitle: Refund issued twice"),
        "TAB",
        "cases.yaml",
        14,
    ),
    "empty file": (write_file("cases.yaml", ""), "EMPTY", "cases.yaml", 1),
    "top level is a list": (write_file("cases.yaml", "- id: AGTFAIL-0001\n"), "NOT_MAPPING", "cases.yaml", 1),
    "header missing": (write_file("cases.yaml", "cases: []\n"), "SCHEMA", "cases.yaml", 1),
    "wrong type": (replace_in_cases("regressed_count: 0", "regressed_count: none"), "SCHEMA", "cases.yaml", 36),
    "deprecated without reason": (replace_in_cases("status: active", "status: deprecated"), "SCHEMA", "cases.yaml", 13),
    "invalid utf-8": (
        write_file("cases.yaml", b"schema_version: 1\ncases:\n  - title: caf\xe9\n"),
        "ENCODING",
        "cases.yaml",
        3,
    ),
    "unclosed quote": (
        replace_in_cases('- contains: "order 8812"', '- contains: "order 8812'),
        "YAML_SYNTAX",
        "cases.yaml",
        31,
    ),
    "taxonomy extended without bump": (
        replace_in_cases("  - blast_radius_breach\n", "  - blast_radius_breach\n  - prompt_injection\n"),
        "TAXONOMY",
        "cases.yaml",
        11,
    ),
    "history invalid json": (append_history("{not json\n"), "INVALID_JSON", "history.jsonl", 3),
    "history duplicate event id": (
        append_history(event("01J0000000000000000000001A", "AGTFAIL-0002", "result", outcome="pass")),
        "DUPLICATE_EVENT",
        "history.jsonl",
        3,
    ),
    "history unknown case": (
        append_history(event("01J0000000000000000000003C", "AGTFAIL-0999", "result", outcome="pass")),
        "UNKNOWN_CASE",
        "history.jsonl",
        3,
    ),
    "history missing field": (
        append_history('{"id": "01J0000000000000000000004D", "case_id": "AGTFAIL-0001", "type": "result"}\n'),
        "HISTORY_EVENT",
        "history.jsonl",
        3,
    ),
    "removed id back in cases": (
        write_file("cases_removed.yaml", LEDGER_ENTRY.format(reason="duplicate of 0002")),
        "ID_REUSED",
        "cases.yaml",
        13,
    ),
    "ledger entry without reason": (
        write_file("cases_removed.yaml", LEDGER_ENTRY.format(reason='""').replace("AGTFAIL-0001", "AGTFAIL-0003")),
        "LEDGER_REASON",
        "cases_removed.yaml",
        3,
    ),
    "regressed_count inconsistent": (
        replace_in_cases("regressed_count: 0", "regressed_count: 2"),
        "REGRESSED_COUNT",
        "cases.yaml",
        36,
    ),
    "fixture outside the dataset": (
        replace_in_cases("    input:\n", "    input:\n      fixtures: [../secrets.json]\n"),
        "FIXTURE",
        "cases.yaml",
        25,
    ),
    "fixture missing": (
        replace_in_cases("    input:\n", "    input:\n      fixtures: [fixtures/order-8812.json]\n"),
        "FIXTURE",
        "cases.yaml",
        25,
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_is_refused_at_its_line(name: str, dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit, code, file_name, line = BAD_INPUTS[name]
    edit(dataset)
    before = snapshot(dataset)
    exit_code, output = run_validate(capsys)
    assert exit_code == 1, output
    assert "Traceback" not in output
    expected = f"evals/failures/{file_name}:{line}:"
    matching = [row for row in output.splitlines() if row.startswith(expected) and f" {code} " in row]
    assert matching, f"no {code} at {expected} in:\n{output}"
    assert snapshot(dataset) == before  # validate never writes


def test_all_errors_reported_in_one_run(dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    replace_in_cases("severity: P1", "severity: high", 2)(dataset)
    replace_in_cases("blast_radius: irreversible_write", "blast_radius: big")(dataset)
    replace_in_cases("    severity: high\n", "    severity: high\n    severity: P0\n")(dataset)
    _, output = run_validate(capsys)
    codes = [row.split()[1] for row in output.splitlines() if row.startswith("evals/")]
    assert codes.count("SCHEMA") == 3
    assert codes.count("DUPLICATE_KEY") == 1


def test_positives_intent_no_and_unquoted_dates(dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    replace_in_cases("intent: refund_request", "intent: no")(dataset)
    code, output = run_validate(capsys)
    assert code == 0, output
    assert "discovered_at: 2026-05-02" in (dataset / "cases.yaml").read_text()


def test_taxonomy_extended_with_bump_and_rationale(dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    replace_in_cases("schema_version: 1", "schema_version: 2")(dataset)
    replace_in_cases(
        "  - blast_radius_breach\n",
        '  - blast_radius_breach\n  - {name: prompt_injection_uncaught, added_in: 2, rationale: "Injected tool output went unnoticed."}\n',
    )(dataset)
    replace_in_cases("failure_mode: tool_invocation", "failure_mode: prompt_injection_uncaught")(dataset)
    code, output = run_validate(capsys)
    assert code == 0, output


def test_fixture_inside_dataset_passes(dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (dataset / "fixtures").mkdir()
    (dataset / "fixtures" / "order-8812.json").write_text("{}")
    replace_in_cases("    input:\n", "    input:\n      fixtures: [fixtures/order-8812.json]\n")(dataset)
    # The input changed, so its hash is stale: a warning, not a failure.
    code, output = run_validate(capsys)
    assert code == 0, output


def test_input_hash_mismatch_is_a_warning(dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    replace_in_cases("Please refund order 8812", "Please refund order 8813")(dataset)
    code, output = run_validate(capsys)
    assert code == 0
    assert "INPUT_HASH warning:" in output


def test_github_annotations(dataset: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    replace_in_cases("severity: P1", "severity: high")(dataset)
    _, output = run_validate(capsys)
    assert "::error file=evals/failures/cases.yaml,line=16,col=15,title=failgate SCHEMA::" in output


def test_files_argument_selects_the_dataset(dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run_validate(capsys, str(DATASET / "cases.yaml"), str(DATASET / "history.jsonl"))
    assert code == 0
    (dataset.parent / "other.yaml").write_text("a: 1\n")
    code, output = run_validate(capsys, "evals/other.yaml")
    assert code == 2
    assert "not inside a failgate dataset" in output


def test_missing_dataset_is_a_usage_error(git_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, output = run_validate(capsys)
    assert code == 2
    assert "failgate init" in output
    assert "Traceback" not in output


def test_subdirectory_and_config(
    dataset: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = dataset.parent.parent
    moved = root / "data" / "my failures"
    moved.parent.mkdir()
    dataset.rename(moved)
    (root / "failgate.toml").write_text('dataset = "data/my failures"\n')
    monkeypatch.chdir(root / "data")
    replace_in_cases("severity: P1", "severity: high")(moved)
    code, output = run_validate(capsys)
    assert code == 1
    assert output.startswith("my failures/cases.yaml:16:15: SCHEMA")


def test_conflict_markers_are_said_first_at_their_line(tmp_path: Path) -> None:
    from failgate.dataset.parse import parse_dataset

    history = (
        b'{"id": "01J0000000000000000000000A", "ts": "2026-01-01T00:00:00Z", "case_id": "AGTFAIL-0001", '
        b'"type": "promoted"}\n<<<<<<< ours\n{"x": 1}\n=======\n{"y": 2}\n>>>>>>> theirs\n'
    )
    dataset = parse_dataset("d", cases=None, history=history)
    codes = [(f.code, f.location.line) for f in dataset.findings]
    assert codes == [("CONFLICT_MARKERS", 2)]
    control = parse_dataset("d", cases=None, history=history.split(b"<<<<<<<")[0])
    assert control.findings == [] and len(control.history) == 1
