"""`failgate install`: register failgate's merge drivers in this clone.

git config is not versioned, so `.gitattributes` (which is) names drivers
that a fresh clone does not know about; git then silently falls back to a
plain text merge. Every clone runs this once — by hand, from `failgate init`,
or from the post-checkout / post-merge hook, which is why it is idempotent
and quiet on request.
"""

from __future__ import annotations

from pathlib import Path

import click


def register(cwd: Path | None = None) -> list[str]:
    """Write merge.<driver>.{name,driver,recursive}; returns the keys changed."""
    from failgate.gitconfig import repo_root, set_local
    from failgate.merge import DRIVER_COMMAND, DRIVERS

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


def _missing_attributes(root: Path) -> list[str]:
    """Driver names that no `.gitattributes` line at the top level mentions."""
    from failgate.merge import DRIVERS

    attributes = root / ".gitattributes"
    text = attributes.read_text(encoding="utf-8", errors="replace") if attributes.is_file() else ""
    return [spec.name for spec in DRIVERS.values() if f"merge={spec.name}" not in text]


@click.command("install", help="Register failgate's merge drivers in this clone's git config (idempotent).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing unless something is wrong (for hooks).")
def command(quiet: bool) -> int:
    from failgate.gitconfig import repo_root

    root = repo_root()
    changed = register(root)
    if not quiet:
        from failgate.merge import DRIVERS

        names = ", ".join(spec.name for spec in DRIVERS.values())
        state = "registered" if changed else "already registered"
        click.echo(f"failgate: merge drivers {names} {state} in this clone's git config ({root})")
        missing = _missing_attributes(root)
        if missing:
            click.echo(
                f"failgate: note: .gitattributes does not route any file to {', '.join(missing)}; "
                "`failgate init` adds those lines",
                err=True,
            )
    return 0
