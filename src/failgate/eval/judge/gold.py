"""The gold set: labeled examples that grade the judge. Pure.

`evals/judge_gold.yaml` (schemas/judge-gold.schema.json) lists examples, each
one judge rule (an `llm_rubric` usually, any rule works), the response it
judges, and the verdict a person gave (`human: pass|fail`); `severity` marks
the examples whose false pass would hide a P0 failure.

`grade` runs the judge on every example; `figures` computes, overall and per
rule kind, agreement (share of examples where judge and human agree), the
false-pass rate (judge pass where the human said fail, over the human fails:
the error that lets a regression through) and Cohen's kappa (agreement beyond
chance: (p_o - p_e) / (1 - p_e)). `meets_floor` is the gate's condition for a
judge change, on a grading the gate computes itself (`gate.judging`): agreement
at the floor, no false pass on a P0 example. `gold_set_accepts` only reads what a
recorded `judge_graded` event claims, a record for people, never the gate's evidence.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from failgate.dataset.events import JUDGE_GRADED
from failgate.eval.judge import ResponseError, judge_case, parse_response

PASS, FAIL = "pass", "fail"
DEFAULT_FLOOR = 0.9
EVENT_TYPE = JUDGE_GRADED


@dataclasses.dataclass(frozen=True)
class Graded:
    example_id: str
    rule: str  # the rule kind: llm_rubric, contains, ...
    human: str  # pass | fail
    judge: str  # pass | fail (a judge that could not decide counts as fail: never a pass)
    severity: str | None
    reason: str  # the judge's reason, or why it could not judge

    @property
    def agrees(self) -> bool:
        return self.human == self.judge

    @property
    def false_pass(self) -> bool:
        return self.judge == PASS and self.human == FAIL


@dataclasses.dataclass(frozen=True)
class Figures:
    examples: int
    agreement: float
    false_pass_rate: float | None  # None: no human-fail example to pass wrongly
    kappa: float | None  # None: undefined (both raters constant and equal)
    false_passes: tuple[str, ...]  # example ids
    p0_false_passes: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "examples": self.examples,
            "agreement": round(self.agreement, 4),
            "false_pass_rate": None if self.false_pass_rate is None else round(self.false_pass_rate, 4),
            "kappa": None if self.kappa is None else round(self.kappa, 4),
            "false_passes": list(self.false_passes),
            "p0_false_passes": list(self.p0_false_passes),
        }


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Cohen's kappa for two raters over pass/fail labels; None when chance
    agreement is 1 (kappa is 0/0 there, and no number would be honest)."""
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(a == b for a, b in pairs) / n
    expected = 0.0
    for label in (PASS, FAIL):
        expected += (sum(a == label for a, _ in pairs) / n) * (sum(b == label for _, b in pairs) / n)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


def figures(graded: Sequence[Graded]) -> Figures:
    n = len(graded)
    human_fails = [g for g in graded if g.human == FAIL]
    false_passes = tuple(g.example_id for g in graded if g.false_pass)
    return Figures(
        examples=n,
        agreement=(sum(g.agrees for g in graded) / n) if n else 0.0,
        false_pass_rate=(len(false_passes) / len(human_fails)) if human_fails else None,
        kappa=cohen_kappa([(g.human, g.judge) for g in graded]),
        false_passes=false_passes,
        p0_false_passes=tuple(g.example_id for g in graded if g.false_pass and g.severity == "P0"),
    )


def by_rule(graded: Sequence[Graded]) -> dict[str, Figures]:
    kinds: dict[str, list[Graded]] = {}
    for g in graded:
        kinds.setdefault(g.rule, []).append(g)
    return {kind: figures(items) for kind, items in sorted(kinds.items())}


def meets_floor(overall: Figures, floor: float) -> tuple[bool, str]:
    if overall.examples == 0:
        return False, "the gold set has no examples"
    if overall.p0_false_passes:
        return False, f"false pass on P0 example(s) {', '.join(overall.p0_false_passes)}"
    if overall.agreement < floor:
        return False, f"agreement {overall.agreement:.3f} is below the floor {floor:g}"
    return True, f"agreement {overall.agreement:.3f} >= floor {floor:g}, no false pass on a P0 example"


# -- grading ---------------------------------------------------------------------
def example_case(example: Mapping[str, Any]) -> dict[str, Any]:
    """The example as a case the judge can run: its rule is the whole `expected`."""
    return {"id": str(example.get("id")), "input": example.get("input") or {}, "expected": [example.get("rule")]}


def grade(examples: Iterable[Mapping[str, Any]], options: Any) -> list[Graded]:
    """Judge every example (sequentially here; `grade_concurrently` fans out)."""
    return [grade_one(example, options) for example in examples]


def grade_one(example: Mapping[str, Any], options: Any, fresh: bool = False) -> Graded:
    rule = example.get("rule")
    kind = next(iter(rule)) if isinstance(rule, Mapping) and len(rule) == 1 else "?"
    severity = example.get("severity") if isinstance(example.get("severity"), str) else None
    human = str(example.get("human"))
    try:
        response = parse_response(example.get("response"), 0.0)
    except ResponseError as exc:
        return Graded(str(example.get("id")), str(kind), human, FAIL, severity, f"malformed response: {exc}")
    results = judge_case(example_case(example), response, options, fresh=fresh)
    passed = bool(results) and all(r.passed for r in results)
    reason = "; ".join(r.got for r in results)
    return Graded(str(example.get("id")), str(kind), human, PASS if passed else FAIL, severity, reason)


def grade_concurrently(
    examples: Sequence[Mapping[str, Any]],
    options: Any,
    jobs: int,
    fresh: bool = False,
    progress: Callable[[int, int, int], None] | None = None,
) -> list[Graded]:
    """Like `grade`, `jobs` examples at once (a judge model answers slowly); input order kept.
    `progress(done, total, disagreements)` after each example, as `run_eval` reports cases."""
    import threading

    lock = threading.Lock()
    counts = {"done": 0, "disagree": 0}

    def one(example: Mapping[str, Any]) -> Graded:
        graded = grade_one(example, options, fresh)
        if progress is not None:
            with lock:
                counts["done"] += 1
                counts["disagree"] += not graded.agrees
                progress(counts["done"], len(examples), counts["disagree"])
        return graded

    if jobs <= 1 or len(examples) <= 1:
        return [one(e) for e in examples]
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=min(jobs, len(examples))) as pool:
        return list(pool.map(one, examples))


# -- the record and the gate's condition ------------------------------------------
def graded_detail(
    overall: Figures, kinds: Mapping[str, Figures], floor: float, gold_path: str, gold_digest: str
) -> dict[str, Any]:
    met, why = meets_floor(overall, floor)
    return {
        "gold": gold_path,
        "gold_sha256": gold_digest,
        **overall.as_dict(),
        "floor": floor,
        "met_floor": met,
        "why": why,
        "by_rule": {k: f.as_dict() for k, f in kinds.items()},
    }


def graded_event(
    event_id: str, ts: str, fingerprint: str, commit: str | None, actor: str, detail: Mapping[str, Any]
) -> dict[str, Any]:
    """The history line for a grading: about the judge, so it names no case."""
    event: dict[str, Any] = {"id": event_id, "ts": ts, "type": EVENT_TYPE, "judge": fingerprint}
    if commit:
        event["commit"] = commit
    event.update({"actor": actor, "detail": dict(detail)})
    return event


def gold_set_accepts(
    history_events: Iterable[Mapping[str, Any]],
    fingerprint: str,
    floor: float = DEFAULT_FLOOR,
    gold_digest: str | None = None,
) -> tuple[bool, str]:
    """Whether a judge change to `fingerprint` is backed by a gold-set grading.

    The last `judge_graded` event recorded under `fingerprint` decides; its
    figures are checked against `floor` here (the floor the gate trusts, not
    the one the grader used). With `gold_digest`, the grading must be of that
    exact gold file: a gold set trimmed to what the new judge gets right
    grades nothing.
    """
    last = None
    for event in history_events:
        if isinstance(event, Mapping) and event.get("type") == EVENT_TYPE and event.get("judge") == fingerprint:
            last = event
    if last is None:
        return False, (
            f"no gold-set grading under the new judge {fingerprint[:19]}: "
            "run `failgate judge-check --record` and commit history.jsonl"
        )
    detail = last.get("detail")
    detail = detail if isinstance(detail, Mapping) else {}
    if gold_digest is not None and detail.get("gold_sha256") != gold_digest:
        return False, "the gold-set grading was of another version of the gold file: grade the current one"
    agreement, examples = detail.get("agreement"), detail.get("examples")
    p0 = detail.get("p0_false_passes")
    if not isinstance(agreement, (int, float)) or not isinstance(examples, int) or not isinstance(p0, list):
        return False, "the judge_graded event lacks its figures (agreement, examples, p0_false_passes)"
    overall = Figures(examples, float(agreement), None, None, (), tuple(str(x) for x in p0))
    met, why = meets_floor(overall, floor)
    return met, f"gold set graded under the new judge: {why}"


# -- the report --------------------------------------------------------------------
def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _kappa(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def render(graded: Sequence[Graded], floor: float, fingerprint: str) -> list[str]:
    """The judge-check table: one row per rule kind, then the overall row,
    the disagreements, and the verdict against the floor."""
    overall, kinds = figures(graded), by_rule(graded)
    rows = [(kind, f) for kind, f in kinds.items()] + [("all", overall)]
    width = max(12, *(len(kind) for kind, _ in rows))
    lines = [f"{'rule':<{width}}  {'n':>4}  {'agreement':>9}  {'false pass':>10}  {'kappa':>6}"]
    for kind, f in rows:
        lines.append(
            f"{kind:<{width}}  {f.examples:>4}  {_pct(f.agreement):>9}  {_pct(f.false_pass_rate):>10}  "
            f"{_kappa(f.kappa):>6}"
        )
    disagreements = [g for g in graded if not g.agrees]
    if disagreements:
        lines.append("")
        lines.append(f"disagreements ({len(disagreements)}):")
        for g in disagreements:
            mark = " (P0: blocks)" if g.false_pass and g.severity == "P0" else ""
            lines.append(f"  {g.example_id} [{g.rule}] human {g.human}, judge {g.judge}{mark}: {g.reason}")
    met, why = meets_floor(overall, floor)
    lines += ["", f"{'PASS' if met else 'FAIL'}: {why}", f"judge {fingerprint}"]
    return lines
