"""How sure a k-of-N result is, and whether it dropped against the base's record. Pure, standard library.

A case run N > 1 times (`repeat:`) passes k of N. Three figures say how sure that is (the reference,
"Stochastic cases"):

- the Wilson score interval of the pass rate (95 %): unlike the normal approximation it stays inside
  [0, 1] and is honest at k = 0 or k = N, which is where small N lives;
- pass^k, the estimated chance that k consecutive attempts all pass -- what a user who retries sees.
  The unbiased estimator C(c, k) / C(n, k) (c passes of n attempts), as tau-bench defines it;
- the one-sided p-value of Fisher's exact test that the pass rate now is lower than at the base's
  own recorded k/N for the same case.

Why Fisher's exact test: both samples are small (N is 3 to 20), so no normal approximation holds; it
is exact under the null of equal rates, conditional on the total passes, hence never exceeds its
nominal level (it is conservative: Boschloo's test is more powerful but needs a numeric maximisation
over the nuisance parameter, which the standard library does not have, and scipy is not a dependency
a pre-push hook should pay for). The hypergeometric tail is a sum of at most N + 1 exact binomial
terms: integers until the one division.

Across the stochastic cases of one gate run the family-wise error budget alpha is split by Holm's
step-down procedure (uniformly more powerful than Bonferroni, valid under any dependence).

Spending attempts only where undecided (`repeat: {min: 3, max: 20}`): after each round, a case stops
as soon as its verdict at N = max is already certain whatever the remaining attempts give
(deterministic curtailment). The p-value is monotone in the passes seen, so it is enough to look at
the two extremes: all remaining attempts fail (if even that is no significant drop at the most
lenient threshold Holm could use, alpha, the case cannot flip) and all pass (if even that is a drop at
the strictest threshold Holm could use, alpha / m, it flips). Because the stopped verdict equals the
fixed-N verdict, the rule spends no extra error budget: its false-alarm rate is that of the fixed-N
test at N = max.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

Z95 = 1.959963984540054  # the standard normal's 97.5 % quantile
DEFAULT_ALPHA = 0.05
PASS_HAT_K = 3  # pass^k is reported for k = 3 consecutive attempts (or N, when N < 3)
DROP, NO_DROP = "drop", "no drop"


def wilson_interval(passes: int, runs: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of the pass rate; (0, 1) when nothing ran."""
    if runs <= 0:
        return 0.0, 1.0
    p = passes / runs
    denominator = 1 + z * z / runs
    centre = (p + z * z / (2 * runs)) / denominator
    half = z * math.sqrt(p * (1 - p) / runs + z * z / (4 * runs * runs)) / denominator
    low = 0.0 if passes == 0 else max(0.0, centre - half)  # exact ends: no 0.9999999999999999
    high = 1.0 if passes == runs else min(1.0, centre + half)
    return low, high


def pass_hat_k(passes: int, runs: int, k: int = PASS_HAT_K) -> float | None:
    """The estimated chance that k consecutive attempts all pass (k capped at N); None when nothing ran."""
    if runs <= 0:
        return None
    k = min(k, runs)
    return math.comb(passes, k) / math.comb(runs, k)


def drop_p_value(base_passes: int, base_runs: int, passes: int, runs: int) -> float:
    """One-sided Fisher exact p-value for "the pass rate now is lower than at the base".

    The 2x2 table [[base_passes, base_fails], [passes, fails]]; given the total passes K, the passes
    now follow a hypergeometric law, and the p-value is P(X <= passes)."""
    if base_runs <= 0 or runs <= 0:
        return 1.0
    total = base_runs + runs
    successes = base_passes + passes
    low = max(0, successes - base_runs)
    denominator = math.comb(total, runs)
    tail = sum(math.comb(successes, x) * math.comb(total - successes, runs - x) for x in range(low, passes + 1))
    return min(1.0, tail / denominator)


def holm(p_values: Mapping[str, float], alpha: float) -> set[str]:
    """The keys whose null Holm's step-down procedure rejects at family-wise level alpha."""
    rejected: set[str] = set()
    ordered = sorted(p_values.items(), key=lambda item: (item[1], item[0]))
    m = len(ordered)
    for rank, (key, p) in enumerate(ordered):
        if p > alpha / (m - rank):
            break
        rejected.add(key)
    return rejected


@dataclasses.dataclass(frozen=True)
class Record:
    """k of N: a case's recorded (or observed) attempts."""

    passes: int
    runs: int

    @property
    def text(self) -> str:
        return f"{self.passes}/{self.runs}"


def settled(base: Record, passes: int, runs: int, max_runs: int, alpha: float, family: int) -> tuple[str, float] | None:
    """(DROP or NO_DROP, the p-value to rank in Holm's family) when the verdict at `max_runs` attempts is
    certain after `runs`, else None.

    `family`: the stochastic cases the error budget is split across (Holm's strictest threshold is
    alpha / family, its most lenient alpha). The p-value returned is an extreme continuation's: above
    alpha for NO_DROP, at most alpha / family for DROP, so Holm over the family rejects exactly what it
    would reject had every case run `max_runs` attempts."""
    remaining = max(0, max_runs - runs)
    worst = drop_p_value(base.passes, base.runs, passes, max_runs)  # every remaining attempt fails
    if worst > alpha:
        return NO_DROP, worst
    best = drop_p_value(base.passes, base.runs, passes + remaining, max_runs)  # every remaining one passes
    if best <= alpha / max(1, family):
        return DROP, best
    return None


def reliability_fields(passes: int, runs: int, max_runs: int) -> dict[str, object]:
    """How sure a k/N result is, as the machine-readable reports carry it."""
    low, high = wilson_interval(passes, runs)
    chance = pass_hat_k(passes, runs)
    return {
        "max_runs": max(max_runs, runs),
        "wilson_95": [round(low, 4), round(high, 4)],
        "pass_hat_k": None if chance is None else {"k": min(PASS_HAT_K, runs), "value": round(chance, 4)},
    }


def sureness_text(passes: int, runs: int) -> str:
    """`(95% 0.49-0.94, pass^3 0.47)`: how sure a k/N is, as every text report says it."""
    low, high = wilson_interval(passes, runs)
    chance = pass_hat_k(passes, runs)
    k = min(PASS_HAT_K, runs)
    return f"(95% {low:.2f}-{high:.2f}, pass^{k} {0.0 if chance is None else chance:.2f})"


def tally_text(passes: int, runs: int) -> str:
    """`8/10 (95% 0.49-0.94, pass^3 0.47)`: k/N and how sure it is, for the text reports."""
    return f"{passes}/{runs} {sureness_text(passes, runs)}"
