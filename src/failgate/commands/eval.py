"""`failgate eval`: run the cases against the agent, judge them, print the matrix.

Exit 0 when every gating case passes (or a set's pass rate meets its floor),
1 otherwise, 2 for usage and configuration errors. The click function only
fills `EvalSettings`; `execute` does the work, so tests and other commands can
call it without a command line.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import click

from failgate.dataset.model import MAX_REPEAT
from failgate.findings import FailgateError


@dataclasses.dataclass
class EvalSettings:
    set_name: str | None = None
    jobs: int | None = None
    timeout_s: float | None = None
    repeat: int | None = None
    agent: str | None = None
    agent_command: str | None = None
    recorded: Path | None = None
    case_ids: tuple[str, ...] = ()
    modes: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    last_failed: bool = False
    watchlist: bool = True
    fmt: str = "text"
    output: Path | None = None
    progress: bool | None = None  # None: on a terminal and not in CI
    record: bool = False  # append what changed to history.jsonl (failgate.eval.recording)
    show: bool = False  # print the --case cases' whole responses and every rule's verdict
    no_cache: bool = False  # ask the judge model again instead of reading cached llm_rubric verdicts
    live: bool = False  # run cases that have a cassette live instead of replaying it (failgate.eval.replay)
    record_cassettes: bool = False  # record this live run as each case's cassette


def execute(settings: EvalSettings) -> int:
    from failgate.config import load_config
    from failgate.eval import cases as evalcases
    from failgate.eval.agents import build_agent
    from failgate.eval.agents.interpreter import for_config
    from failgate.eval.judge import JudgeOptions
    from failgate.eval.report import render
    from failgate.eval.report.text import github_annotations
    from failgate.eval.runner import run_eval
    from failgate.progress import case_progress, color_wanted, progress_wanted
    from failgate.reporting import under_github_actions

    if settings.output is not None:
        from failgate.atomic import check_writable

        check_writable(settings.output, "--output")
    config = load_config()
    selection = evalcases.load_selection(
        config, settings.set_name, watchlist=settings.watchlist, history=settings.record
    )
    only = None
    if settings.last_failed:
        only = evalcases.read_last_failed(config, selection.set_name)
        if only is None:
            click.echo("failgate eval: no previous run recorded; running every selected case", err=True)
    cases = evalcases.filter_cases(
        selection, ids=settings.case_ids, modes=settings.modes, severities=settings.severities, only=only
    )
    if settings.last_failed and only is not None and not cases:
        click.echo("failgate eval: nothing failed last time; nothing to rerun")
        return 0

    # A command-line agent replaces the configured one for this run only, so a
    # model swap can be qualified against the failure set before it ships.
    overridden = bool(settings.agent or settings.agent_command or settings.recorded)
    command = None
    if settings.agent_command:
        import shlex

        command = shlex.split(settings.agent_command)
    elif not overridden:
        command = config.agent_command
    jobs = settings.jobs or config.jobs
    from failgate.eval.replay import ReplaySettings

    mode = "record" if settings.record_cassettes else "live" if settings.live else "replay"
    replay = ReplaySettings.from_section(config.section("replay"), mode)
    agent = build_agent(
        root=config.root,
        agent=settings.agent if overridden else config.agent,
        agent_command=command,
        recorded=settings.recorded,
        jobs=jobs,
        python=None if settings.recorded else for_config(config),
        replay_tools=replay.tools,
    )
    options = JudgeOptions.from_config(config.section("judge"), str(config.root), config.get("pythonpath"))
    if settings.no_cache:
        options = options.without_cache()
    try:
        with case_progress("eval", progress_wanted(settings.progress)) as progress:
            result = run_eval(
                cases,
                agent,
                jobs=jobs,
                timeout_s=settings.timeout_s or config.timeout_s,
                repeat=settings.repeat,
                options=options,
                taxonomy=selection.taxonomy,
                set_name=selection.set_name,
                floor=selection.floor,
                progress=progress,
                replay=replay,
            )
    finally:
        agent.close()
    if settings.record_cassettes:
        from failgate.eval.replay.recording import record_cassettes

        written = record_cassettes(config.dataset_dir, cases, result)
        click.echo(f"failgate eval: recorded {len(written)} cassette(s): {', '.join(written) or 'none'}", err=True)
    evalcases.write_last_failed(config, selection.set_name, result)
    if settings.record:
        from failgate.eval.recording import record

        click.echo(record(config, result).describe(), err=True)

    if settings.show:
        from failgate.eval.report.show import render_show

        # Next to a machine format on stdout, the people's view goes to stderr.
        click.echo(
            render_show(result, settings.case_ids), nl=False, err=settings.fmt != "text" and settings.output is None
        )
    color = color_wanted(sys.stdout)
    if settings.output is not None:
        from failgate.atomic import write_output

        settings.output.parent.mkdir(parents=True, exist_ok=True)
        write_output(settings.output, render(result, settings.fmt))
        if settings.fmt != "text":
            click.echo(render(result, "text", color=color), nl=False)
        click.echo(f"failgate eval: wrote the {settings.fmt} report to {settings.output}", err=True)
    else:
        click.echo(render(result, settings.fmt, color=color and settings.fmt == "text"), nl=False)
    if under_github_actions():
        for line in github_annotations(result):
            click.echo(line)
    return result.exit_code


@click.command("eval")
@click.option(
    "--set",
    "set_name",
    metavar="NAME",
    help="Run a configured set ([tool.failgate.sets.NAME]) instead of the failure set.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1, max=256),
    help="Cases in flight at once (default: config `jobs`, else 4).",
)
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=0, min_open=True, max=86400),
    metavar="SECONDS",
    help="Per-call timeout (default: config `timeout_s`, else 60).",
)
@click.option(
    "--repeat",
    type=click.IntRange(min=1, max=MAX_REPEAT),
    metavar="N",
    help="Run every case N times (overrides `repeat:`).",
)
@click.option("--agent", metavar="PKG.MOD:FN", help="Use this Python callable as the agent, for this run only.")
@click.option(
    "--agent-command", metavar="COMMAND", help="Use this JSON-lines worker command as the agent, for this run only."
)
@click.option(
    "--recorded",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Judge recorded outputs (JSONL keyed by case id) instead of calling an agent.",
)
@click.option("--case", "case_ids", multiple=True, metavar="ID", help="Only this case (repeatable).")
@click.option("--mode", "modes", multiple=True, metavar="MODE", help="Only this failure mode (repeatable).")
@click.option("--severity", "severities", multiple=True, metavar="P0..P3", help="Only this severity (repeatable).")
@click.option("--last-failed", "--lf", "last_failed", is_flag=True, help="Rerun only the cases that failed last time.")
@click.option(
    "--watchlist/--no-watchlist", default=True, show_default=True, help="Also run watchlist.yaml (never gates)."
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "junit", "markdown"]), default="text", show_default=True
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the report to FILE (the text matrix still goes to stdout).",
)
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal, not in CI).")
@click.option("--record", is_flag=True, help="Append changed outcomes (and regressions) to history.jsonl.")
@click.option(
    "--show",
    is_flag=True,
    help="With --case: print the agent's whole response (text, tool calls, turns, "
    "latency, other keys) next to each rule's verdict, or the agent's traceback.",
)
@click.option(
    "--no-cache", is_flag=True, help="Ask the judge model again instead of reading cached llm_rubric verdicts."
)
@click.option("--live", is_flag=True, help="Run cases that have a cassette live instead of replaying it.")
@click.option(
    "--record-cassettes",
    is_flag=True,
    help="Record this live run as each case's cassette (cassettes/ID.jsonl; input.cassette is added where missing).",
)
def command(**kwargs: object) -> int:
    """Run the cases against the agent, judge them, print the per-failure-mode matrix."""
    if kwargs.get("show") and not kwargs.get("case_ids"):
        raise FailgateError("--show needs the cases to show: --case ID (repeatable)", exit_code=2)
    if kwargs.get("agent") and kwargs.get("agent_command"):
        raise FailgateError("give --agent or --agent-command, not both", exit_code=2)
    if kwargs.get("record") and kwargs.get("set_name") not in (None, "failures"):
        # history.jsonl is the failure set's log; set ids are not AGTFAIL ids.
        raise FailgateError("--record records the failure set only; drop --set", exit_code=2)
    if kwargs.get("record") and (kwargs.get("agent") or kwargs.get("agent_command")):
        # The history is the baseline of the configured agent; a trial agent's results would poison it.
        raise FailgateError("--record records the configured agent only; drop --agent/--agent-command", exit_code=2)
    if kwargs.get("record") and kwargs.get("recorded"):
        # Recorded outputs are not a run of the agent: recording them would write invented results into history.
        raise FailgateError(
            "--record records a run of the configured agent; --recorded outputs are not one: "
            "drop --record or --recorded",
            exit_code=2,
        )
    if kwargs.get("record_cassettes") and (kwargs.get("recorded") or kwargs.get("set_name") not in (None, "failures")):
        raise FailgateError(
            "--record-cassettes records a live run of the failure set; drop --recorded/--set", exit_code=2
        )
    if kwargs.get("agent_command"):
        from failgate.config.checkers import command as command_line

        problem = command_line(kwargs["agent_command"])
        if problem:
            raise FailgateError(f"--agent-command must be {problem}", exit_code=2)
    return execute(EvalSettings(**kwargs))  # type: ignore[arg-type]
