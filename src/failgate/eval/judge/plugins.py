"""Plugin judges: `judge: {use: ..., <options>}` in a case's `expected`.

`use` is either a dotted path `package.module:attribute` or the name of an
entry point in the `failgate.judges` group (how a judge package registers
itself: `[project.entry-points."failgate.judges"] rubric = "mypkg.judges:rubric"`).

A plugin judge is any callable matching `PluginJudge`; it may be `async def`.
It answers a `Verdict`, a bool, a `(passed, reason)` tuple or a mapping with
`passed` and `reason`. Its version (for the judge fingerprint): for code in the
tree under test, the content of its module and the tree's modules it imports;
for code installed from outside the tree, its `version` attribute, else its
distribution's version, else its top-level package's `__version__`.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from failgate.eval.judge.response import Response
from failgate.eval.judge.text import RuleError

ENTRY_POINT_GROUP = "failgate.judges"


@dataclasses.dataclass(frozen=True)
class Verdict:
    passed: bool
    reason: str = ""


@runtime_checkable
class PluginJudge(Protocol):
    """`judge(case, response, options) -> Verdict | bool | (bool, str) | {"passed", "reason"}`.

    - `case`: the case mapping as written in cases.yaml (id, intent, input, ...).
    - `response`: the agent's normalised Response (`.output`, `.tool_calls`,
      `.turns`, `.latency_ms`, `.raw`; `.as_dict()` for a plain mapping).
    - `options`: the rule's mapping without `use` (e.g. `{"rubric": "..."}`).
    Raising fails the case with the exception as the reason.
    """

    def __call__(self, case: Mapping[str, Any], response: Response, options: Mapping[str, Any]) -> Any: ...


@dataclasses.dataclass(frozen=True)
class LoadedJudge:
    use: str
    func: Any
    version: str


_CACHE: dict[tuple[str, str, tuple[str, ...]], LoadedJudge] = {}


def _distribution_version(module_name: str) -> str | None:
    from importlib import metadata

    top = module_name.split(".")[0]
    try:
        for dist in metadata.packages_distributions().get(top, []):
            return metadata.version(dist)
    except Exception:  # metadata is best effort: a broken dist must not break judging
        return None
    return None


def load_judge(use: str, root: str | None = None, pythonpath: Sequence[str] = ()) -> LoadedJudge:
    """Resolve `use` once per process and tree; RuleError when it cannot be loaded.
    `root`: the tree whose code it is; `pythonpath`: that tree's configured import roots."""
    key = (use, root or "", tuple(pythonpath))
    if key in _CACHE:
        return _CACHE[key]
    if ":" in use:
        from failgate.dotted import DottedPathError, import_dotted

        module_name = use.partition(":")[0]
        try:
            obj: Any = import_dotted(use, root or None, pythonpath)
        except DottedPathError as exc:
            raise RuleError(f"judge {use!r} cannot be loaded: {exc}") from None
        version = _tree_version(module_name, root, pythonpath)
        if version is None:
            version = getattr(obj, "version", None) or _distribution_version(module_name)
        if version is None:
            version = getattr(sys.modules.get(module_name.split(".")[0]), "__version__", None)
    else:
        from importlib import metadata

        found = [ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP) if ep.name == use]
        if not found:
            raise RuleError(
                f"judge {use!r}: no entry point of that name in group {ENTRY_POINT_GROUP!r}"
                " (use 'package.module:function' for a dotted path)"
            )
        try:
            obj = found[0].load()
        except (Exception, SystemExit) as exc:
            raise RuleError(f"judge {use!r} cannot be loaded: {type(exc).__name__}: {exc}") from None
        dist = getattr(found[0], "dist", None)
        version = _tree_version(getattr(obj, "__module__", None) or "", root, pythonpath) or (
            getattr(obj, "version", None) or (dist.version if dist is not None else None)
        )
    if not callable(obj):
        raise RuleError(f"judge {use!r} is not callable")
    loaded = LoadedJudge(use, obj, str(version or _source_version(obj)))
    _CACHE[key] = loaded
    return loaded


def _tree_version(module_name: str, root: str | None, pythonpath: Sequence[str] = ()) -> str | None:
    """Code that lives in the tree under test is versioned by its content: the git blob ids of
    its module and of every module under the tree it imports (`tree_code.tree_modules`), found
    where the tree's import path finds them (pythonpath, `src/`, the root). A `__version__` or
    an editable install's version says nothing about what the tree holds now; a version counts
    only for code installed from outside the tree. None: not the tree's code."""
    import os

    module = sys.modules.get(module_name)
    path = getattr(module, "__file__", None)
    if not root or not module_name or not path:
        return None
    top = os.path.realpath(root)
    if not os.path.realpath(path).startswith(top + os.sep):
        return None  # imported from outside the tree (an installed copy): its version speaks for it
    from failgate.dotted import code_roots
    from failgate.eval.judge.tree_code import files_under, tree_digest, tree_modules

    found = tree_modules(module_name, files_under(top), code_roots(pythonpath))
    return tree_digest(found) if found else None


def _source_version(obj: Any) -> str:
    """A judge with no distribution version (a project-local plugin) is versioned by
    its module's source: editing it changes the fingerprint, so it is a judge change
    the gate asks a decision for, not an "unversioned" constant."""
    import hashlib
    import inspect

    try:
        source = inspect.getsource(sys.modules[obj.__module__])
    except (AttributeError, KeyError, OSError, TypeError):
        return "unversioned"
    return "unversioned+sha256:" + hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


def _verdict(result: Any) -> Verdict:
    if isinstance(result, Verdict):
        return result
    if isinstance(result, bool):
        return Verdict(result, "")
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], bool):
        return Verdict(result[0], str(result[1]))
    if isinstance(result, Mapping) and isinstance(result.get("passed"), bool):
        return Verdict(result["passed"], str(result.get("reason", "")))
    raise TypeError(f"a judge must return a Verdict, a bool, (bool, reason) or {{passed, reason}}; got {result!r}")


def run_judge(loaded: LoadedJudge, case: Mapping[str, Any], response: Response, options: Mapping[str, Any]) -> Verdict:
    import inspect

    result = loaded.func(case, response, options)
    if inspect.isawaitable(result):
        import asyncio

        async def _await() -> Any:
            return await result

        # Runner threads have no running loop, so a fresh one per call is safe.
        result = asyncio.run(_await())
    return _verdict(result)
