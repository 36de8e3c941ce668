"""Demo step: the history as a page. `failgate report --html` and `failgate gate --html`.

Runs after the gate step (and runs it first when asked for on its own): the
refused branch is what the gate's page is about.
"""

from __future__ import annotations

from failgate.demo.context import DemoContext, DemoFailure

DATASET = "evals/failures"


def run(ctx: DemoContext) -> None:
    from failgate.demo import step_gate

    if step_gate.BRANCH not in ctx.git("branch", "--list", step_gate.BRANCH).stdout:
        step_gate.run(ctx)
    ctx.git("checkout", "-q", "main")
    page = ctx.root / "failgate-report.html"
    ctx.say(
        "Everything the gate compared against is in history.jsonl, in git. `failgate report --html` "
        "draws it: one row per case, one column per recorded commit, each cell pass, fail, flip, "
        "flaky, removed or deprecated, with its commit, date, judge and actor on hover."
    )
    ctx.failgate("report", "--html", str(page), show=False)
    text = page.read_text(encoding="utf-8")
    if "default-src 'none'" not in text or 'data-case="AGTFAIL-0001"' not in text:
        raise DemoFailure(f"{page} is not the report page it should be")
    gate_page = ctx.root / "gate-report.html"
    ctx.say(
        f"`failgate gate --html` writes the same page about the range under test: here the refused "
        f"branch {step_gate.BRANCH}, its flip as the first row and the gate's own run as the last column. "
        "The workflow `failgate init` writes uploads it as a CI artifact."
    )
    ctx.failgate("gate", "--rev", step_gate.BRANCH, "--base", "main", "--html", str(gate_page), expect=1, show=False)
    text = gate_page.read_text(encoding="utf-8")
    if "Flips (1)" not in text:
        raise DemoFailure(f"{gate_page} does not name the flip")
    if ctx.keep:
        ctx.say(f"Open them in a browser: {page} and {gate_page}.")
    else:
        # Without --keep the demo repository, these pages included, is deleted when the demo ends.
        ctx.say("Both pages go with the demo repository when the demo ends; `failgate demo --keep` keeps them.")
