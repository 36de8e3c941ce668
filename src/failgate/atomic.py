"""Writes that never leave a file half-written, and appends that never interleave.

- `write_atomic` / `open_atomic` (streaming): temp file in the same directory,
  fsync, rename over, fsync the directory: a reader (or a crash) sees the old
  content or the new, nothing else.
- `locked(dir)`: an exclusive `flock` on `<dir>/.failgate.lock`, held while a
  command reads-modifies-writes the dataset's files, so two recorders or a
  recorder and `remove` serialise instead of losing each other's appends.
- `Transaction`: stage new contents for several files and commit them with
  renames under the lock; a failure before commit leaves every file as it was.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterator

from failgate.dataset.model import LOCK_NAME


def _fsync_dir(directory: Path) -> None:
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
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle, Path(tmp)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else 0o644)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


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
    _fsync_dir(target.parent)


def write_atomic(path: str | os.PathLike[str], data: bytes | str) -> None:
    with open_atomic(path) as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)


@contextlib.contextmanager
def locked(directory: str | os.PathLike[str]) -> Iterator[None]:
    """Exclusive advisory lock over a dataset directory (blocks until free)."""
    import fcntl

    lock_path = Path(directory) / LOCK_NAME
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


class Transaction:
    """New contents for several files, written all together or not at all.

    Each file is written to a temp file first (the slow, failure-prone part);
    only when every temp file is on disk are they renamed into place. Renames
    of files in one directory are atomic each; the lock keeps other failgate
    writers from observing the short window between them.
    """

    def __init__(self) -> None:
        self._pending: dict[Path, bytes] = {}

    def write(self, path: str | os.PathLike[str], data: bytes | str) -> None:
        self._pending[Path(path)] = data.encode("utf-8") if isinstance(data, str) else data

    def commit(self) -> None:
        temps: list[tuple[Path, Path]] = []
        try:
            for target, payload in self._pending.items():
                temps.append((_temp_for(target, payload), target))
        except BaseException:
            for tmp, _ in temps:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            raise
        for tmp, target in temps:
            os.replace(tmp, target)
        for directory in {target.parent for _, target in temps}:
            _fsync_dir(directory)
        self._pending.clear()
