"""ga_goals.stats against the reference libraries (scipy, statsmodels) on a table of cases:
tiny, huge, zero, equal and extreme; every value to 1e-9."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize
from scipy.stats import binom, binomtest
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportion_effectsize,
    proportions_ztest,
)

from ga_goals.stats import (
    compare_counts,
    compare_proportions,
    control_users_needed,
    enough_for_a_test,
    holm_adjust,
    minimum_detectable_effect,
    proportion_interval,
    users_needed,
)
from ga_goals.stats import binomial

TOLERANCE = 1e-9

# (successes, trials)
PROPORTIONS = [(0, 1), (1, 1), (0, 10), (10, 10), (1, 2), (3, 7), (45, 100), (1, 10_000), (9_999, 10_000),
               (123_456, 10_000_000), (5_000_000, 10_000_000), (0, 10_000_000), (37, 82)]


@pytest.mark.parametrize("confidence", [0.8, 0.95, 0.999])
@pytest.mark.parametrize(("successes", "trials"), PROPORTIONS)
def test_wilson_interval_matches_statsmodels(successes: int, trials: int, confidence: float) -> None:
    low, high = proportion_confint(successes, trials, alpha=1 - confidence, method="wilson")
    interval = proportion_interval(successes, trials, confidence)
    assert interval is not None
    assert interval.low == pytest.approx(max(0.0, low), abs=TOLERANCE)
    assert interval.high == pytest.approx(min(1.0, high), abs=TOLERANCE)


def test_no_trials_no_interval() -> None:
    assert proportion_interval(0, 0) is None


# (s_control, n_control, s_variant, n_variant): equal, tiny differences, huge samples, extremes.
TWO_PROPORTIONS = [
    (100, 1000, 130, 1000),
    (130, 1000, 100, 1000),
    (50, 500, 50, 500),
    (45, 1000, 37, 1000),
    (20, 100, 80, 100),
    (5, 50, 45, 50),
    (1_000, 1_000_000, 1_100, 1_000_000),
    (4_000_000, 10_000_000, 4_001_000, 10_000_000),
    (10, 10_000, 40, 10_000),
    (300, 2_000, 20, 150),
    (6, 12, 6, 12),
    (995, 1000, 985, 1000),
    (0, 1000, 30, 1000),
]


@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
@pytest.mark.parametrize(("sc", "nc", "sv", "nv"), TWO_PROPORTIONS)
def test_two_proportions_match_statsmodels(sc: int, nc: int, sv: int, nv: int, confidence: float) -> None:
    result = compare_proportions(sc, nc, sv, nv, confidence)
    assert result is not None
    z, p_value = proportions_ztest([sv, sc], [nv, nc])
    low, high = confint_proportions_2indep(sv, nv, sc, nc, method="newcomb", compare="diff", alpha=1 - confidence)
    assert result.difference == pytest.approx(sv / nv - sc / nc, abs=TOLERANCE)
    assert result.interval.low == pytest.approx(low, abs=TOLERANCE)
    assert result.interval.high == pytest.approx(high, abs=TOLERANCE)
    assert enough_for_a_test(sc, nc, sv, nv)
    assert result.z == pytest.approx(z, abs=TOLERANCE, rel=TOLERANCE)
    assert result.p_value == pytest.approx(p_value, abs=TOLERANCE)
    assert result.significant == (p_value < 1 - confidence)


# Too few for the z-test: some group expects fewer than 5 successes or failures.
TOO_FEW = [(0, 10, 1, 10), (2, 30, 3, 30), (1, 1000, 4, 1000), (99, 100, 100, 100), (3, 4, 1, 4), (0, 1, 0, 1)]


@pytest.mark.parametrize(("sc", "nc", "sv", "nv"), TOO_FEW)
def test_too_few_gives_an_interval_but_no_p_value(sc: int, nc: int, sv: int, nv: int) -> None:
    result = compare_proportions(sc, nc, sv, nv)
    assert result is not None
    assert not enough_for_a_test(sc, nc, sv, nv)
    assert (result.p_value, result.z, result.significant, result.enough_data) == (None, None, None, False)
    low, high = confint_proportions_2indep(sv, nv, sc, nc, method="newcomb", compare="diff")
    assert (result.interval.low, result.interval.high) == pytest.approx((low, high), abs=TOLERANCE)


def test_a_group_without_trials_is_no_comparison() -> None:
    assert compare_proportions(0, 0, 3, 10) is None
    assert compare_proportions(3, 10, 0, 0) is None


# (before, now, exposure_before, exposure_now)
COUNTS = [
    (45, 37, 7, 7),  # the README's weekly example: noise
    (0, 2436, 7, 7),
    (2436, 0, 7, 7),
    (1, 0, 1, 1),
    (0, 1, 1, 1),
    (1, 1, 1, 1),
    (50, 50, 1, 1),
    (10, 30, 28, 31),  # months of different lengths
    (100, 130, 7, 7),
    (3, 20, 1, 3),
    (1_000, 1_200, 30, 31),
    (10_000_000, 10_020_000, 1, 1),
    (10_000_000, 10_000_000, 1, 1),
    (9_000_000, 1_000_000, 9, 1),  # equal rates, unequal exposure
    (123_456, 654_321, 2.5, 7.25),
    (5, 5_000, 1, 1),
]


@pytest.mark.parametrize(("before", "now", "eb", "en"), COUNTS)
def test_counts_match_scipy_binomtest(before: int, now: int, eb: float, en: float) -> None:
    result = compare_counts(before, now, eb, en)
    assert result is not None
    reference = binomtest(now, before + now, en / (eb + en))
    assert result.p_value == pytest.approx(reference.pvalue, abs=TOLERANCE)
    assert result.significant == (reference.pvalue < 0.05)
    # The interval of the rate ratio is the exact interval of now's share, as odds, rescaled.
    ci = reference.proportion_ci(confidence_level=0.95, method="exact")
    scale = eb / en

    def ratio(share: float) -> float:
        return math.inf if share == 1 else share / (1 - share) * scale

    assert result.interval.low == pytest.approx(ratio(ci.low), rel=TOLERANCE, abs=TOLERANCE)
    assert result.interval.high == pytest.approx(ratio(ci.high), rel=TOLERANCE, abs=TOLERANCE)
    if before:
        assert result.ratio == pytest.approx((now / en) / (before / eb), rel=TOLERANCE)
    else:
        assert result.ratio == math.inf


def test_no_events_at_all_is_no_test() -> None:
    assert compare_counts(0, 0) is None


@pytest.mark.parametrize("n", [1, 2, 7, 40, 1_000, 123_457, 10_000_000])
@pytest.mark.parametrize("p", [1e-6, 0.01, 0.3, 0.5, 0.77, 0.999])
def test_binomial_tails_match_scipy(n: int, p: float) -> None:
    for k in sorted({0, 1, n // 3, int(n * p), int(n * p) + 1, n - 1, n}):
        if 0 <= k <= n:
            assert binomial.pmf(k, n, p) == pytest.approx(binom.pmf(k, n, p), rel=1e-10, abs=1e-300)
            assert binomial.cdf(k, n, p) == pytest.approx(binom.cdf(k, n, p), rel=1e-9, abs=1e-300)
            assert binomial.sf(k, n, p) == pytest.approx(binom.sf(k, n, p), rel=1e-9, abs=1e-300)


HOLM = [
    [],
    [0.5],
    [0.01, 0.04, 0.03, 0.005],
    [0.2, 0.2, 0.2],
    [1.0, 0.0, 0.5],
    [0.001, 0.9, 0.04, 0.04, 0.3, 0.011],
    list(np.linspace(0.0001, 0.2, 25)),
]


@pytest.mark.parametrize("p_values", HOLM)
def test_holm_matches_statsmodels(p_values: list[float]) -> None:
    expected = list(multipletests(p_values, method="holm")[1]) if p_values else []
    assert holm_adjust(p_values) == pytest.approx(expected, abs=TOLERANCE)


POWER = NormalIndPower()


def reference_effect_size(n_control: int, n_variant: int, alpha: float, power: float) -> float:
    """statsmodels' power function solved tightly: its own ``solve_power`` stops early (0.15 %
    off for 10 million users a group), so the reference is its power function and brentq."""
    return optimize.brentq(
        lambda h: POWER.power(h, n_control, alpha, ratio=n_variant / n_control) - power,
        1e-12, 50.0, xtol=1e-15, rtol=1e-15,
    )


@pytest.mark.parametrize(
    ("rate", "n_control", "n_variant", "alpha", "power"),
    [(0.05, 1000, 1000, 0.05, 0.8), (0.3, 100, 400, 0.05, 0.9), (0.001, 10_000_000, 10_000_000, 0.01, 0.8),
     (0.5, 20, 20, 0.1, 0.5), (0.0, 500, 500, 0.05, 0.8), (0.97, 5000, 2000, 0.05, 0.95)],
)
def test_minimum_detectable_effect_matches_statsmodels_power(
    rate: float, n_control: int, n_variant: int, alpha: float, power: float
) -> None:
    effect = minimum_detectable_effect(rate, n_control, n_variant, alpha, power)
    assert effect is not None and effect > 0
    h = proportion_effectsize(rate + effect, rate)
    assert POWER.power(h, n_control, alpha, ratio=n_variant / n_control) == pytest.approx(power, abs=TOLERANCE)
    assert h == pytest.approx(reference_effect_size(n_control, n_variant, alpha, power), abs=TOLERANCE)


def test_nothing_detectable_without_users_or_room_above() -> None:
    assert minimum_detectable_effect(0.1, 0, 100) is None
    assert minimum_detectable_effect(1.0, 1000, 1000) is None
    assert minimum_detectable_effect(0.99, 10, 10) is None


@pytest.mark.parametrize(
    ("rate", "effect", "alpha", "power", "ratio"),
    [(0.05, 0.01, 0.05, 0.8, 1.0), (0.05, -0.01, 0.05, 0.8, 1.0), (0.05, 0.01, 0.05, 0.8, 3.0),
     (0.5, 0.001, 0.01, 0.9, 1.0), (0.001, 0.0005, 0.05, 0.8, 0.5), (0.2, 0.6, 0.05, 0.8, 1.0),
     (0.0, 0.02, 0.05, 0.8, 1.0)],
)
def test_users_needed_matches_statsmodels_power(rate: float, effect: float, alpha: float, power: float, ratio: float) -> None:
    n1 = control_users_needed(rate, effect, alpha, power, ratio)
    h = proportion_effectsize(rate + effect, rate)
    assert POWER.power(h, n1, alpha, ratio=ratio) == pytest.approx(power, abs=TOLERANCE)
    reference = optimize.brentq(lambda n: POWER.power(h, n, alpha, ratio=ratio) - power, 1e-3, 1e12, xtol=1e-12, rtol=1e-15)
    assert n1 == pytest.approx(reference, rel=TOLERANCE)
    assert users_needed(rate, effect, alpha, power, ratio) == math.ceil(reference)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: proportion_interval(5, 3), "successes"),
        (lambda: proportion_interval(1, 3, confidence=1.0), "confidence"),
        (lambda: compare_counts(-1, 3), "counts"),
        (lambda: compare_counts(1, 3, 0, 1), "exposures"),
        (lambda: holm_adjust([0.5, 1.5]), "p-value"),
        (lambda: users_needed(0.5, 0.0), "effect of 0"),
        (lambda: users_needed(0.5, 0.6), "rate \\+ effect"),
        (lambda: minimum_detectable_effect(0.5, 10, 10, power=0.01), "power"),
    ],
)
def test_invalid_arguments_say_what_is_wrong(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=message):
        call()
