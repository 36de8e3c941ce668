"""How many attempts a case runs, and when a case run more than once may stop. Pure.

`repeat: N` runs N attempts; `repeat: {min: 3, max: 20}` runs at least `min` and at most `max`,
stopping as soon as the verdict at `max` attempts is certain whatever the remaining ones give
(the reference, "Stochastic cases"): its own floor (`pass_if`, read as k of `max`) and, when the
gate hands it the base's record of the case, the reliability rule (`failgate.eval.reliability`).
The stopped verdict equals the fixed-`max` verdict, so stopping early costs no error budget.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from failgate.dataset.model import MAX_REPEAT
from failgate.eval.reliability import DROP, Record, settled

DEFAULT_MIN_ATTEMPTS = 3


@dataclasses.dataclass(frozen=True)
class AttemptPolicy:
    first: int  # attempts always run
    most: int  # attempts at most (`N` of a fixed repeat)
    required: int  # passes needed of `most` (pass_if)

    @property
    def sequential(self) -> bool:
        return self.first < self.most


@dataclasses.dataclass(frozen=True)
class Reliability:
    """What the gate knows from the base: each stochastic case's recorded k/N, the error budget and
    the number of stochastic cases it is split across."""

    baseline: Mapping[str, Record]
    alpha: float
    family: int


def _count(value: Any) -> int | None:
    # Over MAX_REPEAT (a typo like 1000000000, which validate refuses) is no count: the case runs
    # once and `runner._attempt` fails it, instead of running for a year.
    ok = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_REPEAT
    return value if ok else None


def attempt_policy(case: Mapping[str, Any], repeat: int | None = None) -> AttemptPolicy:
    """The case's attempts; `repeat` (eval --repeat N) overrides the case with a fixed N."""
    raw = case.get("repeat", 1) if repeat is None else repeat
    if isinstance(raw, Mapping) and _count(raw.get("max")) is not None:
        most = int(raw["max"])
        first = min(_count(raw.get("min")) or min(DEFAULT_MIN_ATTEMPTS, most), most)
    else:
        most = first = _count(raw) or 1
    pass_if = case.get("pass_if", "all")
    required = most
    if isinstance(pass_if, Mapping) and _count(pass_if.get("min_pass")) is not None:
        required = min(int(pass_if["min_pass"]), most)
    return AttemptPolicy(first, most, required)


def undecided(policy: AttemptPolicy, case_id: str, passes: int, runs: int, reliability: Reliability | None) -> bool:
    """True when another attempt could still change this case's verdict at `policy.most` attempts."""
    if runs >= policy.most:
        return False
    if runs < policy.first:
        return True
    remaining = policy.most - runs
    if passes + remaining < policy.required:
        return False  # below its own floor whatever comes: fails outright
    floor_certain = passes >= policy.required
    base = reliability.baseline.get(case_id) if reliability is not None else None
    if base is None or reliability is None:
        return not floor_certain
    verdict = settled(base, passes, runs, policy.most, reliability.alpha, reliability.family)
    if verdict is not None and verdict[0] == DROP:
        return False  # a significant drop whatever comes: a flip
    return not (floor_certain and verdict is not None)
