"""`eval --record-cassettes`: a live run's interactions written as each case's cassette.

Each case that ran gets `cassettes/<ID>.jsonl` (or the path its
`input.cassette` already names), and a case without `input.cassette` gets the
key, added as one line under its `input:`; everything is written in one
transaction under the dataset lock, so a failure leaves every file as it was.
Only the first attempt is recorded: one run is what the cassette replays.
"""

from __future__ import annotations

import datetime
import posixpath
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from failgate.findings import FailgateError


def _add_cassette_key(text: str, doc: Any, index: int, ref: str) -> str:
    """cases.yaml with `cassette: ref` as the first key of case `index`'s block-style `input`."""
    import yaml

    location = doc.locate(["cases", index, "input"])
    lines = text.split("\n")
    row = location.line - 1  # the first line of the input mapping's value
    line = lines[row] if 0 <= row < len(lines) else ""
    indent = len(line) - len(line.lstrip(" "))
    if not line.strip() or line.strip().startswith("{") or ":" not in line:
        raise FailgateError(
            f"{doc.path}: case {index + 1}'s input is not a block mapping; add `cassette: {ref}` to it by hand"
        )
    lines.insert(row, " " * indent + "cassette: " + yaml.safe_dump(ref, default_style=None).strip().split("\n")[0])
    return "\n".join(lines)


def _check_additions(before: Any, after: Any, additions: list[tuple[int, str]], path: str) -> None:
    """The edited file reads back as the same cases plus `input.cassette` where it was added, or the
    recording stops before anything is written (a flow-style `input: {...}` is edited by hand)."""
    old, new = before.get("cases") or [], after.get("cases") or []
    for index, ref in additions:
        expected = dict(old[index])
        expected["input"] = {"cassette": ref, **dict(old[index].get("input") or {})}
        if len(new) != len(old) or new[index] != expected:
            raise FailgateError(
                f"{path}: cannot add `cassette: {ref}` to {old[index].get('id')}'s input as a line of its own "
                "(is it written flow-style, `input: {...}`?); add it by hand and record again; nothing was written",
                exit_code=1,
            )


def record_cassettes(
    dataset_dir: Path, items: Sequence[Any], result: Any, source: str = "eval --record-cassettes"
) -> list[str]:
    """Write the cassettes of the cases in `result` that recorded; returns the paths written (relative)."""
    from failgate.atomic import locked
    from failgate.dataset.cassette import cassette_ref, default_path, path_problem, render_cassette
    from failgate.dataset.model import CASES_FILE
    from failgate.dataset.yamlstrict import load_yaml
    from failgate.transaction import Transaction

    by_id: dict[str, Mapping[str, Any]] = {item.id: item.case for item in items if item.source == "cases"}
    written: list[str] = []
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with locked(dataset_dir):
        cases_path = dataset_dir / CASES_FILE
        text = cases_path.read_text(encoding="utf-8")
        doc = load_yaml(text.encode("utf-8"), str(cases_path))
        ids = [c.get("id") if isinstance(c, dict) else None for c in (doc.data or {}).get("cases") or []]
        transaction = Transaction(dataset_dir)
        additions: list[tuple[int, str]] = []
        for case_result in result.cases:
            case = by_id.get(case_result.case_id)
            attempts = case_result.attempts
            report = attempts[0].replay if attempts else None
            if case is None or not report or report.get("status") != "recorded":
                continue
            ref = cassette_ref(case) or default_path(case_result.case_id)
            problem = path_problem(ref)
            if problem:
                raise FailgateError(f"{case_result.case_id}: cassette '{ref}' {problem}", exit_code=1)
            data = render_cassette(
                case_result.case_id, report.get("interactions") or [], source=source, recorded_at=stamp
            )
            transaction.write(dataset_dir / posixpath.normpath(ref), data)
            written.append(ref)
            if cassette_ref(case) is None and case_result.case_id in ids:
                additions.append((ids.index(case_result.case_id), ref))
        for index, ref in sorted(additions, reverse=True):  # from the last case up: earlier lines stay put
            text = _add_cassette_key(text, doc, index, ref)
        if additions:
            _check_additions(
                doc.data, load_yaml(text.encode("utf-8"), str(cases_path)).data, additions, str(cases_path)
            )
            transaction.write(cases_path, text)
        for ref in written:  # only now that every check passed: a refused recording leaves no folder behind
            (dataset_dir / posixpath.normpath(ref)).parent.mkdir(parents=True, exist_ok=True)
        transaction.commit()
    return written
