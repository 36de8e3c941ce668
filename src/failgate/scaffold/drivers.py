"""The merge drivers in this clone's git config (`failgate install`, and `init`).

git config is not versioned, so `.gitattributes` (which is) names drivers
that a fresh clone does not know about; git then silently falls back to a
plain text merge. Every clone registers them once, idempotently.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from failgate.gitconfig import repo_root, set_local
from failgate.merge import DRIVER_COMMAND, DRIVERS


def register_drivers(cwd: Path | None = None) -> list[str]:
    """Write merge.<driver>.{name,driver,recursive}; returns the keys changed."""
    root = repo_root(cwd)
    changed = []
    for spec in DRIVERS.values():
        for key, value in (
            (f"merge.{spec.name}.name", spec.description),
            (f"merge.{spec.name}.driver", DRIVER_COMMAND),
            (f"merge.{spec.name}.recursive", spec.recursive),
        ):
            if set_local(key, value, root):
                changed.append(key)
    return changed


def missing_attributes(root: Path) -> list[str]:
    """Driver names that no `.gitattributes` line at the top level mentions."""
    attributes = root / ".gitattributes"
    text = attributes.read_text(encoding="utf-8", errors="replace") if attributes.is_file() else ""
    return [spec.name for spec in DRIVERS.values() if f"merge={spec.name}" not in text]


@dataclasses.dataclass(frozen=True)
class Installed:
    root: Path
    names: list[str]  # the drivers, as .gitattributes names them
    changed: bool  # anything was not registered before
    unrouted: list[str]  # drivers no .gitattributes line routes a file to


def install_drivers(cwd: Path | None = None) -> Installed:
    root = repo_root(cwd)
    changed = register_drivers(root)
    return Installed(root, [spec.name for spec in DRIVERS.values()], bool(changed), missing_attributes(root))
