"""Demo step: a week of production traces -> the funnel -> a reviewed, reproduced, promoted case."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from failgate.demo.context import DemoContext, DemoFailure

EXPORT = Path(__file__).parents[1] / "examples" / "traces" / "support-bot-otlp.json"


def _fill(path: Path, number: int) -> None:
    """What the reviewer does in an editor: replace the TODOs of one candidate."""
    text = path.read_text()
    start = text.index(f"  - candidate: {number}\n")
    end = text.find("\n  - candidate:", start + 1)
    end = len(text) if end < 0 else end
    block = text[start:end]
    block = re.sub(r"title: '?TODO[^\n]*", "title: Refused a safety question because it mentioned a fire", block)
    block = re.sub(r"severity: '?TODO[^\n]*", "severity: P1", block)
    block = re.sub(r"blast_radius: '?TODO[^\n]*(\n      [^\n]*)?", "blast_radius: customer_visible", block)
    block = re.sub(r"owner: '?TODO[^\n]*", 'owner: "@support-agents"', block)
    block = re.sub(r"      - TODO: [^\n]*\n(          [^\n]*\n)?", "", block)
    block = block.replace("      - not_refused: true\n", '      - not_refused: true\n      - contains: "warranty"\n')
    path.write_text(text[:start] + block + text[end:])


def run(ctx: DemoContext) -> None:
    from failgate.demo.step_validate import ensure_dataset

    ensure_dataset(ctx)
    from failgate.demo.step_eval import ensure_agent_config

    ensure_agent_config(ctx)
    (ctx.repo / "traces").mkdir(exist_ok=True)
    shutil.copy(EXPORT, ctx.repo / "traces" / EXPORT.name)
    ctx.say(
        "Monday: last week's production traces, exported from the tracing backend as OTLP/JSON (GenAI "
        "semantic conventions). Thirty runs; customers' e-mails and phone numbers in them; one intent "
        "(order_status) drowning the rest; and AGTFAIL-0008's chargeback refusal back four times."
    )
    result = ctx.failgate("ingest", f"traces/{EXPORT.name}")
    for needle in ("failed", "after stratification", "recurrences", "AGTFAIL-0008 (4 traces)", "new candidates"):
        ctx.expect_in(needle, result)
    (review,) = list((ctx.repo / "evals/failures/_intake").glob("*.yaml"))
    if "example.com" in review.read_text():
        raise DemoFailure("PII reached the review file")
    match = re.search(r"# candidate (\d+): refusal_overreach \(product_question\)", review.read_text())
    if not match:
        raise DemoFailure("expected a refusal_overreach candidate for the fire question")
    number = match.group(1)
    shown = f"evals/failures/_intake/{review.name}"
    # Said only when the funnel really dropped candidates over an intent's share ("; dropped order_status N").
    dropped = re.search(r"; dropped ([^\n]+)", result.stdout)
    capped = f"the cap on one intent's share dropped {dropped.group(1)}" if dropped else "no intent went over its share"
    ctx.say(
        f"Only failed runs were kept, {capped}, the four repeats of a known case became one recurrence line, "
        "and no e-mail address made it into the review file. A promotion with TODOs left is refused at their lines:"
    )
    ctx.failgate("promote", shown, "--candidate", number, expect=1)
    _fill(review, int(number))
    ctx.say(
        f"The on-call reviewer fills candidate {number} (title, severity, blast radius, owner, rules). On this "
        "branch the old keyword safety filter is still live (FAILGATE_DEMO_BUG=overcautious), so the case "
        "must reproduce — fail against the current agent — before it may land:"
    )
    ctx.env["FAILGATE_DEMO_BUG"] = "overcautious"
    try:
        promoted = ctx.failgate("promote", shown, "--candidate", number, "--by", "dana@example.com")
    finally:
        ctx.env.pop("FAILGATE_DEMO_BUG", None)
    ctx.expect_in("reproduced", promoted)
    ctx.expect_in("promoted AGTFAIL-", promoted)
    ctx.failgate("promote", shown, "--candidate", "1")  # link the recurrence
    ctx.failgate("validate")
    ctx.say(
        "The case was appended to cases.yaml as text, a `promoted` event (reproduction outcome, judge "
        "fingerprint) went to history.jsonl, the recurrence's trace ids joined AGTFAIL-0008's discovered_by, "
        "and validate passes. The rest of the review file waits for next week's reviewer."
    )
