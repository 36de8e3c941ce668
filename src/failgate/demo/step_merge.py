"""Demo step: two branches append to the ledgers at once and merge cleanly.

Needs a repo where `evals/failures/` holds a valid dataset and the merge
drivers are registered (`failgate init` / `failgate install`), as the first
step leaves it.
"""

from __future__ import annotations

import json
from collections import Counter

from failgate.demo.context import DemoContext, DemoFailure

DATASET = "evals/failures"
HISTORY = f"{DATASET}/history.jsonl"
LEDGER = f"{DATASET}/cases_removed.yaml"
JUDGE = "sha256:5c8c1448bc394ec35ca1361559858853d840299526cdff5375d2f4fa2098c106"


def _event_id(tag: str, number: int) -> str:
    # A fixed, valid ULID (Crockford base32) so the narration is reproducible.
    return f"01KRB{tag}{number:0{21 - len(tag)}d}"


def _record(ctx: DemoContext, events: list[tuple[str, str, str, str]], message: str) -> None:
    """Append result events, as `failgate eval --record` does, and commit."""
    commit = ctx.git("rev-parse", "HEAD").stdout.strip()
    lines = "".join(
        json.dumps(
            {
                "id": ident,
                "ts": ts,
                "case_id": case,
                "type": "result",
                "outcome": outcome,
                "commit": commit,
                "judge": JUDGE,
                "actor": "ci",
            }
        )
        + "\n"
        for ident, ts, case, outcome in events
    )
    with (ctx.repo / HISTORY).open("a", encoding="utf-8") as handle:
        handle.write(lines)
    ctx.git("add", HISTORY)
    ctx.git("commit", "-q", "--no-verify", "-m", message)


def _commit_removal(ctx: DemoContext, message: str) -> None:
    # Only the three files `failgate remove` writes, as it tells the user to.
    ctx.git("add", "--", f"{DATASET}/cases.yaml", LEDGER, HISTORY)
    ctx.git("commit", "-q", "--no-verify", "-m", message)


def _ids(text: str) -> list[str]:
    return [json.loads(line)["id"] for line in text.split("\n") if line.strip()]  # JSONL: `\n` only


def run(ctx: DemoContext) -> None:
    if not (ctx.repo / HISTORY).is_file():
        raise DemoFailure(f"this step needs a dataset in {DATASET} (run the first step)")
    ctx.say(
        "history.jsonl and cases_removed.yaml only ever grow, and every branch that records "
        "results or removes a case appends to the same end of them. git's line merge calls "
        "that a conflict on nearly every merge. `.gitattributes` sends both files to failgate's "
        "merge driver; git config is per clone, so each clone registers it once (init did it "
        "here; the post-checkout hook keeps fresh clones covered):"
    )
    ctx.failgate("install")
    ctx.show(
        ["git", "check-attr", "merge", "--", HISTORY, LEDGER], ctx.git("check-attr", "merge", "--", HISTORY, LEDGER)
    )

    start = ctx.git("rev-parse", "HEAD").stdout.strip()
    hotfix_event = (_event_id("HF", 1), "2026-05-10T09:00:00Z", "AGTFAIL-0002", "pass")
    ctx.git("checkout", "-q", "-b", "hotfix")
    _record(ctx, [hotfix_event], "hotfix: record AGTFAIL-0002 passing")

    ctx.say(
        "Two people work at once: the nightly run records results and retires AGTFAIL-0003, "
        "while triage retires AGTFAIL-0019. In the morning a hotfix records one more result and "
        "both branches cherry-pick it, so both carry the very same event, at different places."
    )
    ctx.git("checkout", "-q", "-b", "nightly", start)
    _record(
        ctx,
        [
            (_event_id("NT", 1), "2026-05-10T02:00:00Z", "AGTFAIL-0001", "pass"),
            (_event_id("NT", 2), "2026-05-10T02:00:05Z", "AGTFAIL-0004", "pass"),
        ],
        "nightly: record results",
    )
    ctx.run(["git", "cherry-pick", "hotfix"], show=True)
    ctx.failgate("remove", "AGTFAIL-0003", "--reason", "the refund API it exercised was retired", "--by", "@omar.s")
    _commit_removal(ctx, "nightly: retire AGTFAIL-0003")

    ctx.git("checkout", "-q", "-b", "triage", start)
    ctx.run(["git", "cherry-pick", "hotfix"], show=False)
    ctx.failgate(
        "remove", "AGTFAIL-0019", "--reason", "duplicate of AGTFAIL-0012 after the intake rewrite", "--by", "@lena.h"
    )
    _commit_removal(ctx, "triage: retire AGTFAIL-0019")

    ctx.say("Merging both into main: no conflict, no hand-editing of an append-only log.")
    ctx.git("checkout", "-q", "main")
    ctx.run(["git", "merge", "--no-edit", "nightly"])
    merged = ctx.run(["git", "merge", "--no-edit", "triage"])
    ctx.expect_in("Auto-merging", merged)
    history = (ctx.repo / HISTORY).read_text(encoding="utf-8")
    counts = Counter(_ids(history))
    if counts[hotfix_event[0]] != 1 or max(counts.values()) != 1:
        raise DemoFailure("the merged history.jsonl holds a duplicate event")
    ledger = (ctx.repo / LEDGER).read_text(encoding="utf-8")
    if "id: AGTFAIL-0003" not in ledger or "id: AGTFAIL-0019" not in ledger:
        raise DemoFailure("the merged ledger lost a removal")
    ctx.show(["grep", "-c", hotfix_event[0], HISTORY], ctx.run(["grep", "-c", hotfix_event[0], HISTORY], show=False))
    ctx.failgate("validate")

    ctx.say(
        "The same merge with git's built-in `merge=union` (the usual shortcut), replayed on a "
        "scratch branch: it keeps both copies of the cherry-picked event, and it would just as "
        "silently accept an edited or deleted old line."
    )
    nightly_tip = ctx.git("rev-parse", "nightly").stdout.strip()
    attributes = ctx.repo / ".git" / "info" / "attributes"
    attributes.parent.mkdir(exist_ok=True)
    attributes.write_text(f"{HISTORY} merge=union\n{LEDGER} merge=union\n")  # overrides .gitattributes
    try:
        ctx.git("checkout", "-q", "-b", "union-try", nightly_tip)
        ctx.git("merge", "--no-edit", "triage", expect=None)
        union_history = (ctx.repo / HISTORY).read_text(encoding="utf-8")
        ctx.run(["grep", "-c", hotfix_event[0], HISTORY], expect=None)
    finally:
        attributes.unlink()
        ctx.git("merge", "--abort", expect=None)
        ctx.git("reset", "-q", "--hard")
        ctx.git("checkout", "-q", "main")
        ctx.git("branch", "-q", "-D", "union-try")
    dupes = {k: v for k, v in Counter(_ids(union_history)).items() if v > 1}
    if not dupes:
        raise DemoFailure("merge=union was expected to duplicate the cherry-picked event")
    ctx.say(
        f"union left {sum(dupes.values()) - len(dupes)} duplicate event(s) ({', '.join(dupes)}); "
        "failgate's driver kept each event once, in an order that does not depend on which "
        "branch was merged into which."
    )
