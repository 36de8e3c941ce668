"""`failgate fmt [FILES]`: fill or correct the derived fields of every case.

`input_hash` from the input, `regressed_count` from history.jsonl, in
`cases.yaml` and `watchlist.yaml`; every other byte unchanged
(`failgate.dataset.derived`). Like the standard pre-commit fixers: exit 1 when
it changed a file (the commit stops so that the fix can be reviewed and
staged), 0 when everything was already right, 2 for usage errors. Written
atomically under the dataset's lock: nothing or everything changes.
"""

from __future__ import annotations

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
                changed_files += 1
                for fix in fixes:
                    click.echo(f"{shown}: {'would fix' if check else 'fixed'} {fix.describe()}")
                if not check:
                    transaction.write(path, text)
            if not check:
                transaction.commit()
    return 1 if changed_files else 0


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
