"""failgate promote: refusals (TODO left, no reproduction, duplicate), landing, recurrences, atomicity."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from failgate.cli import main
from failgate.dataset.yamlstrict import load_yaml_text

EXAMPLE = Path(__file__).parents[3] / "src" / "failgate" / "examples" / "support-bot"
REFUSAL = "I'm sorry, but I can't help with that."


def _next_id() -> str:
    from failgate.dataset.ids import next_id_for
    from failgate.dataset.parse import read_dataset

    return next_id_for(read_dataset(EXAMPLE))


NEXT = _next_id()  # above every id the example ever used


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    (root / "evals").mkdir(parents=True)
    shutil.copytree(EXAMPLE, root / "evals" / "failures")
    (root / "failgate.toml").write_text('agent = "failgate.examples.support_bot:run"\n')
    monkeypatch.chdir(root)
    monkeypatch.delenv("FAILGATE_DEMO_BUG", raising=False)
    return root


def ingest(repo: Path, *records: dict) -> Path:
    (repo / "t.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    before = (
        set((repo / "evals/failures/_intake").glob("*.yaml")) if (repo / "evals/failures/_intake").exists() else set()
    )
    assert main(["ingest", "t.jsonl"]) == 0
    (review,) = set((repo / "evals/failures/_intake").glob("*.yaml")) - before
    return review


def fill(review: Path, *, rules: str | None = None) -> None:
    """What a reviewer does: replace every TODO of the first new candidate."""
    text = review.read_text()
    text = re.sub(r"title: '?TODO[^\n]*", "title: Refused a policy question that mentioned a chargeback", text, count=1)
    text = re.sub(r"severity: '?TODO[^\n]*", "severity: P2", text, count=1)
    text = re.sub(r"blast_radius: '?TODO[^\n]*(\n      [^\n]*)?", "blast_radius: customer_visible", text, count=1)
    text = re.sub(r"owner: '?TODO[^\n]*", 'owner: "@support-agents"', text, count=1)
    text = re.sub(r"      - TODO: [^\n]*\n(          [^\n]*\n)?", "", text, count=1)
    if rules is not None:
        text = text.replace("      - not_refused: true\n", rules, 1)
    review.write_text(text)


CHARGEBACK = {
    "trace_id": "n1",
    "intent": "refund_request",
    "timestamp": "2026-05-07T10:00:00Z",
    "input": "I had a chargeback on order 8820, mail me at x@y.com. What is the refund policy?",
    "output": REFUSAL,
}


def snapshot(repo: Path) -> dict[str, bytes]:
    # The lock file is created on first use and stays; it is not part of the dataset.
    return {
        str(p.relative_to(repo)): p.read_bytes()
        for p in sorted((repo / "evals").rglob("*"))
        if p.is_file() and p.name != ".failgate.lock"
    }


def test_todo_left_is_refused_at_its_line(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    review = ingest(repo, CHARGEBACK)
    before = snapshot(repo)
    assert main(["promote", str(review)]) == 1
    err = capsys.readouterr().err
    for field in ("title", "severity", "blast_radius", "owner", "expected"):
        assert re.search(rf"_intake/[\w-]+\.yaml:\d+:\d+: TODO {field}", err), field
    assert snapshot(repo) == before


def test_schema_failure_is_refused_at_its_line(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    review = ingest(repo, CHARGEBACK)
    fill(review)
    review.write_text(review.read_text().replace("severity: P2", "severity: high"))
    assert main(["promote", str(review)]) == 1
    assert re.search(r"\.yaml:\d+:\d+: SCHEMA .*severity", capsys.readouterr().err)


def test_no_reproduction_is_refused_unless_a_reason_is_recorded(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    review = ingest(repo, CHARGEBACK)
    fill(review)
    before = snapshot(repo)
    assert main(["promote", str(review)]) == 1  # today's bot answers the policy: the case passes
    assert "does not reproduce" in capsys.readouterr().err
    assert snapshot(repo) == before
    assert main(["promote", str(review), "--no-reproduce"]) == 2
    assert (
        main(["promote", str(review), "--no-reproduce", "--reason", "fixed in prod by a config flip", "--by", "dana"])
        == 0
    )
    event = json.loads((repo / "evals/failures/history.jsonl").read_text().splitlines()[-1])
    assert event["type"] == "promoted" and "outcome" not in event and event["judge"].startswith("sha256:")
    assert event["detail"]["reproduction"] == "not run"
    assert event["detail"]["no_reproduce_reason"] == "fixed in prod by a config flip"
    assert main(["validate"]) == 0


def test_reproduced_candidate_lands_as_text_and_validates(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    review = ingest(repo, CHARGEBACK)
    fill(review)
    cases_before = (repo / "evals/failures/cases.yaml").read_text()
    history_before = (repo / "evals/failures/history.jsonl").read_text()
    monkeypatch.setenv("FAILGATE_DEMO_BUG", "overcautious")  # the bug is back: the refusal reproduces
    assert main(["promote", str(review), "--by", "dana"]) == 0
    cases_after = (repo / "evals/failures/cases.yaml").read_text()
    assert cases_after.startswith(cases_before.rstrip("\n"))  # appended; every earlier byte kept
    case = load_yaml_text(cases_after, "c").data["cases"][-1]
    assert case["id"] == NEXT
    assert case["input"]["messages"][0]["content"].endswith("mail me at <EMAIL>. What is the refund policy?")
    assert case["discovered_by"] == ["trace:n1"] and case["discovered_at"] == "2026-05-07"
    assert not {"candidate", "kind", "nearest", "trace", "occurrences"} & set(case)
    history = (repo / "evals/failures/history.jsonl").read_text()
    assert history.startswith(history_before)
    event = json.loads(history.splitlines()[-1])
    assert (event["type"], event["case_id"], event["outcome"], event["actor"]) == ("promoted", NEXT, "fail", "dana")
    assert event["detail"]["reproduction"] == "fail" and event["judge"].startswith("sha256:")
    assert not review.exists()  # its only candidate left: the file is deleted
    monkeypatch.delenv("FAILGATE_DEMO_BUG")
    assert main(["validate"]) == 0


def test_duplicate_is_refused(repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    review = ingest(repo, CHARGEBACK)
    fill(review)
    copy = review.with_name("copy.yaml")
    shutil.copy(review, copy)
    monkeypatch.setenv("FAILGATE_DEMO_BUG", "overcautious")
    assert main(["promote", str(review)]) == 0
    before = snapshot(repo)
    assert main(["promote", str(copy)]) == 1
    err = capsys.readouterr().err
    assert f"same input_hash as {NEXT}" in err and "kind: recurrence" in err
    assert snapshot(repo) == before


def test_recurrence_appends_to_discovered_by_and_records_an_event(repo: Path) -> None:
    cases_before = (repo / "evals/failures/cases.yaml").read_text()
    known = load_yaml_text(cases_before, "c").data["cases"][1]
    review = ingest(
        repo, {"trace_id": "again-1", "input": known["input"], "output": "14 days", "feedback": -1}, CHARGEBACK
    )
    assert main(["promote", str(review), "--candidate", "1"]) == 0
    after = (repo / "evals/failures/cases.yaml").read_text()
    case = [c for c in load_yaml_text(after, "c").data["cases"] if c["id"] == known["id"]][0]
    assert case["discovered_by"] == known["discovered_by"] + ["trace:again-1"]
    assert len(after.splitlines()) == len(cases_before.splitlines()) + 1  # one line added, nothing else
    event = json.loads((repo / "evals/failures/history.jsonl").read_text().splitlines()[-1])
    assert event["type"] == "recurrence" and event["case_id"] == known["id"]
    remaining = load_yaml_text(review.read_text(), "r").data["candidates"]
    assert [c["candidate"] for c in remaining] == [2]  # the other candidate stays for review
    assert main(["validate"]) == 0


def test_watchlist_promotion(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    review = ingest(repo, CHARGEBACK)
    fill(review)
    monkeypatch.setenv("FAILGATE_DEMO_BUG", "overcautious")
    assert main(["promote", str(review), "--watchlist"]) == 0
    watch = load_yaml_text((repo / "evals/failures/watchlist.yaml").read_text(), "w").data["cases"]
    assert watch[-1]["id"] == NEXT
    assert NEXT not in (repo / "evals/failures/cases.yaml").read_text()
    monkeypatch.delenv("FAILGATE_DEMO_BUG")
    assert main(["validate"]) == 0


def test_a_failure_mid_write_leaves_every_file_as_it_was(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    review = ingest(
        repo,
        CHARGEBACK,
        {**CHARGEBACK, "trace_id": "n2", "intent": "other", "input": "as an AI?", "output": "As an AI I cannot."},
    )
    fill(review)
    monkeypatch.setenv("FAILGATE_DEMO_BUG", "overcautious")
    before = snapshot(repo)
    import failgate.atomic as atomic

    real = atomic._temp_for
    calls = {"n": 0}

    def flaky(path: Path, data: bytes) -> Path:
        calls["n"] += 1
        if calls["n"] == 2:  # cases.yaml staged, then the disk fills up
            raise OSError(28, "No space left on device")
        return real(path, data)

    monkeypatch.setattr(atomic, "_temp_for", flaky)
    assert main(["promote", str(review), "--candidate", "1"]) == 1  # one line, no traceback
    assert snapshot(repo) == before
    assert not [p for p in (repo / "evals/failures").iterdir() if p.name.endswith((".tmp", ".failgate-tmp"))]


def test_candidate_selection(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    review = ingest(repo, CHARGEBACK, {"trace_id": "n2", "intent": "x", "input": "q", "output": "As an AI, no."})
    assert main(["promote", str(review)]) == 2
    assert "pick one with --candidate N" in capsys.readouterr().err
    assert main(["promote", str(review), "--candidate", "9"]) == 2
    assert main(["promote", "nope.yaml"]) == 2


@pytest.mark.parametrize("review_tracked", [False, True], ids=["untracked-review", "committed-review"])
def test_the_printed_git_add_works(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, review_tracked: bool
) -> None:
    """Attack: the review file was never committed and promote deleted it; naming
    it in `git add` made the printed command fail. Control: a committed review file
    is named, so that its deletion is staged."""
    import subprocess

    from conftest import commit_all, git, no_git_env

    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "dataset")
    review = ingest(repo, CHARGEBACK)
    fill(review)
    if review_tracked:
        commit_all(repo, "review file")
    capsys.readouterr()
    monkeypatch.setenv("FAILGATE_DEMO_BUG", "overcautious")
    assert main(["promote", str(review), "--by", "dana"]) == 0
    (line,) = [x for x in capsys.readouterr().out.splitlines() if x.startswith("Stage and commit: ")]
    command = line.removeprefix("Stage and commit: ").removesuffix(" && git commit")
    assert (review.name in command) is review_tracked
    staged = subprocess.run(command, shell=True, cwd=repo, env=no_git_env(), capture_output=True, text=True)
    assert staged.returncode == 0, staged.stderr
    status = git(repo, "status", "--porcelain").stdout
    assert "M  evals/failures/cases.yaml" in status and "M  evals/failures/history.jsonl" in status
    assert (f"D  evals/failures/_intake/{review.name}" in status) is review_tracked
