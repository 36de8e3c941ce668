"""Demo step: `failgate eval` is green, then a past bug comes back and one mode goes red."""

from __future__ import annotations

import re

from failgate.demo.context import DemoContext, DemoFailure

AGENT = "failgate.examples.support_bot:run"
BUG = "double-refund"  # reintroduced by the example bot's FAILGATE_DEMO_BUG switch
RED_MODE = "tool_invocation"


def ensure_agent_config(ctx: DemoContext) -> None:
    """The demo repo names its agent in failgate.toml (or pyproject.toml); add it if absent."""
    toml = ctx.repo / "failgate.toml"
    pyproject = ctx.repo / "pyproject.toml"
    if toml.is_file():
        if "agent" not in re.findall(r"^\s*(\w+)\s*=", toml.read_text(), re.M):
            toml.write_text(toml.read_text() + f'agent = "{AGENT}"\n')
    elif pyproject.is_file() and "[tool.failgate]" in pyproject.read_text():
        if not re.search(r"^agent\s*=", pyproject.read_text(), re.M):
            pyproject.write_text(
                pyproject.read_text().replace("[tool.failgate]\n", f'[tool.failgate]\nagent = "{AGENT}"\n', 1)
            )
    else:
        toml.write_text(f'agent = "{AGENT}"\njobs = 4\n')


def red_modes(output: str) -> list[str]:
    return re.findall(r"^(\w+)\s+\d+\s+\d+\s+[1-9]\d*\s+[\d.]+%\s+<- red$", output, re.M)


def run(ctx: DemoContext) -> None:
    from failgate.demo.step_validate import ensure_dataset

    ensure_dataset(ctx)
    ensure_agent_config(ctx)
    ctx.say(
        "The dataset is only worth something if every case is replayed against the real agent. "
        f'failgate.toml names it (`agent = "{AGENT}"`); `failgate eval` runs every active case '
        "concurrently, judges it by its rules and prints one row per failure mode."
    )
    green = ctx.failgate("eval", "--jobs", "4")
    ctx.expect_in("PASS: all", green)
    if red_modes(green.stdout):
        raise DemoFailure(f"expected an all-green matrix, got red rows {red_modes(green.stdout)}")

    ctx.say(
        "A dependency upgrade quietly drops the idempotency key on refund retries: the bug behind "
        f"AGTFAIL-0001 is back (the example bot's FAILGATE_DEMO_BUG={BUG} switch). Same command:"
    )
    ctx.env["FAILGATE_DEMO_BUG"] = BUG
    try:
        red = ctx.failgate("eval", "--jobs", "4", expect=1)
    finally:
        ctx.env.pop("FAILGATE_DEMO_BUG", None)
    if red_modes(red.stdout) != [RED_MODE]:
        raise DemoFailure(f"expected exactly {RED_MODE} to go red, got {red_modes(red.stdout)}")
    ctx.expect_in("FAIL AGTFAIL-0001", red)
    ctx.expect_in("got 2 matching call(s)", red)
    ctx.say(
        f"Exactly one row went red, {RED_MODE}, and each failing case says which rule broke and "
        "what the agent did instead. The exit code is 1, so a pre-push hook or CI stops here; "
        "`--format junit|markdown|json` feeds the same result to CI pages."
    )
