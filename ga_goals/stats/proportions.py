"""Two proportions compared: the pooled two-proportion z-test and Newcombe's interval of the
difference."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ga_goals.stats.intervals import Interval, _check_counts, proportion_interval
from ga_goals.stats.normal import check_confidence, upper_tail
from ga_goals.stats.rules import enough_for_a_test


@dataclass(frozen=True)
class ProportionTest:
    """A variant's rate against a control's.

    ``difference`` = variant_rate - control_rate; ``interval`` is its confidence interval
    (Newcombe's hybrid score interval). ``z`` and ``p_value`` (two-sided) are None when there
    is not enough data for the test (:func:`ga_goals.stats.enough_for_a_test`); then
    ``enough_data`` is False and ``significant`` is None.
    """

    control_rate: float
    variant_rate: float
    difference: float
    interval: Interval
    z: float | None
    p_value: float | None
    confidence: float = 0.95

    @property
    def enough_data(self) -> bool:
        return self.p_value is not None

    @property
    def significant(self) -> bool | None:
        """Whether the difference is distinguishable from noise at ``confidence`` (p < 1 -
        confidence); None without enough data."""
        return None if self.p_value is None else self.p_value < 1.0 - self.confidence


def compare_proportions(
    s_control: int, n_control: int, s_variant: int, n_variant: int, confidence: float = 0.95
) -> ProportionTest | None:
    """Compare ``s_variant / n_variant`` with ``s_control / n_control``; None when a group has
    no trials.

    The test is the pooled two-proportion z-test, two-sided: with p the pooled rate,
    z = (p_variant - p_control) / sqrt(p (1 - p) (1/n_control + 1/n_variant)) and
    p-value = 2 P(Z > |z|) (``statsmodels.stats.proportion.proportions_ztest``). The interval
    of the difference is Newcombe's hybrid score interval (his method 10) built from the two
    Wilson intervals (l, u): difference - sqrt((p_v - l_v)² + (u_c - p_c)²) to
    difference + sqrt((u_v - p_v)² + (p_c - l_c)²)
    (``statsmodels ... confint_proportions_2indep(method="newcomb")``).
    """
    _check_counts(s_control, n_control)
    _check_counts(s_variant, n_variant)
    check_confidence(confidence)
    if n_control == 0 or n_variant == 0:
        return None
    p_control = s_control / n_control
    p_variant = s_variant / n_variant
    difference = p_variant - p_control
    control = proportion_interval(s_control, n_control, confidence)
    variant = proportion_interval(s_variant, n_variant, confidence)
    assert control is not None and variant is not None
    interval = Interval(
        difference - math.hypot(p_variant - variant.low, control.high - p_control),
        difference + math.hypot(variant.high - p_variant, p_control - control.low),
    )
    z: float | None = None
    p_value: float | None = None
    if enough_for_a_test(s_control, n_control, s_variant, n_variant):
        pooled = (s_control + s_variant) / (n_control + n_variant)
        z = difference / math.sqrt(pooled * (1.0 - pooled) * (1.0 / n_control + 1.0 / n_variant))
        p_value = min(1.0, 2.0 * upper_tail(abs(z)))
    return ProportionTest(
        control_rate=p_control,
        variant_rate=p_variant,
        difference=difference,
        interval=interval,
        z=z,
        p_value=p_value,
        confidence=confidence,
    )
