"""What a killed command leaves behind, the next command cleans; what it did not leave, it keeps.

- `renumber` killed while its `git add` holds `.git/index.lock` (a process-group kill): every git command
  refused to run until the lock was deleted by hand. The next `failgate renumber` removes it, and only a lock
  its own staging made (control: another git's lock stays).
- A temp file of a killed writer in the work tree's top (where git runs the merge driver and the file it
  rewrites lives) or in `.failgate-cache/`: deleted by the next command (controls: a live writer's, a tracked
  look-alike).
- A judge-model verdict's temp file in the cache: deleted by the next write there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import commit_all, git
from dataset_builder import write_dataset

from acceptance.merge.test_cases_git import collide
from failgate.gitrepo import no_git_env
from failgate.merge import gitattributes_lines

DS = "evals/failures"
REAL_GIT = subprocess.run(["sh", "-c", "command -v git"], capture_output=True, text=True).stdout.strip()
SLOW_ADD = f"""#!/bin/sh
# git, except that `git -C DIR add` takes the index lock and is then killed with failgate
if [ "$3" = "add" ]; then : > "$2/.git/index.lock"; sleep 60; fi
exec {REAL_GIT} "$@"
"""


def env(**extra: str) -> dict[str, str]:
    return {**no_git_env(), **extra}


def failgate(cwd: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "failgate", *args], cwd=cwd, env=env(**extra), capture_output=True, text=True
    )


@pytest.fixture
def collided(git_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    (git_repo / ".gitattributes").write_text("\n".join(gitattributes_lines(DS)) + "\n")
    (git_repo / ".gitignore").write_text(".failgate.lock\n.failgate-journal.json\n*.failgate-tmp\n")
    write_dataset(git_repo / DS)
    assert failgate(git_repo, "install", "--quiet").returncode == 0
    commit_all(git_repo, "base")
    collide(git_repo)
    assert git(git_repo, "merge", "--no-edit", "feature", check=False).returncode == 1
    return git_repo


def kill_renumber_while_it_stages(repo: Path, tmp_path: Path) -> None:
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "git").write_text(SLOW_ADD)
    (shim / "git").chmod(0o755)
    path = f"{shim}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "failgate", "renumber"],
        cwd=repo,
        env=env(PATH=path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    lock = repo / ".git" / "index.lock"
    deadline = time.monotonic() + 60
    while not lock.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert lock.exists(), "renumber never reached its git add"
    os.killpg(proc.pid, signal.SIGKILL)  # failgate and its git add, as a closed terminal would
    proc.wait()


def test_the_index_lock_a_killed_renumber_left_is_removed_by_the_next_one(collided: Path, tmp_path: Path) -> None:
    kill_renumber_while_it_stages(collided, tmp_path)
    assert git(collided, "add", "-A", check=False).returncode != 0  # the lock blocks git itself
    again = failgate(collided, "renumber")
    assert "index.lock, left by a `git add` of failgate's that was killed" in again.stderr, again.stderr
    assert not (collided / ".git" / "index.lock").exists()
    # The files were written before the kill: renumbering again would renumber twice, so it says to stage them.
    assert again.returncode == 1 and "already resolved in the work tree but not staged" in again.stderr
    git(collided, "add", DS)
    git(collided, "commit", "-q", "--no-verify", "--no-edit")


def test_control_another_gits_index_lock_is_left_alone(collided: Path) -> None:
    lock = collided / ".git" / "index.lock"
    lock.write_text("")  # some other git command, still running
    result = failgate(collided, "renumber")
    assert lock.exists(), "failgate removed a lock it did not make"
    assert "index.lock" in result.stderr  # git's own refusal reaches the user
    lock.unlink()  # the other git finished
    assert git(collided, "add", DS, check=False).returncode == 0


def dead_pid() -> int:
    return int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True).stdout)


@pytest.fixture
def project(git_repo: Path) -> Path:
    write_dataset(git_repo / DS)
    (git_repo / ".gitignore").write_text(".failgate.lock\n.failgate-cache/\n*.failgate-tmp\n")
    commit_all(git_repo, "dataset")
    return git_repo


@pytest.mark.parametrize("where", ["", "cache"], ids=["work-tree top", "cache"])
def test_a_killed_writers_temp_file_outside_the_dataset_is_deleted_by_the_next_command(
    project: Path, where: str
) -> None:
    from failgate.caches import cache_location

    # failgate's cache lives under the git directory (failgate.caches), the work tree's top beside %A
    folder = cache_location(project) if where == "cache" else project / where
    folder.mkdir(parents=True, exist_ok=True)
    # What a merge driver killed mid-write leaves beside %A (`.merge_file_Ab12Cd`) in the work tree's top.
    stray = folder / f"..merge_file_Ab12Cd.{dead_pid()}.k3j2h1.failgate-tmp"
    stray.write_text("half a history\n")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    live = folder / f"..merge_file_Zz99Yy.{sleeper.pid}.q1w2e3.failgate-tmp"
    live.write_text("being written\n")
    try:
        result = failgate(project, "validate", "--no-cache")
        assert result.returncode == 0, result.stderr
        assert not stray.exists() and "deleted 1 temp file(s)" in result.stderr
        assert live.exists()  # control: its writer is running
    finally:
        sleeper.kill()
        sleeper.wait()


def test_control_a_tracked_look_alike_is_not_a_temp_file_failgate_left(project: Path) -> None:
    look_alike = project / f".notes.txt.{dead_pid()}.abc.failgate-tmp"
    look_alike.write_text("committed on purpose\n")
    git(project, "add", "-f", look_alike.name)
    git(project, "commit", "-q", "--no-verify", "-m", "a file that looks like a temp file")
    assert failgate(project, "validate", "--no-cache").returncode == 0
    assert look_alike.exists()


def test_a_verdict_cache_temp_file_is_deleted_by_the_next_write_there(tmp_path: Path) -> None:
    from failgate.eval.judge.llm_transport import VerdictCache

    cache = VerdictCache(tmp_path / "llm-verdicts")
    key = "ab" + "0" * 62
    folder = tmp_path / "llm-verdicts" / "ab"
    folder.mkdir(parents=True)
    stray = folder / f".{key}.json.{dead_pid()}.140.failgate-tmp"
    stray.write_text('{"passed": tr')
    cache.put(key, True, "cites the policy")
    assert cache.get(key) == (True, "cites the policy")
    assert sorted(p.name for p in folder.iterdir()) == [f"{key}.json"]
