"""Real trace stores for the store-pull tests: an `mlflow server` and a `phoenix serve` on 127.0.0.1.

Each store runs from its own virtual environment (they pin dependencies failgate
does not share): `FAILGATE_MLFLOW` / `FAILGATE_PHOENIX` name its executable, else
it is looked up on PATH. Without it the tests skip, unless
`FAILGATE_STORE_TESTS=required` (CI), where a missing store is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

QUIET = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true", "PHOENIX_TELEMETRY_ENABLED": "false"}


def store_executable(name: str) -> Path:
    configured = os.environ.get(f"FAILGATE_{name.upper()}")
    found = configured or shutil.which(name)
    if not found or not Path(found).exists():
        why = f"no {name} executable (set FAILGATE_{name.upper()} or put it on PATH; see .ci/run)"
        if os.environ.get("FAILGATE_STORE_TESTS") == "required":
            pytest.fail(why + " and FAILGATE_STORE_TESTS=required")
        pytest.skip(why)
    return Path(found)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path, timeout_s: float = 300.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the store exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the store did not answer {url} within {timeout_s:.0f} s:\n{log.read_text()[-3000:]}")


@contextmanager
def running(command: list[str], health: str, workdir: Path, env: dict[str, str]) -> Iterator[None]:
    log = workdir / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=workdir, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **QUIET, **env}
        )
    try:
        wait_until_up(health, process, log)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_in_store_env(executable: Path, script: str, *args: str) -> str:
    """Run `script` with the store's own interpreter (its venv's python, beside its executable)."""
    python = executable.parent / ("python.exe" if sys.platform == "win32" else "python")
    done = subprocess.run(
        [str(python), "-c", script, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **QUIET},
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"loading the store failed:\n{done.stderr[-3000:]}")
    return done.stdout.strip().splitlines()[-1]
