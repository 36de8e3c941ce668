"""`failgate ingest` under the inputs the earlier tables did not try; each attack beside its control.

- a JSON Lines export whose first record is longer than a read chunk (1 MB) or than the record limit (16 MB):
  every later trace was silently skipped (the file was taken for one JSON document);
- a numeric timestamp of 1e30 (or inf): an OverflowError traceback;
- a catastrophic `redact_patterns` entry: ingest hung; now it stops within the budget, fail-closed;
- two ingests of the same export at once: both wrote the same candidates.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from failgate.intake.traces.stream import MAX_RECORD, iter_records

REFUSAL = "I'm sorry, but I can't help with that."


def failed(n: int, **extra: object) -> dict[str, object]:
    return {
        "trace_id": f"t{n}",
        "intent": f"intent{n}",
        "timestamp": "2026-05-07T10:00:00Z",
        "input": f"What is the refund policy for order {8800 + n}?",
        "output": REFUSAL,
        **extra,
    }


def failgate(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "failgate", *args], cwd=cwd, capture_output=True, text=True)


def reviews(project: Path) -> list[Path]:
    intake = project / "evals/failures/_intake"
    return sorted(intake.glob("*.yaml")) if intake.exists() else []


@pytest.mark.parametrize("size", [2 << 20, MAX_RECORD + (1 << 20)], ids=["2 MB", "over the record limit"])
def test_a_long_first_jsonl_record_does_not_hide_the_rest(tmp_path: Path, size: int) -> None:
    export = tmp_path / "export.jsonl"
    big = json.dumps(failed(0, output="x" * size))
    export.write_text(big + "\n" + "".join(json.dumps(failed(n)) + "\n" for n in (1, 2, 3)))
    records = list(iter_records(export))
    read = [value.get("trace_id") for _, value in records if isinstance(value, dict)]
    assert read[-3:] == ["t1", "t2", "t3"], read
    assert [line for line, _ in records][-3:] == [2, 3, 4]


def test_control_one_pretty_printed_document_is_still_one_document(tmp_path: Path) -> None:
    export = tmp_path / "export.json"
    export.write_text(json.dumps({"data": [failed(1), failed(2)]}, indent=2))
    assert [v["trace_id"] for _, v in iter_records(export)] == ["t1", "t2"]
    minified = tmp_path / "one.json"
    minified.write_text(json.dumps({"data": [failed(1), failed(2)], "pad": "y" * (3 << 20)}))
    assert [v["trace_id"] for _, v in iter_records(minified)] == ["t1", "t2"]


def test_the_whole_ingest_reads_past_a_long_first_record(example_project: Path) -> None:
    export = example_project / "export.jsonl"
    export.write_text(
        json.dumps(failed(0, output="x" * (2 << 20))) + "\n" + "".join(json.dumps(failed(n)) + "\n" for n in (1, 2, 3))
    )
    result = failgate(example_project, "ingest", "export.jsonl")
    assert result.returncode == 0, result.stderr
    assert any(line.split()[:2] == ["traces", "4"] for line in result.stdout.splitlines()), result.stdout


@pytest.mark.parametrize("stamp", [1e30, "1" + "0" * 40, 1e308, -1e30], ids=["1e30", "40 digits", "1e308", "-1e30"])
def test_an_absurd_numeric_timestamp_is_no_time_not_a_traceback(example_project: Path, stamp: object) -> None:
    export = example_project / "export.jsonl"
    export.write_text(json.dumps(failed(1, timestamp=stamp)) + "\n" + json.dumps(failed(2)) + "\n")
    result = failgate(example_project, "ingest", "export.jsonl", "--since", "7d")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_control_an_epoch_timestamp_is_read() -> None:
    from failgate.intake.traces.model import parse_time

    assert parse_time(1778148000).year == 2026  # seconds
    assert parse_time(1778148000123).year == 2026  # milliseconds
    assert parse_time(1e30) is None and parse_time(float("inf")) is None


def redact_config(project: Path, pattern: str) -> None:
    config = project / "failgate.toml"
    config.write_text(config.read_text() + f"\n[intake.redact_patterns]\n'<ACCOUNT>' = '{pattern}'\n")


def test_a_catastrophic_redact_pattern_stops_ingest_within_its_budget(example_project: Path) -> None:
    redact_config(example_project, "^(a|aa)+$")
    export = example_project / "export.jsonl"
    export.write_text(json.dumps(failed(1, input="a" * 40 + "b")) + "\n")
    start = time.monotonic()
    result = failgate(example_project, "ingest", "export.jsonl")
    took = time.monotonic() - start
    assert result.returncode == 2, result.stdout + result.stderr
    assert "redact_patterns '<ACCOUNT>'" in result.stderr and "nothing was written" in result.stderr
    assert took < 60 and reviews(example_project) == []


def test_control_a_sane_redact_pattern_redacts(example_project: Path) -> None:
    redact_config(example_project, "ACC-[0-9]{6}")
    export = example_project / "export.jsonl"
    export.write_text(json.dumps(failed(1, input="my account ACC-123456 was charged twice")) + "\n")
    result = failgate(example_project, "ingest", "export.jsonl")
    assert result.returncode == 0, result.stderr
    (review,) = reviews(example_project)
    text = review.read_text()
    assert "<ACCOUNT>" in text and "ACC-123456" not in text


def test_two_ingests_of_one_export_at_once_write_each_candidate_once(example_project: Path) -> None:
    """The second export is the first plus one more trace: their review files differ, so neither can
    overwrite the other, and both used to find nothing pending and write the same five candidates."""
    (example_project / "a.jsonl").write_text("".join(json.dumps(failed(n)) + "\n" for n in range(1, 6)))
    (example_project / "b.jsonl").write_text("".join(json.dumps(failed(n)) + "\n" for n in range(1, 7)))
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "failgate", "ingest", export],
            cwd=example_project,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for export in ("a.jsonl", "b.jsonl", "a.jsonl", "b.jsonl")
    ]
    for run in runs:
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, out + err
    from failgate.dataset.yamlstrict import load_yaml_text

    new = [
        c["input_hash"]
        for review in reviews(example_project)
        for c in load_yaml_text(review.read_text(), str(review)).data["candidates"]
        if c.get("kind") != "recurrence"
    ]
    assert len(new) == len(set(new)) == 6, new
