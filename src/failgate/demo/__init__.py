"""`failgate demo`: a narrated tour in a throwaway consumer repository.

Each step is a module here with `run(ctx: DemoContext) -> None`; STEPS lists
them in order. A step runs the real `failgate` commands (as subprocesses, the
way a user or a git hook would) and asserts what the user should see, so a
demo that stops telling the truth fails loudly instead of narrating a lie.
"""

from __future__ import annotations

from failgate.demo.context import DemoContext, DemoFailure

# (module under failgate.demo, one-line title). Later features append here.
STEPS: list[tuple[str, str]] = [
    ("step_validate", "a valid dataset passes; a malformed commit is refused"),
    ("step_eval", "the eval is green; a past bug comes back and exactly its failure mode goes red"),
    ("step_merge", "two branches record results and remove cases at once; the merge is clean"),
    ("step_ledger", "a commit that silently drops a case is refused; `failgate remove` makes it pass"),
    ("step_intake", "production traces -> the intake funnel -> a reviewed, reproduced, promoted case"),
    ("step_gate", "a green baseline on main; a branch breaks a case and deprecates it; the pre-push gate refuses it"),
    (
        "step_promotions",
        "two branches add a case each and merge cleanly; two that took one id get a clear conflict and `failgate renumber`",
    ),
    ("step_llm_judge", "a hallucination case judged by a judge model; a gold set grades that judge"),
    ("step_stochastic", "a sampled answer gates by its own record at the base instead of flapping"),
    ("step_report", "the history as a page: a cases x commits heatmap, and the gate's page about its range"),
    ("step_replay", "a flapping refund case replays from its cassette: 20/20 identical, no model call, no refund"),
    ("step_weekly", "the weekly cycle: failures pulled from a real Phoenix, a P0 flip paged, the pull-request comment"),
]

# Steps that are about the pre-commit hooks at work; without pre-commit they are
# skipped, saying so, and the rest of the tour still runs (step_validate skips
# only its hook half).
NEEDS_PRE_COMMIT = {"step_ledger", "step_gate"}
PRE_COMMIT_INSTALL = "pip install pre-commit  (or: pipx install pre-commit)"

__all__ = ["DemoContext", "DemoFailure", "STEPS", "NEEDS_PRE_COMMIT", "PRE_COMMIT_INSTALL"]
