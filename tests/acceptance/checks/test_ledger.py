"""check-ledger: the pure comparison, the CLI in real repositories, real hooks."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import commit_all, git, no_git_env
from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_data import HEADER, LEDGER_EMPTY, case_block, cases_text, event, history_text, write_dataset

from failgate.checks.ledger import check_ledger
from failgate.cli import main
from failgate.dataset.parse import parse_dataset

DS = "evals/failures"


def codes(findings: list) -> list[str]:
    return sorted(f.code for f in findings)


# -- the pure comparison -----------------------------------------------------------


def ds(cases: str | None = None, removed: str | None = LEDGER_EMPTY, history: str | None = "", **kw: str):
    return parse_dataset(
        DS,
        cases=cases.encode() if cases is not None else None,
        removed=removed.encode() if removed is not None else None,
        history=history.encode() if history is not None else None,
        watchlist=kw["watchlist"].encode() if "watchlist" in kw else None,
    )


def test_unchanged_and_appended_pass() -> None:
    base = ds(cases_text(1, 2), history=history_text(1, 2))
    assert check_ledger(base, base) == []
    now = ds(cases_text(1, 2, 3), history=history_text(1, 2, 3))
    assert check_ledger(base, now) == []


def test_vanished_names_the_case_and_the_line() -> None:
    base = ds(cases_text(1, 2, 3))
    [finding] = check_ledger(base, ds(cases_text(1, 3)))
    assert finding.code == "VANISHED"
    assert "AGTFAIL-0002" in finding.message and "failgate remove AGTFAIL-0002" in finding.message
    assert finding.location.path == f"{DS}/cases.yaml" and finding.location.line > 0


def test_moving_a_case_to_the_watchlist_is_not_vanishing() -> None:
    watch = "schema_version: 1\ncases:\n" + case_block(2)
    assert check_ledger(ds(cases_text(1, 2)), ds(cases_text(1), watchlist=watch)) == []


def ledger_entry(number: int, reason: str = "duplicate of AGTFAIL-0001") -> str:
    return (
        f"  - id: AGTFAIL-{number:04d}\n    removed_at: '2026-05-08T12:00:00Z'\n    removed_by: dana\n"
        f"    reason: {reason}\n    case:\n      id: AGTFAIL-{number:04d}\n      title: old\n"
    )


def ledger(*entries: str) -> str:
    return "schema_version: 1\nremoved:\n" + "".join(entries)


def test_recorded_removal_passes_and_needs_its_event() -> None:
    base = ds(cases_text(1, 2), history=history_text(1, 2))
    removed_event = event("01JREMOVED00000000000000002", "AGTFAIL-0002", "removed", actor="dana")
    good = ds(cases_text(1), ledger(ledger_entry(2)), history_text(1, 2) + removed_event)
    assert check_ledger(base, good) == []
    no_event = check_ledger(base, ds(cases_text(1), ledger(ledger_entry(2)), history_text(1, 2)))
    assert codes(no_event) == ["REMOVED_WITHOUT_EVENT"]
    assert no_event[0].location.path.endswith("cases_removed.yaml") and no_event[0].location.line == 3


def test_every_violation_in_one_run() -> None:
    base_history = history_text(1, 2, 3, 4)
    base = ds(cases_text(1, 2, 3), ledger(ledger_entry(4), ledger_entry(5)), base_history)
    lines = base_history.splitlines(keepends=True)
    edited = lines[0].replace("promoted", "regressed")
    now_history = edited + lines[2] + lines[1]  # line 1 edited, 2/3 swapped, 4 deleted
    header = HEADER.replace("schema_version: 1", "schema_version: 0").replace(
        "  - blast_radius_breach\n", "  - blast_radius_breach\n  - prompt_injection\n"
    )
    now = ds(
        header + "\n".join(case_block(n) for n in (1, 3, 5)),  # 2 vanished, 5 is back from the ledger
        ledger(ledger_entry(5, reason="edited reason")),  # 4 deleted, 5 edited
        now_history,
    )
    found = codes(check_ledger(base, now))
    assert found == sorted(
        [
            "VANISHED",
            "ID_REUSED",
            "LEDGER_DELETED",
            "LEDGER_EDITED",
            "HISTORY_EDITED",
            "HISTORY_REORDERED",
            "HISTORY_DELETED",
            "TAXONOMY_CHANGED",
            "TAXONOMY_CHANGED",
            "SCHEMA_VERSION_DECREASED",
        ]
    ), found
    messages = " ".join(f.message for f in check_ledger(base, now))
    for case_id in ("AGTFAIL-0002", "AGTFAIL-0005", "AGTFAIL-0004", "AGTFAIL-0001"):
        assert case_id in messages


def test_new_case_with_an_id_from_history_is_reuse() -> None:
    base = ds(cases_text(1), history=history_text(1) + event("01JOLD", "AGTFAIL-0007"))
    now = ds(cases_text(1, 7), history=history_text(1) + event("01JOLD", "AGTFAIL-0007"))
    [finding] = check_ledger(base, now)
    assert finding.code == "ID_REUSED" and "AGTFAIL-0007" in finding.message
    assert finding.location.line == now.cases_doc.locate(["cases", 1, "id"]).line


def test_second_ledger_entry_for_one_id() -> None:
    base = ds(cases_text(1), ledger(ledger_entry(4)), event("e4", "AGTFAIL-0004", "removed"))
    now = ds(cases_text(1), ledger(ledger_entry(4), ledger_entry(4)), event("e4", "AGTFAIL-0004", "removed"))
    assert codes(check_ledger(base, now)) == ["ID_REUSED"]


def test_taxonomy_change_with_bump_and_rationale_passes() -> None:
    header = HEADER.replace("schema_version: 1", "schema_version: 2").replace(
        "cases:\n",
        '  - {name: prompt_injection_uncaught, added_in: 2, rationale: "Injected tool output."}\ncases:\n',
    )
    base = ds(cases_text(1))
    assert check_ledger(base, ds(header + case_block(1))) == []
    no_rationale = header.replace(', rationale: "Injected tool output."', "")
    assert codes(check_ledger(base, ds(no_rationale + case_block(1)))) == ["TAXONOMY_CHANGED"]
    no_bump = header.replace("schema_version: 2", "schema_version: 1")
    assert codes(check_ledger(base, ds(no_bump + case_block(1)))) == ["TAXONOMY_CHANGED"]
    removed_mode = HEADER.replace("  - latency_breach\n", "")
    assert codes(check_ledger(base, ds(removed_mode + case_block(1)))) == ["TAXONOMY_CHANGED"]


def test_crlf_is_not_an_edit() -> None:
    base = ds(cases_text(1, 2), ledger(ledger_entry(3)), history_text(1, 2) + event("e3", "AGTFAIL-0003", "removed"))
    crlf = ds(
        cases_text(1, 2).replace("\n", "\r\n"),
        ledger(ledger_entry(3)).replace("\n", "\r\n"),
        (history_text(1, 2) + event("e3", "AGTFAIL-0003", "removed")).replace("\n", "\r\n"),
    )
    assert check_ledger(base, crlf) == []
    assert check_ledger(crlf, base) == []


def test_unparsable_file_now_is_reported_not_taken_as_empty() -> None:
    base = ds(cases_text(1, 2))
    found = check_ledger(base, ds("schema_version: 1\ncases: [\n"))
    assert codes(found) == ["YAML_SYNTAX"]  # and no spurious VANISHED for every case


def test_whole_files_deleted_are_one_finding_each() -> None:
    base = ds(cases_text(1), ledger(ledger_entry(2)), history_text(*range(1, 200)))
    found = check_ledger(base, ds(None, None, None))
    assert codes(found) == ["HISTORY_DELETED", "LEDGER_DELETED", "VANISHED"]


def test_many_violations_are_capped_with_a_count() -> None:
    base = ds(cases_text(1), history=history_text(*range(1, 101)))
    found = check_ledger(base, ds(cases_text(1), history=history_text(1)))
    assert len(found) == 26 and "and 74 more HISTORY_DELETED" in found[-1].message


# -- property tests of the append-only rule over history.jsonl --------------------------

EVENTS = st.lists(st.integers(0, 10_000), min_size=1, max_size=30, unique=True)


def _history(ids: list[int], outcome: dict[int, str] | None = None) -> str:
    outcome = outcome or {}
    return "".join(
        json.dumps(
            {
                "id": f"E{i}",
                "ts": "2026-05-02T10:00:00Z",
                "case_id": "AGTFAIL-0001",
                "type": "result",
                "outcome": outcome.get(i, "pass"),
            }
        )
        + "\n"
        for i in ids
    )


def _history_codes(old: str, new: str) -> list[str]:
    return [f.code for f in check_ledger(ds(cases_text(1), history=old), ds(cases_text(1), history=new))]


@settings(max_examples=150, deadline=None)
@given(EVENTS, st.lists(st.integers(10_001, 20_000), max_size=10, unique=True), st.booleans())
def test_any_pure_append_passes(base_ids: list[int], appended: list[int], crlf: bool) -> None:
    new = _history(base_ids + appended)
    assert _history_codes(_history(base_ids), new.replace("\n", "\r\n") if crlf else new) == []


@settings(max_examples=150, deadline=None)
@given(EVENTS, st.lists(st.integers(10_001, 20_000), max_size=10, unique=True), st.randoms())
def test_interleaved_appends_pass(base_ids: list[int], appended: list[int], rnd) -> None:
    # What a merge of two branches' appends looks like: base events stay in order.
    merged = list(base_ids)
    for new_id in appended:
        merged.insert(rnd.randint(0, len(merged)), new_id)
    assert _history_codes(_history(base_ids), _history(merged)) == []


@settings(max_examples=200, deadline=None)
@given(EVENTS, st.data())
def test_any_edit_deletion_or_reorder_is_found(base_ids: list[int], data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(["edit", "delete", "reorder"] if len(base_ids) > 1 else ["edit", "delete"]))
    appended = data.draw(st.lists(st.integers(10_001, 20_000), max_size=5, unique=True))
    victim = data.draw(st.sampled_from(base_ids))
    if kind == "edit":
        new = _history(base_ids + appended, outcome={victim: "fail"})
        expected = "HISTORY_EDITED"
    elif kind == "delete":
        new = _history([i for i in base_ids if i != victim] + appended)
        expected = "HISTORY_DELETED"
    else:
        shuffled = data.draw(st.permutations(base_ids).filter(lambda p: list(p) != base_ids))
        new = _history(list(shuffled) + appended)
        expected = "HISTORY_REORDERED"
    found = _history_codes(_history(base_ids), new)
    assert found and set(found) == {expected}


# -- the CLI in real repositories ------------------------------------------------------------


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["check-ledger", *args])
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.fixture
def dataset_repo(git_repo: Path) -> Path:
    write_dataset(git_repo / DS)
    (git_repo / "README.md").write_text("shop agent\n")
    commit_all(git_repo, "dataset")
    return git_repo


def drop_case(directory: Path, keep: tuple[int, ...] = (1, 3)) -> None:
    (directory / "cases.yaml").write_text(cases_text(*keep))


def test_first_commit_passes_with_a_note(git_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_dataset(git_repo / DS)
    git(git_repo, "add", "-A")
    code, out = run_cli(capsys)
    assert code == 0 and "first commit" in out


def test_staged_change_against_head(dataset_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    drop_case(dataset_repo / DS)
    code, out = run_cli(capsys)
    assert code == 0, out  # not staged yet: the index is what gets committed
    git(dataset_repo, "add", "-A")
    code, out = run_cli(capsys)
    assert code == 1 and "VANISHED AGTFAIL-0002" in out and f"{DS}/cases.yaml:" in out


def test_runs_from_a_subdirectory(
    dataset_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    drop_case(dataset_repo / DS)
    git(dataset_repo, "add", "-A")
    monkeypatch.chdir(dataset_repo / DS)
    code, out = run_cli(capsys)
    assert code == 1 and f"{DS}/cases.yaml:" in out


def test_dataset_added_in_this_commit(git_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (git_repo / "README.md").write_text("x\n")
    commit_all(git_repo)
    write_dataset(git_repo / DS)
    git(git_repo, "add", "-A")
    assert run_cli(capsys)[0] == 0


def test_dataset_deleted_in_this_commit(dataset_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(dataset_repo, "rm", "-r", "-q", DS)
    code, out = run_cli(capsys)
    assert code == 1 and out.count("VANISHED") == 3 and "HISTORY_DELETED" in out


def test_detached_head(dataset_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(dataset_repo, "checkout", "-q", "--detach")
    drop_case(dataset_repo / DS)
    git(dataset_repo, "add", "-A")
    assert run_cli(capsys)[0] == 1
    git(dataset_repo, "reset", "-q", "--hard")
    assert run_cli(capsys)[0] == 0


def test_worktree(
    dataset_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    worktree = tmp_path / "second tree"
    git(dataset_repo, "worktree", "add", "-q", "-b", "wt", str(worktree))
    drop_case(worktree / DS)
    git(worktree, "add", "-A")
    monkeypatch.chdir(worktree)
    code, out = run_cli(capsys)
    assert code == 1 and "VANISHED AGTFAIL-0002" in out
    monkeypatch.chdir(dataset_repo)  # the main tree's index is untouched
    assert run_cli(capsys)[0] == 0


def test_path_with_spaces_from_failgate_toml(git_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (git_repo / "failgate.toml").write_text('dataset = "evals/my failures"\n')
    write_dataset(git_repo / "evals" / "my failures")
    commit_all(git_repo)
    drop_case(git_repo / "evals" / "my failures")
    git(git_repo, "add", "-A")
    code, out = run_cli(capsys)
    assert code == 1 and "evals/my failures/cases.yaml:" in out


def make_pr(repo: Path) -> None:
    """main gains a case after `feature` forked; feature removes one properly."""
    git(repo, "checkout", "-q", "-b", "feature")
    directory = repo / DS
    main(["remove", "AGTFAIL-0002", "--reason", "duplicate of AGTFAIL-0001", "--by", "dana"])
    commit_all(repo, "remove a duplicate")
    git(repo, "checkout", "-q", "main")
    write_dataset(directory, (1, 2, 3, 4))
    commit_all(repo, "main promotes 4")
    git(repo, "checkout", "-q", "feature")


def test_base_mode_compares_against_the_merge_base(dataset_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_pr(dataset_repo)
    capsys.readouterr()
    code, out = run_cli(capsys, "--base", "main")
    assert code == 0, out  # case 4 exists only on main: not vanished from feature's point of view
    # Tamper with history on the branch and commit it (a hook skipped with --no-verify).
    hist = dataset_repo / DS / "history.jsonl"
    hist.write_text(hist.read_text().replace('"promoted"', '"regressed"', 1))
    commit_all(dataset_repo, "tamper")
    code, out = run_cli(capsys, "--base", "main")
    assert code == 1 and "HISTORY_EDITED" in out and "AGTFAIL-0001" in out


def test_base_mode_unknown_revision(dataset_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_cli(capsys, "--base", "origin/nope")
    assert code == 2 and "unknown revision 'origin/nope'" in out and "Traceback" not in out


def test_shallow_clone_without_the_base_is_an_error(
    dataset_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_pr(dataset_repo)
    for extra in ([], ["--no-single-branch"]):
        clone = tmp_path / f"shallow{len(extra)}"
        git(
            tmp_path, "clone", "-q", "--depth", "1", *extra, "--branch", "feature", f"file://{dataset_repo}", str(clone)
        )
        monkeypatch.chdir(clone)
        code, out = run_cli(capsys, "--base", "origin/main")
        # single-branch: origin/main is missing; no-single-branch: it is there
        # but the merge-base was cut off. Either way: exit 2 and how to fix it.
        assert code == 2 and "fetch-depth: 0" in out, out
    git(clone, "fetch", "-q", "--unshallow")
    assert run_cli(capsys, "--base", "origin/main")[0] == 0


# -- real git hooks ----------------------------------------------------------------


def install_hook(repo: Path) -> None:
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\nexec failgate check-ledger\n")
    hook.chmod(hook.stat().st_mode | stat.S_IEXEC)


def commit(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "commit", "-q", "-m", "change", *args], cwd=repo, capture_output=True, text=True, env=no_git_env()
    )


def test_hook_reads_the_index_git_commit_uses(dataset_repo: Path) -> None:
    # `git commit -a` and `git commit PATH` stage into a temporary index and
    # export GIT_INDEX_FILE: reading .git/index would see the old content.
    install_hook(dataset_repo)
    drop_case(dataset_repo / DS)
    for args in (["-a"], ["--", f"{DS}/cases.yaml"]):
        result = commit(dataset_repo, *args)
        # git sends a hook's stdout to stderr
        assert result.returncode == 1 and "VANISHED AGTFAIL-0002" in result.stderr, (args, result)
    git(dataset_repo, "checkout", "-q", "--", DS)
    (dataset_repo / "README.md").write_text("unrelated\n")
    assert commit(dataset_repo, "-a").returncode == 0


def test_hook_in_a_worktree(dataset_repo: Path, tmp_path: Path) -> None:
    install_hook(dataset_repo)  # hooks are shared by worktrees
    worktree = tmp_path / "wt"
    git(dataset_repo, "worktree", "add", "-q", "-b", "wt", str(worktree))
    drop_case(worktree / DS)
    result = commit(worktree, "-a")
    assert result.returncode == 1 and "VANISHED" in result.stderr, result


def test_github_annotations(
    dataset_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    drop_case(dataset_repo / DS)
    git(dataset_repo, "add", "-A")
    code, out = run_cli(capsys)
    assert code == 1 and f"::error file={DS}/cases.yaml,line=" in out


def test_no_traceback_outside_a_repo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = run_cli(capsys)
    assert code == 2 and "not inside a git repository" in out
    assert os.environ.get("GIT_INDEX_FILE") is None


def test_server_side_merge_that_loses_a_line_is_caught(dataset_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # What CI sees on a pull request: refs/pull/N/merge, a merge GitHub made
    # without failgate's merge driver. Both sides' appends must survive it.
    hist = dataset_repo / DS / "history.jsonl"
    base = hist.read_text()
    git(dataset_repo, "checkout", "-q", "-b", "feature")
    hist.write_text(base + event("01JFEATURE", "AGTFAIL-0001", "result", outcome="pass"))
    commit_all(dataset_repo, "feature records a result")
    git(dataset_repo, "checkout", "-q", "main")
    hist.write_text(base + event("01JMAIN", "AGTFAIL-0002", "result", outcome="fail"))
    commit_all(dataset_repo, "main records a result")
    git(dataset_repo, "merge", "-q", "--no-commit", "-s", "ours", "feature")  # keeps only main's line
    commit_all(dataset_repo, "merge that dropped the feature's line")
    # Against the target alone the end points look intact; the merge commit checked
    # against every parent is what catches it.
    code, out = run_cli(capsys, "--base", "HEAD^1")
    assert code == 1 and "(against parent" in out and "event 01JFEATURE (case AGTFAIL-0001)" in out, out
    code, out = run_cli(capsys, "--base", "HEAD^2")  # the PR head: its line is gone
    assert code == 1 and "HISTORY_DELETED event 01JFEATURE (case AGTFAIL-0001)" in out


def test_ci_workflow_text() -> None:
    import yaml

    from failgate.scaffold.ci import ci_workflow

    text = ci_workflow("evals/my failures")
    steps = yaml.safe_load(text)["jobs"]["failgate"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0
    # The ledger check against the target and the PR's head is the action's (action/run.sh, test_action.py).
    action = next(s for s in steps if s.get("uses", "").endswith("failgate@REV"))
    assert action["with"]["dataset"] == "evals/my failures"
    hooks = next(s for s in steps if "pre-commit run" in s.get("run", ""))
    assert hooks["if"] == "always()" and "--all-files --show-diff-on-failure" in hooks["run"]
    assert "evals/my failures/" in text


@pytest.mark.parametrize(
    "now_history",
    [
        history_text(1, 2, 3),  # pure append: the base's lines are reused from now
        history_text(1, 2, 3).replace("\n", "\r\n"),
        history_text(1, 3),  # not a prefix: parsed on its own
        history_text(1) + "not json\n" + history_text(2),
        "",
    ],
)
def test_parse_pair_matches_a_full_parse(now_history: str) -> None:
    from failgate.commands.check_ledger import parse_pair

    for base_history in (history_text(1, 2), history_text(1) + "not json\n", "", history_text(1).rstrip("\n")):
        base_files = {"cases.yaml": cases_text(1).encode(), "history.jsonl": base_history.encode()}
        now_files = {"cases.yaml": cases_text(1).encode(), "history.jsonl": now_history.encode()}
        base, now = parse_pair(DS, base_files, now_files)
        full = parse_dataset(DS, cases=base_files["cases.yaml"], history=base_files["history.jsonl"])
        assert [(h.lineno, h.raw, h.event) for h in base.history] == [(h.lineno, h.raw, h.event) for h in full.history]
        assert sorted(map(str, (f.location for f in base.findings))) == sorted(
            map(str, (f.location for f in full.findings))
        )
        assert check_ledger(base, now) == check_ledger(full, now)
