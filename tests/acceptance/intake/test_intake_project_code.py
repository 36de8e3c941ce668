"""A project-local redactor off the project root is imported as the agent's code is.

A team whose redactor lives in a src layout, or under a `pythonpath` entry, runs
`failgate ingest`: the redactor must run (its placeholder in the review file, the
account number nowhere), never be skipped. Without the entry that makes it importable,
ingest refuses by name and writes no review file (fail-closed: nothing unredacted lands).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REDACTOR = 'import re\n\n\ndef scrub(text):\n    return re.sub(r"ACC-[0-9]{6}", "<ACCOUNT>", text)\n'
REFUSAL = "I'm sorry, but I can't help with that."


def _project(root: Path, where: str, pythonpath: str | None) -> None:
    package = root / where / "acmepii"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(REDACTOR)
    config = root / "failgate.toml"
    top = f'pythonpath = ["{pythonpath}"]\n' if pythonpath else ""
    config.write_text(top + config.read_text() + '\n[intake]\nredactor = "acmepii:scrub"\n')
    record = {
        "trace_id": "t1",
        "intent": "refund",
        "timestamp": "2026-05-07T10:00:00Z",
        "input": "Refund the order on account ACC-123456, please",
        "output": REFUSAL,
    }
    (root / "export.jsonl").write_text(json.dumps(record) + "\n")


def _ingest(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "failgate", "ingest", "export.jsonl"], cwd=root, capture_output=True, text=True
    )


def _reviews(root: Path) -> str:
    intake = root / "evals/failures/_intake"
    return "".join(p.read_text() for p in sorted(intake.glob("*.yaml"))) if intake.exists() else ""


@pytest.mark.parametrize(("where", "pythonpath"), [("src", None), ("libs", "libs")], ids=["src layout", "pythonpath"])
def test_ingest_runs_a_redactor_off_the_root(example_project: Path, where: str, pythonpath: str | None) -> None:
    _project(example_project, where, pythonpath)
    result = _ingest(example_project)
    assert result.returncode == 0, result.stdout + result.stderr
    written = _reviews(example_project)
    assert "<ACCOUNT>" in written and "ACC-123456" not in written, written


def test_control_without_the_entry_ingest_refuses_by_name_and_writes_nothing(example_project: Path) -> None:
    _project(example_project, "libs", None)
    result = _ingest(example_project)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "cannot load the redactor 'acmepii:scrub'" in result.stderr
    assert "Traceback" not in result.stderr
    assert _reviews(example_project) == ""
