"""Demo step: a commit that silently drops a case is refused; `failgate remove` passes."""

from __future__ import annotations

import yaml

from failgate.dataset.casefile import remove_entry
from failgate.dataset.yamlstrict import load_yaml_text
from failgate.demo.context import DemoContext, DemoFailure

DATASET = "evals/failures"
FILES = [f"{DATASET}/cases.yaml", f"{DATASET}/cases_removed.yaml", f"{DATASET}/history.jsonl"]


def add_ledger_hook(ctx: DemoContext) -> None:
    """The failgate-ledger hook next to the validate hook (language: system, like
    the first step: the tour builds no hook environment)."""
    path = ctx.repo / ".pre-commit-config.yaml"
    config = yaml.safe_load(path.read_text())
    local = next((r for r in config["repos"] if r.get("repo") == "local"), None)
    if local is None:
        local = {"repo": "local", "hooks": []}
        config["repos"].append(local)
    if not any(h.get("id") == "failgate-ledger" for h in local["hooks"]):
        local["hooks"].append(
            {
                "id": "failgate-ledger",
                "name": "failgate check-ledger",
                "entry": " ".join([*ctx.failgate_cmd, "check-ledger"]),
                "language": "system",
                "pass_filenames": False,
                "always_run": True,
                "require_serial": True,
            }
        )
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    ctx.git("add", ".pre-commit-config.yaml")
    ctx.git("commit", "-q", "--no-verify", "-m", "pre-commit: add the failgate-ledger hook")


def run(ctx: DemoContext) -> None:
    add_ledger_hook(ctx)
    cases_path = ctx.repo / DATASET / "cases.yaml"
    original = cases_path.read_text()
    doc = load_yaml_text(original, f"{DATASET}/cases.yaml")
    # The llm_rubric case stays: the judge-model step later runs it.
    ids = [
        c["id"]
        for c in doc.data.get("cases") or []
        if isinstance(c, dict)
        and isinstance(c.get("id"), str)
        and not any(isinstance(r, dict) and "llm_rubric" in r for r in c.get("expected") or [])
    ]
    if not ids:
        raise DemoFailure("the demo dataset has no case left to remove")
    victim = ids[-1]

    ctx.say(
        f"A teammate finds {victim} annoying and deletes it from cases.yaml, meaning well. "
        "A case that vanishes without a record erases exactly the memory the dataset exists "
        "for, so the failgate-ledger hook refuses the commit and says how to do it properly."
    )
    cases_path.write_text(remove_entry(doc, "cases", victim))
    refused = ctx.run(["git", "commit", "-q", "-am", f"drop {victim}"], expect=1)
    ctx.expect_in(f"VANISHED {victim}", refused)
    ctx.git("checkout", "-q", "HEAD", "--", f"{DATASET}/cases.yaml")

    ctx.say(
        "The same removal on the record: `failgate remove` moves the case into "
        "cases_removed.yaml with who, why, when and a snapshot, appends a 'removed' event to "
        "history.jsonl, and leaves the rest of cases.yaml byte for byte as it was."
    )
    ctx.failgate("remove", victim, "--reason", "superseded by a broader case", "--by", "dana@example.com")
    ctx.git("add", *FILES)
    diff = ctx.git("diff", "--cached", "--stat")
    if "cases.yaml" not in diff.stdout or "history.jsonl" not in diff.stdout:
        raise DemoFailure("failgate remove did not change the three dataset files")
    committed = ctx.run(["git", "commit", "-q", "-m", f"remove {victim} on the record"])
    ctx.expect_in("failgate check-ledger", committed)
    ctx.say(
        "The hook passes. In CI the same check runs as `failgate check-ledger --base "
        "origin/main` against the pull request's merge-base, which also catches a history "
        "line lost in a server-side merge."
    )
