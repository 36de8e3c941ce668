"""Demo step: a refund case replays from its cassette: deterministic, free, and its refund never runs again."""

from __future__ import annotations

import subprocess

from failgate.demo.context import DemoContext, DemoFailure

AGENT = """
import os, random
import failgate_replay

PROMPT = "You are a careful support agent."

@failgate_replay.tool(mutating=True)
def issue_refund(order_id):
    # Irreversible: money leaves. The demo's ledger file is the proof of whether it ran.
    with open(os.path.join(os.path.dirname(__file__), "refunds.log"), "a") as ledger:
        ledger.write(order_id + "\\n")
    return {"refunded": order_id}

def model(messages):
    # Stands in for a provider call: a sampled model that sometimes drops the order number.
    lucky = os.environ.get("DEMO_MODEL") == "lucky"
    return random.choice(["Refunded order 8812.", "Your refund is on its way."]) if not lucky else "Refunded order 8812."

def run(inp):
    messages = [{"role": "system", "content": PROMPT}, *inp["messages"]]
    reply = failgate_replay.model({"model": "support-1", "messages": messages}, lambda: model(messages))
    issue_refund(order_id="8812")
    return {"output": reply["text"], "tool_calls": [{"name": "issue_refund", "arguments": {"order_id": "8812"}}]}
"""


def _cases() -> str:
    from failgate.dataset.hashing import input_hash
    from failgate.dataset.model import FAILURE_MODES_V1

    case_input = {"messages": [{"role": "user", "content": "Order 8812 arrived broken, please refund it."}]}
    modes = "".join(f"  - {m}\n" for m in FAILURE_MODES_V1)
    return f"""schema_version: 1
failure_modes:
{modes}cases:
  - id: AGTFAIL-0001
    title: Refund confirmation without the order number
    failure_mode: hallucination
    severity: P2
    blast_radius: irreversible_write
    status: active
    owner: "@support-agents"
    discovered_at: "2026-05-02"
    discovered_by:
      - trace:7d1e
    intent: refund_request
    input:
      messages:
        - role: user
          content: Order 8812 arrived broken, please refund it.
    input_hash: {input_hash(case_input)}
    observed_behavior: The reply confirmed a refund without saying which order; the customer asked again.
    expected:
      - contains: "order 8812"
      - tool_called: {{name: issue_refund, times: 1}}
    remediation: []
    regressed_count: 0
"""


def run(ctx: DemoContext) -> None:
    project = ctx.root / "refund-bot"
    project.mkdir(exist_ok=True)
    ctx.run(["git", "init", "-q"], cwd=project, show=False)
    (project / "refundbot.py").write_text(AGENT)
    (project / "pyproject.toml").write_text('[tool.failgate]\nagent = "refundbot:run"\n')
    dataset = project / "evals" / "failures"
    dataset.mkdir(parents=True, exist_ok=True)
    (dataset / "cases.yaml").write_text(_cases())
    (dataset / "cases_removed.yaml").write_text("schema_version: 1\nremoved: []\n")
    (dataset / "history.jsonl").write_text("")
    ledger = project / "refunds.log"

    def failgate(*args: str, expect: int | None = 0, env: dict[str, str] | None = None) -> str:
        result = subprocess.run(
            [*ctx.failgate_cmd, *args], cwd=project, env={**ctx.env, **(env or {})}, capture_output=True, text=True
        )
        ctx.show(["failgate", *args], result)
        if expect is not None and result.returncode != expect:
            raise DemoFailure(f"`failgate {' '.join(args)}` exited {result.returncode}, expected {expect}")
        return result.stdout + result.stderr

    ctx.say(
        "A second project, refund-bot: its model is sampled, so live its refund case flaps (it sometimes "
        "drops the order number), and its refund tool moves money. Until now such a case lived on the "
        "watchlist, which never gates, and every run paid the provider and refunded again. Live, 20 times:"
    )
    out = failgate("eval", "--live", "--repeat", "20", expect=1)
    if "passed 20/20" in out:
        raise DemoFailure("the sampled model never flapped in 20 live runs")
    ledger.unlink(missing_ok=True)
    ctx.say("Record the run once, against a sandbox (here: a lucky sample), as the case's cassette:")
    failgate("eval", "--record-cassettes", env={"DEMO_MODEL": "lucky"})
    ledger.unlink(missing_ok=True)
    ctx.say("Now the case replays from its cassette: 20 runs, 20 identical verdicts, no model call, and no refund:")
    out = failgate("eval", "--repeat", "20")
    for needle in ("replay: 1 replayed", "20 replayed, 0 live"):
        if needle not in out:
            raise DemoFailure(f"expected {needle!r}")
    if ledger.exists():
        raise DemoFailure("the refund ran under replay")
    ctx.say("Someone edits the prompt. The run leaves its recording at the first model call and goes live from there:")
    agent = project / "refundbot.py"
    agent.write_text(AGENT.replace("a careful support agent", "a friendly support agent"))
    out = failgate("eval", "--case", "AGTFAIL-0001", "--show", expect=None)
    for needle in ("diverged at step 1 (model call: message 1 differs)", "mutating tool issue_refund not executed"):
        if needle not in out:
            raise DemoFailure(f"expected {needle!r}")
    if ledger.exists():
        raise DemoFailure("the refund ran after the divergence")
    ctx.say(
        "The divergence point is named, the rest ran live, and the refund was still not executed: a mutating "
        "tool never runs under replay. Re-record the cassette once the new prompt is right (a branch that "
        "does is redefining the case, which the gate lists for review)."
    )
    agent.write_text(AGENT)
