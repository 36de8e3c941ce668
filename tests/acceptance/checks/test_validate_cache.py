"""validate remembers clean datasets by the hash of everything it reads, and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
from dataset_builder import write_dataset

import failgate.checks.validate_cache as validate_cache
import failgate.dataset.parse
from failgate.cli import main
from failgate.config import cache_location

DATASET = Path("evals/failures")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["validate", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.fixture
def dataset(git_repo: Path) -> Path:
    return write_dataset(git_repo / DATASET)


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts full validations (each one parses the dataset)."""
    seen: list[str] = []
    real = failgate.dataset.parse.parse_files

    def counting(display: str, files: dict) -> failgate.dataset.parse.Dataset:
        seen.append(display)
        return real(display, files)

    monkeypatch.setattr(failgate.dataset.parse, "parse_files", counting)
    return seen


def test_a_clean_dataset_is_not_parsed_twice(
    dataset: Path, parses: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys) == (0, "")
    assert run(capsys) == (0, "")
    assert len(parses) == 1
    assert (cache_location(dataset.parent.parent) / ".gitignore").read_text().endswith("*\n")


@pytest.mark.parametrize("name", ["cases.yaml", "cases_removed.yaml", "history.jsonl"])
def test_any_changed_byte_validates_again(
    name: str, dataset: Path, parses: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys)[0] == 0
    path = dataset / name
    path.write_text(path.read_text() + "not: [valid\n")
    code, output = run(capsys)
    assert code == 1 and name in output
    assert len(parses) == 2


def test_a_fixture_that_disappears_validates_again(
    dataset: Path, parses: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    (dataset / "fixtures").mkdir()
    (dataset / "fixtures" / "order.json").write_text("{}")
    cases = dataset / "cases.yaml"
    cases.write_text(
        cases.read_text().replace("    input:\n", "    input:\n      fixtures: [fixtures/order.json]\n", 1)
    )
    assert run(capsys) == (0, "")  # fixtures are not part of input_hash: still clean
    assert run(capsys) == (0, "")
    assert len(parses) == 1
    (dataset / "fixtures" / "order.json").unlink()
    code, output = run(capsys)
    assert code == 1 and "FIXTURE" in output


def test_warnings_are_shown_every_time(dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = dataset / "cases.yaml"
    cases.write_text(cases.read_text().replace("Please refund order 8812", "Please refund order 8813"))
    for _ in range(2):
        code, output = run(capsys)
        assert code == 0 and "INPUT_HASH warning" in output


def test_opting_out(
    dataset: Path, parses: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run(capsys)
    run(capsys, "--no-cache")
    monkeypatch.setenv("FAILGATE_NO_CACHE", "1")
    run(capsys)
    assert len(parses) == 3


def test_a_different_failgate_never_reuses_a_verdict(dataset: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = failgate.dataset.parse.read_files(dataset)
    before = validate_cache.dataset_key(dataset, files)
    assert validate_cache.dataset_key(dataset, files) == before
    monkeypatch.setattr(validate_cache, "__version__", "99.0")
    assert validate_cache.dataset_key(dataset, files) != before


def test_the_lock_file_does_not_change_the_key(dataset: Path) -> None:
    before = validate_cache.dataset_key(dataset, failgate.dataset.parse.read_files(dataset))
    (dataset / ".failgate.lock").touch()
    assert validate_cache.dataset_key(dataset, failgate.dataset.parse.read_files(dataset)) == before


def test_every_module_that_decides_the_verdict_is_in_the_cache_key(git_repo: Path) -> None:
    """The attack: someone edits a check (a rule's validator, the redactor) and the
    hook keeps answering "clean" from the cache. Every failgate module a cold
    `validate` imports from the areas that judge the dataset must be in the code
    fingerprint; the edges (CLI, config, reporting, locks) decide no verdict."""
    import json
    import shutil
    import subprocess
    import sys

    root = git_repo
    example = Path(validate_cache.__file__).resolve().parents[1] / "examples" / "support-bot"
    shutil.copytree(example, root / DATASET)
    cases = root / DATASET / "cases.yaml"  # a rule whose embedded schema validate checks itself
    cases.write_text(
        cases.read_text().replace("    expected:\n", "    expected:\n      - json_schema: {type: object}\n", 1)
    )
    code = (
        "import json, sys; from failgate.cli import main; main(['validate', '--no-cache']); "
        "print(json.dumps(sorted(m.__file__ for n, m in list(sys.modules.items()) "
        "if n.startswith('failgate.') and getattr(m, '__file__', None))))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True).stdout
    package = Path(validate_cache.__file__).resolve().parents[1]
    loaded = {Path(f).resolve().relative_to(package).as_posix() for f in json.loads(out.splitlines()[-1])}
    deciding = {
        m
        for m in loaded
        if m.startswith(("dataset/", "checks/", "eval/judge/", "intake/redact"))
        and not m.endswith("__init__.py")
        or m == "eval/judge/__init__.py"
    }
    assert deciding, loaded  # control: the run did import the checks
    assert deciding <= set(validate_cache._VERDICT_MODULES), sorted(deciding - set(validate_cache._VERDICT_MODULES))


@pytest.mark.parametrize("cached", [True, False], ids=["warm: the checks are never imported", "control: --no-cache"])
def test_the_hooks_usual_run_imports_none_of_the_checks(dataset: Path, cached: bool) -> None:
    """The pre-commit hook usually runs on a dataset that did not change: a cache hit must not pay for
    importing the checks (jsonschema's wrapper, the judge's rule table, the cassette reader)."""
    import subprocess
    import sys

    assert subprocess.run([sys.executable, "-m", "failgate", "validate"], capture_output=True).returncode == 0
    flag = "" if cached else ", '--no-cache'"
    code = (
        f"import sys; from failgate.cli import main; main(['validate'{flag}]); "
        "print(sorted(m for m in sys.modules if m.startswith('failgate.checks.')))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert ("failgate.checks.validate'" in loaded) is not cached, loaded
