"""`--html PATH` and `--output PATH` never replace what the user named with a regular file.

A report path is the user's: `/dev/null`, `/dev/stdout`, a FIFO a CI step reads from, a symlink into a
published folder. Each is written through (the link keeps pointing where it did), or refused with one line;
a regular file, the control, is replaced atomically as before.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from gate_repo import env, setup_consumer

DS = "evals/failures"


def failgate(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "failgate", *args], cwd=cwd, env=env(), capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def project(git_repo: Path) -> Path:
    return setup_consumer(git_repo)


COMMANDS = {
    "report --html": ["report", "--html"],
    "eval --output": ["eval", "--format", "json", "--output"],
}
MARKERS = {"report --html": "<!doctype html>", "eval --output": '"cases"'}


def read_fifo(fifo: Path, into: list[bytes]) -> threading.Thread:
    def reader() -> None:
        with open(fifo, "rb") as handle:
            into.append(handle.read())

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("command", COMMANDS)
def test_a_fifo_is_written_through_and_stays_a_fifo(project: Path, tmp_path: Path, command: str) -> None:
    fifo = tmp_path / "report.pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    thread = read_fifo(fifo, got)
    result = failgate(project, *COMMANDS[command], str(fifo))
    thread.join(timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode), "the FIFO was replaced by a regular file"
    assert got and MARKERS[command] in got[0].decode().lower()


def test_a_fifo_with_no_reader_is_refused_not_waited_on(project: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "report.pipe"
    os.mkfifo(fifo)
    result = failgate(project, "report", "--html", str(fifo))
    assert result.returncode == 2 and "a FIFO with no reader" in result.stderr, result.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_symlink_keeps_pointing_where_it_did(project: Path, tmp_path: Path, command: str) -> None:
    published = tmp_path / "site" / "index.html"
    published.parent.mkdir()
    published.write_text("old page\n")
    link = tmp_path / "latest.html"
    link.symlink_to(published)
    result = failgate(project, *COMMANDS[command], str(link))
    assert result.returncode == 0, result.stdout + result.stderr
    assert link.is_symlink() and os.readlink(link) == str(published)
    assert MARKERS[command] in published.read_text().lower()
    assert not [p for p in published.parent.iterdir() if p.name.endswith(".failgate-tmp")]


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_a_character_device_is_written_through_not_replaced(project: Path, tmp_path: Path) -> None:
    device = tmp_path / "null"
    os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a private /dev/null
    result = failgate(project, "report", "--html", str(device))
    assert result.returncode == 0, result.stdout + result.stderr
    assert stat.S_ISCHR(os.lstat(device).st_mode), "the device node was replaced by an HTML file"


def test_a_link_to_stdout_receives_the_report(project: Path, tmp_path: Path) -> None:
    """What `--output /dev/stdout` is: a link to the process's fd 1, a pipe here. A private link, so that a
    failgate that replaces what it is given (the bug) damages nothing but this test's folder."""
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    result = failgate(project, "eval", "--format", "json", "--output", str(link))
    assert result.returncode == 0, result.stderr
    assert '"cases"' in result.stdout
    assert link.is_symlink()


@pytest.mark.parametrize("command", COMMANDS)
def test_control_a_regular_file_is_replaced_whole(project: Path, tmp_path: Path, command: str) -> None:
    out = tmp_path / "out" / "report"
    out.parent.mkdir()
    out.write_text("stale\n")
    result = failgate(project, *COMMANDS[command], str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert stat.S_ISREG(os.lstat(out).st_mode) and MARKERS[command] in out.read_text().lower()
    assert sorted(p.name for p in out.parent.iterdir()) == ["report"]
