"""`[tool.failgate.judge]` as the judge reads it: refusal patterns, the judge model's
settings, where llm_rubric verdicts are cached. Part of every case's fingerprint."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from failgate.caches import cache_location
from failgate.eval.judge import text
from failgate.eval.judge.llm import LLMSettings
from failgate.eval.judge.text import DEFAULT_REFUSAL_PATTERNS


@dataclasses.dataclass(frozen=True)
class JudgeOptions:
    """Judge settings from `[tool.failgate.judge]`; part of the fingerprint."""

    refusal_patterns: tuple[str, ...] = DEFAULT_REFUSAL_PATTERNS
    root: str | None = None  # the project root: where plugin judges' code is, and where caches are found
    llm: LLMSettings = LLMSettings()  # [tool.failgate.judge.llm], for llm_rubric
    cache_dir: str | None = None  # llm_rubric verdicts are cached here; None: no cache
    read_cache: bool = True  # False (--no-cache): ask the judge model again, and store the fresh verdict
    # `[tool.failgate] pythonpath`: plugin judges are imported as the agent's code is
    # (`dotted.import_paths`: these entries, the tree's src/, the root)
    pythonpath: tuple[str, ...] = ()
    # Another tree's code for the plugin judges (the gate judges with the base's); None: `root`'s
    code_root: str | None = None

    @property
    def plugin_root(self) -> str | None:
        return self.code_root or self.root

    def plugin(self, use: str) -> Any:
        """The plugin judge `use` from this judge's tree (`plugins.load_judge`)."""
        from failgate.eval.judge.plugins import load_judge

        return load_judge(use, self.plugin_root, self.pythonpath)

    @classmethod
    def from_config(cls, section: Mapping[str, Any], root: str | None = None, pythonpath: Any = None) -> JudgeOptions:
        """`pythonpath`: the configuration's top-level `pythonpath` (a list of strings), if any."""
        from pathlib import Path

        patterns = tuple(section.get("refusal_patterns", DEFAULT_REFUSAL_PATTERNS))
        patterns += tuple(section.get("extra_refusal_patterns", ()))
        llm_section = section.get("llm", {})
        settings = LLMSettings.from_config(llm_section if isinstance(llm_section, Mapping) else {})
        paths = tuple(str(p) for p in pythonpath) if isinstance(pythonpath, (list, tuple)) else ()
        return cls(patterns, root, settings, str(cache_location(Path(root))) if root else None, pythonpath=paths)

    def without_cache(self) -> JudgeOptions:
        return dataclasses.replace(self, read_cache=False)

    def compiled_refusal(self) -> tuple[Any, ...]:
        return _compiled(self.refusal_patterns)


_COMPILED: dict[tuple[str, ...], tuple[Any, ...]] = {}


def _compiled(patterns: tuple[str, ...]) -> tuple[Any, ...]:
    if patterns not in _COMPILED:
        _COMPILED[patterns] = text.compile_refusal(patterns)
    return _COMPILED[patterns]
