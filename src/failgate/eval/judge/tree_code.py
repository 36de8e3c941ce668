"""Code under the tree, by content: a module and every module of the tree it imports, as git blob
ids. Pure over a file reader.

What a judge plugin (or any project-local code failgate trusts) *is*: its own module and what it
imports from the tree, found by reading the import statements, never by importing them (a base
revision's code is never run to learn what it is). A version string stands only for code
installed from outside the tree (the manual's "What the gate trusts").
"""

from __future__ import annotations

import ast
import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

Reader = Callable[[str], "bytes | None"]  # a path relative to the project root -> bytes, None when absent
MAX_MODULES = 500  # a plugin importing more of the tree than this is hashed up to here and says so


def blob_id(data: bytes) -> str:
    """Git's object id for a blob of these bytes (what `git hash-object` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def files_under(root: str | os.PathLike[str]) -> Reader:
    """The reader of a work tree: paths relative to `root`, None where no file is."""

    def read(relative: str) -> bytes | None:
        target = Path(root) / relative
        return target.read_bytes() if target.is_file() else None

    return read


def _module_files(module: str) -> tuple[str, str]:
    path = module.replace(".", "/")
    return f"{path}.py", f"{path}/__init__.py"


def _find(module: str, read: Reader, roots: Sequence[str]) -> tuple[str, bytes] | None:
    """The first file providing `module`, searched in import order (`dotted.code_roots`)."""
    for root in roots:
        for candidate in _module_files(module):
            data = read(root + candidate)
            if data is not None:
                return root + candidate, data
    return None


def _imports(source: bytes, module: str, is_package: bool) -> list[str]:
    """Absolute names of the modules `source` imports (relative imports resolved)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    package = module if is_package else module.rpartition(".")[0]
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".") if package else []
                anchor = ".".join(parts[: len(parts) - (node.level - 1)]) if node.level - 1 <= len(parts) else ""
                base = f"{anchor}.{node.module}" if node.module and anchor else (node.module or anchor)
            else:
                base = node.module or ""
            if base:
                names.append(base)
                # `from pkg import sub` may name a submodule
                names.extend(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return names


def tree_modules(module: str, read: Reader, roots: Sequence[str] = ("",)) -> dict[str, str] | None:
    """{path: blob id} of `module` and every module under the tree it imports, transitively
    (parent packages' `__init__.py` included: importing `a.b` runs `a/__init__.py`).
    `roots`: where modules live, as path prefixes in import order (`dotted.code_roots`: the
    configured pythonpath, `src/`, the tree). None when no file of the tree provides
    `module` (it is installed from outside)."""
    if _find(module, read, roots) is None:
        return None
    found: dict[str, str] = {}
    pending, seen = [module], set()
    while pending and len(found) < MAX_MODULES:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        parts = name.split(".")
        pending.extend(".".join(parts[:i]) for i in range(1, len(parts)))
        located = _find(name, read, roots)
        if located is None:
            continue
        path, data = located
        found[path] = blob_id(data)
        pending.extend(_imports(data, name, path.endswith("__init__.py")))
    return found


def tree_digest(found: dict[str, str]) -> str:
    """One version string for a module's tree code (`tree_modules`), as the case fingerprint records it."""
    import json

    digest = hashlib.sha256(json.dumps(sorted(found.items())).encode("utf-8")).hexdigest()
    return "tree+sha256:" + digest[:16]
