"""`failgate fmt [FILES]`: fill or correct the derived fields of every case.

`input_hash` from the input, `regressed_count` from history.jsonl, in
`cases.yaml` and `watchlist.yaml`; every other byte unchanged
(`failgate.dataset.derived`). Like the standard pre-commit fixers: exit 1 when
it changed a file (the commit stops so that the fix can be reviewed and
staged), 0 when everything was already right, 2 for usage errors. Written
atomically under the dataset's lock: nothing or everything changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


def run_fmt(files: tuple[str, ...], check: bool = False) -> int:
    from failgate.atomic import Transaction, locked
    from failgate.commands.validate import _display, dataset_dirs_for
    from failgate.config import load_config
    from failgate.dataset.derived import fix_derived
    from failgate.dataset.history import fold_bytes
    from failgate.dataset.model import CASES_FILE, HISTORY_FILE, WATCHLIST_FILE
    from failgate.dataset.yamlstrict import load_yaml_text
    from failgate.findings import FailgateError

    config = load_config()
    changed_files = 0
    for directory in dataset_dirs_for(files, config.dataset_dir):
        if not (directory / CASES_FILE).is_file():
            raise FailgateError(
                f"no {CASES_FILE} in {_display(directory)}: run `failgate init`, or set `dataset` in [tool.failgate]"
            )
        with locked(directory):
            history = directory / HISTORY_FILE
            fold = fold_bytes(history.read_bytes() if history.is_file() else b"")
            regressions = {case_id: entry.regressions for case_id, entry in fold.cases.items()}
            transaction = Transaction()
            for name in (CASES_FILE, WATCHLIST_FILE):
                path = directory / name
                if not path.is_file():
                    continue
                shown = _display(path)
                doc = load_yaml_text(path.read_text(encoding="utf-8"), shown)
                text, fixes = fix_derived(doc, regressions)
                if not fixes:
                    continue
                changed_files += 1
                for fix in fixes:
                    click.echo(f"{shown}: {'would fix' if check else 'fixed'} {fix.describe()}")
                if not check:
                    transaction.write(path, text)
            events = _lifecycle(directory, config.root)
            if events:
                changed_files += 1
                for event in events:
                    detail = event["detail"]
                    what = (
                        f"{detail['from']} -> {detail['to']}"
                        if event["type"] == "status_changed"
                        else f"{detail['date']}: {detail['change']}"
                    )
                    verb = "would record" if check else "recorded"
                    click.echo(f"{_display(history)}: {verb} {event['type']} {event['case_id']} ({what})")
                if not check:
                    from failgate.dataset.events import event_line

                    text = history.read_text(encoding="utf-8") if history.is_file() else ""
                    if text and not text.endswith("\n"):
                        text += "\n"
                    transaction.write(history, text + "".join(event_line(e) for e in events))
            if not check:
                transaction.commit()
    return 1 if changed_files else 0


def _lifecycle(directory: Path, root: Path) -> list[dict[str, Any]]:
    """status_changed / remediated events for what changed since HEAD (failgate.dataset.lifecycle)."""
    import json

    from failgate.dataset.events import default_actor
    from failgate.dataset.lifecycle import lifecycle_events, recorded, statuses
    from failgate.dataset.model import CASES_FILE, HISTORY_FILE, WATCHLIST_FILE
    from failgate.dataset.yamlstrict import load_yaml_text
    from failgate.findings import FailgateError

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
        try:
            event = json.loads(line)
        except ValueError:
            continue
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


@click.command("fmt")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--check", is_flag=True, help="Say what would change, write nothing (exit 1 if anything would).")
def command(files: tuple[str, ...], check: bool) -> int:
    """Fill or correct input_hash and regressed_count; every other byte unchanged.

    With FILES (as pre-commit passes them), the datasets they belong to;
    without, the configured dataset. Exit 0 nothing to change, 1 fixed (or
    would fix, with --check), 2 usage or configuration error.
    """
    return run_fmt(files, check=check)
