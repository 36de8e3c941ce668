"""Import `package.module:attr` from the consumer's repository.

The agent, plugin judges, redactors and embedders are named by dotted path in
configuration. They live in the consumer's repo, which is not necessarily
installed, so they are imported the way the agent's interpreter imports the
code under test: `[tool.failgate] pythonpath` first, then the tree's `src/`
(a src layout), then the project root (`import_paths`). An editable install
of the same package points at the working checkout, not at the tree a gate
evaluates; entries at the front of `sys.path` win over it.

`code_from` imports a tree's code apart from the rest of the process: the
gate judges the branch's answers with the *base's* plugin code (the manual's
"What the gate trusts") while the branch's modules of the same names are
loaded too.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

_IMPORTING = threading.RLock()  # sys.path and sys.modules are process-wide: one tree at a time


class DottedPathError(Exception):
    """The path is malformed or the import failed; the message says which."""


def import_paths(tree: str | os.PathLike[str], configured: Sequence[str] | None = None) -> tuple[str, ...]:
    """The code of `tree`, in import order: configured entries (relative to the tree), the tree's
    `src/` (src layout), the tree itself (flat layout)."""
    root = Path(tree)
    paths = [root / p for p in configured or ()]
    if (root / "src").is_dir():
        paths.append(root / "src")
    paths.append(root)
    return tuple(dict.fromkeys(str(p) for p in paths))


def code_roots(configured: Sequence[str] | None = None) -> tuple[str, ...]:
    """`import_paths` relative to the tree, as prefixes of its files ('' is the tree itself):
    where a module named `a.b` may live, for readers of a revision's files."""
    prefixes = [str(p).strip("/").rstrip("/") + "/" for p in configured or () if str(p).strip("/") not in ("", ".")]
    return tuple(dict.fromkeys([*prefixes, "src/", ""]))


def import_dotted(ref: str, root: str | os.PathLike[str] | None = None, pythonpath: Sequence[str] = ()) -> Any:
    """`ref` from the tree at `root`, imported in the tree's order (`import_paths`: `pythonpath`,
    `src/`, the root)."""
    module_name, sep, attr = ref.partition(":")
    if not sep or not module_name or not attr:
        raise DottedPathError(f'{ref!r} must look like "package.module:function"')
    wanted = list(import_paths(root, pythonpath)) if root is not None else []
    with _IMPORTING:
        for entry in reversed(wanted):
            if entry not in sys.path:
                sys.path.insert(0, entry)
        try:
            obj: Any = importlib.import_module(module_name)
            for part in attr.split("."):
                obj = getattr(obj, part)
        except (Exception, SystemExit) as exc:  # the consumer's module may raise anything at import, sys.exit too
            raise DottedPathError(f"{type(exc).__name__}: {exc}") from None
    return obj


def _top_level_names(paths: Sequence[str]) -> set[str]:
    """The module names a tree's import paths provide at the top: its packages and modules."""
    names = set()
    for entry in paths:
        try:
            children = os.listdir(entry)
        except OSError:
            continue
        for child in children:
            stem = child[:-3] if child.endswith(".py") else child
            if stem.isidentifier() and (child.endswith(".py") or os.path.isdir(os.path.join(entry, child))):
                names.add(stem)
    return names - {"failgate"}  # failgate's own modules are never the tree's


@contextlib.contextmanager
def code_from(paths: Sequence[str]) -> Iterator[None]:
    """While inside, the tree at `paths` is the only source of its modules: the same names
    loaded from another tree are set aside and put back on leaving, and what was imported
    inside is dropped. Functions keep the modules they were defined in, so a plugin loaded
    inside runs its own tree's code afterwards too (an import it makes at call time, after
    leaving, resolves to whichever tree is current then)."""
    tops = _top_level_names(paths)
    installed = tuple(os.path.join(os.path.realpath(p), "") for p in {sys.prefix, sys.base_prefix, sys.exec_prefix})

    def ours(name: str) -> bool:
        return name.partition(".")[0] in tops

    def set_aside(name: str, module: object) -> bool:
        # A tree's module, not the interpreter's: a folder named `email` or `test` in the tree must
        # not take the standard library's place in failgate's own imports while inside.
        if not ours(name):
            return False
        file = getattr(module, "__file__", None)
        if file is None:
            return hasattr(module, "__path__")  # a namespace package (a folder); builtins have neither
        return not os.path.realpath(file).startswith(installed)

    # Held while sys.path and sys.modules change, not while inside: the runner's threads import
    # plugins inside (through import_dotted, which takes the same lock).
    with _IMPORTING:
        saved = {name: module for name, module in list(sys.modules.items()) if set_aside(name, module)}
        for name in saved:
            del sys.modules[name]
        before = list(sys.path)
        sys.path[:0] = list(paths)
        importlib.invalidate_caches()
    try:
        yield
    finally:
        with _IMPORTING:
            for name in [name for name, module in list(sys.modules.items()) if set_aside(name, module)]:
                del sys.modules[name]
            sys.modules.update(saved)
            sys.path[:] = before
            importlib.invalidate_caches()
