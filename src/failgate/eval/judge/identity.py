"""What the judge *is* at one revision, apart from any case: one fingerprint. Pure over a file reader.

The gate asks "does this range change the judge?" by comparing the identity at
the base with the identity at the commit under test (the manual's "Judge
changes"). The identity holds:

- the judge settings (`settings_fingerprint`: rule vocabulary version, refusal
  patterns, the judge model's settings and prompt template version);
- the gold set's content (its git blob id), wherever `[judge] gold` points;
- the plugin judges' code, by content: for a plugin that lives in the tree,
  the git blob id of its module and of every module under the tree that it
  imports (found by reading the import statements, not by importing: a base
  revision's code is never run to learn what it is). A version string stands
  only for a plugin installed from outside the tree (an entry point, or a
  dotted path no file of the tree provides).

Read from git objects by the gate (both revisions) and from the work tree by
`failgate judge-change`, so both compute the same fingerprint for the same bytes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from failgate.eval.judge.tree_code import MAX_MODULES, Reader, blob_id, tree_modules  # noqa: F401  (re-exported)


@dataclasses.dataclass(frozen=True)
class JudgeIdentity:
    settings: str  # the judge settings as the cases read them (gate.judging.settings_part)
    gold: str | None  # blob id of the gold file, None when there is none
    code: tuple[tuple[str, str], ...]  # (module path or plugin name, blob id or "version:...")

    @property
    def fingerprint(self) -> str:
        payload = {"settings": self.settings, "gold": self.gold, "code": [list(item) for item in self.code]}
        blob = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def differences(self, other: JudgeIdentity) -> list[str]:
        """What differs from `other`, in words, for the report."""
        found = []
        if self.settings != other.settings:
            found.append("judge settings ([judge], its model or prompt template)")
        if self.gold != other.gold:
            found.append("the gold set")
        mine, theirs = dict(self.code), dict(other.code)
        for path in sorted(set(mine) | set(theirs)):
            if mine.get(path) != theirs.get(path):
                found.append(f"plugin code {path}")
        return found


def plugin_uses(cases: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every `judge: {use: ...}` named by the cases' rules."""
    uses = set()
    for case in cases:
        expected = case.get("expected")
        for rule in expected if isinstance(expected, list) else []:
            judge = rule.get("judge") if isinstance(rule, Mapping) else None
            if isinstance(judge, Mapping) and isinstance(judge.get("use"), str):
                uses.add(judge["use"])
    return sorted(uses)


def code_identity(
    uses: Iterable[str], read: Reader, installed_version: Callable[[str], str], roots: Sequence[str] = ("",)
) -> dict[str, str]:
    """{module path: blob id} for plugins in the tree, {use: "version:..."} for installed ones.
    `roots`: where the tree's modules live (`dotted.code_roots`: pythonpath, `src/`, the root)."""
    code: dict[str, str] = {}
    for use in uses:
        module = use.partition(":")[0] if ":" in use else None
        in_tree = tree_modules(module, read, roots) if module else None
        if in_tree is None:
            code[use] = "version:" + installed_version(use)
        else:
            code.update(in_tree)
    return code


def identity(
    settings: str,
    gold: bytes | None,
    uses: Iterable[str],
    read: Reader,
    installed_version: Callable[[str], str],
    roots: Sequence[str] = ("",),
) -> JudgeIdentity:
    code = code_identity(uses, read, installed_version, roots)
    return JudgeIdentity(settings, None if gold is None else blob_id(gold), tuple(sorted(code.items())))


def installed_version_of(root: str | None) -> Callable[[str], str]:
    """The version an installed plugin reports (entry point distribution, or its `version`)."""

    def version(use: str) -> str:
        from failgate.eval.judge.plugins import load_judge
        from failgate.eval.judge.text import RuleError

        try:
            return load_judge(use, root).version
        except RuleError:
            return "unloadable"

    return version
