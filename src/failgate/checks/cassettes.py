"""validate's cassette checks: every case's `input.cassette` exists, stays inside the
dataset and the repository, parses, and names its case; no cassette names no case.

Findings point at the case's `input.cassette` line in cases.yaml, or at the
cassette's own file:line for what is wrong inside it. The reads go through a
callable so the same checks serve a work tree and a tree at a revision.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from failgate.dataset.cassette import CASSETTE_DIR, CASSETTE_SUFFIX, cassette_ref, parse_cassette, path_problem
from failgate.findings import Finding, Location

# relative path -> its bytes, or None when there is no such file; raises OutsideRepository for a link out
Reader = Callable[[str], "bytes | None"]


class OutsideRepository(Exception):
    """The path resolves outside the repository (a symlink): refused, its target never read."""


def cassette_findings(dataset: Any, read: Reader, listed: Iterable[str] = ()) -> list[Finding]:
    """`dataset`: the parsed dataset (cases and watchlist); `listed`: the files under the
    dataset's `cassettes/` folder, relative to the dataset directory (for orphans)."""
    findings: list[Finding] = []
    referenced: set[str] = set()
    for source, cases, doc in (
        ("cases", dataset.cases, dataset.cases_doc),
        ("watchlist", dataset.watchlist, getattr(dataset, "watchlist_doc", None)),
    ):
        for index, case in enumerate(cases):
            ref = cassette_ref(case)
            if ref is None:
                continue
            where = (
                dataset.case_location(index, "input", "cassette")
                if source == "cases"
                else (doc.locate(["cases", index, "input", "cassette"]) if doc is not None else Location(source))
            )
            problem = path_problem(ref)
            if problem:
                findings.append(Finding("CASSETTE", f"cassette '{ref}' {problem}", where))
                continue
            import posixpath

            normal = posixpath.normpath(ref)
            referenced.add(normal)
            shown = f"{dataset.directory}/{normal}"
            try:
                data = read(normal)
            except OutsideRepository:
                findings.append(
                    Finding(
                        "CASSETTE", f"cassette '{ref}' resolves outside the repository (a symlink?); refused", where
                    )
                )
                continue
            if data is None:
                findings.append(Finding("CASSETTE", f"cassette '{ref}' does not exist in {dataset.directory}/", where))
                continue
            cassette, problems = parse_cassette(data, shown)
            findings.extend(problems)
            if cassette is not None and cassette.case_id != case.get("id"):
                findings.append(
                    Finding(
                        "CASSETTE",
                        f"names {cassette.case_id}, but {case.get('id')} uses it; a cassette belongs to one case",
                        Location(shown, 1),
                    )
                )
    for name in sorted(listed):
        if name.startswith(f"{CASSETTE_DIR}/") and name.endswith(CASSETTE_SUFFIX) and name not in referenced:
            findings.append(
                Finding(
                    "CASSETTE",
                    "names no case: no case's input.cassette points here (set it on the case, or delete the file)",
                    Location(f"{dataset.directory}/{name}", 1),
                )
            )
    return findings


def cassettes_on_disk(dataset: Any, directory: Path, root: Path) -> list[Finding]:
    """`cassette_findings` over a work tree: links out of the repository refused, unread."""
    from failgate.confinement import escapes
    from failgate.dataset.cassette import CASSETTE_DIR

    def read(relative: str) -> bytes | None:
        path = directory / relative
        if escapes(path, root):
            raise OutsideRepository(relative)
        return path.read_bytes() if path.is_file() else None

    folder = directory / CASSETTE_DIR
    listed = [p.relative_to(directory).as_posix() for p in folder.rglob("*") if p.is_file()] if folder.is_dir() else []
    return cassette_findings(dataset, read, listed)
