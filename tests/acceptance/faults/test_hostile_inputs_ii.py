"""New rows of the hostile-input table: the variants the first table did not try. Each beside its control.

- check-ledger with a gitlink (a submodule entry) in the index;
- `promote --no-reproduce` must not import the module a candidate's judge rule names;
- `fmt` on a cases.yaml written with CRLF line ends;
- the shape check before use, in one place (`dataset.events.usable_event`): a history `case_id` given as a
  list in `validate` and in the base's history for the gate; promote over a huge id in history; a recurrence
  whose `discovered_by` is a mapping.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import commit_all, git

from failgate.cli import main
from failgate.dataset.yamlstrict import load_yaml_text

EXAMPLE = Path(__file__).parents[3] / "src" / "failgate" / "examples" / "support-bot"
DS = "evals/failures"
REFUSAL = "I'm sorry, but I can't help with that."
CHARGEBACK = {
    "trace_id": "n1",
    "intent": "refund_request",
    "timestamp": "2026-05-07T10:00:00Z",
    "input": "I had a chargeback on order 8820, mail me at x@y.com. What is the refund policy?",
    "output": REFUSAL,
}


@pytest.fixture
def repo(git_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(EXAMPLE, git_repo / DS)
    (git_repo / "failgate.toml").write_text('agent = "failgate.examples.support_bot:run"\n')
    (git_repo / ".gitignore").write_text(".failgate.lock\n.failgate-cache/\n__pycache__/\n")
    commit_all(git_repo, "dataset")
    monkeypatch.chdir(git_repo)
    monkeypatch.delenv("FAILGATE_DEMO_BUG", raising=False)
    return git_repo


def ingest(repo: Path, *records: dict) -> Path:
    (repo / "t.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    intake = repo / DS / "_intake"
    before = set(intake.glob("*.yaml")) if intake.exists() else set()
    assert main(["ingest", "t.jsonl"]) == 0
    (review,) = set(intake.glob("*.yaml")) - before
    return review


def fill(review: Path, rules: str | None = None) -> None:
    text = review.read_text()
    text = re.sub(r"title: '?TODO[^\n]*", "title: Refused a policy question that mentioned a chargeback", text, count=1)
    text = re.sub(r"severity: '?TODO[^\n]*", "severity: P2", text, count=1)
    text = re.sub(r"blast_radius: '?TODO[^\n]*(\n      [^\n]*)?", "blast_radius: customer_visible", text, count=1)
    text = re.sub(r"owner: '?TODO[^\n]*", 'owner: "@support-agents"', text, count=1)
    text = re.sub(r"      - TODO: [^\n]*\n(          [^\n]*\n)?", "", text, count=1)
    if rules is not None:
        text = text.replace("      - not_refused: true\n", rules, 1)
    review.write_text(text)


# -- check-ledger and a gitlink -----------------------------------------------------------------------------
@pytest.mark.parametrize("where", [f"{DS}/vendored-traces", f"{DS}/cases_removed.yaml"], ids=["beside", "as a file"])
def test_check_ledger_and_validate_read_past_a_gitlink(
    repo: Path, where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    head = git(repo, "rev-parse", "HEAD").stdout.strip()
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{head},{where}")
    code = main(["check-ledger"])
    err = capsys.readouterr().err
    assert code in (0, 1) and "Traceback" not in err, err
    assert main(["validate", "--no-cache"]) in (0, 1)


def test_control_check_ledger_without_a_gitlink(repo: Path) -> None:
    assert main(["check-ledger"]) == 0


# -- promote --no-reproduce runs none of the candidate's code ------------------------------------------------
JUDGE_RULE = '      - judge: {use: "sneaky_judge:rubric"}\n'
SNEAKY = "import pathlib\npathlib.Path('IMPORTED').write_text('ran')\n\ndef rubric(case, response, options):\n    return True\n"


def test_promote_without_reproducing_never_imports_the_candidates_judge(repo: Path) -> None:
    (repo / "sneaky_judge.py").write_text(SNEAKY)
    review = ingest(repo, CHARGEBACK)
    fill(review, rules=JUDGE_RULE)
    assert main(["promote", str(review), "--no-reproduce", "--reason", "fixed in prod", "--by", "dana"]) == 0
    assert not (repo / "IMPORTED").exists(), "reviewing a candidate ran the module its judge rule names"
    event = json.loads((repo / DS / "history.jsonl").read_text().splitlines()[-1])
    assert event["type"] == "promoted" and "judge" not in event  # no fingerprint without importing the plugin


def test_control_running_the_case_does_import_its_judge(repo: Path) -> None:
    (repo / "sneaky_judge.py").write_text(SNEAKY)
    review = ingest(repo, CHARGEBACK)
    fill(review, rules=JUDGE_RULE)
    assert main(["promote", str(review), "--no-reproduce", "--reason", "fixed in prod", "--by", "dana"]) == 0
    subprocess.run([sys.executable, "-m", "failgate", "eval"], cwd=repo, capture_output=True, text=True)
    assert (repo / "IMPORTED").exists()


# -- fmt keeps CRLF -------------------------------------------------------------------------------------------
def strip_hash(text: str, newline: str) -> str:
    """cases.yaml with its first case's input_hash line removed, written with `newline` line ends."""
    lines = text.split("\n")
    index = next(i for i, line in enumerate(lines) if line.strip().startswith("input_hash:"))
    return newline.join(lines[:index] + lines[index + 1 :])


def test_fmt_keeps_crlf_line_ends(repo: Path) -> None:
    """The same fix on the same file, once with LF (the control) and once with CRLF: byte for byte the same
    result, but for the line ends, which stay what they were."""
    cases = repo / DS / "cases.yaml"
    original = cases.read_text()
    cases.write_bytes(strip_hash(original, "\n").encode())
    assert main(["fmt"]) == 1
    with_lf = cases.read_bytes()
    assert b"\r" not in with_lf
    cases.write_bytes(strip_hash(original, "\r\n").encode())
    assert main(["fmt"]) == 1
    with_crlf = cases.read_bytes()
    assert with_crlf == with_lf.replace(b"\n", b"\r\n"), "fmt rewrote CRLF line ends"


# -- the shape check before use -------------------------------------------------------------------------------
def bad_event(case_id: object, kind: str = "regressed") -> str:
    return (
        json.dumps({"id": "01JZZZZZZZZZZZZZZZZZZZZZZZ", "ts": "2026-06-01T00:00:00Z", "case_id": case_id, "type": kind})
        + "\n"
    )


@pytest.mark.parametrize("case_id", [["AGTFAIL-0001"], {"id": "AGTFAIL-0001"}, 7], ids=["list", "mapping", "number"])
@pytest.mark.parametrize("kind", ["regressed", "result", "promoted", "removed"])
def test_a_history_case_id_of_the_wrong_type_is_a_finding_not_a_traceback(
    repo: Path, case_id: object, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    history = repo / DS / "history.jsonl"
    history.write_text(history.read_text() + bad_event(case_id, kind))
    assert main(["validate", "--no-cache"]) == 1
    assert "HISTORY_EVENT" in capsys.readouterr().out + capsys.readouterr().err
    for command in (["report"], ["fmt", "--check"], ["check-ledger"]):
        assert main(command) in (0, 1), command


def test_the_gate_reads_past_a_malformed_line_in_the_base_history(git_repo: Path) -> None:
    from gate_repo import DS as GATE_DS
    from gate_repo import failgate, record_baseline, setup_consumer

    setup_consumer(git_repo)
    record_baseline(git_repo)
    history = git_repo / GATE_DS / "history.jsonl"
    history.write_text(history.read_text() + bad_event(["AGTFAIL-0001"], "result"))
    git(git_repo, "commit", "-q", "--no-verify", "-am", "a malformed line reached main")
    git(git_repo, "checkout", "-q", "-b", "feature")
    (git_repo / "README").write_text("x\n")
    commit_all(git_repo, "feature")
    result = failgate(git_repo, "gate", "--base", "main")
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stdout + result.stderr  # control: the baseline is still read


def test_promote_over_a_huge_id_in_history(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A 5,000-digit id in history was a ValueError traceback when promote allocated the next id; now the
    allocation reads past it and promote refuses the invalid history as any other (control: without it,
    the same candidate lands with the next ordinary id)."""
    history = repo / DS / "history.jsonl"
    clean = history.read_text()
    history.write_text(clean + bad_event("AGTFAIL-" + "9" * 5000, "promoted"))
    review = ingest(repo, CHARGEBACK)
    fill(review)
    args = ["promote", str(review), "--no-reproduce", "--reason", "fixed in prod", "--by", "dana"]
    code = main(args)
    err = capsys.readouterr().err
    assert code == 1 and "UNKNOWN_CASE" in err, err
    history.write_text(clean)
    assert main(args) == 0
    landed = load_yaml_text((repo / DS / "cases.yaml").read_text(), "c").data["cases"][-1]
    assert re.fullmatch(r"AGTFAIL-\d{4}", landed["id"])


def test_the_next_id_reads_past_an_id_too_long_to_be_a_number() -> None:
    from failgate.dataset.ids import next_case_id

    assert next_case_id(["AGTFAIL-0007", "AGTFAIL-" + "9" * 5000]) == "AGTFAIL-0008"


def test_a_recurrence_whose_discovered_by_is_a_mapping_is_refused(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    known = load_yaml_text((repo / DS / "cases.yaml").read_text(), "c").data["cases"][1]
    review = ingest(repo, {"trace_id": "again-1", "input": known["input"], "output": "14 days", "feedback": -1})
    text = review.read_text()
    assert "discovered_by:" in text
    review.write_text(re.sub(r"discovered_by:\n(\s+- [^\n]*\n)+", "discovered_by: {trace: again-1}\n", text, count=1))
    before = (repo / DS / "cases.yaml").read_text()
    assert main(["promote", str(review), "--candidate", "1"]) == 1
    assert "discovered_by must be a list" in capsys.readouterr().err
    assert (repo / DS / "cases.yaml").read_text() == before
    review.write_text(text)  # control: the list form links it
    assert main(["promote", str(review), "--candidate", "1"]) == 0
