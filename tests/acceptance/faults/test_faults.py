"""Faults and silently accepted input: each attack beside its control.

Configuration values that used to be accepted (an infinite timeout, a typo'd
`jobs`, `agent = "os:system"`, an unbalanced quote), flag combinations that
wrote invented history, a lock held by a stopped process, files of the wrong
type where failgate keeps its lock and cache.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from failgate.cli import main

DS = "evals/failures"
EXAMPLE = Path(__file__).parents[3] / "src" / "failgate" / "examples" / "support-bot"
AGENT = 'agent = "failgate.examples.support_bot:run"\n'


@pytest.fixture
def project(example_project: Path) -> Path:
    return example_project


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".failgate.lock" and ".failgate-cache" not in p.parts
    }


# -- configuration values ---------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("timeout_s = inf", "timeout_s must be a number > 0 and <= 86400, got inf"),
        ("timeout_s = nan", "timeout_s must be a number > 0"),
        ("timeout_s = 1e300", "timeout_s must be a number > 0 and <= 86400"),
        ("jobs = 100000", "jobs must be an integer from 1 to 256, got 100000"),
        ('agent_command = "python -c \'print(1)"', "No closing quotation"),
    ],
)
def test_absurd_config_values_are_config_errors_at_their_line(
    project: Path, line: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    key = line.split()[0]
    text = (AGENT if key != "agent_command" else "") + "# a comment\n" + line + "\n"
    (project / "failgate.toml").write_text(text)
    before = snapshot(project)
    assert main(["eval"]) == 2
    err = capsys.readouterr().err
    assert f"failgate.toml:{text.count(chr(10))}: CONFIG" in err and message in err, err
    assert "Traceback" not in err and snapshot(project) == before


@pytest.mark.parametrize(
    "line",
    ["timeout_s = 86400", "timeout_s = 0.5", "jobs = 256", "jobs = 1", "agent_command = \"python -c 'print(1)'\""],
)
def test_control_sane_config_values_load(project: Path, line: str) -> None:
    from failgate.config import load_config

    key = line.split()[0]
    (project / "failgate.toml").write_text((AGENT if key != "agent_command" else "") + line + "\n")
    load_config()


def test_agent_that_is_a_standard_library_function_is_refused_at_load(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "failgate.toml").write_text('agent = "os:system"\n')
    assert main(["eval"]) == 2
    err = capsys.readouterr().err
    assert "failgate.toml:1: CONFIG agent must be your agent" in err and "standard-library module" in err
    # --agent on the command line gets the same check.
    (project / "failgate.toml").write_text(AGENT)
    assert main(["eval", "--agent", "subprocess:call"]) == 2
    assert "standard-library module" in capsys.readouterr().err


def test_agent_whose_signature_cannot_take_the_input_is_refused_before_any_case(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "bad_agent.py").write_text(
        "def run(question, context):\n    return {'output': ''}\n"
        "def good(payload, extra=None):\n    return {'output': 'x'}\n"
    )
    assert main(["eval", "--agent", "bad_agent:run"]) == 2
    assert (
        "must take one argument, the case's input mapping; its signature is run(question, context)"
        in capsys.readouterr().err
    )
    assert main(["eval", "--agent", "bad_agent:good"]) == 1  # control: it runs (and fails the cases)
    assert "failed" in capsys.readouterr().out.lower()


def test_agent_command_option_with_an_unbalanced_quote(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--agent-command", "python -c 'print(1)"]) == 2
    assert (
        "--agent-command must be a command line that splits into words (No closing quotation)"
        in capsys.readouterr().err
    )


@pytest.mark.parametrize("owner", ["@team\n* @attacker", "@team\r", "  "])
def test_init_owner_must_be_one_line(git_repo: Path, owner: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "--owner", owner]) == 2
    assert "--owner must be one line of printable text" in capsys.readouterr().err
    assert list(git_repo.iterdir()) == [git_repo / ".git"]  # nothing written
    assert main(["init", "--owner", "@acme/agents @dana"]) == 0  # control


def test_recorded_outputs_are_never_recorded_as_results(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "out.jsonl").write_text("")
    before = snapshot(project)
    assert main(["eval", "--recorded", "out.jsonl", "--record"]) == 2
    assert "--recorded outputs are not one" in capsys.readouterr().err
    assert snapshot(project) == before
    assert main(["eval", "--recorded", "out.jsonl"]) == 1  # control: judging recorded outputs still works


# -- the dataset lock ----------------------------------------------------------------
HOLD = """
import sys, time
from failgate.atomic import locked, set_command
set_command(["remove", "AGTFAIL-0001"])
with locked(sys.argv[1]):
    print("held", flush=True)
    time.sleep(60)
"""


def _holder(directory: Path) -> subprocess.Popen[str]:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(directory)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_a_lock_held_by_a_stopped_process_names_it_and_gives_up(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = project / DS
    holder = _holder(directory)
    try:
        os.kill(holder.pid, signal.SIGSTOP)
        monkeypatch.setenv("FAILGATE_LOCK_TIMEOUT", "2")
        before = snapshot(project)
        started = time.monotonic()
        assert main(["remove", "AGTFAIL-0002", "--reason", "r", "--by", "d"]) == 1
        waited = time.monotonic() - started
        err = capsys.readouterr().err
        assert (
            f"waiting for the dataset lock {directory}/.failgate.lock, held by pid {holder.pid} "
            "(`failgate remove AGTFAIL-0001`) since 20" in err
        )
        assert "gave up after 2s" in err and f"kill {holder.pid}" in err and "FAILGATE_LOCK_TIMEOUT" in err
        assert 2 <= waited < 30 and snapshot(project) == before
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    # Control: the holder is gone (its flock went with it): the same command goes through at once.
    assert main(["remove", "AGTFAIL-0002", "--reason", "r", "--by", "d"]) == 0


def test_control_a_lock_released_within_the_timeout_is_waited_for(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD.replace("time.sleep(60)", "time.sleep(1.5)"), str(project / DS)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert main(["remove", "AGTFAIL-0002", "--reason", "r", "--by", "d"]) == 0
        assert f"held by pid {holder.pid}" in capsys.readouterr().err
    finally:
        holder.wait()


# -- failgate's own files of the wrong type --------------------------------------------
def test_lock_path_that_is_a_directory(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / DS / ".failgate.lock").mkdir()
    before = snapshot(project)
    assert main(["remove", "AGTFAIL-0002", "--reason", "r", "--by", "d"]) == 2
    err = capsys.readouterr().err
    assert ".failgate.lock is not failgate's lock file" in err and "rm -r" in err and "Traceback" not in err
    assert snapshot(project) == before
    (project / DS / ".failgate.lock").rmdir()
    assert main(["remove", "AGTFAIL-0002", "--reason", "r", "--by", "d"]) == 0  # control


def test_cache_path_that_is_a_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / ".failgate-cache").write_text("not a directory")
    assert main(["validate"]) == 0  # the cache is best effort
    assert main(["eval"]) == 0  # so is the last-failed list
    assert "Traceback" not in capsys.readouterr().err
    assert (project / ".failgate-cache").read_text() == "not a directory"


# -- git state and output paths -----------------------------------------------------------
@pytest.fixture
def repo(git_repo: Path) -> Path:
    from conftest import commit_all
    from ledger_data import write_dataset

    write_dataset(git_repo / DS)
    (git_repo / ".gitignore").write_text(".failgate.lock\n.failgate-cache/\n")
    commit_all(git_repo, "dataset")
    return git_repo


@pytest.mark.parametrize(
    "args", [["renumber"], ["check-ledger"], ["validate"], ["remove", "AGTFAIL-0001", "--reason", "r", "--by", "d"]]
)
def test_an_empty_merge_head_is_no_traceback(repo: Path, args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    (repo / ".git" / "MERGE_HEAD").write_text("")
    code = main(args)
    err = capsys.readouterr().err
    assert code in (0, 1, 2) and "Traceback" not in err
    if args == ["renumber"]:
        assert code == 1 and "MERGE_HEAD is empty (an interrupted merge?)" in err and "git merge --abort" in err


def test_control_renumber_without_a_merge(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["renumber"]) == 1
    assert "nothing to renumber" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda root: (root / "report.json").mkdir(), "is a directory"),
        (lambda root: (root / "afile").write_text("x"), "is not a directory"),
    ],
)
def test_output_to_an_unwritable_path_is_refused_before_the_run(
    project: Path, make, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    make(project)
    target = "report.json" if message == "is a directory" else "afile/report.json"
    before = snapshot(project)
    assert main(["eval", "--format", "json", "--output", target, "--record"]) == 2
    err = capsys.readouterr().err
    assert target in err and message in err and "Traceback" not in err
    assert snapshot(project) == before  # refused before the run: --record wrote nothing either


def test_control_output_into_a_new_folder(project: Path) -> None:
    assert main(["eval", "--format", "json", "--output", "reports/new/eval.json"]) == 0
    assert (project / "reports/new/eval.json").is_file()


# -- not root ------------------------------------------------------------------------------
# Tests run as root, which reads and writes anything. setpriv drops the capabilities
# that bypass file permissions (the interpreter lives in root's home, which user
# nobody cannot enter): files owned by nobody then get the permissions a non-root user gets.
NOBODY = 65534
NO_OVERRIDE = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner,-chown", "--"]


def _without_root_powers(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*NO_OVERRIDE, sys.executable, "-m", "failgate.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def shared_project(project: Path) -> Path:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to drop the permission-override capabilities")
    probe = subprocess.run([*NO_OVERRIDE, "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"setpriv cannot drop capabilities here: {probe.stderr!r}")
    return project


def test_an_unreadable_dataset_file_is_a_finding_naming_it(shared_project: Path) -> None:
    cases = shared_project / DS / "cases.yaml"
    os.chown(cases, NOBODY, NOBODY)
    os.chmod(cases, 0o600)  # nobody's, unreadable for everyone else
    done = _without_root_powers(shared_project, "validate")
    assert done.returncode == 1, done
    assert "evals/failures/cases.yaml: UNREADABLE cannot read this file: Permission denied" in done.stdout
    assert "Traceback" not in done.stderr
    for args in (["remove", "AGTFAIL-0002", "--reason", "r", "--by", "d"], ["eval"], ["report"]):
        done = _without_root_powers(shared_project, *args)
        assert done.returncode in (1, 2) and "Traceback" not in done.stderr, (args, done)
        assert "cases.yaml" in done.stderr + done.stdout and "Permission denied" in done.stderr + done.stdout, args


def test_control_a_readable_dataset_it_cannot_write_validates(shared_project: Path) -> None:
    for path in [shared_project, *shared_project.rglob("*")]:
        os.chown(path, NOBODY, NOBODY)
        os.chmod(path, 0o555 if path.is_dir() else 0o444)
    before = snapshot(shared_project)
    done = _without_root_powers(shared_project, "validate")
    assert done.returncode == 0, done  # the cache is best effort: it cannot be created, validate still passes
    assert not (shared_project / ".failgate-cache").exists()
    done = _without_root_powers(shared_project, "remove", "AGTFAIL-0002", "--reason", "r", "--by", "d")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done
    assert "Permission denied" in done.stderr and "nothing was changed" in done.stderr
    assert snapshot(shared_project) == before


# -- failgate demo without pre-commit ------------------------------------------------------
def test_demo_without_pre_commit_says_how_to_install_it_and_runs_the_rest(tmp_path: Path) -> None:
    """A Python that has failgate but no `pre-commit` command on PATH (the base
    interpreter with this venv's packages on PYTHONPATH, and a `failgate` shim
    for the merge drivers)."""
    import site

    bindir = tmp_path / "bin"
    bindir.mkdir()
    python = bindir / "python"
    python.symlink_to(os.path.realpath(sys.executable))
    (bindir / "failgate").write_text(f'#!/bin/sh\nexec "{python}" -m failgate "$@"\n')
    (bindir / "failgate").chmod(0o755)
    src = Path(__file__).parents[3] / "src"
    env = {
        **os.environ,
        "PATH": f"{bindir}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "PYTHONPATH": os.pathsep.join([str(src), *site.getsitepackages()]),
        "TMPDIR": str(tmp_path),
    }
    env.pop("VIRTUAL_ENV", None)
    assert shutil.which("pre-commit", path=env["PATH"]) is None
    done = subprocess.run(
        [str(python), "-m", "failgate", "demo", "--step", "ledger", "--step", "promotions"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "pre-commit is not installed" in out and "pip install pre-commit" in out
    assert "(skipped: this step needs pre-commit" in out  # the ledger step
    assert "refusing a malformed commit; skipped" in out  # the hook half of step 1
    assert "renumbered theirs'" in out and "Traceback" not in out  # the steps without hooks still run


# -- symlinks out of the repository ------------------------------------------------------
SECRET = "TOPSECRET-4b1d"


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    path = outside / "order-7731.json"
    path.write_text(json.dumps({"token": SECRET}) + "\n")
    return path


@pytest.mark.parametrize(
    "args", [["validate"], ["eval"], ["report"], ["remove", "AGTFAIL-0002", "--reason", "r", "--by", "d"]]
)
def test_a_dataset_file_linked_outside_the_repository_is_refused(
    project: Path, secret: Path, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    history = project / DS / "history.jsonl"
    secret.write_text(history.read_text() + json.dumps({"token": SECRET}) + "\n")
    history.unlink()
    history.symlink_to(secret)
    before = secret.read_bytes()
    assert main(args) == 1
    out = capsys.readouterr()
    text = out.out + out.err
    assert "evals/failures/history.jsonl: OUTSIDE_REPO is a symlink that resolves outside the repository" in text
    assert SECRET not in text and str(secret.parent) not in text and "Traceback" not in text
    assert secret.read_bytes() == before and history.is_symlink()


def test_control_a_dataset_file_linked_inside_the_repository_is_read(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = project / DS / "history.jsonl"
    (project / "shared").mkdir()
    (history).rename(project / "shared" / "history.jsonl")
    history.symlink_to(Path("../../shared/history.jsonl"))
    assert main(["validate"]) == 0, capsys.readouterr()


def test_a_fixture_linked_outside_the_repository_is_refused_and_never_read(
    project: Path, secret: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fixture = project / DS / "fixtures" / "order-7731.json"
    fixture.unlink()
    fixture.symlink_to(secret)
    assert main(["validate"]) == 1
    out = capsys.readouterr().out
    line = next(
        n
        for n, text in enumerate((project / DS / "cases.yaml").read_text().splitlines(), 1)
        if text.strip() == "- fixtures/order-7731.json"
    )
    assert (
        f"evals/failures/cases.yaml:{line}:11: OUTSIDE_REPO fixture 'fixtures/order-7731.json' resolves outside" in out
    )
    assert SECRET not in out and str(secret.parent) not in out
    # The eval fails that case without reading the file, and says why.
    (project / "peek.py").write_text(
        "import json\ndef run(payload):\n"
        "    return {'output': ' '.join(open(f).read() for f in payload.get('fixtures', []))}\n"
    )
    assert main(["eval", "--agent", "peek:run", "--case", "AGTFAIL-0009"]) == 1
    out = capsys.readouterr().out
    assert "resolves outside the repository (a symlink?); refused" in out
    assert SECRET not in out and str(secret.parent) not in out


def test_control_a_fixture_linked_inside_the_repository_is_fine(project: Path) -> None:
    fixture = project / DS / "fixtures" / "order-7731.json"
    fixture.rename(project / "order-7731.json")
    fixture.symlink_to(Path("../../../order-7731.json"))
    assert main(["validate", "--no-cache"]) == 0
