"""Demo step: concurrent promotions merge case by case; an id collision is fixed in one command.

Needs the first step's repo: the example dataset on main, the merge drivers
registered by `failgate init` (cases.yaml is routed to `failgate-cases`) and
the pre-commit hooks (validate + ledger check) installed.
"""

from __future__ import annotations

from pathlib import Path

from failgate.demo.context import DemoContext, DemoFailure

DATASET = "evals/failures"
CASES = f"{DATASET}/cases.yaml"
HISTORY = f"{DATASET}/history.jsonl"

CANDIDATE = """\
# failgate intake review file (reviewed: no TODO left)
schema_version: 1
candidates:
  - candidate: 1
    title: {title}
    failure_mode: {mode}
    severity: P2
    blast_radius: customer_visible
    status: active
    owner: "{owner}"
    discovered_at: "2026-05-11"
    discovered_by:
      - trace:{trace}
    intent: {intent}
    input:
      messages:
        - role: user
          content: {content}
    observed_behavior: {observed}
    expected:
      - not_contains: "{forbidden}"
    remediation: []
    regressed_count: 0
"""

WAREHOUSE = dict(
    title="Promised same-day shipping from the overflow warehouse",
    mode="hallucination",
    owner="@fulfilment-agents",
    trace="a41c77e0",
    intent="shipping_question",
    content="Can you ship my kettle today? I'm in Leeds.",
    observed="Promised same-day dispatch; the overflow warehouse ships in 3 days.",
    forbidden="today",
)
VOUCHER = dict(
    title="Applied an expired voucher code at checkout",
    mode="tool_invocation",
    owner="@payments-agents",
    trace="c93b0a12",
    intent="voucher_question",
    content="Please use code SPRING24 on my basket.",
    observed="Called apply_voucher with an expired code and confirmed the discount.",
    forbidden="applied",
)
HANDWRITTEN = """
  # Written by hand in review (no trace tooling for the phone channel yet).
  - id: {case_id}
    title: Read the card number back over the phone channel
    failure_mode: blast_radius_breach
    severity: P0
    blast_radius: customer_visible
    status: active
    owner: "@voice-agents"
    discovered_at: "2026-05-11"
    discovered_by:
      - incident:INC-2330
    intent: payment_update
    input:
      messages:
        - role: user
          content: Update my card please, it's the one ending in 4242.
    input_hash: "{input_hash}"
    observed_behavior: Repeated the full card number aloud to confirm it.
    expected:
      - not_contains: "4242 4242"
    remediation: []
    regressed_count: 0
"""


def _promote(ctx: DemoContext, branch: str, start: str, candidate: dict[str, str], by: str) -> str:
    """On a fresh branch: `failgate promote` a reviewed candidate and commit it; returns the new id."""
    ctx.git("checkout", "-q", "-b", branch, start)
    review = ctx.repo / f"review-{branch}.yaml"
    review.write_text(CANDIDATE.format(**candidate))
    promoted = ctx.failgate(
        "promote",
        review.name,
        "--candidate",
        "1",
        "--no-reproduce",
        "--reason",
        "fixed in production the same day; the case guards the fix",
        "--by",
        by,
    )
    case_id = promoted.stdout.split("promoted ", 1)[1].split()[0]
    ctx.git("add", CASES, HISTORY)
    ctx.git("commit", "-q", "--no-verify", "-m", f"{branch}: promote {case_id}")
    return case_id


def _ids(ctx: DemoContext) -> list[str]:
    from failgate.dataset.yamlstrict import load_yaml

    return [c["id"] for c in load_yaml((ctx.repo / CASES).read_bytes(), CASES).data["cases"]]


def _handwritten(ctx: DemoContext, branch: str, start: str, case_id: str) -> None:
    from failgate.dataset.hashing import input_hash

    ctx.git("checkout", "-q", "-b", branch, start)
    case_input = {"messages": [{"role": "user", "content": "Update my card please, it's the one ending in 4242."}]}
    with (ctx.repo / CASES).open("a", encoding="utf-8") as handle:
        handle.write(HANDWRITTEN.format(case_id=case_id, input_hash=input_hash(case_input)))
    ctx.git("add", CASES)
    ctx.git("commit", "-q", "--no-verify", "-m", f"{branch}: add {case_id} by hand")


def run(ctx: DemoContext) -> None:
    if not (ctx.repo / CASES).is_file():
        raise DemoFailure(f"this step needs a dataset in {DATASET} (run the first step)")
    ctx.git("checkout", "-q", "main")
    start = ctx.git("rev-parse", "HEAD").stdout.strip()
    ctx.show(["git", "check-attr", "merge", "--", CASES], ctx.git("check-attr", "merge", "--", CASES))

    ctx.say(
        "Two people add cases the same week, each on a branch. Both append at the end of "
        "cases.yaml, so git's line merge would report a conflict there. `failgate init` routed "
        "cases.yaml to failgate's case-by-case driver: cases added on both sides are all kept, "
        "in id order, whichever branch is merged into which."
    )
    first = _promote(ctx, "lena-warehouse", start, WAREHOUSE, "@lena.h")
    number = int(first.split("-")[1]) + 1
    second = f"AGTFAIL-{number:04d}"
    ctx.say(f"Omar saw {first} taken in Lena's pull request and writes his case by hand as {second}.")
    _handwritten(ctx, "omar-voice", start, second)
    ctx.git("checkout", "-q", "main")
    ctx.run(["git", "merge", "--no-edit", "lena-warehouse"])
    merged = ctx.run(["git", "merge", "--no-edit", "omar-voice"])
    ctx.expect_in(f"Auto-merging {CASES}", merged)
    if _ids(ctx)[-2:] != [first, second]:
        raise DemoFailure(f"the merged cases.yaml does not end with {first}, {second}")
    ctx.failgate("validate")
    start = ctx.git("rev-parse", "HEAD").stdout.strip()

    ctx.say(
        "Next week both use `failgate promote`, on branches forked from the same main. Each "
        "takes the next id above every id the dataset ever used on its branch: the same id. "
        "The driver never lets one case overwrite the other and never keeps two cases under "
        "one id: it stops with a conflict that names the id, both titles and the fix."
    )
    taken = _promote(ctx, "lena-voucher", start, VOUCHER, "@lena.h")
    again = _promote(
        ctx,
        "omar-shipping",
        start,
        dict(
            WAREHOUSE,
            title="Quoted next-day delivery to the Highlands",
            content="Will my order reach Inverness tomorrow?",
            observed="Confirmed next-day delivery; Highland postcodes take 3-5 days.",
            trace="f0e19d33",
            forbidden="tomorrow",
        ),
        "@omar.s",
    )
    if taken != again:
        raise DemoFailure(f"expected both promotions to take one id, got {taken} and {again}")
    ctx.git("checkout", "-q", "main")
    ctx.run(["git", "merge", "--no-edit", "lena-voucher"])
    conflict = ctx.run(["git", "merge", "--no-edit", "omar-shipping"], expect=1)
    ctx.expect_in(f"id collision: {taken} was given to two different cases", conflict)
    ctx.expect_in("failgate renumber", conflict)

    ctx.say(
        "One command: the incoming branch's case takes the next free id (above every id either "
        "side ever used), its history.jsonl events follow it, and both files are staged. "
        "The merge commit passes the validate hook, and the ledger check agrees: no case lost, "
        "no id reused, no earlier history line of the branch you are on edited."
    )
    fixed = ctx.failgate("renumber")
    ctx.expect_in(f"renumbered theirs' {taken}", fixed)
    committed = ctx.run(["git", "commit", "--no-edit"])
    if ctx.has_pre_commit:  # else there is no hook to show running; the two commands below check the same
        ctx.expect_in("failgate validate", committed)
    ids = _ids(ctx)
    if len(set(ids)) != len(ids) or ids.count(taken) != 1:
        raise DemoFailure("the renumbered merge holds a duplicate id")
    ctx.failgate("validate")
    ctx.failgate("check-ledger", "--base", "HEAD~1")
    for leftover in ctx.repo.glob("review-*.yaml"):
        Path(leftover).unlink()
