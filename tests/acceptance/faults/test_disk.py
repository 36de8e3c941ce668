"""A full disk and a read-only checkout, for real: the project lives on a small
tmpfs that is filled up, or remounted read-only.

Every writing command (remove, promote, eval --record, ingest, renumber) must
fail with one clear line and leave every file as it was; validate of a valid
dataset on a read-only tree passes (its cache is best effort). The control of
each attack is the same command on the same mount once space is freed (or the
mount is writable again).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import commit_all, git, no_git_env

from failgate.cli import main

EXAMPLE = Path(__file__).parents[3] / "src" / "failgate" / "examples" / "support-bot"
DS = "evals/failures"
TRACE = {
    "trace_id": "t1",
    "intent": "refund_request",
    "input": "Can I get a refund for a chargeback?",
    "output": "I'm sorry, but I can't help with that.",
}


def _mount(point: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *options, str(point)], capture_output=True, text=True)


@pytest.fixture
def mounted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A git project with the example dataset on its own 16 MB tmpfs."""
    point = tmp_path / "mnt"
    point.mkdir()
    if os.geteuid() != 0 or _mount(point, "-t", "tmpfs", "-o", "size=16m", "tmpfs").returncode != 0:
        pytest.skip("needs root and permission to mount a tmpfs (a real full disk and read-only tree)")
    try:
        root = point / "repo"
        (root / "evals").mkdir(parents=True)
        shutil.copytree(EXAMPLE, root / DS)
        (root / "failgate.toml").write_text('agent = "failgate.examples.support_bot:run"\n')
        (root / ".gitignore").write_text(".failgate.lock\n.failgate-cache/\n.failgate-journal.json\n*.failgate-tmp\n")
        (root / "traces.jsonl").write_text(json.dumps(TRACE) + "\n")
        git(root, "init", "-q", "-b", "main")
        commit_all(root, "dataset")
        monkeypatch.chdir(root)
        monkeypatch.delenv("FAILGATE_DEMO_BUG", raising=False)
        yield root
    finally:
        os.chdir(tmp_path)
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


def fill(point: Path) -> Path:
    """Write until the file system says ENOSPC; the filler is the space to free later."""
    filler = point / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        for size in (1 << 16, 512, 1):  # big blocks, then the last partial page
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(fd)
    return filler


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
        and ".git" not in p.parts
        and ".failgate-cache" not in p.parts
        and p.name not in (".failgate.lock", "filler")
    }


def _review(root: Path) -> Path:
    from acceptance.intake.test_promote import fill as fill_review

    assert main(["ingest", "traces.jsonl"]) == 0
    (review,) = (root / DS / "_intake").glob("*.yaml")
    fill_review(review)
    return review


WRITERS = {
    "remove": lambda root: ["remove", "AGTFAIL-0002", "--reason", "duplicate", "--by", "dana"],
    "promote": lambda root: [
        "promote",
        str(_review(root)),
        "--candidate",
        "1",
        "--no-reproduce",
        "--reason",
        "r",
        "--by",
        "dana",
    ],
    "eval --record": lambda root: ["eval", "--record", "--no-progress"],
    "ingest": lambda root: ["ingest", "traces.jsonl"],
}


@pytest.mark.parametrize("name", list(WRITERS))
def test_a_full_disk_fails_each_writer_with_one_line_and_changes_nothing(
    mounted: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = WRITERS[name](mounted)
    capsys.readouterr()
    before = snapshot(mounted)
    filler = fill(mounted.parent)
    code = main(args)
    err = capsys.readouterr().err
    assert code == 1, err
    assert "No space left on device" in err and "nothing was changed" in err and "Traceback" not in err
    problem = [line for line in err.splitlines() if "No space left" in line]
    assert len(problem) == 1 and problem[0].startswith("failgate: cannot access '")
    assert snapshot(mounted) == before
    assert not [p for p in mounted.rglob("*") if p.name.endswith(".failgate-tmp")]
    # Control: the same command once there is room again.
    filler.unlink()
    assert main(args) in (0, 1) and "No space" not in capsys.readouterr().err
    assert snapshot(mounted) != before


@pytest.mark.parametrize("name", list(WRITERS))
def test_a_read_only_tree_fails_each_writer_with_one_line_and_changes_nothing(
    mounted: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = WRITERS[name](mounted)
    capsys.readouterr()
    before = snapshot(mounted)
    assert _mount(mounted.parent, "-o", "remount,ro").returncode == 0
    try:
        code = main(args)
        err = capsys.readouterr().err
        assert code == 1, err
        assert "Read-only file system" in err and "Traceback" not in err
        assert len([line for line in err.splitlines() if "Read-only" in line]) == 1
        assert snapshot(mounted) == before
    finally:
        assert _mount(mounted.parent, "-o", "remount,rw").returncode == 0
    assert main(args) in (0, 1) and "Read-only" not in capsys.readouterr().err  # control
    assert snapshot(mounted) != before


def test_validate_of_a_valid_dataset_on_a_read_only_tree_passes(mounted: Path) -> None:
    shutil.rmtree(mounted / ".failgate-cache", ignore_errors=True)
    for lock in mounted.rglob(".failgate.lock"):
        lock.unlink()
    assert _mount(mounted.parent, "-o", "remount,ro").returncode == 0
    try:
        assert main(["validate"]) == 0  # no cache can be written: validated in full, still 0
        assert main(["validate"]) == 0
        assert main(["check-ledger"]) == 0
    finally:
        assert _mount(mounted.parent, "-o", "remount,rw").returncode == 0


# -- renumber, which needs a real id collision ---------------------------------------
def _collided(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dataset_builder import write_dataset

    from acceptance.merge.test_cases_git import collide
    from failgate.merge import gitattributes_lines

    shutil.rmtree(root / DS)
    write_dataset(root / DS)  # the ids collide() promotes are free here
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    (root / ".gitattributes").write_text("\n".join(gitattributes_lines(DS)) + "\n")
    subprocess.run(["failgate", "install", "--quiet"], cwd=root, check=True, env=no_git_env())
    commit_all(root, "drivers")
    collide(root)
    assert git(root, "merge", "--no-edit", "feature", check=False).returncode == 1


@pytest.mark.parametrize("fault", ["full", "read-only"])
def test_renumber_on_a_full_disk_or_read_only_tree(
    mounted: Path, fault: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _collided(mounted, monkeypatch)
    before = snapshot(mounted)
    index = (mounted / ".git" / "index").read_bytes()
    filler = fill(mounted.parent) if fault == "full" else None
    if fault == "read-only":
        assert _mount(mounted.parent, "-o", "remount,ro").returncode == 0
    try:
        capsys.readouterr()
        assert main(["renumber"]) == 1
        err = capsys.readouterr().err
        assert ("No space left on device" if fault == "full" else "Read-only file system") in err
        assert "Traceback" not in err and snapshot(mounted) == before
        assert (mounted / ".git" / "index").read_bytes() == index
    finally:
        if fault == "read-only":
            assert _mount(mounted.parent, "-o", "remount,rw").returncode == 0
        if filler is not None:
            filler.unlink()
    assert main(["renumber"]) == 0  # control
