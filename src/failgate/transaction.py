"""`Transaction`: new contents for several files, committed through a journal
(`failgate.journal`): after a kill at any point, the next failgate command
finishes the transaction, so the files are the old version or the new one, whole.

Built on `failgate.atomic` (temp files beside their targets) and the journal, which
imports only `atomic`: neither imports this module back.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from failgate import atomic, journal


class Transaction:
    """New contents for several files, written all together or not at all.

    1. every new content goes to a temp file beside its target (the slow,
       failure-prone part: a full disk fails here and changes nothing);
    2. a journal naming every rename is written atomically (the commit point);
    3. the renames run, then the journal is deleted.

    A kill before 2 leaves only temp files (deleted by the next run); a kill
    after 2 leaves a journal that the next failgate command rolls forward
    (`failgate.journal.recover`). The caller holds the dataset lock.
    """

    def __init__(self, journal_dir: str | os.PathLike[str] | None = None) -> None:
        self._pending: dict[Path, bytes] = {}
        self._unlink: list[Path] = []
        self._journal_dir = Path(journal_dir) if journal_dir is not None else None

    def write(self, path: str | os.PathLike[str], data: bytes | str) -> None:
        self._pending[Path(path)] = data.encode("utf-8") if isinstance(data, str) else data

    def unlink(self, path: str | os.PathLike[str]) -> None:
        """Delete `path` as part of the transaction (after the renames)."""
        self._unlink.append(Path(path))

    def commit(self) -> None:
        if not self._pending and not self._unlink:
            return
        temps: list[tuple[Path, Path]] = []
        # The journal lives beside the files (the caller's dataset directory, ideally).
        directory = self._journal_dir or [*self._pending, *self._unlink][0].parent
        try:
            for target, payload in self._pending.items():
                temps.append((atomic._temp_for(target, payload), target))
            journal.crash_point("staged")
            journal.write_journal(directory, temps, self._unlink, self._pending)
        except BaseException:
            for tmp, _ in temps:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            raise
        # From here on the journal is the record: no cleanup on failure, the
        # next command finishes what this one started.
        journal.crash_point("journal")
        journal.apply(directory, temps, self._unlink)
        self._pending.clear()
        self._unlink.clear()
