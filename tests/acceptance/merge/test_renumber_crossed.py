"""Both of you renumbered: `failgate renumber` when two teammates followed the id-collision advice
in opposite merge orders (docs/how-to/recover-from-a-merge-conflict.md, "Both of you renumbered").

Alice (branch a) and Bob (branch b) each promote a case as AGTFAIL-0003. Alice merges b and
renumbers (Bob's case becomes 0004 on a); Bob merges a as he knew it and renumbers (Alice's
case becomes 0004 on b). Each promotion event keeps its id, so the same event id names one
case on a and the other on b. Each attack stands beside its control: the ordinary single
collision, which still renumbers theirs' case as before.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import commit_all, git, rebase_continue
from dataset_builder import event

from acceptance.merge.test_cases_git import CASES, HISTORY, cases, collide, fg, promote, repo  # noqa: F401  (the fixture)

ALICE, BOB = "Refund to a closed card", "Invented warranty terms"


def crossed(root: Path) -> None:
    """a holds Alice 0003 + Bob 0004, b holds Bob 0003 + Alice 0004: the same two events on both."""
    git(root, "checkout", "-q", "-b", "a")
    promote(root, 3, ALICE, "2026-05-10T09:00:00Z")
    git(root, "checkout", "-q", "-b", "b", "main")
    promote(root, 3, BOB, "2026-05-11T09:00:00Z")
    b1 = git(root, "rev-parse", "b").stdout.strip()
    git(root, "checkout", "-q", "a")
    a1 = git(root, "rev-parse", "a").stdout.strip()
    assert git(root, "merge", "--no-edit", b1, check=False).returncode == 1
    assert "-> AGTFAIL-0004" in fg(root, "renumber").stdout
    git(root, "commit", "-q", "--no-edit")
    git(root, "checkout", "-q", "b")
    assert git(root, "merge", "--no-edit", a1, check=False).returncode == 1
    assert "-> AGTFAIL-0004" in fg(root, "renumber").stdout
    git(root, "commit", "-q", "--no-edit")
    assert cases(root, "a")[2:] == [("AGTFAIL-0003", ALICE), ("AGTFAIL-0004", BOB)]
    assert cases(root, "b")[2:] == [("AGTFAIL-0003", BOB), ("AGTFAIL-0004", ALICE)]


def events(root: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in (root / HISTORY).read_text().splitlines()]


def one_event_per_id(root: Path) -> None:
    ids = [e["id"] for e in events(root)]
    assert len(ids) == len(set(ids)), ids


def note(root: Path, number: int, case_id: str) -> None:
    """A later commit on the current branch: an event about one of its cases."""
    with (root / HISTORY).open("a") as handle:
        handle.write(event(f"01KR9{number:021d}", case_id, "remediated", ts=f"2026-05-1{number}T09:00:00Z"))
    commit_all(root, f"note {number} on {case_id}")


@pytest.mark.parametrize(("ours", "theirs"), [("b", "a"), ("a", "b")])
def test_both_renumbered_then_merge_keeps_ours_numbering_with_one_event_per_id(
    repo: Path,  # noqa: F811
    ours: str,
    theirs: str,
) -> None:
    crossed(repo)
    kept = cases(repo, ours)
    git(repo, "checkout", "-q", ours)
    merge = git(repo, "merge", "--no-edit", theirs, check=False)
    assert merge.returncode == 1
    out = merge.stdout + merge.stderr
    assert "both sides renumbered the same cases, in opposite merge orders" in out
    assert "do not keep both sides' lines (an event id must name one event)" in out

    result = fg(repo, "renumber")  # on main: exit 1, "history.jsonl is in conflict too; ... keep both sides' events"
    assert "both sides renumbered the same cases" in result.stdout
    assert "kept ours' numbering (origin/main is not here to say which is published" in result.stdout
    assert git(repo, "diff", "--name-only", "--diff-filter=U").stdout == ""
    fg(repo, "check-ledger")  # the pre-commit hook's check: staged against HEAD and MERGE_HEAD
    git(repo, "commit", "-q", "--no-edit")
    assert cases(repo, "HEAD") == kept
    one_event_per_id(repo)
    assert len(events(repo)) == 4
    fg(repo, "validate")
    fg(repo, "check-ledger", "--base", "main")  # every commit of the range against each of its parents


def test_control_a_single_collision_still_renumbers_theirs_case(repo: Path) -> None:  # noqa: F811
    collide(repo)
    assert git(repo, "merge", "--no-edit", "feature", check=False).returncode == 1
    result = fg(repo, "renumber")
    assert 'renumbered theirs\' AGTFAIL-0003 "Invented warranty terms" -> AGTFAIL-0004' in result.stdout
    assert "both sides renumbered" not in result.stdout
    git(repo, "commit", "-q", "--no-edit")
    fg(repo, "validate")
    fg(repo, "check-ledger", "--base", "HEAD~1")


def test_merging_into_the_published_base_keeps_its_numbering(repo: Path) -> None:  # noqa: F811
    crossed(repo)
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--ff-only", "a")
    git(repo, "update-ref", "refs/remotes/origin/main", "main")  # a landed and was pushed
    assert git(repo, "merge", "--no-edit", "b", check=False).returncode == 1
    assert "kept ours' numbering (origin/main published it)" in fg(repo, "renumber").stdout
    git(repo, "commit", "-q", "--no-edit")
    assert cases(repo, "HEAD")[2:] == [("AGTFAIL-0003", ALICE), ("AGTFAIL-0004", BOB)]
    one_event_per_id(repo)
    fg(repo, "validate")
    fg(repo, "check-ledger", "--base", "origin/main")


def test_theirs_published_is_refused_with_the_way_out_and_the_way_out_works(repo: Path) -> None:  # noqa: F811
    crossed(repo)
    git(repo, "update-ref", "refs/remotes/origin/main", "a")  # a landed on main first
    git(repo, "checkout", "-q", "b")
    note(repo, 2, "AGTFAIL-0003")  # Bob's case, in b's numbering
    assert git(repo, "merge", "--no-edit", "origin/main", check=False).returncode == 1
    before = [(repo / p).read_bytes() for p in (CASES, HISTORY)]
    refused = fg(repo, "renumber", check=1)
    assert "origin/main has published theirs' numbering" in refused.stderr
    assert "The way out: `git merge --abort`, then `git rebase origin/main`" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert [(repo / p).read_bytes() for p in (CASES, HISTORY)] == before  # nothing written

    git(repo, "merge", "--abort")
    assert git(repo, "rebase", "origin/main", check=False).returncode != 0  # stops on Bob's note
    assert "both sides renumbered" in fg(repo, "renumber").stdout
    done = rebase_continue(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert cases(repo, "HEAD")[2:] == [("AGTFAIL-0003", ALICE), ("AGTFAIL-0004", BOB)]
    assert events(repo)[-1]["case_id"] == "AGTFAIL-0004"  # Bob's note follows his case
    one_event_per_id(repo)
    fg(repo, "validate")
    fg(repo, "check-ledger", "--base", "origin/main")


def test_rebase_onto_the_other_renumbering_files_every_later_event_under_it(repo: Path) -> None:  # noqa: F811
    crossed(repo)
    git(repo, "checkout", "-q", "b")
    note(repo, 2, "AGTFAIL-0003")  # Bob's case
    note(repo, 3, "AGTFAIL-0004")  # Alice's case, in b's numbering: replayed by the driver after renumber
    assert git(repo, "rebase", "a", check=False).returncode != 0
    fg(repo, "renumber")
    done = rebase_continue(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [(e["id"][-1], e["case_id"]) for e in events(repo)[-2:]] == [("2", "AGTFAIL-0004"), ("3", "AGTFAIL-0003")]
    one_event_per_id(repo)
    fg(repo, "validate")
    fg(repo, "check-ledger", "--base", "a")


def test_control_a_single_collision_in_a_rebase_still_renumbers_the_replayed_case(repo: Path) -> None:  # noqa: F811
    collide(repo)
    git(repo, "checkout", "-q", "feature")
    assert git(repo, "rebase", "main", check=False).returncode != 0
    result = fg(repo, "renumber")
    assert "-> AGTFAIL-0004" in result.stdout and "both sides renumbered" not in result.stdout
    assert rebase_continue(repo).returncode == 0
    fg(repo, "validate")
    fg(repo, "check-ledger", "--base", "main")


def test_a_renumbering_the_base_then_published_unrenumbered_names_the_rebase(repo: Path) -> None:  # noqa: F811
    # Alice renumbered Bob's case on a; then Bob's branch landed on main as it was, with his case
    # under the id a refiled. Only CI (or the pushed range's check) sees the refiled published line:
    # it must say it is a renumbering and name the rebase, not "restore it".
    git(repo, "checkout", "-q", "-b", "a")
    promote(repo, 3, ALICE, "2026-05-10T09:00:00Z")
    git(repo, "checkout", "-q", "-b", "b", "main")
    promote(repo, 3, BOB, "2026-05-11T09:00:00Z")
    git(repo, "checkout", "-q", "a")
    assert git(repo, "merge", "--no-edit", "b", check=False).returncode == 1
    assert "-> AGTFAIL-0004" in fg(repo, "renumber").stdout
    git(repo, "commit", "-q", "--no-edit")
    git(repo, "update-ref", "refs/remotes/origin/main", "b")  # b landed first, unrenumbered
    refused = fg(repo, "check-ledger", "--base", "origin/main", check=1)
    assert "HISTORY_EDITED" in refused.stdout
    assert "filed under AGTFAIL-0004 here: a renumbering of a line the base has published" in refused.stdout
    assert "`git rebase <base>`, `failgate renumber` wherever it stops" in refused.stdout
    assert "restore it and append a new event" not in refused.stdout

    # The way out it names works: the renumbering merge is dropped, Alice's case is renumbered instead.
    assert git(repo, "rebase", "origin/main", check=False).returncode != 0
    assert "-> AGTFAIL-0004" in fg(repo, "renumber").stdout
    done = rebase_continue(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert cases(repo, "HEAD")[2:] == [("AGTFAIL-0003", BOB), ("AGTFAIL-0004", ALICE)]
    one_event_per_id(repo)
    fg(repo, "validate")
    fg(repo, "check-ledger", "--base", "origin/main")


def test_control_an_edited_published_line_still_asks_to_restore_it(repo: Path) -> None:  # noqa: F811
    git(repo, "update-ref", "refs/remotes/origin/main", "main")
    git(repo, "checkout", "-q", "-b", "edit")
    text = (repo / HISTORY).read_text()
    (repo / HISTORY).write_text(text.replace('"type": "promoted"', '"type": "promoted", "actor": "mallory"', 1))
    git(repo, "commit", "-q", "--no-verify", "-am", "edit a published line")
    refused = fg(repo, "check-ledger", "--base", "origin/main", check=1)
    assert "HISTORY_EDITED" in refused.stdout and "restore it and append a new event" in refused.stdout
    assert "renumbering" not in refused.stdout
