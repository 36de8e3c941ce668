"""`failgate demo`: the guided tour, in a throwaway repo under a temp dir."""

from __future__ import annotations

import importlib
import tempfile
from pathlib import Path

import click


def step_names() -> list[str]:
    from failgate.demo import STEPS

    return [module_name.removeprefix("step_") for module_name, _ in STEPS]


def check_steps(only: tuple[str, ...]) -> None:
    """An unknown --step is a usage error: running nothing and saying "Done" hid the typo."""
    from failgate.findings import FailgateError

    names = step_names()
    unknown = [name for name in only if name.removeprefix("step_") not in names]
    if unknown:
        raise FailgateError(f"unknown demo step {', '.join(unknown)}; the steps are: {', '.join(names)}", exit_code=2)


def run_demo(keep: bool, only: tuple[str, ...]) -> int:
    import shutil

    from failgate.demo import NEEDS_PRE_COMMIT, PRE_COMMIT_INSTALL, STEPS, DemoContext, DemoFailure

    check_steps(only)
    root = Path(tempfile.mkdtemp(prefix="failgate-demo-"))
    ctx = DemoContext(root)
    ctx.keep = keep
    click.secho("failgate demo: a support bot's failure dataset, guarded by git\n", bold=True)
    ctx.say(f"Working in a throwaway repository: {ctx.repo}")
    has_pre_commit = ctx.has_pre_commit = shutil.which("pre-commit", path=ctx.env.get("PATH")) is not None
    if not has_pre_commit:
        ctx.say(
            f"pre-commit is not installed, so the steps that show the hooks are skipped. To see them too: "
            f"{PRE_COMMIT_INSTALL}, then run `failgate demo` again."
        )
    try:
        for number, (module_name, title) in enumerate(STEPS, 1):
            step = importlib.import_module(f"failgate.demo.{module_name}")
            if only and module_name not in only and module_name.removeprefix("step_") not in only and number > 1:
                continue
            ctx.heading(number, title)
            if module_name in NEEDS_PRE_COMMIT and not has_pre_commit:
                ctx.say(f"(skipped: this step needs pre-commit; {PRE_COMMIT_INSTALL})")
                continue
            step.run(ctx)
    except DemoFailure as exc:
        click.secho(f"\nThe demo went wrong: {exc}", fg="red", err=True)
        click.echo(f"The demo repository is kept for inspection: {ctx.repo}", err=True)
        return 1
    if keep:
        click.echo(f"Done. The demo repository is kept: {ctx.repo}")
    else:
        ctx.cleanup()
        click.echo("Done. (Run with --keep to look around the demo repository afterwards.)")
    return 0


@click.command("demo")
@click.option("--keep", is_flag=True, help="Keep the demo repository instead of deleting it.")
@click.option(
    "--step",
    "only",
    multiple=True,
    metavar="NAME",
    help=f"Run only these steps (after the first, which sets up the repository): {', '.join(step_names())}.",
)
def command(keep: bool, only: tuple[str, ...]) -> int:
    """Walk through failgate on a bundled example, in a throwaway repo."""
    return run_demo(keep, only)
