"""Demo step: a green baseline on main; a branch breaks a case and deprecates it; `git push` is refused.

The gate evaluates the pushed *commit*, so the breakage is a committed change:
the demo repo's own agent entry point (`shop_agent.py`, wrapping the bundled
support bot) gains a "fast retry" switch that brings the double-refund bug back
for refund follow-ups only -- one case, AGTFAIL-0001, goes red.
"""

from __future__ import annotations

import re

from failgate.demo.context import DemoContext, DemoFailure

DATASET = "evals/failures"
VICTIM = "AGTFAIL-0001"
BRANCH = "faster-refunds"

SHOP_AGENT = '''\
"""The shop's support agent as failgate runs it: the bundled example bot behind one switch."""
from __future__ import annotations

import os
import threading

from failgate.examples import support_bot

# Retry refund follow-ups right away instead of waiting for the idempotency check.
FAST_RETRY = {fast_retry}
_LOCK = threading.Lock()  # the example bot reads its bug switch from the environment


def run(case_input):
    if not FAST_RETRY:
        return support_bot.run(case_input)
    texts = " ".join(str(m.get("content", "")) for m in case_input.get("messages", []) if isinstance(m, dict))
    with _LOCK:
        if "went through" in texts:
            os.environ[support_bot.BUG_ENV] = "double-refund"
        try:
            return support_bot.run(case_input)
        finally:
            os.environ.pop(support_bot.BUG_ENV, None)
'''

GATE_HOOK = {
    "id": "failgate-gate",
    "name": "failgate gate",
    "language": "system",
    "pass_filenames": False,
    "always_run": True,
    "require_serial": True,
    "stages": ["pre-push"],
}


def _prepare(ctx: DemoContext) -> None:
    import yaml

    from failgate.demo.step_validate import ensure_dataset

    ensure_dataset(ctx)
    ctx.git("checkout", "-q", "main")
    (ctx.repo / "shop_agent.py").write_text(SHOP_AGENT.format(fast_retry="False"))
    toml = ctx.repo / "failgate.toml"
    text = toml.read_text() if toml.is_file() else 'base_branch = "main"\n'
    text = re.sub(r"(?m)^agent\s*=.*$", 'agent = "shop_agent:run"', text)
    if 'agent = "shop_agent:run"' not in text:
        text += 'agent = "shop_agent:run"\n'
    toml.write_text(text)
    config_path = ctx.repo / ".pre-commit-config.yaml"
    config = yaml.safe_load(config_path.read_text()) if config_path.is_file() else None
    config = config or {"repos": []}
    local = next((r for r in config["repos"] if r.get("repo") == "local"), None)
    if local is None:
        local = {"repo": "local", "hooks": []}
        config["repos"].append(local)
    if not any(h.get("id") == "failgate-gate" for h in local["hooks"]):
        local["hooks"].append({**GATE_HOOK, "entry": " ".join([*ctx.failgate_cmd, "gate"])})
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    ctx.run(["pre-commit", "install", "-t", "pre-commit", "-t", "pre-push"], show=False)
    ctx.git("add", "shop_agent.py", "failgate.toml", ".pre-commit-config.yaml", DATASET)
    ctx.git("commit", "-q", "-m", "shop_agent entry point; failgate gate at pre-push")


def run(ctx: DemoContext) -> None:
    _prepare(ctx)
    ctx.say(
        "The gate needs a baseline: each case's last recorded outcome. `failgate eval --record` "
        "appends to history.jsonl only what changed (here: one result per case, judged by "
        "today's judge), and the team commits it on main."
    )
    recorded = ctx.failgate("eval", "--record", "--jobs", "4")
    ctx.expect_in("appended", recorded)
    ctx.git("add", f"{DATASET}/history.jsonl", f"{DATASET}/cases.yaml")
    ctx.run(["git", "commit", "-q", "-m", "record a green baseline"])

    remote = ctx.root / "shop-agent.git"
    ctx.git("init", "-q", "--bare", str(remote))
    ctx.git("remote", "add", "origin", str(remote))
    ctx.say("main goes to the shared remote; the pre-push hook runs `failgate gate` on what is pushed.")
    pushed = ctx.run(["git", "push", "-u", "origin", "main"])
    ctx.expect_in("failgate gate", pushed)

    ctx.say(
        f"On a branch, someone speeds up refunds by retrying follow-ups right away. That brings "
        f"back the double refund of {VICTIM} (P0, irreversible_write). Its case goes red, so they "
        "mark it deprecated ('flaky, retired') in the same commit, hoping the gate skips it."
    )
    ctx.git("checkout", "-q", "-b", BRANCH)
    (ctx.repo / "shop_agent.py").write_text(SHOP_AGENT.format(fast_retry="True"))
    _deprecate(ctx, VICTIM)
    ctx.git("add", "shop_agent.py", f"{DATASET}/cases.yaml")
    ctx.run(["git", "commit", "-q", "-m", "faster refund follow-ups; retire a flaky case"])

    refused = ctx.run(["git", "push", "-u", "origin", BRANCH], expect=1)
    ctx.expect_in(f"FLIP {VICTIM}", refused)
    ctx.expect_in("deprecated in the range; run from its baseline definition", refused)
    if BRANCH in ctx.git("ls-remote", "--heads", "origin").stdout:
        raise DemoFailure("the refused branch reached the remote")
    ctx.say(
        f"Refused. {VICTIM} passed at the baseline (history.jsonl at the merge-base with main, "
        "read from git objects) and fails at the pushed commit; it was run from its baseline "
        "definition because the range deprecated it. Retiring a case does not ship its "
        "regression. CI runs the same gate: `failgate gate` picks the pull request's target itself."
    )
    ctx.git("checkout", "-q", "main")


def _deprecate(ctx: DemoContext, case_id: str) -> None:
    from failgate.dataset.casefile import reparse, set_entry_scalar

    path = ctx.repo / DATASET / "cases.yaml"
    text = path.read_text()
    text = set_entry_scalar(reparse(text, str(path)), "cases", case_id, "status", "deprecated")
    text = set_entry_scalar(reparse(text, str(path)), "cases", case_id, "deprecated_reason", "flaky, retired")
    path.write_text(text)
