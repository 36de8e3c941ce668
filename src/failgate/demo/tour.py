"""`failgate demo`, the use case: the guided tour's steps in order, in a throwaway
repository under a temp dir. Each step narrates itself (`DemoContext.say`)."""

from __future__ import annotations

import dataclasses
import importlib
import shutil
import tempfile
from pathlib import Path

import click

from failgate.demo import NEEDS_PRE_COMMIT, PRE_COMMIT_INSTALL, STEPS, DemoContext, DemoFailure
from failgate.exit_codes import USAGE
from failgate.findings import FailgateError


@dataclasses.dataclass(frozen=True)
class Tour:
    repo: Path  # the demo repository (deleted unless kept or the tour failed)
    failure: str | None = None  # what went wrong, when a step failed
    kept: bool = False


def step_names() -> list[str]:
    return [module_name.removeprefix("step_") for module_name, _ in STEPS]


def check_steps(only: tuple[str, ...]) -> None:
    """An unknown --step is a usage error: running nothing and saying "Done" hid the typo."""
    names = step_names()
    unknown = [name for name in only if name.removeprefix("step_") not in names]
    if unknown:
        raise FailgateError(
            f"unknown demo step {', '.join(unknown)}; the steps are: {', '.join(names)}", exit_code=USAGE
        )


def run_tour(keep: bool, only: tuple[str, ...]) -> Tour:
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
        return Tour(ctx.repo, failure=str(exc), kept=True)
    if not keep:
        ctx.cleanup()
    return Tour(ctx.repo, kept=keep)
