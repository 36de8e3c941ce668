"""Writes that never leave a file half-written, and appends that never interleave.

- `write_atomic` / `open_atomic` (streaming): temp file in the same directory,
  fsync, rename over, fsync the directory: a reader (or a crash) sees the old
  content or the new, nothing else.
- `locked(dir)`: an exclusive `flock` on `<dir>/.failgate.lock`, held while a
  command reads-modifies-writes the dataset's files, so two recorders or a
  recorder and `remove` serialise instead of losing each other's appends. The
  holder writes its pid, command and start time into the lock file, so a
  waiter can say who holds it; a waiter gives up after `lock_timeout()`.
- (`failgate.transaction.Transaction`, built on these and the journal: new
  contents for several files, the old version or the new one, whole.)

Temp files are named `.<target>.<pid>.<random>.failgate-tmp`: the pid lets the
next run delete the ones a killed process left (`journal.recover`), and the
suffix is what the `.gitignore` lines `init` writes cover.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from failgate.dataset.model import LOCK_NAME
from failgate.exit_codes import PROBLEM, USAGE
from failgate.findings import FailgateError

TEMP_SUFFIX = ".failgate-tmp"
LOCK_TIMEOUT_ENV = "FAILGATE_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT_S = 60.0  # manual: docs/explanation/transactions.md, "The dataset lock"
LOCK_NOTICE_AFTER_S = 1.0


def fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - not every platform opens directories
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def _staged(path: Path) -> Iterator[tuple[BinaryIO, Path]]:
    """A temp file beside `path`, written through the handle, fsynced and
    given `path`'s mode when the block ends; removed if anything fails."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=TEMP_SUFFIX, dir=path.parent)
    except OSError as exc:
        raise _naming(exc, path) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle, Path(tmp)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else 0o644)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise _naming(exc, path) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _naming(exc: OSError, path: Path) -> OSError:
    """The error with the file the user knows (not the temp file) as its filename."""
    return OSError(exc.errno, exc.strerror or str(exc), str(path))


def _temp_for(path: Path, data: bytes) -> Path:
    with _staged(path) as (handle, tmp):
        handle.write(data)
    return tmp


@contextlib.contextmanager
def open_atomic(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Stream the new content of `path`; it replaces the old one only when the
    block ends without an error. For content too big to hold in memory (a
    merged 150 MB history)."""
    target = Path(path)
    with _staged(target) as (handle, tmp):
        yield handle
    try:
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(target.parent)


def write_atomic(path: str | os.PathLike[str], data: bytes | str) -> None:
    with open_atomic(path) as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)


def write_output(path: str | os.PathLike[str], data: bytes | str) -> None:
    """Write a report to the path a user named (`--output`, `--html`) without replacing what is there
    when it is not a regular file: a device (`/dev/null`, `/dev/stdout`), a FIFO or a socket is written
    through; a symlink keeps pointing where it did and the file it points at gets the new content
    (atomically, when that is a regular file or nothing yet). Only a regular file is replaced."""
    import errno
    import stat

    from failgate.findings import FailgateError

    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        mode = os.stat(target).st_mode  # follows links: what the user's path leads to
    except FileNotFoundError:
        mode = None
    if mode is not None and stat.S_ISDIR(mode):
        raise FailgateError(f"{target}: is a directory; give a file name", exit_code=2)
    if mode is not None and not stat.S_ISREG(mode):
        flags = os.O_WRONLY | getattr(os, "O_NOCTTY", 0)
        if stat.S_ISFIFO(mode):
            flags |= os.O_NONBLOCK  # no reader: fail now instead of waiting forever
        try:
            fd = os.open(target, flags)
        except OSError as exc:
            if stat.S_ISFIFO(mode) and exc.errno == errno.ENXIO:
                raise FailgateError(f"{target}: a FIFO with no reader; start the reader first", exit_code=2) from None
            raise _naming(exc, target) from None
        try:
            if stat.S_ISFIFO(mode):
                os.set_blocking(fd, True)
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view) :]
        except OSError as exc:
            raise _naming(exc, target) from None
        finally:
            os.close(fd)
        return
    if target.is_symlink():
        target = Path(os.path.realpath(target))  # replace the file the link leads to, not the link
    write_atomic(target, payload)


def check_writable(path: Path, option: str) -> None:
    """Refuse, before any work, an output path that cannot be written (exit 2):
    a report that fails after an eval of many minutes is the wrong time to learn it."""
    if path.is_dir():
        raise FailgateError(f"{option} {path}: is a directory; give a file name", exit_code=USAGE)
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise FailgateError(f"{option} {path}: {ancestor} is not a directory", exit_code=USAGE)
    target = path if path.exists() else ancestor
    if not os.access(target, os.W_OK) or (target is ancestor and not os.access(ancestor, os.X_OK)):
        raise FailgateError(
            f"{option} {path}: cannot write there (permission denied or a read-only file system)", exit_code=USAGE
        )


# -- the dataset lock -----------------------------------------------------------
_COMMAND: list[str] | None = None  # the command line `cli.main` was given, for lock and journal notes


def set_command(argv: list[str] | None) -> None:
    global _COMMAND
    _COMMAND = list(argv) if argv is not None else None


def current_command() -> str:
    """`failgate remove AGTFAIL-0002 ...`: who holds a lock or left a journal."""
    args = _COMMAND if _COMMAND is not None else sys.argv[1:]
    return " ".join(["failgate", *args])[:300]


def lock_timeout() -> float:
    """Seconds a command waits for the dataset lock (FAILGATE_LOCK_TIMEOUT, default 60)."""
    raw = os.environ.get(LOCK_TIMEOUT_ENV)
    try:
        value = float(raw) if raw else DEFAULT_LOCK_TIMEOUT_S
    except ValueError:
        value = DEFAULT_LOCK_TIMEOUT_S
    return value if value >= 0 and value == value and value != float("inf") else DEFAULT_LOCK_TIMEOUT_S


def _holder(fd: int) -> str:
    """Who holds the lock, from what the holder wrote into the lock file."""
    try:
        data = os.pread(fd, 4096, 0)
        info = json.loads(data.decode("utf-8")) if data.strip() else {}
    except (OSError, ValueError, RecursionError):  # a lock file is in the work tree: anything can be in it
        info = {}
    if not isinstance(info, dict) or not isinstance(info.get("pid"), int):
        return "another process (it left no details)"
    since = (
        time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(info["since"]))
        if isinstance(info.get("since"), (int, float))
        else "?"
    )
    command = str(info.get("command", ""))[:120]
    return f"pid {info['pid']} (`{command}`) since {since}"


def _open_lock(lock_path: Path) -> int:
    if lock_path.is_symlink() or (lock_path.exists() and not lock_path.is_file()):
        raise FailgateError(
            f"{lock_path} is not failgate's lock file (it is a directory or a special file): "
            f"remove it (`rm -r '{lock_path}'`) and retry",
            exit_code=USAGE,
        )
    try:
        return os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except OSError as exc:
        raise FailgateError(
            f"cannot take the dataset lock {lock_path}: {exc.strerror}; nothing was changed", exit_code=PROBLEM
        ) from None


@contextlib.contextmanager
def locked(directory: str | os.PathLike[str], timeout: float | None = None) -> Iterator[None]:
    """Exclusive advisory lock over a dataset directory.

    Waits at most `timeout` seconds (default `lock_timeout()`); after a second
    it says who holds the lock, and when it gives up it says how to end the
    holder. A holder that died released its flock with it, so the only lock
    that is never released is one held by a stopped or hung process: removing
    the file would not help (that process still holds the old inode), ending
    the process does.
    """
    import fcntl

    lock_path = Path(directory) / LOCK_NAME
    fd = _open_lock(lock_path)
    limit = lock_timeout() if timeout is None else timeout
    started = time.monotonic()
    told = False
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                pass
            waited = time.monotonic() - started
            if waited >= limit:
                holder = _holder(fd)
                pid = holder.split()[1] if holder.startswith("pid ") else "PID"
                raise FailgateError(
                    f"gave up after {limit:g}s waiting for the dataset lock {lock_path}, held by {holder}. "
                    f"If that process is stopped or hung, end it (`kill {pid}`; `ps -p {pid}` shows it), "
                    f"then retry; set {LOCK_TIMEOUT_ENV} to wait longer",
                    exit_code=PROBLEM,
                )
            if not told and waited >= LOCK_NOTICE_AFTER_S:
                sys.stderr.write(f"failgate: waiting for the dataset lock {lock_path}, held by {_holder(fd)}\n")
                sys.stderr.flush()
                told = True
            time.sleep(0.05)
        with contextlib.suppress(OSError):  # best effort: a full disk must not stop the command here
            info = {"pid": os.getpid(), "since": time.time(), "command": current_command()}
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(info).encode("utf-8"), 0)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
