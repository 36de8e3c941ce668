"""A failure dataset parsed from its files' bytes.

Pure: callers hand in bytes (from the working tree, the index or a blob at a
revision) and get parsed documents plus load findings. Nothing here touches
the file system or git, so `validate`, `check-ledger`, the merge drivers and
the gate all parse the same way from wherever their bytes come from.
"""

from __future__ import annotations

import dataclasses
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from failgate.dataset.jsonstrict import JsonLineError, loads_line, split_lines
from failgate.dataset.model import CASES_FILE, DATASET_FILES, HISTORY_FILE, REMOVED_FILE, WATCHLIST_FILE
from failgate.dataset.yamlstrict import YamlDocument, YamlLoadError, decode, load_yaml
from failgate.exit_codes import PROBLEM
from failgate.findings import Finding, Location


@dataclasses.dataclass
class HistoryLine:
    lineno: int  # 1-based
    raw: str  # the line without its newline (and without a trailing CR)
    event: dict[str, Any] | None  # None when the line is not a JSON object


@dataclasses.dataclass
class Dataset:
    """The dataset's documents; a missing file is None, an unreadable one too
    (with its finding in `findings`)."""

    directory: str  # as shown to users, e.g. "evals/failures"
    cases_doc: YamlDocument | None = None
    removed_doc: YamlDocument | None = None
    watchlist_doc: YamlDocument | None = None
    history: list[HistoryLine] = dataclasses.field(default_factory=list)
    findings: list[Finding] = dataclasses.field(default_factory=list)
    present: set[str] = dataclasses.field(default_factory=set)  # file names that exist

    def path(self, name: str) -> str:
        return f"{self.directory}/{name}" if self.directory else name

    @property
    def cases(self) -> list[dict[str, Any]]:
        return _entries(self.cases_doc, "cases")

    @property
    def removed(self) -> list[dict[str, Any]]:
        return _entries(self.removed_doc, "removed")

    @property
    def watchlist(self) -> list[dict[str, Any]]:
        return _entries(self.watchlist_doc, "cases")

    @property
    def header(self) -> dict[str, Any]:
        data = self.cases_doc.data if self.cases_doc else None
        return data if isinstance(data, dict) else {}

    def case_ids(self) -> list[str]:
        return [c["id"] for c in self.cases if isinstance(c.get("id"), str)]

    def removed_ids(self) -> list[str]:
        return [e["id"] for e in self.removed if isinstance(e.get("id"), str)]

    def events(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """Every JSON object of history.jsonl, as written: what validate checks the shape of."""
        for line in self.history:
            if line.event is not None:
                yield line.lineno, line.event

    def usable_events(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """The events of the shape readers rely on (`events.usable_event`): what every other check reads."""
        from failgate.dataset.events import usable_event

        for lineno, event in self.events():
            if usable_event(event):
                yield lineno, event

    def case_location(self, index: int, *field: str | int) -> Location:
        assert self.cases_doc is not None
        return self.cases_doc.locate(["cases", index, *field])


def _entries(doc: YamlDocument | None, key: str) -> list[dict[str, Any]]:
    if doc is None or not isinstance(doc.data, dict):
        return []
    items = doc.data.get(key)
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, dict)]


def parse_history(data: bytes, path: str) -> tuple[list[HistoryLine], list[Finding]]:
    """One JSON object per line; blank lines are ignored, anything else is a finding."""
    findings: list[Finding] = []
    try:
        text = decode(data, path)
    except YamlLoadError as exc:
        return [], [exc.finding]
    lines: list[HistoryLine] = []
    # Strict per line (jsonstrict): a repeated key, NaN, a lone surrogate or
    # nesting past MAX_DEPTH is a finding at its line, never a crash later.
    for lineno, raw in split_lines(text):
        if not raw.strip():
            continue
        try:
            value = loads_line(raw)
        except JsonLineError as exc:
            findings.append(Finding("INVALID_JSON", exc.message, Location(path, lineno, exc.col or 1)))
            lines.append(HistoryLine(lineno, raw, None))
            continue
        if not isinstance(value, dict):
            findings.append(Finding("INVALID_JSON", "each line must be a JSON object", Location(path, lineno, 1)))
            lines.append(HistoryLine(lineno, raw, None))
            continue
        lines.append(HistoryLine(lineno, raw, value))
    return lines, findings


def conflict_marker_line(data: bytes | None) -> int | None:
    """The 1-based line of the first `<<<<<<<` conflict marker at a line start, or None."""
    if not data or b"<<<<<<<" not in data:
        return None
    offset = 0 if data.startswith(b"<<<<<<<") else data.find(b"\n<<<<<<<") + 1
    return data.count(b"\n", 0, offset) + 1 if offset or data.startswith(b"<<<<<<<") else None


def _load_doc(data: bytes | None, path: str, dataset: Dataset) -> YamlDocument | None:
    if data is None:
        return None
    try:
        doc = load_yaml(data, path, collect=True)
        dataset.findings.extend(doc.findings)
        return doc
    except YamlLoadError as exc:
        dataset.findings.append(exc.finding)
        return None


def parse_dataset(
    directory: str,
    *,
    cases: bytes | None,
    removed: bytes | None = None,
    history: bytes | None = None,
    watchlist: bytes | None = None,
) -> Dataset:
    dataset = Dataset(directory=directory)
    for name, data in (
        (CASES_FILE, cases),
        (REMOVED_FILE, removed),
        (HISTORY_FILE, history),
        (WATCHLIST_FILE, watchlist),
    ):
        if data is not None:
            dataset.present.add(name)
    # A file left with conflict markers is one problem, said first at the marker's line,
    # not one UNKNOWN_CASE or YAML error per line after it: it is not parsed further.
    marked = {
        name: line
        for name, data in (
            (CASES_FILE, cases),
            (REMOVED_FILE, removed),
            (HISTORY_FILE, history),
            (WATCHLIST_FILE, watchlist),
        )
        if (line := conflict_marker_line(data))
    }
    for name, line in marked.items():
        dataset.findings.append(
            Finding(
                "CONFLICT_MARKERS",
                "unresolved merge conflict (a `<<<<<<<` marker): keep both sides' lines, remove the "
                "markers, then `git add` the file (with failgate on PATH its merge driver does this itself)",
                Location(dataset.path(name), line, 1),
            )
        )
    cases = None if CASES_FILE in marked else cases
    removed = None if REMOVED_FILE in marked else removed
    watchlist = None if WATCHLIST_FILE in marked else watchlist
    if HISTORY_FILE in marked:
        history = None
    dataset.cases_doc = _load_doc(cases, dataset.path(CASES_FILE), dataset)
    dataset.removed_doc = _load_doc(removed, dataset.path(REMOVED_FILE), dataset)
    dataset.watchlist_doc = _load_doc(watchlist, dataset.path(WATCHLIST_FILE), dataset)
    if history is not None:
        dataset.history, history_findings = parse_history(history, dataset.path(HISTORY_FILE))
        dataset.findings.extend(history_findings)
    return dataset


def existing_file(path: Path, display: str | None = None) -> bool:
    """Whether a dataset file is there: False when nothing is at `path`,
    FailgateError (exit 1) when something that is not a regular file is.

    A directory or a FIFO named `cases.yaml` is not "no cases.yaml: run
    init"; and opening a FIFO would block the hook forever.
    """
    from failgate.findings import FailgateError

    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return False
    except OSError as exc:
        shown = display or str(path)
        raise FailgateError(
            f"{shown}: {exc.strerror}",
            exit_code=PROBLEM,
            findings=[Finding("UNREADABLE", f"cannot read it: {exc.strerror}", Location(shown))],
        ) from None
    if stat.S_ISREG(mode):
        return True
    kind = "a directory" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else "not a regular file"
    shown = display or str(path)
    raise FailgateError(
        f"{shown} is {kind}",
        exit_code=PROBLEM,
        findings=[
            Finding(
                "NOT_A_FILE",
                f"{path.name} is {kind}; it must be a regular file (move it aside and run `failgate validate`)",
                Location(shown),
            )
        ],
    )


def read_files(
    directory: Path, display: str | None = None, names: tuple[str, ...] = DATASET_FILES
) -> dict[str, bytes | None]:
    """The bytes of the files a dataset is parsed from (None when absent); only `names` are opened."""
    shown = display if display is not None else str(directory)
    return {
        name: (directory / name).read_bytes() if existing_file(directory / name, f"{shown}/{name}") else None
        for name in names
    }


def parse_files(display: str, files: dict[str, bytes | None]) -> Dataset:
    return parse_dataset(
        display,
        cases=files.get(CASES_FILE),
        removed=files.get(REMOVED_FILE),
        history=files.get(HISTORY_FILE),
        watchlist=files.get(WATCHLIST_FILE),
    )


def read_dataset(directory: Path, display: str | None = None, names: tuple[str, ...] = DATASET_FILES) -> Dataset:
    """Parse the dataset in a working-tree directory (the I/O edge); a file not in `names`
    is neither opened nor parsed, as if absent (the eval needs no 30 MB history to run)."""
    shown = display if display is not None else str(directory)
    return parse_files(shown, read_files(directory, shown, names))


def _dataset(directory: str, files: dict[str, bytes], *, history: bool = True) -> Dataset:
    return parse_dataset(
        directory,
        cases=files.get(CASES_FILE),
        removed=files.get(REMOVED_FILE),
        history=files.get(HISTORY_FILE) if history else None,
        watchlist=files.get(WATCHLIST_FILE),
    )


def _lf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n") if b"\r" in data else data


def parse_pair(directory: str, base_files: dict[str, bytes], now_files: dict[str, bytes]) -> tuple[Dataset, Dataset]:
    """Both sides parsed; the base's history is parsed only when it has to be.

    The usual commit appends to history.jsonl, so the base's bytes are a
    prefix of now's: then the base's lines *are* now's first lines, and
    parsing a 100,000-line file a second time would be the largest cost of
    the whole check (check-ledger must stay within 2x validate: it runs on every commit).
    """
    now = _dataset(directory, now_files)
    old_history, new_history = base_files.get(HISTORY_FILE), now_files.get(HISTORY_FILE)
    if old_history is None or new_history is None:
        return _dataset(directory, base_files), now
    old_lf, new_lf = _lf(old_history), _lf(new_history)
    if not (old_lf.endswith(b"\n") or not old_lf) or not new_lf.startswith(old_lf):
        return _dataset(directory, base_files), now
    base = _dataset(directory, base_files, history=False)
    base.present.add(HISTORY_FILE)
    last_line = old_lf.count(b"\n")
    base.history = [line for line in now.history if line.lineno <= last_line]
    base.findings.extend(
        f for f in now.findings if f.location.path == now.path(HISTORY_FILE) and f.location.line <= last_line
    )
    return base, now


def pair_files(
    base_dir: str, now_dir: str, base_files: dict[str, bytes], now_files: dict[str, bytes]
) -> tuple[Dataset, Dataset]:
    """The two sides of a comparison (check-ledger, the gate's range check): one
    history parse when both sides are one directory and now only appended."""
    if base_dir == now_dir:
        return parse_pair(now_dir, base_files, now_files)
    return parse_files(base_dir, base_files), parse_files(now_dir, now_files)  # type: ignore[arg-type]
