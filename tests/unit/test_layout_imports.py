"""The import-layer contract of docs/ARCHITECTURE.md, read from the source.

Every module of src/failgate is parsed with `ast`; every import counts, at the top of
a module and inside a function alike (an import moved into a function still runs,
and a circle hidden there still binds the two modules together). Only imports under
`if TYPE_CHECKING:` are left out: they never run. The graph must have no circle, and
each area may import only what the architecture page allows it.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"


def _modules(src: Path) -> dict[str, Path]:
    found = {}
    for path in sorted((src / "failgate").rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node except the bodies of `if TYPE_CHECKING:` blocks."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                yield child
                yield from _runtime_nodes(child)
            continue
        yield node
        yield from _runtime_nodes(node)


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> dict[str, set[str]]:
    """{imported name: how} where how is "top" or "function"; names outside failgate
    are kept as their top-level package (click, pygit2, ...)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: dict[str, set[str]] = {}

    def add(target: str, node: ast.AST) -> None:
        how = "top" if getattr(node, "col_offset", 0) == 0 else "function"
        found.setdefault(target, set()).add(how)

    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = alias.name
                add(target if target.startswith("failgate") else target.split(".")[0], node)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if not base.startswith("failgate"):
                add(base.split(".")[0], node)
                continue
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                add(submodule if submodule in modules else base, node)
    return found


def import_graph(src: Path = SRC) -> dict[str, dict[str, set[str]]]:
    modules = _modules(src)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def circles(graph: dict[str, dict[str, set[str]]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, {}):
            if target not in graph:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


GRAPH = import_graph()
CORE = (
    "dataset",
    "checks",
    "merge",
    "eval",
    "gate",
    "intake",
    "report",
    "scaffold",
    "config",
    "edits",
)  # no click, no CLI


def _area(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _imports_of_area(area: str) -> dict[str, set[str]]:
    return {m: set(targets) for m, targets in GRAPH.items() if _area(m) == area}


def test_no_module_imports_another_that_imports_it_back() -> None:
    found = circles(GRAPH)
    assert found == [], "\n".join(" <-> ".join(c) for c in found)


def test_the_circle_finder_finds_a_circle(tmp_path: Path) -> None:
    package = tmp_path / "failgate"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from failgate import b\n")
    (package / "b.py").write_text("def f() -> None:\n    from failgate.a import x\n")  # hidden in a function
    (package / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from failgate import a\nfrom failgate import b\n"
    )
    graph = import_graph(tmp_path)
    assert circles(graph) == [["failgate.a", "failgate.b"]]
    assert graph["failgate.b"]["failgate.a"] == {"function"}
    assert "failgate.a" not in graph["failgate.c"]  # TYPE_CHECKING imports never run
    (package / "b.py").write_text("x = 1\n")  # control: the same tree without the back edge
    assert circles(import_graph(tmp_path)) == []


@pytest.mark.parametrize("area", CORE)
def test_core_areas_never_import_the_cli(area: str) -> None:
    bad = {
        (m, t)
        for m, targets in _imports_of_area(area).items()
        for t in targets
        if t in ("click", "failgate.cli") or t.startswith("failgate.commands")
    }
    assert bad == set()


def test_only_gitrepo_imports_pygit2() -> None:
    importers = {m for m, targets in GRAPH.items() if "pygit2" in targets}
    assert importers == {"failgate.gitrepo"}


EDGES = (
    "failgate.findings",
    "failgate.atomic",
    "failgate.journal",
    "failgate.transaction",
    "failgate.confinement",
    "failgate.dotted",
    "failgate.gitrepo",
    "failgate.gitconfig",
    "failgate.reporting",
    "failgate.progress",
    "failgate.caches",
)


@pytest.mark.parametrize("module", EDGES)
def test_the_edges_import_findings_the_vocabulary_and_each_other(module: str) -> None:
    # writes below transactions: atomic <- journal <- transaction, never back
    allowed = {
        "failgate.findings",
        "failgate.exit_codes",
        "failgate.dataset.model",
        "failgate.atomic",
        "failgate.journal",
    }
    # recovery refuses a journal git tracks (a committed one came with a pull request): it asks git
    allowed |= {"failgate.gitrepo"} if module == "failgate.journal" else set()
    inside = {t for t in GRAPH[module] if t.startswith("failgate")}
    assert inside <= allowed, inside - allowed


# The "may import" column of ARCHITECTURE.md's map, area by area (besides the area
# itself): a module (or package, with everything under it) per entry.
MAY_IMPORT: dict[str, tuple[str, ...]] = {
    "dataset": ("findings", "intake.redact"),
    "checks": ("dataset", "findings", "eval.judge", "merge.appendonly", "failgate", "config"),
    "merge": ("dataset", "findings", "atomic"),
    # the verdict cache sweeps its own stray temp files with the journal's rule (journal.stray_temps)
    "eval": (
        "dataset",
        "config",
        "findings",
        "dotted",
        "reporting",
        "atomic",
        "transaction",
        "journal",
        "gitrepo",
        "caches",
    ),
    # gate.run, the command's use case, draws the progress bar of its eval
    # the gate imports the base's plugin judges apart from the branch's (dotted.code_from)
    "gate": ("eval", "dataset", "checks", "findings", "config", "gitrepo", "progress", "dotted"),
    # intake.recordings writes the cassettes of the review files it writes
    "intake": ("dataset", "eval.judge", "checks", "config", "findings", "dotted", "atomic", "transaction"),
    # report.run, the command's use case, reads the dataset (or the gate's commit) and writes the page
    "report": ("dataset", "config", "findings", "atomic", "gitrepo", "eval.replay"),
    # scaffold.schedule names the secrets a configured store needs
    "scaffold": ("dataset", "config", "merge", "findings", "gitconfig", "atomic", "intake.sources"),
    "edits": ("dataset", "merge", "checks", "config", "findings", "atomic", "transaction", "gitrepo"),
    # the intake rules are judge rules: config checks their shape with the judge, which
    # never imports config back; no other module that reads a section
    "config": ("findings", "dataset.model", "dataset.jsonstrict", "journal", "confinement", "eval.judge", "caches"),
}
# named once, returned everywhere (like findings); the collector pause imports nothing of failgate
ANYWHERE = ("exit_codes", "collector")


def _within(target: str, entry: str) -> bool:
    name = entry if entry == "failgate" else f"failgate.{entry}"
    return target == name or target.startswith(name + ".")


def _area_imports_outside(area: str, allowed: tuple[str, ...]) -> set[tuple[str, str]]:
    return {
        (module, target)
        for module, targets in _imports_of_area(area).items()
        for target in targets
        if (target == "failgate" or target.startswith("failgate."))
        and _area(target) != area
        and not any(_within(target, entry) for entry in (*allowed, *ANYWHERE))
    }


@pytest.mark.parametrize("area", sorted(MAY_IMPORT))
def test_each_area_imports_what_the_architecture_allows(area: str) -> None:
    assert _area_imports_outside(area, MAY_IMPORT[area]) == set()


def test_an_area_reaching_past_its_column_is_caught() -> None:
    # report/ reads history it is handed; it may not reach into the gate or git
    assert _area_imports_outside("report", MAY_IMPORT["report"]) == set()  # control
    assert _area_imports_outside("report", ()) != set()  # without dataset/ in its column
    assert ("failgate.merge.renumber", "failgate.merge.cases") not in _area_imports_outside("merge", ())


def test_the_judge_never_imports_the_configuration() -> None:
    judge = {m: ts for m, ts in GRAPH.items() if m.startswith("failgate.eval.judge")}
    assert {(m, t) for m, ts in judge.items() for t in ts if t.startswith("failgate.config")} == set()
