"""The throwaway consumer repo a demo runs in, and how it narrates."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click


class DemoFailure(Exception):
    """The demo saw something other than what it promises the user."""


def _env_without_git_vars() -> dict[str, str]:
    # git exports GIT_DIR, GIT_INDEX_FILE & co. into hooks; a demo started
    # from inside one must not point its own repo at the outer one.
    return {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}


class DemoContext:
    def __init__(self, root: Path, *, verbose: bool = True) -> None:
        self.root = root
        self.repo = root / "shop-agent"
        self.verbose = verbose
        self.has_pre_commit = True  # False: the steps skip what shows the hooks (failgate.demo.NEEDS_PRE_COMMIT)
        self.keep = False  # `failgate demo --keep`: the repository (and the pages it wrote) outlive the demo
        self.env = _env_without_git_vars()
        self.env.update(
            {
                "GIT_AUTHOR_NAME": "Dana Demo",
                "GIT_AUTHOR_EMAIL": "dana@example.com",
                "GIT_COMMITTER_NAME": "Dana Demo",
                "GIT_COMMITTER_EMAIL": "dana@example.com",
                "GIT_CONFIG_NOSYSTEM": "1",
                "HOME": str(root / "home"),
                "PRE_COMMIT_HOME": str(root / "pre-commit-cache"),
                "NO_COLOR": "1",
            }
        )
        self.env.pop("GITHUB_ACTIONS", None)
        # The demo's agents ship inside failgate: they run in failgate's own interpreter,
        # not in whatever venv the user happens to have activated.
        self.env.pop("VIRTUAL_ENV", None)
        (root / "home").mkdir(parents=True, exist_ok=True)
        (root / "home" / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n")
        # Run the failgate that runs this demo, whatever is on PATH.
        self.failgate_cmd = [sys.executable, "-m", "failgate"]
        bindir = str(Path(sys.executable).parent)
        self.env["PATH"] = bindir + os.pathsep + self.env.get("PATH", "")
        self._judge: Any = None

    def judge_base_url(self) -> str:
        """The demo's judge model: a scripted chat-completions endpoint on
        127.0.0.1, started once, living as long as the demo (a thread here, so
        the `failgate` subprocesses reach it)."""
        if self._judge is None:
            from failgate.examples import support_bot_judge

            self._judge = support_bot_judge.start()
        return str(self._judge.base_url)

    # -- narration -------------------------------------------------------
    def say(self, text: str) -> None:
        if self.verbose:
            click.echo(click.wrap_text(text, width=88, preserve_paragraphs=True))
            click.echo()

    def heading(self, number: int, title: str) -> None:
        if self.verbose:
            click.secho(f"== {number}. {title}", bold=True)
            click.echo()

    def show(self, argv: Sequence[str], result: subprocess.CompletedProcess[str]) -> None:
        if not self.verbose:
            return
        click.secho("$ " + " ".join(shlex.quote(a) for a in argv), fg="cyan")
        output = (result.stdout + result.stderr).rstrip()
        if output:
            for line in output.splitlines():
                click.echo("  " + line)
        click.echo(f"  (exit {result.returncode})")
        click.echo()

    # -- running things --------------------------------------------------
    def run(
        self,
        argv: Sequence[str],
        *,
        expect: int | None = 0,
        cwd: Path | None = None,
        show: bool = True,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            list(argv),
            cwd=cwd or self.repo,
            env=self.env,
            capture_output=True,
            text=True,
            input=input,
        )
        if show:
            self.show(argv, result)
        if expect is not None and result.returncode != expect:
            raise DemoFailure(
                f"`{' '.join(argv)}` exited {result.returncode}, expected {expect}:\n{result.stdout}{result.stderr}"
            )
        return result

    def failgate(self, *args: str, expect: int | None = 0, show: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*self.failgate_cmd, *args], cwd=self.repo, env=self.env, capture_output=True, text=True
        )
        if show:
            self.show(["failgate", *args], result)
        if expect is not None and result.returncode != expect:
            raise DemoFailure(
                f"`failgate {' '.join(args)}` exited {result.returncode}, expected {expect}:\n"
                f"{result.stdout}{result.stderr}"
            )
        return result

    def git(self, *args: str, expect: int | None = 0, show: bool = False) -> subprocess.CompletedProcess[str]:
        return self.run(["git", *args], expect=expect, show=show)

    def expect_in(self, needle: str, result: subprocess.CompletedProcess[str]) -> None:
        if needle not in result.stdout + result.stderr:
            raise DemoFailure(f"expected {needle!r} in the output of the last command")

    def cleanup(self) -> None:
        if self._judge is not None:
            self._judge.stop()
            self._judge = None
        shutil.rmtree(self.root, ignore_errors=True)
