"""The judge at a revision, read from git objects, and what the gate makes of a change to it.

`identity_at` computes `eval.judge.identity` for the base and for the commit
under test. When they differ the range changes the judge, and
`judge_change_check` judges the branch's responses again under the branch's
judge and grades that judge itself on the base's gold set (never trusting a
recorded grading). When they are equal but the baseline was recorded by
another judge, `baseline_judge_note` gives the one line the report shows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from failgate.eval.judge import JudgeOptions, _digest, case_fingerprint
from failgate.eval.judge.identity import JudgeIdentity, identity, installed_version_of, plugin_uses
from failgate.gate.at_rev import RepoAt, join

HISTORY_WALK = 200  # commits walked back from the merge-base to find where an undecided judge change landed


def judge_section(at: RepoAt, rev: str) -> dict[str, Any]:
    value = at.config(rev).raw.get("judge")
    return value if isinstance(value, dict) else {}


def gold_blob(at: RepoAt, rev: str, section: Mapping[str, Any]) -> tuple[str, bytes | None]:
    from failgate.config.sections import gold_settings

    gold_rel, _ = gold_settings(dict(section))
    return gold_rel, at.read(rev, join(at.root_rel, gold_rel))


def settings_part(cases: Sequence[Mapping[str, Any]], options: JudgeOptions) -> str:
    """The judge settings as the cases read them: every case's fingerprint under `options`
    (a refusal pattern no `not_refused` rule reads, or a judge model no `llm_rubric` case
    asks, changes no verdict and is no judge change)."""
    return _digest(sorted({case_fingerprint(case, options) for case in cases}))


def identity_at(at: RepoAt, rev: str, cases: Sequence[Mapping[str, Any]], root: str) -> JudgeIdentity:
    """`cases`: the base's and the branch's, the same list for both revisions compared."""
    section = judge_section(at, rev)
    _, gold = gold_blob(at, rev, section)
    settings = settings_part(cases, JudgeOptions.from_config(section, root))

    read = at.project_reader(rev)
    return identity(settings, gold, plugin_uses(cases), read, installed_version_of(root), code_roots_at(at, rev))


def code_roots_at(at: RepoAt, rev: str) -> tuple[str, ...]:
    """Where the tree's modules live at `rev`: its configured pythonpath, `src/`, the root."""
    from failgate.dotted import code_roots

    pythonpath = at.config(rev).raw.get("pythonpath")
    return code_roots([str(p) for p in pythonpath] if isinstance(pythonpath, list) else None)


@dataclasses.dataclass(frozen=True)
class GoldGrading:
    met: bool
    why: str
    detail: dict[str, Any] | None  # the figures, as a `judge_graded` event records them; None when ungraded


def grade_on_base_gold(at: RepoAt, merge_base: str, options: JudgeOptions, jobs: int) -> GoldGrading | None:
    """The gate's own grading of `options` (the branch's judge) on the gold file the base
    holds, against the base's floor; None when the base keeps no gold set."""
    import hashlib

    from failgate.checks.gold import load_gold
    from failgate.config.sections import gold_settings
    from failgate.eval.judge.gold import by_rule, figures, grade_concurrently, graded_detail, meets_floor

    section = judge_section(at, merge_base)
    gold_rel, data = gold_blob(at, merge_base, section)
    if data is None:
        return None
    _, floor = gold_settings(section)
    doc, findings = load_gold(data, gold_rel)
    if doc is None or any(f.is_error for f in findings):
        return GoldGrading(
            False, f"the base's gold set {gold_rel} does not load, so nothing grades the new judge", None
        )
    graded = grade_concurrently(doc.data["examples"], options, jobs=max(1, jobs))
    overall = figures(graded)
    met, why = meets_floor(overall, floor)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    detail = graded_detail(overall, by_rule(graded), floor, gold_rel, digest)
    return GoldGrading(met, f"{len(graded)} example(s) of the base's {gold_rel}: {why}", detail)


def _judge_inputs(at: RepoAt, rev: str, uses: Sequence[str]) -> tuple[Any, ...]:
    """What the judge is made of at `rev`, compared as is (cheap: no case is fingerprinted)."""
    import json

    from failgate.eval.judge.identity import code_identity

    section = judge_section(at, rev)
    gold_rel, _ = gold_blob(at, rev, section)

    code = code_identity(uses, at.project_reader(rev), lambda use: "installed", code_roots_at(at, rev))
    gold = at.repo.get_blob_id(rev, join(at.root_rel, gold_rel))
    return json.dumps(section, sort_keys=True, default=str), gold, sorted(code.items())


def where_judge_changed(at: RepoAt, merge_base: str, cases: Sequence[Mapping[str, Any]], root: str) -> str | None:
    """The newest first-parent commit up to the merge-base whose judge differs from its parent's."""
    uses = plugin_uses(cases)
    current, mine = merge_base, _judge_inputs(at, merge_base, uses)
    for _ in range(HISTORY_WALK):
        parents = at.repo.get_parents(current)
        if not parents:
            return None
        theirs = _judge_inputs(at, parents[0], uses)
        if theirs != mine:
            return current
        current = parents[0]
    return None


def vouching_decision(base_events: Sequence[Mapping[str, Any]], fingerprint: str) -> Any:
    """The last judge-level `judge_changed` decision in the base's history naming `fingerprint` as the new judge."""
    from failgate.gate.decisions import decisions_in

    found = [d for d in decisions_in(base_events) if d.case_id is None and d.judge_to == fingerprint]
    return found[-1] if found else None
