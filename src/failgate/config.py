"""Configuration from `[tool.failgate]` in pyproject.toml, or failgate.toml.

The project root is the nearest directory upwards that holds a
`failgate.toml` or a `pyproject.toml` with a `[tool.failgate]` table, else the
git work tree's top. Paths in the configuration are relative to that root.
"""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

from failgate.findings import FailgateError
from failgate.model import DEFAULT_DATASET_DIR

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclasses.dataclass
class Config:
    root: Path
    source: Path | None  # the file the settings came from, None for defaults
    raw: dict[str, Any]

    @property
    def dataset_dir(self) -> Path:
        return self.root / str(self.raw.get("dataset", DEFAULT_DATASET_DIR))

    def get(self, key: str, default: Any = None) -> Any:
        return self.raw.get(key, default)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise FailgateError(f"{path}: invalid TOML: {exc}", exit_code=2) from None


def find_root(start: Path) -> tuple[Path, Path | None, dict[str, Any]]:
    start = start.resolve()
    git_top: Path | None = None
    for directory in (start, *start.parents):
        candidate = directory / "failgate.toml"
        if candidate.is_file():
            return directory, candidate, _read_toml(candidate)
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file():
            table = _read_toml(pyproject).get("tool", {}).get("failgate")
            if isinstance(table, dict):
                return directory, pyproject, table
        if git_top is None and (directory / ".git").exists():
            git_top = directory
            break
    return (git_top or start), None, {}


def load_config(start: Path | None = None) -> Config:
    root, source, raw = find_root(start or Path.cwd())
    return Config(root=root, source=source, raw=raw)
