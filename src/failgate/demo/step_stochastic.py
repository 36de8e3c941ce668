"""Demo step: a stochastic case gates by its own record instead of flapping.

The shop agent answers product questions through a sampled model: right 95 % of the time. Under
the hard rule (`pass_if: all`, 20 attempts) its case would block most pushes (0.95^20 = 36 % pass),
so it would end on the watchlist and never gate. With `repeat: 20` and a floor, the gate compares
k/20 now with the base's own recorded k/20: the same agent passes every push, and a prompt change
that halves the good answers is a flip with its p-value, though it stays above the floor.

The sampling is simulated by a fixed pattern (attempt i is good when floor((i+1) r) > floor(i r),
counted across the agent's worker processes), so the demo shows the same figures every time.
"""

from __future__ import annotations

import json
import re

from failgate.demo.context import DemoContext

DATASET = "evals/failures"
BRANCH = "shorter-product-prompt"

SAMPLED = """

# -- product questions: a sampled model (simulated; see the demo's stochastic step) --------------
import fcntl as _fcntl
import json as _json
import math as _math
import pathlib as _pathlib

_answer_orders = run


def run(case_input):
    if "product_question" not in case_input:
        return _answer_orders(case_input)
    rate = _json.loads(_pathlib.Path(__file__).with_name("sampling.json").read_text())["good_answer_rate"]
    counter = _pathlib.Path(os.environ["FAILGATE_DEMO_COUNTERS"]) / "product_question"
    with open(counter, "a+") as handle:
        _fcntl.flock(handle, _fcntl.LOCK_EX)
        handle.seek(0)
        i = int(handle.read() or 0)
        handle.seek(0)
        handle.truncate()
        handle.write(str(i + 1))
    good = _math.floor((i + 1) * rate + 1e-9) > _math.floor(i * rate + 1e-9)
    if good:
        return {"output": "The Boreal kettle is discontinued; the Aurora kettle replaced it."}
    return {"output": "The Boreal kettle is in stock and ships tomorrow."}
"""

CASE = """\
  - id: {case_id}
    title: Recommends a discontinued kettle as in stock
    failure_mode: hallucination
    severity: P2
    blast_radius: customer_visible
    status: active
    owner: dana@example.com
    discovered_at: "2026-11-30"
    discovered_by:
      - trace:7f3a9e
    intent: product_question
    input:
      product_question: Is the Boreal kettle still available?
    observed_behavior: Said the discontinued Boreal kettle ships tomorrow.
    repeat: 20
    pass_if:
      min_pass: 8
    expected:
      - contains: discontinued
    remediation:
      - date: "2026-12-01"
        change: Product catalogue grounding in the answer prompt.
"""


def _next_id(ctx: DemoContext) -> str:
    text = "".join((ctx.repo / DATASET / name).read_text() for name in ("cases.yaml", "cases_removed.yaml"))
    highest = max(int(n) for n in re.findall(r"AGTFAIL-(\d+)", text))
    return f"AGTFAIL-{highest + 1:04d}"


def _set_rate(ctx: DemoContext, rate: float) -> None:
    (ctx.repo / "sampling.json").write_text(json.dumps({"good_answer_rate": rate}) + "\n")


def run(ctx: DemoContext) -> None:
    counters = ctx.root / "sampling-counters"
    counters.mkdir(exist_ok=True)
    ctx.env["FAILGATE_DEMO_COUNTERS"] = str(counters)
    ctx.git("checkout", "-q", "main")
    if not (ctx.repo / "shop_agent.py").is_file():  # run alone (`failgate demo --step stochastic`)
        from failgate.demo.step_gate import _prepare

        _prepare(ctx)
    case_id = _next_id(ctx)
    ctx.say(
        f"The shop agent now answers product questions with a sampled model: right about 95 % of the time. "
        f"{case_id} runs 20 attempts. Under the hard rule (all 20 must pass) it would block most pushes "
        "(0.95^20 = 36 % pass) and end on the watchlist, where it never gates. Instead it has a floor "
        "(`pass_if: {min_pass: 8}`) and a contract against its own record at the base."
    )
    with (ctx.repo / "shop_agent.py").open("a") as handle:
        handle.write(SAMPLED)
    _set_rate(ctx, 0.95)
    with (ctx.repo / DATASET / "cases.yaml").open("a") as handle:
        handle.write(CASE.format(case_id=case_id))
    ctx.failgate("fmt", expect=1, show=False)  # fills input_hash and regressed_count
    ctx.failgate("validate", "--no-cache", show=False)
    ctx.git("add", "shop_agent.py", "sampling.json", DATASET)
    ctx.git("commit", "-q", "--no-verify", "-m", f"{case_id}: product answers are sampled; 20 attempts, a floor of 8")
    recorded = ctx.failgate("eval", "--record")
    ctx.expect_in("19/20", recorded)
    ctx.git("add", DATASET)
    ctx.git("commit", "-q", "--no-verify", "-m", "record its base: 19/20")
    ctx.say(
        "The record says 19/20 (its Wilson interval and pass^3 beside it). history.jsonl keeps "
        "`attempts` and `passes` on the result, at the commit on main: that is the base every branch is "
        "compared with, and no branch can rewrite it."
    )

    ctx.git("checkout", "-q", "-b", BRANCH)
    _set_rate(ctx, 0.5)
    ctx.git("commit", "-q", "--no-verify", "-am", "shorter product prompt (saves tokens)")
    ctx.say(
        "On a branch, someone shortens the product prompt. Half the answers go wrong: 10/20, still above "
        "the case's floor of 8, so the hard rule alone would let it through."
    )
    refused = ctx.failgate("gate", "--base", "main", expect=1)
    ctx.expect_in(f"FLIP {case_id} 19/20 at base \u2192 10/20 now (p = ", refused)
    ctx.say(
        "Refused: a one-sided Fisher exact test against the base's 19/20, with the error budget "
        "(`[tool.failgate.gate] alpha`, read from the base) split across the run's stochastic cases by Holm. "
        "A drop that could be chance passes; this one is not chance."
    )
    _set_rate(ctx, 0.9)
    ctx.git("commit", "-q", "--no-verify", "-am", "a middle ground: keep the catalogue line")
    passed = ctx.failgate("gate", "--base", "main")
    ctx.expect_in("vs 19/20 at base", passed)
    ctx.expect_in("holds", passed)
    ctx.say("18/20 is within what the same agent does by chance: the gate passes, and says how sure it is.")
    ctx.git("checkout", "-q", "main")
