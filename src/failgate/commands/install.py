"""`failgate install`: register failgate's merge drivers in this clone.

Every clone runs this once — by hand, from `failgate init`, or from the
post-checkout / post-merge hook, which is why it is idempotent and quiet on
request (`failgate.scaffold.drivers`).
"""

from __future__ import annotations

import click

from failgate.exit_codes import OK


@click.command("install", help="Register failgate's merge drivers in this clone's git config (idempotent).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing unless something is wrong (for hooks).")
def command(quiet: bool) -> int:
    from failgate.scaffold.drivers import install_drivers

    installed = install_drivers()
    if not quiet:
        state = "registered" if installed.changed else "already registered"
        click.echo(
            f"failgate: merge drivers {', '.join(installed.names)} {state} in this clone's git config ({installed.root})"
        )
        if installed.unrouted:
            click.echo(
                f"failgate: note: .gitattributes does not route any file to {', '.join(installed.unrouted)}; "
                "`failgate init` adds those lines",
                err=True,
            )
    return OK
