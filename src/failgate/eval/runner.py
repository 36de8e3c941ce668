"""Run cases against an agent and judge them: `run_eval`, the engine that
`failgate eval`, the gate and promotion share.

Concurrency is threads: `jobs` cases (or repeats of a case) are in flight at
once; each adapter enforces its own per-call timeout (see `failgate.eval.agents`),
so a hung case fails at its deadline and the run goes on. `llm_rubric` rules
are asked of the judge model once the agent calls are done, `[judge.llm]
max_concurrency` at a time (its capacity is not the agent's). Results come back
in the order of the input, whatever `jobs` is, so reports are identical for
`--jobs 1` and `--jobs 8`.
"""

from __future__ import annotations

import copy
import dataclasses
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from failgate.dataset.model import FAILURE_MODES_V1, MAX_REPEAT
from failgate.eval.agents import Agent, AgentError, AgentRequest
from failgate.eval.attempts import AttemptPolicy, Reliability, attempt_policy, undecided
from failgate.eval.judge import (
    JudgeOptions,
    ResponseError,
    RuleResult,
    case_fingerprint,
    judge_case,
    judge_fingerprint,
    parse_response,
    settings_fingerprint,
)
from failgate.eval.judge.llm import uses_llm
from failgate.eval.paths import repository_of
from failgate.eval.reliability import reliability_fields
from failgate.eval.replay import ReplaySettings, session_request
from failgate.eval.replay import summary as replay_summary
from failgate.findings import Location

PASS, FAIL, SKIPPED = "pass", "fail", "skipped"


@dataclasses.dataclass(frozen=True)
class EvalCase:
    """One case to run. `case` is the mapping as written in cases.yaml."""

    case: Mapping[str, Any]
    base_dir: Path  # `input.fixtures` are relative to this (the dataset directory)
    gating: bool = True  # False for watchlist cases: run and reported, never gate
    source: str = "cases"  # "cases", "watchlist", or a set's name
    location: Location | None = None  # where the case starts, for annotations
    skip_reason: str | None = None  # set: reported as skipped, not run (deprecated cases)

    @property
    def id(self) -> str:
        return str(self.case.get("id", "<no id>"))


@dataclasses.dataclass(frozen=True)
class Attempt:
    passed: bool
    rules: tuple[RuleResult, ...]  # empty when the agent failed before answering
    error: str | None  # the agent raised / timed out / crashed / answered garbage
    latency_ms: float | None
    response: Any = None  # the parsed Response, for `eval --show`
    detail: str | None = None  # the agent's traceback when it raised
    raw: Any = None  # what the agent answered, when it could not be parsed
    replay: dict[str, Any] | None = None  # failgate_replay's report: replayed, diverged, recorded (eval.replay)

    @property
    def reasons(self) -> list[str]:
        if self.error:
            return [self.error]
        return [r.message for r in self.rules if not r.passed]


@dataclasses.dataclass
class CaseResult:
    case_id: str
    title: str
    failure_mode: str
    severity: str
    blast_radius: str
    gating: bool
    source: str
    outcome: str  # "pass" | "fail" | "skipped"
    passes: int  # k of k/N
    runs: int  # N of k/N (0 when skipped)
    required: int  # passes needed (N for pass_if: all)
    reasons: list[str]  # why it failed (deduplicated over failing attempts), or why skipped
    failed_rules: list[RuleResult]  # the first failing attempt's failed rules
    latency_ms: float | None  # median over attempts that answered
    judge: str  # the case's judge fingerprint
    location: Location | None = None
    attempts: list[Attempt] = dataclasses.field(default_factory=list)
    max_runs: int = 0  # the most attempts it could have spent (`repeat: {max: ...}`); runs when fixed
    replay: dict[str, Any] | None = None  # eval.replay.summary over the attempts; None: no cassette, live

    @property
    def ratio(self) -> str:
        return f"{self.passes}/{self.runs}"

    @property
    def stochastic(self) -> bool:
        return max(self.runs, self.max_runs) > 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.case_id,
            "title": self.title,
            "failure_mode": self.failure_mode,
            "severity": self.severity,
            "blast_radius": self.blast_radius,
            "gating": self.gating,
            "source": self.source,
            "outcome": self.outcome,
            "passes": self.passes,
            "runs": self.runs,
            "required": self.required,
            "reasons": list(self.reasons),
            "failed_rules": [r.as_dict() for r in self.failed_rules],
            "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 1),
            "judge": self.judge,
            "location": None if self.location is None else {"path": self.location.path, "line": self.location.line},
            **(reliability_fields(self.passes, self.runs, self.max_runs) if self.stochastic else {}),
            **({"replay": self.replay} if self.replay else {}),
        }


@dataclasses.dataclass
class EvalResult:
    cases: list[CaseResult]  # in input order
    judge: str  # fingerprint over every case that ran
    agent: str
    jobs: int
    wall_s: float
    taxonomy: list[str]
    set_name: str = "failures"
    floor: float | None = None  # a set with a soft floor passes at pass rate >= floor
    interpreter: str | None = None  # the Python the agent ran in, and how it was chosen
    # llm_rubric verdicts this run: {"calls", "cached", "failed"}; None when no case asked the judge model.
    judge_calls: dict[str, int] | None = None
    judge_settings: str = ""  # judge.settings_fingerprint: what a gold-set grading is recorded under

    @property
    def gating(self) -> list[CaseResult]:
        return [c for c in self.cases if c.gating and c.outcome != SKIPPED]

    @property
    def failed(self) -> list[CaseResult]:
        return [c for c in self.gating if c.outcome == FAIL]

    @property
    def pass_rate(self) -> float:
        gating = self.gating
        return 1.0 if not gating else sum(c.outcome == PASS for c in gating) / len(gating)

    @property
    def ok(self) -> bool:
        if self.floor is not None:
            return self.pass_rate >= self.floor
        return not self.failed

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def by_id(self) -> dict[str, CaseResult]:
        return {c.case_id: c for c in self.cases}


class CaseSetupError(Exception):
    """The case cannot be sent (a fixture is missing): the case fails, the run goes on."""


def resolve_input(case: Mapping[str, Any], base_dir: Path) -> dict[str, Any]:
    """The case's input with `fixtures` turned into absolute paths (as strings,
    so that a worker receives them as JSON)."""
    raw = case.get("input")
    payload: dict[str, Any] = copy.deepcopy(dict(raw)) if isinstance(raw, Mapping) else {}
    payload.pop("cassette", None)  # failgate's recording of the run, not what the agent receives
    fixtures = payload.get("fixtures")
    if fixtures is None:
        return payload
    items = fixtures if isinstance(fixtures, list) else [fixtures]
    resolved = []
    root = repository_of(base_dir)
    for item in items:
        path = (base_dir / str(item)).resolve()
        if not path.is_relative_to(root):
            # A symlink out of the repository would hand the agent (and our
            # messages) a file from elsewhere on the machine: refused, target not shown.
            raise CaseSetupError(f"fixture {item!r} resolves outside the repository (a symlink?); refused")
        if not path.exists():
            raise CaseSetupError(f"fixture {item!r} not found (looked for {path})")
        resolved.append(str(path))
    payload["fixtures"] = resolved if isinstance(fixtures, list) else resolved[0]
    return payload


def repeat_policy(case: Mapping[str, Any], repeat: int | None) -> tuple[int, int]:
    """(runs N, passes required) of a fixed repeat; a sequential one's N is its `max`."""
    policy = attempt_policy(case, repeat)
    return policy.most, policy.required


def _attempt(
    item: EvalCase,
    agent: Agent,
    attempt: int,
    timeout_s: float | None,
    options: JudgeOptions,
    fresh: bool = False,
    deferred: list[tuple[int, Callable[[], RuleResult]]] | None = None,
    replay: ReplaySettings | None = None,
) -> Attempt:
    over = item.case.get("repeat")
    over = over.get("max") if isinstance(over, Mapping) else over
    if isinstance(over, int) and not isinstance(over, bool) and over > MAX_REPEAT:
        return Attempt(
            False, (), f"repeat: {over} is over the maximum of {MAX_REPEAT}; not run (validate refuses it)", None
        )
    from failgate.eval.replay import CassetteUnusable, unintercepted

    report: dict[str, Any] | None = None
    try:
        payload = resolve_input(item.case, item.base_dir)
        spec = None
        if replay is not None:
            if getattr(agent, "replays", False):
                spec = session_request(item.case, item.base_dir, replay)
            else:
                report = unintercepted(item.case, replay, agent)
        reply = agent.call(AgentRequest(item.id, payload, attempt, timeout_s, replay=spec))
        report = reply.replay or report
        response = parse_response(reply.raw, reply.elapsed_ms)
    except (AgentError, CaseSetupError, CassetteUnusable) as exc:
        return Attempt(
            False, (), str(exc), None, detail=getattr(exc, "detail", None), replay=getattr(exc, "replay", None)
        )
    except ResponseError as exc:
        return Attempt(False, (), f"malformed response: {exc}", None, raw=reply.raw, replay=report)
    except Exception as exc:  # an adapter bug must fail one case, not the run
        return Attempt(False, (), f"{type(exc).__name__}: {exc}", None)
    if replay is not None and replay.on_divergence == "fail" and report and report.get("status") == "diverged":
        from failgate.eval.replay import describe

        reason = f"replay {describe(report)}; on_divergence = fail"
        return Attempt(False, (), reason, response.latency_ms, response=response, replay=report)
    rules = tuple(judge_case(item.case, response, options, fresh=fresh, deferred=deferred))
    return Attempt(all(r.passed for r in rules), rules, None, response.latency_ms, response=response, replay=report)


def _text(case: Mapping[str, Any], key: str) -> str:
    value = case.get(key)
    return value if isinstance(value, str) else "?"


def _summarise(item: EvalCase, attempts: list[Attempt], required: int, options: JudgeOptions) -> CaseResult:
    case = item.case
    passes = sum(a.passed for a in attempts)
    outcome = PASS if attempts and passes >= required else FAIL
    reasons: list[str] = []
    failed_rules: list[RuleResult] = []
    for attempt in attempts:
        if attempt.passed:
            continue
        if not failed_rules:
            failed_rules = [r for r in attempt.rules if not r.passed]
        for reason in attempt.reasons:
            if reason not in reasons:
                reasons.append(reason)
    latencies = [a.latency_ms for a in attempts if a.latency_ms is not None]
    replay = replay_summary([a.replay for a in attempts]) or None
    if outcome == FAIL and replay and replay.get("status") == "diverged":
        # Every report prints a failing case's reasons: where the run left its recording comes first.
        said = f"replay {replay['describe']}"
        if not any(r.startswith(said) for r in reasons):
            reasons.insert(0, said)
    return CaseResult(
        case_id=item.id,
        title=_text(case, "title"),
        failure_mode=_text(case, "failure_mode"),
        severity=_text(case, "severity"),
        blast_radius=_text(case, "blast_radius"),
        gating=item.gating,
        source=item.source,
        outcome=outcome,
        passes=passes,
        runs=len(attempts),
        required=required,
        reasons=reasons if outcome == FAIL or passes < len(attempts) else [],
        failed_rules=failed_rules,
        latency_ms=statistics.median(latencies) if latencies else None,
        judge=case_fingerprint(case, options),
        location=item.location,
        attempts=attempts,
        replay=replay,
    )


def _skipped(item: EvalCase, options: JudgeOptions) -> CaseResult:
    case = item.case
    return CaseResult(
        case_id=item.id,
        title=_text(case, "title"),
        failure_mode=_text(case, "failure_mode"),
        severity=_text(case, "severity"),
        blast_radius=_text(case, "blast_radius"),
        gating=item.gating,
        source=item.source,
        outcome=SKIPPED,
        passes=0,
        runs=0,
        required=0,
        reasons=[item.skip_reason or ""],
        failed_rules=[],
        latency_ms=None,
        judge=case_fingerprint(case, options),
        location=item.location,
    )


def _ask_judge_model(
    pending: Mapping[tuple[int, int], list[tuple[int, Callable[[], RuleResult]]]],
    outcomes: dict[int, dict[int, Attempt]],
    concurrency: int,
) -> None:
    """Run the deferred llm_rubric rules and put their results in their attempts."""
    tasks = [(key, position, ask) for key, items in pending.items() for position, ask in items]
    if concurrency <= 1 or len(tasks) <= 1:
        answers = [ask() for _, _, ask in tasks]
    else:
        import concurrent.futures

        with concurrent.futures.ThreadPoolExecutor(
            max_workers=min(concurrency, len(tasks)), thread_name_prefix="failgate-judge"
        ) as pool:
            answers = list(pool.map(lambda task: task[2](), tasks))
    for ((index, attempt), position, _), answer in zip(tasks, answers):
        before = outcomes[index][attempt]
        rules = list(before.rules)
        rules[position] = answer
        outcomes[index][attempt] = dataclasses.replace(before, passed=all(r.passed for r in rules), rules=tuple(rules))


def _run_plan(
    plan: Sequence[tuple[int, int]],
    run_one: Callable[[tuple[int, int]], Attempt],
    finished: Callable[[int, int, Attempt], None],
    jobs: int,
) -> None:
    if jobs <= 1 or len(plan) <= 1:
        for task in plan:
            finished(*task, run_one(task))
        return
    import concurrent.futures

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=min(jobs, len(plan)), thread_name_prefix="failgate-eval")
    try:
        futures = {pool.submit(run_one, task): task for task in plan}
        for future in concurrent.futures.as_completed(futures):
            finished(*futures[future], future.result())
    finally:
        # On Ctrl-C do not start what is still queued.
        pool.shutdown(wait=True, cancel_futures=True)


def run_eval(
    cases: Sequence[EvalCase],
    agent: Agent,
    *,
    jobs: int = 1,
    timeout_s: float | None = 60.0,
    repeat: int | None = None,
    options: JudgeOptions = JudgeOptions(),
    taxonomy: Sequence[str] | None = None,
    set_name: str = "failures",
    floor: float | None = None,
    progress: Callable[[int, int, int], None] | None = None,
    reliability: Reliability | None = None,
    replay: ReplaySettings | None = None,
) -> EvalResult:
    """Run every case against `agent`, judge it, and return an EvalResult.

    - `cases`: EvalCase items (build them with `failgate.eval.cases.load_selection`
      or directly from a case mapping, e.g. a baseline's definition of a case
      that was since deprecated: `EvalCase(case_dict, base_dir=dataset_dir)`).
      Items with `skip_reason` are reported as skipped and not run.
    - `agent`: from `failgate.eval.agents.build_agent(...)`; not closed here.
    - `jobs`: calls in flight at once (repeats of one case run concurrently too).
    - `timeout_s`: per call; None waits forever. A timed-out call fails that attempt.
    - `repeat`: overrides every case's `repeat: N`; a case passes when at
      least `required` of its N attempts pass (`pass_if`).
    - `options`: judge settings (refusal patterns, plugin root).
    - `taxonomy`: the failure modes the matrix lists (default: v1's seven).
    - `floor`: for a set with a soft floor, `ok` means pass rate >= floor.
    - `progress(done, total, failed)`: called after each attempt (from the main thread), with the
      attempts that failed so far.
    - `reliability`: the base's record of each stochastic case, for `repeat: {min, max}` to stop
      once the comparison with it is decided (the gate passes it; without it such a case stops
      only once its own floor is certain).
    - `replay`: run cases that have a cassette from it (`eval.replay`), or record cassettes;
      None: every case live, as before replay existed.

    Never raises for an agent's failure: it becomes a failing CaseResult with
    the reason. `EvalResult.ok` / `.exit_code` say whether every gating case passed.
    """
    start = time.perf_counter()
    plan: list[tuple[int, int]] = []  # (case index, attempt)
    policies: dict[int, AttemptPolicy] = {}
    repeated: set[int] = set()  # cases run N > 1 times: their judge-model verdicts are not read from the cache
    for index, item in enumerate(cases):
        if item.skip_reason is None:
            policies[index] = policy = attempt_policy(item.case, repeat)
            plan.extend((index, attempt) for attempt in range(policy.first))
            if policy.most > 1:
                repeated.add(index)
    asks_judge_model = any(item.skip_reason is None and uses_llm(item.case.get("expected")) for item in cases)
    if asks_judge_model:
        from failgate.eval.judge.llm_transport import total_stats

        stats_before = total_stats()
    outcomes: dict[int, dict[int, Attempt]] = {index: {} for index in policies}
    counter = {"done": 0, "total": len(plan), "failed": 0}

    # llm_rubric verdicts are asked after the agent calls, max_concurrency at a time
    # (a judge model's capacity is not the agent's `jobs`).
    pending: dict[tuple[int, int], list[tuple[int, Callable[[], RuleResult]]]] = {}

    def run_one(task: tuple[int, int]) -> Attempt:
        index, attempt = task
        sink: list[tuple[int, Callable[[], RuleResult]]] | None = [] if asks_judge_model else None
        result = _attempt(
            cases[index], agent, attempt, timeout_s, options, fresh=index in repeated, deferred=sink, replay=replay
        )
        if sink:
            pending[task] = sink
        return result

    def finished(index: int, attempt: int, result: Attempt) -> None:
        outcomes[index][attempt] = result
        counter["done"] += 1
        counter["failed"] += not result.passed
        if progress:
            progress(counter["done"], counter["total"], counter["failed"])

    # Rounds: a fixed repeat is all in the first; a sequential case (`repeat: {min, max}`) gets
    # one more attempt per round until its verdict at `max` is certain (`eval.attempts`).
    while plan:
        _run_plan(plan, run_one, finished, jobs)
        if pending:
            _ask_judge_model(pending, outcomes, options.llm.max_concurrency)
            pending.clear()
        plan = []
        for index, policy in policies.items():
            done = outcomes[index]
            if policy.sequential and undecided(
                policy, cases[index].id, sum(a.passed for a in done.values()), len(done), reliability
            ):
                plan.append((index, len(done)))
        counter["total"] += len(plan)
    results = []
    for index, item in enumerate(cases):
        if item.skip_reason is not None:
            results.append(_skipped(item, options))
        else:
            attempts = [outcomes[index][a] for a in sorted(outcomes[index])]
            result = _summarise(item, attempts, policies[index].required, options)
            result.max_runs = policies[index].most
            results.append(result)
    ran = [item.case for item in cases if item.skip_reason is None]
    judge_calls = None
    if asks_judge_model:
        stats_after = total_stats()
        judge_calls = {k: getattr(stats_after, k) - getattr(stats_before, k) for k in ("calls", "cached", "failed")}
    return EvalResult(
        cases=results,
        judge=judge_fingerprint(ran, options),
        agent=getattr(agent, "name", type(agent).__name__),
        jobs=jobs,
        wall_s=time.perf_counter() - start,
        taxonomy=list(taxonomy) if taxonomy is not None else list(FAILURE_MODES_V1),
        set_name=set_name,
        floor=floor,
        interpreter=getattr(agent, "interpreter", None),
        judge_calls=judge_calls,
        judge_settings=settings_fingerprint(options),
    )
