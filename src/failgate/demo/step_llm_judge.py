"""Demo step: a hallucination case judged by a judge model, and the gold set that grades that judge."""

from __future__ import annotations

import shutil
from pathlib import Path

from failgate.demo.context import DemoContext

CASE = "AGTFAIL-0025"
BUG = "ungrounded"
GOLD = "evals/judge_gold.yaml"


def run(ctx: DemoContext) -> None:
    from failgate.demo.step_eval import ensure_agent_config
    from failgate.demo.step_validate import ensure_dataset

    ensure_dataset(ctx)
    ensure_agent_config(ctx)
    ctx.git("checkout", "-q", "main")
    ctx.say(
        f"Some failures have no fixed wording. {CASE}: the bot told a customer an unscanned parcel "
        '"has shipped" and would "arrive by Friday"; there are a hundred ways to say that, so the case '
        "is judged by `llm_rubric: {rubric: ...}`: a judge model reads the reply and answers pass/fail with "
        "a reason. failgate speaks the OpenAI-compatible chat-completions protocol; this demo started a "
        f"small scripted judge on {ctx.judge_base_url()} and names it in failgate.toml's [judge.llm]. "
        "A real team points base_url at its own model (OpenAI, vLLM, Ollama, llama.cpp, a LiteLLM proxy) "
        "and api_key_env at the variable holding the key."
    )
    fresh = ctx.failgate("eval", "--case", CASE, "--no-watchlist", "--no-cache")
    ctx.expect_in("PASS: all", fresh)
    ctx.expect_in("judge model: 1 call(s)", fresh)
    again = ctx.failgate("eval", "--case", CASE, "--no-watchlist")
    ctx.expect_in("1 verdict(s) from the cache", again)
    ctx.say(
        "Verdicts are cached under .git/failgate-cache/ by the judge's fingerprint, the case input and the "
        "reply: a rerun of unchanged outputs costs no call (`--no-cache` asks again; `repeat: N` always "
        "does). The model, the base URL's host, the prompt template version, the rubric, temperature and "
        "seed are in the case's judge fingerprint, so a model swap is a judge change the gate sees."
    )
    ctx.env["FAILGATE_DEMO_BUG"] = BUG
    try:
        red = ctx.failgate("eval", "--case", CASE, "--no-watchlist", expect=1)
    finally:
        ctx.env.pop("FAILGATE_DEMO_BUG", None)
    ctx.expect_in(f"FAIL {CASE}", red)
    ctx.expect_in("judge: states '1Z88310A4410', which the rubric rules out", red)
    ctx.say(
        "With the 'answers from memory' bug back, the judge fails the reply and says why. A judge that "
        "times out, answers 429/5xx after its retries, or answers something that is not a verdict fails "
        "the rule too, and the run counts the failed judge calls: a broken judge is never a pass."
    )

    from failgate.demo.step_validate import example_dataset

    source = Path(example_dataset()).parent / "judge_gold.yaml"
    shutil.copy2(source, ctx.repo / GOLD)
    ctx.say(
        f"Who judges the judge? {GOLD} is the gold set: replies a person labeled. `failgate judge-check` "
        "runs the judge on it and prints agreement, false-pass rate and Cohen's kappa per rule kind."
    )
    graded = ctx.failgate("judge-check", "--record")
    ctx.expect_in("PASS: agreement 0.900 >= floor 0.9", graded)
    ctx.expect_in("GOLD-0004 [llm_rubric] human pass, judge fail", graded)
    ctx.git("add", GOLD, "evals/failures/history.jsonl")
    ctx.run(["git", "commit", "-q", "-m", "judge gold set, graded"])
    ctx.say(
        "One disagreement: this judge is stricter than the person who labeled GOLD-0004, which costs "
        "agreement but lets nothing through (no false pass). `--record` appended a judge_graded event "
        "with the judge's fingerprint and these figures, a record for people. From now on a pull request "
        "that changes the judge passes only when the gate itself grades the new judge on this gold set "
        "and it meets [judge] gold_floor (0.9, and no false pass on a P0 example), on top of one "
        "judge_changed decision (`failgate judge-change --reason ... --by ...` does both)."
    )
