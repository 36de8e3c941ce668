"""Which cases `failgate eval` runs: loading, filters and the last-failed cache.

The failure set is the dataset directory (`cases.yaml`, plus `watchlist.yaml`
whose cases run but never gate); a named set (`--set aggregate`) is the cases
file at `[tool.failgate.sets.<name>].path`. Deprecated cases are kept in the
selection with a skip reason so the report can count them.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from failgate.config import Config
from failgate.dataset.model import FAILURE_MODES_V1, SEVERITIES, mode_name
from failgate.eval.runner import FAIL, EvalCase, EvalResult
from failgate.findings import FailgateError, Finding, Location

FAILURE_SET = "failures"
LAST_FAILED_FILE = "eval-lastfailed.json"


@dataclasses.dataclass
class Selection:
    cases: list[EvalCase]
    taxonomy: list[str]
    set_name: str
    cases_path: Path
    floor: float | None = None


def _display(path: Path, root: Path) -> str:
    try:
        return os.path.relpath(path, root)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)


def _taxonomy(header: Any) -> list[str]:
    modes = header.get("failure_modes") if isinstance(header, dict) else None
    names = [mode_name(m) for m in modes] if isinstance(modes, list) else []
    return [n for n in names if n] or list(FAILURE_MODES_V1)


def _items(cases: list[dict[str, Any]], doc: Any, base_dir: Path, *, gating: bool, source: str) -> list[EvalCase]:
    items = []
    for index, case in enumerate(cases):
        skip = None
        if case.get("status") == "deprecated":
            skip = f"deprecated: {case.get('deprecated_reason', 'no reason given')}"
        loc = doc.locate(["cases", index]) if doc is not None else None
        location = Location(loc.path, loc.line) if loc is not None else None  # line only: what annotations use
        items.append(EvalCase(case, base_dir, gating=gating, source=source, location=location, skip_reason=skip))
    return items


def load_selection(
    config: Config, set_name: str | None = None, *, watchlist: bool = True, history: bool = False
) -> Selection:
    """The cases of the failure set (default) or of a named set; FailgateError
    when the files cannot be read (exit 1 with the findings) or the set is unknown (exit 2).

    Which cases run needs nothing from history.jsonl, so it is opened only with
    `history` (`eval --record`, which appends to it and refuses to run over a
    broken one): a plain eval costs the same at 200 lines of history as at 200,000."""
    if set_name and set_name != FAILURE_SET:
        return _load_set(config, set_name)
    from failgate.dataset.model import CASES_FILE, HISTORY_FILE, WATCHLIST_FILE
    from failgate.dataset.parse import existing_file, read_dataset

    directory = config.dataset_dir
    if not existing_file(directory / "cases.yaml", f"{_display(directory, config.root)}/cases.yaml"):
        raise FailgateError(
            f"no cases.yaml in {_display(directory, config.root)} (dataset = {config.get('dataset', 'evals/failures')!r});"
            " run `failgate init` or set `dataset` in [tool.failgate]",
            exit_code=2,
        )
    names = (CASES_FILE, WATCHLIST_FILE, HISTORY_FILE) if history else (CASES_FILE, WATCHLIST_FILE)
    dataset = read_dataset(directory, _display(directory, config.root), names)
    return selection_from_dataset(dataset, directory, watchlist=watchlist)


def selection_from_dataset(
    dataset: Any, directory: Path, *, watchlist: bool = True, what: str = "the dataset"
) -> Selection:
    """The failure set of an already parsed dataset (from the work tree or from
    blobs at a revision); `directory` is where its fixtures are on disk."""
    errors = [f for f in dataset.findings if f.is_error]
    if errors or dataset.cases_doc is None:
        raise FailgateError(f"{what} cannot be read; fix these first", exit_code=1, findings=errors)
    # A case is run, recorded and compared by its id: one written as a list
    # or a mapping cannot be any of that (validate reports it as SCHEMA too).
    for _name, doc, entries in (
        ("cases", dataset.cases_doc, dataset.cases),
        ("watchlist", dataset.watchlist_doc, dataset.watchlist),
    ):
        for index, case in enumerate(entries if doc is not None else []):
            if not isinstance(case.get("id"), str):
                errors.append(
                    Finding(
                        "ID_TYPE",
                        f"case {index + 1} of {doc.path}: id must be a string like "
                        f"AGTFAIL-0042, not {case.get('id')!r}",
                        doc.locate(["cases", index, "id"]),
                    )
                )
    if errors:
        raise FailgateError(f"{what} has cases without a usable id; fix these first", exit_code=1, findings=errors)
    items = _items(dataset.cases, dataset.cases_doc, directory, gating=True, source="cases")
    if watchlist and dataset.watchlist_doc is not None:
        items += _items(dataset.watchlist, dataset.watchlist_doc, directory, gating=False, source="watchlist")
    return Selection(items, _taxonomy(dataset.header), FAILURE_SET, directory / "cases.yaml")


def _load_set(config: Config, set_name: str) -> Selection:
    from failgate.dataset.yamlstrict import load_yaml

    sets = config.sets
    if set_name not in sets:
        known = ", ".join([FAILURE_SET, *sorted(sets)])
        raise FailgateError(f"unknown set {set_name!r}; configured sets: {known}", exit_code=2)
    spec = sets[set_name]
    if not spec.path.is_file():
        raise FailgateError(f"set {set_name!r}: {_display(spec.path, config.root)} does not exist", exit_code=2)
    doc = load_yaml(spec.path.read_bytes(), _display(spec.path, config.root))
    cases = doc.data.get("cases")
    if not isinstance(cases, list):
        raise FailgateError(f"{doc.path}: expected a 'cases' list", exit_code=1)
    items = _items([c for c in cases if isinstance(c, dict)], doc, spec.path.parent, gating=True, source=set_name)
    return Selection(items, _taxonomy(doc.data), set_name, spec.path, spec.floor)


def filter_cases(
    selection: Selection,
    *,
    ids: Sequence[str] = (),
    modes: Sequence[str] = (),
    severities: Sequence[str] = (),
    only: Iterable[str] | None = None,
) -> list[EvalCase]:
    """Cases matching every given filter; asking for an id or a mode that does
    not exist is a usage error (exit 2), not an empty green run."""
    known_ids = {item.id for item in selection.cases}
    missing = [i for i in ids if i not in known_ids]
    if missing:
        raise FailgateError(f"no case {', '.join(missing)} in {selection.set_name}", exit_code=2)
    bad_modes = [m for m in modes if m not in selection.taxonomy]
    if bad_modes:
        raise FailgateError(
            f"unknown failure mode {', '.join(bad_modes)}; the taxonomy has {', '.join(selection.taxonomy)}",
            exit_code=2,
        )
    bad_severities = [s for s in severities if s not in SEVERITIES]
    if bad_severities:
        raise FailgateError(f"unknown severity {', '.join(bad_severities)}; use {', '.join(SEVERITIES)}", exit_code=2)
    wanted = set(only) if only is not None else None
    return [
        item
        for item in selection.cases
        if (not ids or item.id in ids)
        and (not modes or item.case.get("failure_mode") in modes)
        and (not severities or item.case.get("severity") in severities)
        and (wanted is None or item.id in wanted)
    ]


# -- --last-failed ------------------------------------------------------------
def _cache_file(config: Config) -> Path:
    return config.cache_dir / LAST_FAILED_FILE


def read_last_failed(config: Config, set_name: str) -> set[str] | None:
    """Ids that failed when they last ran, or None when nothing was recorded yet."""
    try:
        data = json.loads(_cache_file(config).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    ids = data.get(set_name) if isinstance(data, dict) else None
    return set(ids) if isinstance(ids, list) else None


def write_last_failed(config: Config, set_name: str, result: EvalResult) -> None:
    """Merge this run into the cache, like pytest's: cases that ran now replace
    their old state, cases not run keep theirs. Best effort: a read-only tree
    must not fail the eval."""
    from failgate.atomic import write_atomic

    path = _cache_file(config)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            data = {}
    except (OSError, ValueError, RecursionError):
        data = {}
    ran = {c.case_id for c in result.cases if c.runs}
    failed = {c.case_id for c in result.cases if c.outcome == FAIL}
    previous = set(data.get(set_name, [])) if isinstance(data.get(set_name), list) else set()
    data[set_name] = sorted((previous - ran) | failed)
    try:
        config.ensure_cache_dir()
        write_atomic(path, json.dumps(data, indent=2, sort_keys=True) + "\n")
    except OSError:
        pass
