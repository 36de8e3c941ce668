from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest
from conftest import git

from failgate.cli import main


def snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_init_scaffolds_a_valid_dataset(git_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, output = run(capsys, "init", "--owner", "@acme/agents")
    assert code == 0, output
    dataset = git_repo / "evals" / "failures"
    for name in ("cases.yaml", "cases_removed.yaml", "history.jsonl", "_intake/.gitkeep", ".schema/cases.schema.json"):
        assert (dataset / name).exists(), name
    cases = (dataset / "cases.yaml").read_text()
    assert cases.startswith("# yaml-language-server: $schema=.schema/cases.schema.json\n")
    assert "/evals/failures/ @acme/agents" in (git_repo / ".github" / "CODEOWNERS").read_text()
    attributes = (git_repo / ".gitattributes").read_text()
    assert "evals/failures/history.jsonl merge=failgate-history eol=lf" in attributes
    assert "evals/failures/*.yaml eol=lf" in attributes
    assert ".failgate-cache/" in (git_repo / ".gitignore").read_text()
    assert ".failgate.lock" in (git_repo / ".gitignore").read_text().splitlines()
    assert "fetch-depth: 0" in (git_repo / ".github" / "workflows" / "failgate.yml").read_text()
    assert git(git_repo, "config", "--get", "merge.failgate-history.driver").stdout.startswith("failgate merge-driver")
    assert "failgate-validate" in output  # the pre-commit snippet
    assert run(capsys, "validate")[0] == 0


def test_init_is_idempotent(git_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "init")[0] == 0
    before = snapshot(git_repo)
    code, output = run(capsys, "init")
    assert code == 0
    assert "nothing to do" in output
    assert snapshot(git_repo) == before
    assert "REPLACE-WITH-DATASET-OWNERS" in output  # still reminds the user


def test_init_keeps_existing_files_and_owner_lines(git_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (git_repo / "CODEOWNERS").write_text("* @everyone\n/evals/failures/ @ml-team\n")
    (git_repo / ".gitattributes").write_text("*.png binary\n")
    assert run(capsys, "init", "--owner", "@other")[0] == 0
    # kept as written; what decides how the dataset is checked is added below it
    assert (git_repo / "CODEOWNERS").read_text().startswith("* @everyone\n/evals/failures/ @ml-team\n")
    assert not (git_repo / ".github" / "CODEOWNERS").exists()
    assert (git_repo / ".gitattributes").read_text().startswith("*.png binary\n# failgate")


def test_init_respects_the_configured_dataset_with_spaces(git_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (git_repo / "failgate.toml").write_text('dataset = "data/my failures"\n')
    assert run(capsys, "init")[0] == 0
    assert (git_repo / "data" / "my failures" / "cases.yaml").is_file()
    attributes = (git_repo / ".gitattributes").read_text()
    assert '"data/my failures/history.jsonl" merge=failgate-history eol=lf' in attributes
    # git itself reads the quoted pattern as meant
    out = git(git_repo, "check-attr", "merge", "--", "data/my failures/history.jsonl").stdout
    assert out.strip().endswith("merge: failgate-history")
    assert run(capsys, "validate")[0] == 0


def test_init_refuses_outside_git(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, output = run(capsys, "init")
    assert code == 2
    assert "not inside a git work tree" in output
    assert list(tmp_path.iterdir()) == []


def test_console_script_runs(git_repo: Path) -> None:
    result = subprocess.run(["failgate", "--version"], capture_output=True, text=True)
    assert result.returncode == 0
    assert "failgate" in result.stdout


def test_codeowners_also_covers_the_policy_file_and_local_plugins(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The gate trusts these from the base: the dataset's reviewers must see changes to them.
    (git_repo / "failgate.toml").write_text('agent = "shop:run"\n[intake]\nredactor = "myredact:redact"\n')
    (git_repo / "myredact.py").write_text("def redact(text):\n    return text\n")
    code, output = run(capsys, "init", "--owner", "@acme/agents")
    assert code == 0, output
    owners = (git_repo / ".github" / "CODEOWNERS").read_text().splitlines()
    assert {"/evals/failures/ @acme/agents", "/failgate.toml @acme/agents", "/myredact.py @acme/agents"} <= set(owners)
    assert run(capsys, "init", "--owner", "@acme/agents")[0] == 0  # idempotent
    assert (git_repo / ".github" / "CODEOWNERS").read_text().splitlines() == owners


def test_codeowners_without_failgate_toml_names_the_dataset_and_how_it_is_checked(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "init", "--owner", "@acme/agents")[0] == 0
    owners = (git_repo / ".github" / "CODEOWNERS").read_text().splitlines()
    # the dataset, and what decides how it is checked: the workflow, the hooks, attributes, the gold set
    assert owners == [
        "/evals/failures/ @acme/agents",
        "/.gitattributes @acme/agents",
        "/.github/workflows/failgate.yml @acme/agents",
        "/.pre-commit-config.yaml @acme/agents",
        "/evals/judge_gold.yaml @acme/agents",
    ]
