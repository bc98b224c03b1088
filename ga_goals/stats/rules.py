"""When there is too little data for a test: the one rule every test here applies.

A two-proportion z-test rests on the normal approximation of each group's count of successes.
The classical condition for it (Cochran 1952; the same as the chi-squared test's "expected
count at least 5 in every cell") is that every group expects at least :data:`MIN_EXPECTED`
successes and :data:`MIN_EXPECTED` failures under the null hypothesis (the pooled rate). Below
that the tests here give no p-value: the result says "not enough data" instead.

Counts (:func:`ga_goals.stats.compare_counts`) use an exact test that is valid for any count,
so they only need one event in the two periods together.
"""

from __future__ import annotations

#: Expected successes and failures each group needs for the z-test (pooled rate x users).
MIN_EXPECTED = 5.0


def enough_for_a_test(s_control: int, n_control: int, s_variant: int, n_variant: int) -> bool:
    """Whether two proportions (successes out of trials per group) have enough data for the
    two-proportion z-test: every group expects at least :data:`MIN_EXPECTED` successes and
    failures at the pooled rate."""
    total = n_control + n_variant
    if n_control <= 0 or n_variant <= 0:
        return False
    pooled = (s_control + s_variant) / total
    return all(
        n * pooled >= MIN_EXPECTED and n * (1.0 - pooled) >= MIN_EXPECTED for n in (n_control, n_variant)
    )
