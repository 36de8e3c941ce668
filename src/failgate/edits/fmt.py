"""`failgate fmt [FILES]`, the use case: fill or correct the derived fields of every
case (`input_hash` from the input, `regressed_count` from history.jsonl) in
`cases.yaml` and `watchlist.yaml`; every other byte unchanged (`dataset.derived`)."""

from __future__ import annotations

import dataclasses

from failgate.atomic import locked
from failgate.checks.validate_files import dataset_dirs_for, display
from failgate.config import load_config
from failgate.dataset.derived import fix_derived
from failgate.dataset.history import fold_bytes
from failgate.dataset.model import CASES_FILE, HISTORY_FILE, WATCHLIST_FILE
from failgate.dataset.yamlstrict import load_yaml_text
from failgate.findings import FailgateError
from failgate.transaction import Transaction


@dataclasses.dataclass
class FmtOutcome:
    fixes: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (file as shown, what was fixed)
    changed_files: int = 0


def fmt_datasets(files: tuple[str, ...], check: bool = False) -> FmtOutcome:
    """Fix the datasets FILES belong to (the configured one without FILES); with
    `check`, only say what would change."""
    config = load_config()
    outcome = FmtOutcome()
    directories = dataset_dirs_for(files, config.dataset_dir)
    for directory in directories:  # all refused before any is written: a failed fmt changes nothing
        if not (directory / CASES_FILE).is_file():
            raise FailgateError(
                f"no {CASES_FILE} in {display(directory)}: run `failgate init`, or set `dataset` in [tool.failgate]"
            )
    for directory in directories:
        with locked(directory):
            history = directory / HISTORY_FILE
            fold = fold_bytes(history.read_bytes() if history.is_file() else b"")
            regressions = {case_id: entry.regressions for case_id, entry in fold.cases.items()}
            transaction = Transaction()
            for name in (CASES_FILE, WATCHLIST_FILE):
                path = directory / name
                if not path.is_file():
                    continue
                shown = display(path)
                raw = path.read_bytes().decode("utf-8")
                # "Every other byte unchanged" includes line ends: a file written with CRLF throughout (a
                # Windows checkout) is edited as LF text and written back with CRLF.
                crlf = "\r\n" in raw and raw.count("\r\n") == raw.count("\n")
                doc = load_yaml_text(raw.replace("\r\n", "\n").replace("\r", "\n"), shown)
                text, fixes = fix_derived(doc, regressions)
                if crlf:
                    text = text.replace("\n", "\r\n")
                if not fixes:
                    continue
                outcome.changed_files += 1
                outcome.fixes += [(shown, fix.describe()) for fix in fixes]
                if not check:
                    transaction.write(path, text)
            if not check:
                transaction.commit()
    return outcome
