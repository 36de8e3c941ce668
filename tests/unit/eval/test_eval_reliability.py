"""The statistics of stochastic cases: each figure against an independent computation, the rule's
false-alarm rate under no change, its power, and the sequential rule against the fixed-N rule."""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from failgate.eval.reliability import (
    DROP,
    NO_DROP,
    Record,
    drop_p_value,
    holm,
    pass_hat_k,
    settled,
    wilson_interval,
)


def _permutation_p(base_passes: int, base_runs: int, passes: int, runs: int) -> Fraction:
    """Fisher's p by brute force: every way to deal the pooled outcomes into the two groups."""
    pooled = [1] * (base_passes + passes) + [0] * (base_runs - base_passes + runs - passes)
    hits = total = 0
    for now in itertools.combinations(range(len(pooled)), runs):
        total += 1
        hits += sum(pooled[i] for i in now) <= passes
    return Fraction(hits, total)


@pytest.mark.parametrize(
    ("base", "now"),
    [((9, 10), (4, 10)), ((10, 10), (7, 10)), ((5, 8), (5, 8)), ((3, 6), (0, 4)), ((7, 7), (0, 1)), ((0, 5), (0, 5))],
)
def test_fisher_p_value_equals_the_permutation_count(base: tuple[int, int], now: tuple[int, int]) -> None:
    expected = _permutation_p(*base, *now)
    assert drop_p_value(*base, *now) == pytest.approx(float(expected), abs=1e-12)


def test_fisher_known_value_and_direction() -> None:
    # 9/10 -> 4/10: the textbook one-sided Fisher p (R: fisher.test(matrix(c(9,1,4,6),2), alt="greater")).
    assert drop_p_value(9, 10, 4, 10) == pytest.approx(0.02864, abs=1e-5)
    # An improvement is never evidence of a drop.
    assert drop_p_value(4, 10, 9, 10) > 0.99
    assert drop_p_value(5, 10, 5, 10) > 0.5


@given(st.integers(1, 20), st.integers(1, 20), st.data())
def test_p_value_is_monotone_in_the_passes_now(base_runs: int, runs: int, data: st.DataObject) -> None:
    """The sequential rule's curtailment rests on this: more passes now is never more evidence of a drop."""
    base_passes = data.draw(st.integers(0, base_runs))
    values = [drop_p_value(base_passes, base_runs, k, runs) for k in range(runs + 1)]
    assert all(a <= b + 1e-12 for a, b in itertools.pairwise(values))
    assert all(0.0 <= v <= 1.0 for v in values)


def test_wilson_interval_known_values() -> None:
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and high == pytest.approx(0.2775, abs=1e-4)
    low, high = wilson_interval(10, 10)
    assert low == pytest.approx(0.7225, abs=1e-4) and high == 1.0
    low, high = wilson_interval(8, 10)
    assert (low, high) == (pytest.approx(0.4902, abs=1e-4), pytest.approx(0.9433, abs=1e-4))
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_pass_hat_k_is_the_unbiased_estimator() -> None:
    assert pass_hat_k(10, 10) == 1.0
    assert pass_hat_k(8, 10) == pytest.approx((8 * 7 * 6) / (10 * 9 * 8))
    assert pass_hat_k(2, 10) == 0.0  # three passes in a row never happened
    assert pass_hat_k(1, 2) == 0.0  # k capped at N = 2: both must pass
    assert pass_hat_k(0, 0) is None


def test_holm_rejects_step_down() -> None:
    p = {"a": 0.01, "b": 0.04, "c": 0.03, "d": 0.005}
    # thresholds 0.05/4, /3, /2, /1 over 0.005, 0.01, 0.03, 0.04: 0.03 > 0.025 stops the steps
    assert holm(p, 0.05) == {"a", "d"}
    assert holm({**p, "c": 0.02}, 0.05) == {"a", "b", "c", "d"}
    # control: one p over its step stops everything after it
    assert holm({"a": 0.03, "b": 0.04}, 0.05) == set()  # 0.03 > 0.05 / 2
    assert holm({"a": 0.02, "b": 0.04}, 0.05) == {"a", "b"}
    assert holm({}, 0.05) == set()


def _simulate(rng: random.Random, rate: float, runs: int) -> int:
    return sum(rng.random() < rate for _ in range(runs))


@pytest.mark.parametrize("rate", [0.5, 0.8, 0.95])
def test_false_alarm_rate_under_no_change_stays_at_or_under_alpha(rate: float) -> None:
    """An agent whose pass probability did not change: the rule flags a drop at most alpha of the time."""
    rng = random.Random(20261207)
    trials, alarms = 3000, 0
    for _ in range(trials):
        base, now = _simulate(rng, rate, 10), _simulate(rng, rate, 10)
        alarms += drop_p_value(base, 10, now, 10) <= 0.05
    assert alarms / trials <= 0.05


def test_family_wise_false_alarms_under_holm_stay_under_alpha() -> None:
    """Eight stochastic cases, none changed: a gate run raises any false flip at most alpha of the time."""
    rng = random.Random(7)
    rates = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.99]
    runs, alarms = 2000, 0
    for _ in range(runs):
        p = {}
        for i, rate in enumerate(rates):
            p[str(i)] = drop_p_value(_simulate(rng, rate, 10), 10, _simulate(rng, rate, 10), 10)
        alarms += bool(holm(p, 0.05))
    assert alarms / runs <= 0.05


def test_detection_rate_of_a_real_drop_is_reported() -> None:
    """0.95 -> 0.60 at N = 10: how often the rule sees it (the figure the reference's table publishes)."""
    rng = random.Random(11)
    trials = 3000
    hits = sum(drop_p_value(_simulate(rng, 0.95, 10), 10, _simulate(rng, 0.60, 10), 10) <= 0.05 for _ in range(trials))
    rate = hits / trials
    assert 0.3 <= rate <= 0.6, (
        rate
    )  # Fisher's exact test at N = 10 is conservative: the reference's table says how much


def _fixed_verdict(base: Record, outcomes: list[bool], alpha: float) -> bool:
    return drop_p_value(base.passes, base.runs, sum(outcomes), len(outcomes)) <= alpha


@given(
    base_runs=st.integers(3, 20),
    max_runs=st.integers(3, 20),
    data=st.data(),
)
def test_curtailed_verdict_equals_the_fixed_n_verdict(base_runs: int, max_runs: int, data: st.DataObject) -> None:
    """Stopping early never changes the verdict (a family of one: alpha / m = alpha): the rule spends
    no extra error budget."""
    base = Record(data.draw(st.integers(0, base_runs)), base_runs)
    outcomes = data.draw(st.lists(st.booleans(), min_size=max_runs, max_size=max_runs))
    fixed = _fixed_verdict(base, outcomes, 0.05)
    for seen in range(1, max_runs + 1):
        verdict = settled(base, sum(outcomes[:seen]), seen, max_runs, 0.05, 1)
        if verdict is not None:
            assert (verdict[0] == DROP) == fixed
            return
    raise AssertionError("never settled, not even at max")  # at max the two extremes coincide


def test_sequential_rule_spends_fewer_attempts_than_a_fixed_twenty() -> None:
    """Attempts used until settled, on simulated agents; the median is well under 20 when nothing changed."""
    rng = random.Random(3)
    used: list[int] = []
    for _ in range(400):
        rate = rng.choice([0.9, 0.95, 1.0])
        base = Record(_simulate(rng, rate, 20), 20)
        passes = 0
        for seen in range(1, 21):
            passes += rng.random() < rate
            if seen >= 3 and settled(base, passes, seen, 20, 0.05, 1) is not None:
                break
        used.append(seen)
    used.sort()
    assert used[len(used) // 2] < 20
    assert max(used) <= 20


def test_settled_reports_p_values_holm_ranks_like_the_fixed_ones() -> None:
    base = Record(20, 20)
    verdict = settled(base, 0, 10, 20, 0.05, 4)  # ten failures after 20/20: a drop whatever comes
    assert verdict is not None and verdict[0] == DROP and verdict[1] <= 0.05 / 4
    verdict = settled(base, 5, 5, 20, 0.05, 4)  # five passes: cannot be a drop... yet? 15 failures could come
    assert verdict is None
    verdict = settled(Record(10, 20), 5, 5, 10, 0.05, 1)
    assert verdict is not None and verdict[0] == NO_DROP and verdict[1] > 0.05
