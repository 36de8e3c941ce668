"""The `failgate` command line: one click group, one module per subcommand.

Subcommands are imported lazily: `failgate validate` runs inside a pre-commit
hook on every commit, and must not pay for importing pygit2 or the eval engine.
Each subcommand module exposes `command`, a click command that only parses
arguments, calls one function and returns an exit code.
"""

from __future__ import annotations

import importlib
import importlib.util  # not implied by `import importlib`: a clean venv has no one importing it for us
import sys
from collections.abc import Sequence
from typing import Any

import click

from failgate import __version__
from failgate.exit_codes import OK, PROBLEM
from failgate.findings import FailgateError

# name -> module under failgate.commands. Keep in the order of `--help`.
COMMANDS = {
    "init": "init",
    "install": "install",
    "validate": "validate",
    "fmt": "fmt",
    "check-ledger": "check_ledger",
    "merge-driver": "merge_driver",
    "eval": "eval",
    "gate": "gate",
    "watch": "watch",
    "ingest": "ingest",
    "promote": "promote",
    "remove": "remove",
    "decide": "decide",
    "renumber": "renumber",
    "report": "report",
    "demo": "demo",
    "judge-check": "judge_check",
    "judge-change": "judge_change",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if self._spec(name) is not None]

    @staticmethod
    def _spec(name: str) -> Any:
        module = COMMANDS.get(name)
        if module is None:
            return None
        return importlib.util.find_spec(f"failgate.commands.{module}")

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if self._spec(cmd_name) is None:
            return None
        module = importlib.import_module(f"failgate.commands.{COMMANDS[cmd_name]}")
        command: click.Command = module.command
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="failgate")
def cli() -> None:
    """Make git guard your agent's failure dataset."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: maps results and user errors to exit codes, never a traceback."""
    from failgate.atomic import set_command

    set_command(list(argv) if argv is not None else sys.argv[1:])
    try:
        result = cli.main(args=list(argv) if argv is not None else None, prog_name="failgate", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return PROBLEM
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except FailgateError as exc:
        report_error(exc)
        return exc.exit_code
    except BrokenPipeError:  # pragma: no cover - `failgate eval | head`
        return PROBLEM
    except SystemExit as exc:
        # failgate itself never raises SystemExit inside a command (click's own exits are
        # returned, standalone_mode=False): this is code the command ran (a judge plugin,
        # a redactor) ending the process. Exit 0 would read as a verdict nobody reached.
        click.echo(
            f"failgate: code run by this command called sys.exit({exc.code!r}) before it finished;"
            " no verdict: nothing was judged to the end",
            err=True,
        )
        return PROBLEM
    except OSError as exc:
        # A full disk, a read-only checkout, a file we may not read: one line
        # naming the file, no traceback. Writes go through failgate.atomic, so
        # a failed write changed nothing.
        click.echo(f"failgate: {describe_os_error(exc)}", err=True)
        return PROBLEM
    if isinstance(result, int):
        return result
    return OK


def describe_os_error(exc: OSError) -> str:
    """`cannot access 'evals/failures/cases.yaml': No space left on device; nothing was changed`."""
    import os

    path = exc.filename if isinstance(exc.filename, str) else None
    reason = exc.strerror or str(exc)
    if path is None:
        return f"{reason}; nothing was changed"
    try:
        shown = os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        shown = path
    if shown.startswith(".."):
        shown = path
    return f"cannot access '{shown}': {reason}; nothing was changed"


def report_error(exc: FailgateError) -> None:
    from failgate.reporting import print_findings

    if exc.findings:
        print_findings(exc.findings, sys.stderr)
    else:
        click.echo(f"failgate: {exc.message}", err=True)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
