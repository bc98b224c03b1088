"""Properties of ga_goals.stats that hold for every input (hypothesis), and p-values checked
against scipy on random inputs."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest

from ga_goals.stats import (
    compare_counts,
    compare_proportions,
    holm_adjust,
    minimum_detectable_effect,
    proportion_interval,
    users_needed,
)


@st.composite
def proportions(draw: st.DrawFn, max_trials: int = 10_000_000) -> tuple[int, int]:
    trials = draw(st.integers(1, max_trials))
    return draw(st.integers(0, trials)), trials


confidences = st.sampled_from([0.8, 0.9, 0.95, 0.99, 0.999])


@given(proportions(), confidences)
def test_wilson_interval_holds_the_rate_and_stays_in_0_1(proportion: tuple[int, int], confidence: float) -> None:
    successes, trials = proportion
    interval = proportion_interval(successes, trials, confidence)
    assert interval is not None
    assert 0.0 <= interval.low <= successes / trials <= interval.high <= 1.0


@given(proportions(), proportions(), confidences)
def test_two_proportions_are_consistent(control: tuple[int, int], variant: tuple[int, int], confidence: float) -> None:
    result = compare_proportions(*control, *variant, confidence)
    assert result is not None
    assert result.difference in result.interval
    assert -1.0 <= result.interval.low <= result.interval.high <= 1.0
    if result.p_value is not None:
        assert 0.0 <= result.p_value <= 1.0
        assert result.significant == (result.p_value < 1 - confidence)
        # Swapping the groups mirrors the test.
        mirrored = compare_proportions(*variant, *control, confidence)
        assert mirrored is not None and mirrored.p_value == pytest.approx(result.p_value, abs=1e-12)


@given(
    st.integers(0, 10_000_000),
    st.integers(0, 10_000_000),
    st.floats(0.1, 100.0),
    st.floats(0.1, 100.0),
)
@settings(max_examples=60)
def test_counts_match_scipy_on_any_input(before: int, now: int, eb: float, en: float) -> None:
    assume(before + now > 0)
    result = compare_counts(before, now, eb, en)
    assert result is not None
    assert result.p_value == pytest.approx(binomtest(now, before + now, en / (eb + en)).pvalue, abs=1e-9)
    assert result.interval.low <= result.interval.high
    if before and now:
        assert result.ratio in result.interval


@given(st.integers(0, 100_000), st.integers(0, 100_000), st.floats(0.5, 50.0), st.floats(0.5, 50.0))
def test_counts_are_symmetric(before: int, now: int, eb: float, en: float) -> None:
    assume(before + now > 0)
    forward = compare_counts(before, now, eb, en)
    backward = compare_counts(now, before, en, eb)
    assert forward is not None and backward is not None
    assert forward.p_value == pytest.approx(backward.p_value, abs=1e-12)
    if before and now:
        assert forward.ratio * backward.ratio == pytest.approx(1.0)


@given(st.lists(st.floats(0.0, 1.0), max_size=30))
def test_holm_is_at_least_the_raw_p_value_and_keeps_the_order(p_values: list[float]) -> None:
    adjusted = holm_adjust(p_values)
    assert len(adjusted) == len(p_values)
    for raw, new in zip(p_values, adjusted):
        assert raw <= new <= 1.0
        assert new <= min(1.0, raw * len(p_values)) + 1e-15
    for (a, a_new), (b, b_new) in zip(sorted(zip(p_values, adjusted)), sorted(zip(p_values, adjusted))[1:]):
        assert a_new <= b_new


@given(st.floats(0.001, 0.5), st.integers(10, 10_000_000), st.integers(10, 10_000_000))
def test_the_minimum_detectable_effect_needs_those_users(rate: float, n_control: int, n_variant: int) -> None:
    effect = minimum_detectable_effect(rate, n_control, n_variant)
    assume(effect is not None and rate + effect < 1.0)
    assert effect is not None and effect > 0
    # With equal groups of the smaller size the effect needs at least as many users as given
    # to the smaller group... and at most the larger.
    needed = users_needed(rate, effect, ratio=n_variant / n_control)
    assert abs(needed - n_control) <= 1
    # More users detect smaller effects.
    bigger = minimum_detectable_effect(rate, n_control * 4, n_variant * 4)
    assert bigger is not None and bigger < effect


@given(st.floats(0.0, 0.9), st.floats(0.001, 0.09))
def test_users_needed_rounds_up_and_more_power_needs_more(rate: float, effect: float) -> None:
    n = users_needed(rate, effect)
    assert n >= 1
    assert users_needed(rate, effect, power=0.9) >= n
    assert users_needed(rate, effect / 2) >= n
    assert not math.isnan(n)
