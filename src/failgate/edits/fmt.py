"""`failgate fmt [FILES]`, the use case: fill or correct the derived fields of every
case (`input_hash` from the input, `regressed_count` from history.jsonl) in
`cases.yaml` and `watchlist.yaml`; every other byte unchanged (`dataset.derived`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from failgate.atomic import locked
from failgate.checks.validate_files import dataset_dirs_for, display
from failgate.config import load_config
from failgate.dataset.derived import fix_derived
from failgate.dataset.events import event_line
from failgate.dataset.history import fold_bytes
from failgate.dataset.model import CASES_FILE, HISTORY_FILE, WATCHLIST_FILE
from failgate.dataset.yamlstrict import load_yaml_text
from failgate.findings import FailgateError
from failgate.transaction import Transaction


@dataclasses.dataclass
class FmtOutcome:
    fixes: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (file as shown, what was fixed)
    changed_files: int = 0
    # status_changed / remediated events recorded for what changed since HEAD: (history as shown, what)
    recorded: list[tuple[str, str]] = dataclasses.field(default_factory=list)


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
            events = _lifecycle(directory, config.root)
            if events:
                outcome.changed_files += 1
                for event in events:
                    detail = event["detail"]
                    what = (
                        f"{detail['from']} -> {detail['to']}"
                        if event["type"] == "status_changed"
                        else f"{detail['date']}: {detail['change']}"
                    )
                    outcome.recorded.append((display(history), f"{event['type']} {event['case_id']} ({what})"))
                if not check:
                    text = history.read_text(encoding="utf-8") if history.is_file() else ""
                    if text and not text.endswith("\n"):
                        text += "\n"
                    transaction.write(history, text + "".join(event_line(e) for e in events))
            if not check:
                transaction.commit()
    return outcome


def _lifecycle(directory: Path, root: Path) -> list[dict[str, Any]]:
    """status_changed / remediated events for what changed since HEAD (failgate.dataset.lifecycle)."""
    from failgate.dataset.events import default_actor
    from failgate.dataset.jsonstrict import loads_or_none
    from failgate.dataset.lifecycle import lifecycle_events, recorded, statuses

    def cases_of(text: str | None, key: str) -> list[dict[str, Any]]:
        if not text:
            return []
        try:
            data = load_yaml_text(text, "-").data
        except FailgateError:
            return []
        items = data.get(key) if isinstance(data, dict) else None
        return [c for c in items if isinstance(c, dict)] if isinstance(items, list) else []

    def read(path: Path) -> str | None:
        return path.read_text(encoding="utf-8") if path.is_file() else None

    try:
        from failgate.gitrepo import open_repo

        repo = open_repo(root)
        head = None if repo.is_head_unborn() else repo.resolve("HEAD")
    except FailgateError:
        return []  # not a git repository: no previous commit to compare with
    if head is None:
        return []

    def at_head(name: str) -> str | None:
        data = repo.get_blob(head, repo.relpath(directory / name))
        return data.decode("utf-8", "replace") if data is not None else None

    previous = statuses(cases_of(at_head(CASES_FILE), "cases"), cases_of(at_head(WATCHLIST_FILE), "cases"))
    lines = []
    for line in (read(directory / HISTORY_FILE) or "").splitlines():
        event = loads_or_none(line)  # the limits every reader keeps; a bad line is validate's to report
        if isinstance(event, dict):
            lines.append(event)
    status, remediations = recorded(lines)
    return lifecycle_events(
        cases_of(read(directory / CASES_FILE), "cases"),
        cases_of(read(directory / WATCHLIST_FILE), "cases"),
        previous,
        status,
        remediations,
        default_actor(repo.get_user_email()),
    )
