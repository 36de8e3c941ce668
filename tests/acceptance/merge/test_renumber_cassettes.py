"""`failgate renumber` moves theirs' cassette with its case (docs/how-to/recover-from-a-merge-conflict.md,
"An id collision in cases.yaml").

main and feature each promote a case as AGTFAIL-0003, each with its recording at
`cassettes/AGTFAIL-0003.jsonl`. git stops on cases.yaml (the driver's id collision) and on the
cassette (add/add, no driver). Renumbering theirs' case to AGTFAIL-0004 must take its recording
along: under the new name, header renamed, interactions byte for byte, ours' file as main has it.
Each attack stands beside its control: a collision without cassettes renumbers as before.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import commit_all, git, no_git_env, rebase_continue

from acceptance.merge.test_cases_git import CASES, DATA, HISTORY, fg, promote, repo  # noqa: F401  (the fixture)
from failgate.dataset.cassette import parse_cassette, render_cassette
from failgate.dataset.yamlstrict import load_yaml

OURS, THEIRS = "Refund to a closed card", "Invented warranty terms"
OLD, NEW = f"{DATA}/cassettes/AGTFAIL-0003.jsonl", f"{DATA}/cassettes/AGTFAIL-0004.jsonl"


def promote_recorded(root: Path, number: int, title: str, ts: str, ref: str | None = None) -> None:
    """What `failgate promote` writes for a candidate that came with a recording: the case with
    `input.cassette` and the cassette at its default path (or `ref`), then one commit."""
    case_id = f"AGTFAIL-{number:04d}"
    ref = ref or f"cassettes/{case_id}.jsonl"
    promote(root, number, title, ts, commit=False)
    text = (root / CASES).read_text()
    at = text.rindex("    input:\n") + len("    input:\n")
    (root / CASES).write_text(text[:at] + f"      cassette: {ref}\n" + text[at:])
    interactions = [
        {"type": "model", "api": "openai.chat", "request": {"model": "m", "messages": [{"role": "user", "content": title}]},
         "response": {"text": None, "tool_calls": [{"name": "issue_refund", "arguments": {"order_id": "8812"}}]}},
        {"type": "tool", "name": "issue_refund", "arguments": {"order_id": "8812"}, "result": {"refunded": title},
         "mutating": True},
    ]  # fmt: skip
    (root / DATA / ref).parent.mkdir(parents=True, exist_ok=True)
    (root / DATA / ref).write_bytes(render_cassette(case_id, interactions, source="eval --record-cassettes"))
    commit_all(root, f"promote {case_id} with its recording")


def collide_recorded(
    root: Path, *, ours_recorded: bool = True, ours_ref: str | None = None, theirs_ref: str | None = None
) -> None:
    """main and feature both promote their case as AGTFAIL-0003, each with a recording (ours' optional)."""
    git(root, "checkout", "-q", "-b", "feature")
    promote_recorded(root, 3, THEIRS, "2026-05-11T09:00:00Z", theirs_ref)
    git(root, "checkout", "-q", "main")
    if ours_recorded:
        promote_recorded(root, 3, OURS, "2026-05-10T09:00:00Z", ours_ref)
    else:
        promote(root, 3, OURS, "2026-05-10T09:00:00Z")


def show(root: Path, rev: str, path: str) -> bytes:
    return subprocess.run(["git", "show", f"{rev}:{path}"], cwd=root, capture_output=True, check=True).stdout


def dataset_files(root: Path) -> dict[Path, bytes]:
    """Every file of the dataset directory but the lock (ignored: any command may leave it)."""
    return {p: p.read_bytes() for p in sorted((root / DATA).rglob("*")) if p.is_file() and p.name != ".failgate.lock"}


def case(root: Path, rev: str, case_id: str) -> dict:
    return next(c for c in load_yaml(show(root, rev, CASES), CASES).data["cases"] if c["id"] == case_id)


def assert_recordings_follow_their_cases(root: Path, rev: str, theirs_rev: str) -> None:
    """At `rev`: 0004 is theirs' case with theirs' recording renamed, 0003 ours' with ours' as main has it."""
    assert case(root, rev, "AGTFAIL-0003")["title"] == OURS
    assert case(root, rev, "AGTFAIL-0004")["title"] == THEIRS
    assert case(root, rev, "AGTFAIL-0003")["input"]["cassette"] == "cassettes/AGTFAIL-0003.jsonl"
    assert case(root, rev, "AGTFAIL-0004")["input"]["cassette"] == "cassettes/AGTFAIL-0004.jsonl"
    # The hash leaves the cassette out: theirs' case keeps the input_hash it was promoted with.
    assert case(root, rev, "AGTFAIL-0004")["input_hash"] == case(root, theirs_rev, "AGTFAIL-0003")["input_hash"]
    assert show(root, rev, OLD) == show(root, "main", OLD)  # ours' recording, untouched
    moved, original = show(root, rev, NEW), show(root, theirs_rev, OLD)
    assert moved.split(b"\n", 1)[1] == original.split(b"\n", 1)[1]  # theirs' interactions, byte for byte
    header, _ = parse_cassette(moved, NEW)
    before, _ = parse_cassette(original, OLD)
    assert header is not None and before is not None
    assert header.case_id == "AGTFAIL-0004"
    assert {**header.header, "case_id": "AGTFAIL-0003"} == dict(before.header)  # only the case id changed
    assert header.interactions == before.interactions


def test_both_recorded_merge_moves_theirs_cassette_with_its_case(repo: Path) -> None:  # noqa: F811
    collide_recorded(repo)
    theirs = git(repo, "rev-parse", "feature").stdout.strip()
    merge = git(repo, "merge", "--no-edit", "feature", check=False)
    assert merge.returncode == 1
    assert f"CONFLICT (add/add): Merge conflict in {OLD}" in merge.stdout

    result = fg(repo, "renumber")
    assert git(repo, "diff", "--name-only", "--diff-filter=U").stdout == ""  # every conflict resolved and staged
    git(repo, "commit", "-q", "--no-edit")
    assert_recordings_follow_their_cases(repo, "HEAD", theirs)
    fg(repo, "validate")
    fg(repo, "check-ledger", "--base", "main")
    fg(repo, "check-ledger", "--base", "HEAD~1")
    assert 'renumbered theirs\' AGTFAIL-0003 "Invented warranty terms" -> AGTFAIL-0004' in result.stdout
    assert (
        f"moved theirs' cassette {OLD} -> cassettes/AGTFAIL-0004.jsonl with its case (its header now names "
        f"AGTFAIL-0004; ours' cassettes/AGTFAIL-0003.jsonl stays as HEAD has it)\n"
        f"staged {CASES}, {HISTORY}, {NEW} and {OLD}; finish with `git commit`"
    ) in result.stdout


def test_both_recorded_rebase_moves_the_replayed_case_cassette(repo: Path) -> None:  # noqa: F811
    collide_recorded(repo)
    theirs = git(repo, "rev-parse", "feature").stdout.strip()
    git(repo, "checkout", "-q", "feature")
    assert git(repo, "rebase", "main", check=False).returncode != 0
    result = fg(repo, "renumber")
    done = rebase_continue(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert_recordings_follow_their_cases(repo, "HEAD", theirs)
    fg(repo, "validate")
    fg(repo, "check-ledger", "--base", "main")
    assert "moved theirs' cassette" in result.stdout and "git rebase --continue" in result.stdout


def test_only_theirs_recorded_its_cassette_moves_and_the_old_name_goes(repo: Path) -> None:  # noqa: F811
    collide_recorded(repo, ours_recorded=False)
    git(repo, "merge", "--no-edit", "feature", check=False)
    result = fg(repo, "renumber")
    git(repo, "commit", "-q", "--no-edit")
    assert not (repo / OLD).exists()
    assert git(repo, "ls-files", f"{DATA}/cassettes").stdout.split() == [NEW]
    header, _ = parse_cassette(show(repo, "HEAD", NEW), NEW)
    assert header is not None and header.case_id == "AGTFAIL-0004"
    assert "cassette" not in case(repo, "HEAD", "AGTFAIL-0003")["input"]
    fg(repo, "validate")
    fg(repo, "check-ledger", "--base", "main")
    assert f"{OLD} -> cassettes/AGTFAIL-0004.jsonl" in result.stdout and "AGTFAIL-0003.jsonl removed" in result.stdout


@pytest.mark.parametrize("point", ["journal", "rename:3", "renamed"])
def test_a_renumber_killed_after_its_journal_is_finished_by_the_next_command(
    repo: Path,  # noqa: F811
    point: str,
) -> None:
    # The old name's deletion is a journal step too: recovery must finish it, not refuse the journal.
    collide_recorded(repo, ours_recorded=False)
    git(repo, "merge", "--no-edit", "feature", check=False)
    killed = subprocess.run(
        ["failgate", "renumber"],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**no_git_env(), "FAILGATE_CRASH_AT": point, "FAILGATE_CRASH_HOW": "kill"},
    )
    assert killed.returncode == -9, killed.stdout + killed.stderr
    fg(repo, "validate", "--no-cache")  # rolls the journal forward, then validates the result
    assert not (repo / OLD).exists() and (repo / NEW).is_file()
    again = fg(repo, "renumber", check=1)
    assert "already resolved in the work tree but not staged" in again.stderr and "cassette" in again.stderr
    git(repo, "add", DATA)
    git(repo, "commit", "-q", "--no-verify", "--no-edit")
    assert git(repo, "ls-files", f"{DATA}/cassettes").stdout.split() == [NEW]
    fg(repo, "check-ledger", "--base", "main")


def test_a_cassette_of_theirs_alone_at_its_own_path_is_renamed_in_place(repo: Path) -> None:  # noqa: F811
    collide_recorded(repo, theirs_ref="recordings/warranty.jsonl")
    git(repo, "merge", "--no-edit", "feature", check=False)
    result = fg(repo, "renumber")
    git(repo, "commit", "-q", "--no-edit")
    assert case(repo, "HEAD", "AGTFAIL-0004")["input"]["cassette"] == "recordings/warranty.jsonl"
    header, _ = parse_cassette(show(repo, "HEAD", f"{DATA}/recordings/warranty.jsonl"), "warranty")
    assert header is not None and header.case_id == "AGTFAIL-0004"
    fg(repo, "validate")
    assert "stays where it is; its header now names AGTFAIL-0004" in result.stdout


def test_a_cassette_both_sides_hold_at_their_own_path_is_refused_and_nothing_written(repo: Path) -> None:  # noqa: F811
    # Both cases name recordings/run.jsonl: whose recording is it, and which case may it name?
    collide_recorded(repo, ours_ref="recordings/run.jsonl", theirs_ref="recordings/run.jsonl")
    git(repo, "merge", "--no-edit", "feature", check=False)
    before = dataset_files(repo)
    status = git(repo, "status", "--porcelain").stdout
    result = fg(repo, "renumber", check=1)
    assert f"cannot move theirs' cassette {DATA}/recordings/run.jsonl" in result.stderr
    assert "ours' AGTFAIL-0003 use(s) it too" in result.stderr and "Nothing was written" in result.stderr
    assert "Traceback" not in result.stderr
    assert dataset_files(repo) == before
    assert git(repo, "status", "--porcelain").stdout == status


def test_control_a_collision_without_cassettes_renumbers_exactly_as_before(repo: Path) -> None:  # noqa: F811
    git(repo, "checkout", "-q", "-b", "feature")
    promote(repo, 3, THEIRS, "2026-05-11T09:00:00Z")
    git(repo, "checkout", "-q", "main")
    promote(repo, 3, OURS, "2026-05-10T09:00:00Z")
    git(repo, "merge", "--no-edit", "feature", check=False)
    result = fg(repo, "renumber")
    assert result.stdout == (
        'renumbered theirs\' AGTFAIL-0003 "Invented warranty terms" -> AGTFAIL-0004 (ours\' "Refund to a closed '
        f'card" keeps AGTFAIL-0003); 1 {HISTORY} event(s) rewritten\n'
        f"staged {CASES} and {HISTORY}; finish with `git commit` (then `failgate validate` passes)\n"
    )
    git(repo, "commit", "-q", "--no-edit")
    # What main's renumber writes: ours' file, then theirs' appended case with the new id (its line alone
    # changed), and theirs' promotion event refiled (its case_id alone changed).
    base = git(repo, "merge-base", "HEAD^1", "HEAD^2").stdout.strip()
    theirs_block = show(repo, "feature", CASES)[len(show(repo, base, CASES)) :]
    theirs_line = show(repo, "feature", HISTORY)[len(show(repo, base, HISTORY)) :]
    assert show(repo, "HEAD", CASES) == show(repo, "HEAD^1", CASES) + theirs_block.replace(
        b"id: AGTFAIL-0003", b"id: AGTFAIL-0004"
    )
    assert show(repo, "HEAD", HISTORY) == show(repo, "HEAD^1", HISTORY) + theirs_line.replace(
        b"AGTFAIL-0003", b"AGTFAIL-0004"
    )
    assert git(repo, "ls-files", f"{DATA}/cassettes").stdout == ""
    fg(repo, "validate")


def crossed_recorded(root: Path) -> None:
    """Both sides renumbered, recordings and all: a holds ours 0003 + theirs 0004, b the reverse."""
    git(root, "checkout", "-q", "-b", "a")
    promote_recorded(root, 3, OURS, "2026-05-10T09:00:00Z")
    git(root, "checkout", "-q", "-b", "b", "main")
    promote_recorded(root, 3, THEIRS, "2026-05-11T09:00:00Z")
    b1 = git(root, "rev-parse", "b").stdout.strip()
    git(root, "checkout", "-q", "a")
    a1 = git(root, "rev-parse", "a").stdout.strip()
    for branch, other in (("a", b1), ("b", a1)):
        git(root, "checkout", "-q", branch)
        assert git(root, "merge", "--no-edit", other, check=False).returncode == 1
        assert "moved theirs' cassette" in fg(root, "renumber").stdout
        git(root, "commit", "-q", "--no-edit")


@pytest.mark.parametrize(("ours", "theirs"), [("a", "b"), ("b", "a")])
def test_both_renumbered_with_recordings_keeps_ours_numbering_and_ours_files(
    repo: Path,  # noqa: F811
    ours: str,
    theirs: str,
) -> None:
    crossed_recorded(repo)
    git(repo, "checkout", "-q", ours)
    merge = git(repo, "merge", "--no-edit", theirs, check=False)
    assert merge.returncode == 1 and f"Merge conflict in {OLD}" in merge.stdout
    result = fg(repo, "renumber")
    assert git(repo, "diff", "--name-only", "--diff-filter=U").stdout == ""
    fg(repo, "check-ledger")  # the pre-commit hook's check: staged against HEAD and MERGE_HEAD
    git(repo, "commit", "-q", "--no-edit")
    for path in (CASES, OLD, NEW):
        assert show(repo, "HEAD", path) == show(repo, ours, path)  # ours' numbering, ours' recordings
    fg(repo, "validate")
    fg(repo, "check-ledger", "--base", "main")
    assert f"kept ours' cassette(s) {NEW}, {OLD} as HEAD has them" in result.stdout


def test_both_renumbered_with_a_recording_changed_since_is_refused_naming_it(repo: Path) -> None:  # noqa: F811
    crossed_recorded(repo)
    git(repo, "checkout", "-q", "b")  # b re-records its AGTFAIL-0004 (ours' 0003 on a)
    (repo / OLD.replace("0003", "0004")).write_bytes(
        render_cassette("AGTFAIL-0004", [{"type": "tool", "name": "t", "arguments": {}, "result": 1}])
    )
    commit_all(repo, "b: re-record AGTFAIL-0004")
    git(repo, "checkout", "-q", "a")
    git(repo, "merge", "--no-edit", "b", check=False)
    before, status = dataset_files(repo), git(repo, "status", "--porcelain").stdout
    result = fg(repo, "renumber", check=1)
    assert f"cannot keep ours' numbering for {OLD}" in result.stderr and "their recordings differ" in result.stderr
    assert "Nothing was written" in result.stderr and "Traceback" not in result.stderr
    assert dataset_files(repo) == before and git(repo, "status", "--porcelain").stdout == status
