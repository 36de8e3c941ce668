"""The cases.yaml driver and `failgate renumber` in real repositories (docs/how-to/recover-from-a-merge-conflict.md)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import commit_all, git, no_git_env, rebase_continue
from dataset_builder import case_block, event, write_dataset

from failgate.dataset.yamlstrict import load_yaml
from failgate.merge import DRIVER_COMMAND, gitattributes_lines

DATA = "evals/failures"
CASES = f"{DATA}/cases.yaml"
HISTORY = f"{DATA}/history.jsonl"
LEDGER = f"{DATA}/cases_removed.yaml"


def fg(repo: Path, *args: str, check: int | None = 0) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["failgate", *args], cwd=repo, capture_output=True, text=True, env=no_git_env())
    if check is not None:
        assert result.returncode == check, result.stdout + result.stderr
    return result


@pytest.fixture
def repo(git_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bindir = Path(sys.executable).parent
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    (git_repo / ".gitattributes").write_text("\n".join(gitattributes_lines(DATA)) + "\n")
    (git_repo / ".gitignore").write_text(".failgate.lock\n")
    write_dataset(git_repo / DATA)
    fg(git_repo, "install", "--quiet")
    commit_all(git_repo, "base")
    return git_repo


def promote(repo: Path, number: int, title: str, ts: str = "2026-05-10T09:00:00Z", *, commit: bool = True) -> None:
    """What `failgate promote` writes: a case appended to cases.yaml and its `promoted` event."""
    case_id = f"AGTFAIL-{number:04d}"
    block = case_block(case_id, title=title, case_input={"messages": [{"role": "user", "content": title}]})
    with (repo / CASES).open("a") as handle:
        handle.write("\n" + block)
    with (repo / HISTORY).open("a") as handle:
        digits = int(hashlib.sha256(f"{title}{ts}".encode()).hexdigest(), 16) % 10**22
        handle.write(event(f"01KR{digits:022d}", case_id, ts=ts, actor="dana"))
    if commit:
        commit_all(repo, f"promote {case_id}: {title}")


def cases(repo: Path, rev: str | None = None) -> list[tuple[str, str]]:
    data = git(repo, "show", f"{rev}:{CASES}").stdout.encode() if rev else (repo / CASES).read_bytes()
    return [(c["id"], c["title"]) for c in load_yaml(data, CASES).data["cases"]]


def history_cases(repo: Path) -> list[str]:
    return [json.loads(line)["case_id"] for line in (repo / HISTORY).read_text().splitlines()]


def test_init_attributes_route_cases_yaml_to_the_driver(repo: Path) -> None:
    assert git(repo, "check-attr", "merge", "--", CASES).stdout.strip().endswith("failgate-cases")
    assert git(repo, "config", "merge.failgate-cases.driver").stdout.strip() == DRIVER_COMMAND


def test_two_branches_promote_a_case_each_and_merge_cleanly_both_ways(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "a")
    promote(repo, 3, "Refund to a closed card")
    git(repo, "checkout", "-q", "-b", "b", "main")
    promote(repo, 4, "Invented warranty terms")
    git(repo, "checkout", "-q", "-b", "a-into-b", "b")
    git(repo, "merge", "-q", "--no-edit", "a")
    git(repo, "checkout", "-q", "-b", "b-into-a", "a")
    git(repo, "merge", "-q", "--no-edit", "b")
    merged = git(repo, "show", f"a-into-b:{CASES}").stdout
    assert merged == git(repo, "show", f"b-into-a:{CASES}").stdout
    assert [i for i, _ in cases(repo)] == ["AGTFAIL-0001", "AGTFAIL-0002", "AGTFAIL-0003", "AGTFAIL-0004"]
    fg(repo, "validate")
    fg(repo, "check-ledger", "--base", "a")


def test_rebase_and_cherry_pick_go_through_the_driver(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "a")
    promote(repo, 3, "Refund to a closed card")
    git(repo, "checkout", "-q", "-b", "b", "main")
    promote(repo, 4, "Invented warranty terms")
    (repo / CASES).write_text((repo / CASES).read_text().replace("severity: P1", "severity: P2", 1))
    commit_all(repo, "b: AGTFAIL-0001 is P2")
    git(repo, "rebase", "-q", "a")
    assert [t for _, t in cases(repo)][2:] == ["Refund to a closed card", "Invented warranty terms"]
    assert load_yaml((repo / CASES).read_bytes(), CASES).data["cases"][0]["severity"] == "P2"
    fg(repo, "validate")
    git(repo, "checkout", "-q", "-b", "c", "main")
    promote(repo, 5, "Dropped the second turn")
    git(repo, "cherry-pick", "b")  # edits AGTFAIL-0001 on top of a different append
    assert [i for i, _ in cases(repo)][-1] == "AGTFAIL-0005"
    assert load_yaml((repo / CASES).read_bytes(), CASES).data["cases"][0]["severity"] == "P2"


def collide(repo: Path) -> None:
    """main and feature both promote their case as AGTFAIL-0003."""
    git(repo, "checkout", "-q", "-b", "feature")
    promote(repo, 3, "Invented warranty terms", "2026-05-11T09:00:00Z")
    git(repo, "checkout", "-q", "main")
    promote(repo, 3, "Refund to a closed card", "2026-05-10T09:00:00Z")


def test_same_id_on_two_branches_conflicts_and_renumber_fixes_it_in_one_command(repo: Path) -> None:
    collide(repo)
    merge = git(repo, "merge", "--no-edit", "feature", check=False)
    assert merge.returncode == 1
    out = merge.stdout + merge.stderr
    assert "id collision: AGTFAIL-0003 was given to two different cases" in out
    assert '"Refund to a closed card"' in out and '"Invented warranty terms"' in out and "failgate renumber" in out
    assert "CONFLICT (content): Merge conflict in evals/failures/cases.yaml" in out

    result = fg(repo, "renumber")
    assert 'renumbered theirs\' AGTFAIL-0003 "Invented warranty terms" -> AGTFAIL-0004' in result.stdout
    assert "1 evals/failures/history.jsonl event(s) rewritten" in result.stdout
    assert git(repo, "diff", "--name-only", "--diff-filter=U").stdout == ""  # resolved and staged
    git(repo, "commit", "-q", "--no-edit")
    assert cases(repo, "HEAD")[2:] == [
        ("AGTFAIL-0003", "Refund to a closed card"),
        ("AGTFAIL-0004", "Invented warranty terms"),
    ]
    assert history_cases(repo)[-2:] == ["AGTFAIL-0003", "AGTFAIL-0004"]
    fg(repo, "validate")
    fg(repo, "check-ledger")  # against HEAD
    fg(repo, "check-ledger", "--base", "HEAD~1")  # the merge against main's side


def test_renumber_during_a_rebase_moves_the_replayed_case(repo: Path) -> None:
    collide(repo)
    git(repo, "checkout", "-q", "feature")
    assert git(repo, "rebase", "main", check=False).returncode != 0
    result = fg(repo, "renumber")
    assert "git rebase --continue" in result.stdout
    rebase_continue(repo, check=True)
    assert cases(repo, "HEAD")[2:] == [
        ("AGTFAIL-0003", "Refund to a closed card"),
        ("AGTFAIL-0004", "Invented warranty terms"),
    ]
    fg(repo, "validate")
    fg(repo, "check-ledger", "--base", "main")


def test_the_new_id_is_above_every_id_either_side_ever_used(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    promote(repo, 3, "Invented warranty terms")
    git(repo, "checkout", "-q", "main")
    promote(repo, 3, "Refund to a closed card")
    promote(repo, 4, "Slow answer")
    fg(repo, "remove", "AGTFAIL-0004", "--reason", "duplicate", "--by", "dana")
    commit_all(repo, "remove AGTFAIL-0004")
    git(repo, "merge", "--no-edit", "feature", check=False)
    assert "-> AGTFAIL-0005" in fg(repo, "renumber").stdout  # 0004 lives on in the ledger
    git(repo, "commit", "-q", "--no-edit")
    fg(repo, "validate")
    fg(repo, "check-ledger")


def test_renumber_refuses_when_there_is_nothing_to_renumber(repo: Path) -> None:
    result = fg(repo, "renumber", check=1)
    assert "nothing to renumber: no merge, cherry-pick or rebase is in progress" in result.stderr
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / CASES).write_text((repo / CASES).read_text().replace("severity: P1", "severity: P2", 1))
    commit_all(repo, "P2")
    git(repo, "checkout", "-q", "main")
    (repo / CASES).write_text((repo / CASES).read_text().replace("severity: P1", "severity: P3", 1))
    commit_all(repo, "P3")
    assert git(repo, "merge", "--no-edit", "feature", check=False).returncode == 1
    before = (repo / CASES).read_bytes()
    result = fg(repo, "renumber", check=1)
    assert "nothing to renumber: the conflict in evals/failures/cases.yaml is not an id collision" in result.stderr
    assert "AGTFAIL-0001 was changed differently on both sides" in result.stderr
    assert (repo / CASES).read_bytes() == before  # refused: nothing written
    assert "Traceback" not in result.stderr


def test_renumber_in_a_multi_commit_rebase_files_later_events_under_the_new_id(repo: Path) -> None:
    collide(repo)
    git(repo, "checkout", "-q", "feature")
    with (repo / HISTORY).open("a") as handle:  # a later commit records about feature's AGTFAIL-0003
        handle.write(event("01KRNEXT000000000000000009", "AGTFAIL-0003", type="remediated", actor="dana"))
    commit_all(repo, "feature: a note on its case")
    assert git(repo, "rebase", "main", check=False).returncode != 0
    fg(repo, "renumber")
    done = rebase_continue(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    later = [json.loads(line) for line in (repo / HISTORY).read_text().splitlines()]
    assert next(e for e in later if e["id"] == "01KRNEXT000000000000000009")["case_id"] == "AGTFAIL-0004"
    fg(repo, "validate")
    fg(repo, "check-ledger", "--base", "main")
