"""Crash safety across files: after a kill at any point of a multi-file write,
the next failgate command leaves the dataset the old version or the new one, whole.

Each scenario crashes at every point of `Transaction.commit` (before the
journal, after it, after each rename, after the last one), once by raising
(`SimulatedCrash`, in process) and once by a real SIGKILL of a subprocess.
The control beside them is the same command without a crash.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import commit_all, git
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_data import write_dataset

from failgate.cli import main
from failgate.dataset.yamlstrict import load_yaml_text
from failgate.journal import JOURNAL_NAME, SimulatedCrash

DS = "evals/failures"
EXAMPLE = Path(__file__).parents[3] / "src" / "failgate" / "examples" / "support-bot"
REMOVE = ["remove", "AGTFAIL-0002", "--reason", "duplicate of AGTFAIL-0001", "--by", "dana@example.com"]
# remove renames three files; each point is where a kill can land.
REMOVE_POINTS = ["staged", "journal", "rename:1", "rename:2", "rename:3", "renamed"]


def _run_killed(cwd: Path, args: list[str], point: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FAILGATE_CRASH_AT": point, "FAILGATE_CRASH_HOW": "kill"}
    return subprocess.run(
        [sys.executable, "-m", "failgate.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def _crash(cwd: Path, args: list[str], point: str, how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if how == "kill":
        done = _run_killed(cwd, args, point)
        assert done.returncode == -9, done.stderr
        return
    with monkeypatch.context() as patch:
        patch.setenv("FAILGATE_CRASH_AT", point)
        with pytest.raises(SimulatedCrash):
            main(args)


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.rglob("*") if p.name == JOURNAL_NAME or p.name.endswith(".failgate-tmp"))


# -- remove: cases.yaml + cases_removed.yaml + history.jsonl ---------------------
@pytest.fixture
def repo(git_repo: Path) -> Path:
    write_dataset(git_repo / DS)
    (git_repo / ".gitignore").write_text(".failgate.lock\n.failgate-cache/\n.failgate-journal.json\n*.failgate-tmp\n")
    commit_all(git_repo, "dataset")
    return git_repo


def removal_state(directory: Path) -> str:
    """'old' or 'new' when the three files agree; anything else is a torn write."""
    cases = [c["id"] for c in load_yaml_text((directory / "cases.yaml").read_text(), "c").data["cases"]]
    ledger = [e["id"] for e in load_yaml_text((directory / "cases_removed.yaml").read_text(), "r").data["removed"]]
    events = [json.loads(line) for line in (directory / "history.jsonl").read_text().splitlines() if line]
    removed_events = [e for e in events if e["type"] == "removed" and e["case_id"] == "AGTFAIL-0002"]
    parts = ("AGTFAIL-0002" not in cases, "AGTFAIL-0002" in ledger, len(removed_events) == 1)
    if all(parts):
        return "new"
    if not any(parts):
        return "old"
    return f"torn {parts}"


def test_control_remove_without_a_crash_is_whole_and_leaves_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = repo / DS
    assert removal_state(directory) == "old"
    assert main(REMOVE) == 0
    assert removal_state(directory) == "new" and _leftovers(directory) == []
    capsys.readouterr()
    assert main(["validate", "--no-cache"]) == 0
    assert "interrupted" not in capsys.readouterr().err


@pytest.mark.parametrize("how", ["raise", "kill"])
@pytest.mark.parametrize("point", REMOVE_POINTS)
def test_remove_killed_at_any_point_is_finished_by_the_next_command(
    repo: Path, point: str, how: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = repo / DS
    _crash(repo, REMOVE, point, how, monkeypatch)
    capsys.readouterr()
    # The validate hook is the next command: it finishes the transaction first.
    assert main(["validate", "--no-cache"]) == 0, capsys.readouterr()
    err = capsys.readouterr().err
    expected = "old" if point == "staged" else "new"
    assert removal_state(directory) == expected
    assert _leftovers(directory) == []
    if point != "staged":
        assert "finished the interrupted `failgate remove AGTFAIL-0002" in err
    elif how == "kill":
        assert "deleted 3 temp file(s)" in err
    git(repo, "add", "-A")
    assert git(repo, "status", "--porcelain").stdout.count(JOURNAL_NAME) == 0
    assert main(["check-ledger"]) == 0, capsys.readouterr().out


def test_check_ledger_refuses_a_half_staged_transaction(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The hook runs on what is staged: a user who staged the torn files must stage again."""
    directory = repo / DS
    _crash(repo, REMOVE, "rename:1", "kill", monkeypatch)
    git(repo, "add", DS)  # cases.yaml lost the case, the ledger has no entry yet
    assert main(["check-ledger"]) == 1
    assert "stage it again" in capsys.readouterr().err
    assert removal_state(directory) == "new"
    git(repo, "add", DS)
    assert main(["check-ledger"]) == 0  # control: the whole transaction, staged, passes


def test_git_add_all_never_stages_the_journal_or_temp_files(git_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["init", "--owner", "@team"]) == 0
    write_dataset(git_repo / DS)
    commit_all(git_repo, "init")
    # A crash after the journal: journal and staged temps are on disk.
    _crash(git_repo, REMOVE, "journal", "kill", monkeypatch)
    left = _leftovers(git_repo / DS)
    assert JOURNAL_NAME in left and any(name.endswith(".failgate-tmp") for name in left)
    git(git_repo, "add", "-A")
    staged = git(git_repo, "diff", "--cached", "--name-only").stdout
    assert JOURNAL_NAME not in staged and ".failgate-tmp" not in staged and ".failgate.lock" not in staged


# -- promote: cases.yaml + history.jsonl + the review file -----------------------
@pytest.fixture
def example(example_project: Path) -> Path:
    return example_project


def _review(root: Path, candidates: int) -> Path:
    from acceptance.intake.test_promote import CHARGEBACK, fill, ingest

    records = [
        {**CHARGEBACK, "trace_id": f"n{i}", "intent": f"intent{i}", "input": f"chargeback question {i}?"}
        for i in range(candidates)
    ]
    review = ingest(root, *records)
    for _ in range(candidates):
        fill(review)
    return review


def promotion_state(root: Path, review: Path, candidates: int) -> str:
    directory = root / DS
    cases = load_yaml_text((directory / "cases.yaml").read_text(), "c").data["cases"]
    landed = [c for c in cases if "chargeback question" in json.dumps(c.get("input"))]
    events = [json.loads(line) for line in (directory / "history.jsonl").read_text().splitlines() if line]
    promoted = [e for e in events if e["type"] == "promoted" and e["case_id"] in {c["id"] for c in landed}]
    left = len(load_yaml_text(review.read_text(), "i").data["candidates"]) if review.exists() else 0
    if not landed and not promoted and left == candidates:
        return "old"
    if len(landed) == 1 and len(promoted) == 1 and left == candidates - 1:
        return "new"
    return f"torn (cases {len(landed)}, events {len(promoted)}, candidates left {left})"


PROMOTE_POINTS = {
    1: ["journal", "rename:1", "rename:2", "renamed"],  # the emptied review file is deleted
    2: ["journal", "rename:1", "rename:2", "rename:3", "renamed"],
}  # the review file is rewritten


@pytest.mark.parametrize(("candidates", "point"), [(n, p) for n, points in PROMOTE_POINTS.items() for p in points])
@pytest.mark.parametrize("how", ["raise", "kill"])
def test_promote_killed_at_any_point_is_finished_by_the_next_command(
    example: Path,
    candidates: int,
    point: str,
    how: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    review = _review(example, candidates)
    args = ["promote", str(review), "--candidate", "1", "--no-reproduce", "--reason", "fixed already", "--by", "d"]
    assert promotion_state(example, review, candidates) == "old"
    _crash(example, args, point, how, monkeypatch)
    capsys.readouterr()
    assert main(["validate", "--no-cache"]) == 0, capsys.readouterr()
    assert promotion_state(example, review, candidates) == "new"
    assert _leftovers(example / DS) == []


def test_control_promote_without_a_crash(example: Path) -> None:
    review = _review(example, 2)
    assert main(["promote", str(review), "--candidate", "1", "--no-reproduce", "--reason", "r", "--by", "d"]) == 0
    assert promotion_state(example, review, 2) == "new" and _leftovers(example / DS) == []


# -- eval --record: cases.yaml (regressed_count) + history.jsonl -----------------
def test_record_killed_between_its_renames_is_finished(
    example: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from conftest import commit_all as commit

    git(example, "init", "-q", "-b", "main")
    commit(example, "dataset")
    assert main(["eval", "--record"]) == 0
    monkeypatch.setenv("FAILGATE_DEMO_BUG", "double-refund")  # a regression: regressed_count changes too
    _crash(example, ["eval", "--record"], "rename:1", "kill", monkeypatch)
    capsys.readouterr()
    assert main(["validate", "--no-cache"]) == 0, capsys.readouterr()  # regressed_count agrees with history
    assert _leftovers(example / DS) == []


# -- stray temp files -----------------------------------------------------------------
def test_temp_files_of_a_dead_writer_are_deleted_and_a_live_writers_are_kept(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = repo / DS
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
        dead_pid = int(dead.stdout)
        (directory / f".cases.yaml.{dead_pid}.abc123.failgate-tmp").write_text("half")
        live = directory / f".cases.yaml.{sleeper.pid}.def456.failgate-tmp"
        live.write_text("being written")
        assert main(["validate", "--no-cache"]) == 0
        assert "deleted 1 temp file(s)" in capsys.readouterr().err
        assert _leftovers(directory) == [live.name]  # control: a running writer's temp file stays
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_hand_written_journal_cannot_move_arbitrary_files(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = repo / DS
    before = (directory / "cases.yaml").read_bytes()
    (directory / JOURNAL_NAME).write_text(
        json.dumps({"version": 1, "steps": [{"op": "replace", "tmp": "history.jsonl", "target": "cases.yaml"}]})
    )
    assert main(["validate"]) == 2
    assert "not a journal failgate wrote" in capsys.readouterr().err
    assert (directory / "cases.yaml").read_bytes() == before


# -- renumber: cases.yaml + history.jsonl, during a stopped merge ------------------------
@pytest.fixture
def collided(git_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from dataset_builder import write_dataset as write_small

    from acceptance.merge.test_cases_git import collide, fg
    from failgate.merge import gitattributes_lines

    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    (git_repo / ".gitattributes").write_text("\n".join(gitattributes_lines(DS)) + "\n")
    (git_repo / ".gitignore").write_text(".failgate.lock\n.failgate-journal.json\n*.failgate-tmp\n")
    write_small(git_repo / DS)
    fg(git_repo, "install", "--quiet")
    commit_all(git_repo, "base")
    collide(git_repo)
    assert git(git_repo, "merge", "--no-edit", "feature", check=False).returncode == 1
    return git_repo


def renumber_state(root: Path) -> str:
    text = (root / DS / "cases.yaml").read_text()
    if "<<<<<<<" in text:
        return "old"
    ids = [c["id"] for c in load_yaml_text(text, "c").data["cases"]]
    events = [json.loads(line)["case_id"] for line in (root / DS / "history.jsonl").read_text().splitlines() if line]
    return "new" if ids[-2:] == ["AGTFAIL-0003", "AGTFAIL-0004"] and events[-2:] == ids[-2:] else f"torn {ids} {events}"


@pytest.mark.parametrize("point", ["journal", "rename:1", "rename:2", "renamed"])
def test_renumber_killed_at_any_point_is_finished_by_the_next_command(
    collided: Path, point: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _crash(collided, ["renumber"], point, "kill", monkeypatch)
    assert main(["validate", "--no-cache"]) == 0, capsys.readouterr()
    assert renumber_state(collided) == "new" and _leftovers(collided / DS) == []
    # The kill came before renumber staged the files: running it again must not renumber twice.
    capsys.readouterr()
    assert main(["renumber"]) == 1
    assert "already resolved in the work tree but not staged" in capsys.readouterr().err
    assert renumber_state(collided) == "new"
    git(collided, "add", DS)  # staging them finishes the merge
    git(collided, "commit", "-q", "--no-verify", "--no-edit")
    assert main(["check-ledger", "--base", "HEAD~1"]) == 0


def test_control_renumber_without_a_crash(collided: Path) -> None:
    assert main(["renumber"]) == 0
    assert renumber_state(collided) == "new" and _leftovers(collided / DS) == []


def test_a_kill_during_recovery_is_recovered_by_the_next_command(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = repo / DS
    _crash(repo, REMOVE, "journal", "kill", monkeypatch)
    # The validate that finishes it is killed after its first rename: the journal is still there.
    _crash(repo, ["validate", "--no-cache"], "rename:1", "kill", monkeypatch)
    assert (directory / JOURNAL_NAME).exists() and removal_state(directory).startswith("torn")
    assert main(["validate", "--no-cache"]) == 0, capsys.readouterr()
    assert "2 of 3 file(s) were still to be renamed" in capsys.readouterr().err
    assert removal_state(directory) == "new" and _leftovers(directory) == []


# -- the property, at the level of Transaction itself ----------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    files=st.dictionaries(
        st.sampled_from(["cases.yaml", "cases_removed.yaml", "history.jsonl", "watchlist.yaml"]),
        st.tuples(st.one_of(st.none(), st.binary(max_size=64)), st.binary(max_size=64)),
        min_size=1,
    ),
    unlink=st.booleans(),
    point=st.integers(min_value=-2, max_value=5),
)
def test_any_crash_leaves_all_old_or_all_new(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    files: dict[str, tuple[bytes | None, bytes]],
    unlink: bool,
    point: int,
) -> None:
    """Files that existed or not, any crash point: after recover, every file is old, or every file is new."""
    import tempfile

    from failgate.journal import recover
    from failgate.transaction import Transaction

    directory = Path(tempfile.mkdtemp(dir=tmp_path))
    review = directory / "_intake" / "r.yaml"
    review.parent.mkdir()
    review.write_bytes(b"candidates: []\n")
    for name, (old, _) in files.items():
        if old is not None:
            (directory / name).write_bytes(old)
    transaction = Transaction(directory)
    for name, (_, new) in files.items():
        transaction.write(directory / name, new)
    if unlink:
        transaction.unlink(review)
    names = {-2: "staged", -1: "journal", 0: "renamed"}
    crash = names.get(point, f"rename:{point}")  # rename:N beyond the last rename: no crash at all
    with monkeypatch.context() as patch:
        patch.setenv("FAILGATE_CRASH_AT", crash)
        try:
            transaction.commit()
        except SimulatedCrash:
            pass
    recover(directory, (review.parent,))
    expected = "old" if crash == "staged" else "new"
    for name, (old, new) in files.items():
        now = (directory / name).read_bytes() if (directory / name).exists() else None
        assert now == (old if expected == "old" else new), (name, crash)
    assert review.exists() == (not unlink or expected == "old")
    assert _leftovers(directory) == []


def test_a_journal_whose_staged_file_was_deleted_is_never_finished_as_if_whole(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = repo / DS
    _crash(repo, REMOVE, "journal", "kill", monkeypatch)
    staged = sorted(directory.glob(".cases_removed.yaml.*.failgate-tmp"))
    assert len(staged) == 1
    staged[0].unlink()  # someone "cleans up" the temp files by hand

    def files() -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file() and p.name != ".failgate.lock"}

    before = files()
    assert main(["validate", "--no-cache"]) == 1
    err = capsys.readouterr().err
    assert "the staged new content of cases_removed.yaml is gone" in err and "cannot be finished" in err
    assert files() == before  # nothing renamed, the journal kept for inspection
