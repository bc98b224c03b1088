"""Two counts compared: the exact conditional test of two Poisson rates.

Given ``before`` events over ``exposure_before`` (days, say) and ``now`` events over
``exposure_now``, and if both periods had the same rate, ``now`` out of the ``before + now``
events is binomial with p = exposure_now / (exposure_before + exposure_now). The test is that
binomial test, two-sided by the "minimum likelihood" rule: the p-value is the probability of
every outcome no likelier than the one seen (Przyborowski & Wilenski 1940; the ``cond`` test of
``statsmodels ... test_poisson_2indep``; ``scipy.stats.binomtest(now, before + now, p).pvalue``,
whose relative tolerance of 1e-7 for "as likely" this follows). It is exact for any count, so
it needs no "too few" rule beyond one event in the two periods.

It assumes events arrive independently. Events of one user (or one campaign) come in bursts,
so real counts vary more than Poisson's: a significant change is necessary, not sufficient,
evidence of a real one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ga_goals.stats import binomial
from ga_goals.stats.intervals import Interval
from ga_goals.stats.normal import check_confidence

#: Relative tolerance for two outcomes being "as likely" (scipy.stats.binomtest's).
_AS_LIKELY = 1.0 + 1e-7


@dataclass(frozen=True)
class CountTest:
    """``now`` events against ``before``, each over its exposure.

    ``ratio`` = (now / exposure_now) / (before / exposure_before), ``math.inf`` when ``before``
    is 0; ``interval`` is its exact confidence interval (Clopper-Pearson on now's share);
    ``p_value`` is two-sided.
    """

    before: int
    now: int
    ratio: float
    interval: Interval
    p_value: float
    confidence: float = 0.95

    @property
    def enough_data(self) -> bool:
        return True

    @property
    def significant(self) -> bool:
        """Whether the change is distinguishable from noise at ``confidence``."""
        return self.p_value < 1.0 - self.confidence


def compare_counts(
    before: int,
    now: int,
    exposure_before: float = 1.0,
    exposure_now: float = 1.0,
    confidence: float = 0.95,
) -> CountTest | None:
    """Test whether ``now`` events over ``exposure_now`` differ in rate from ``before`` events
    over ``exposure_before``; None when both counts are 0 (nothing to test)."""
    if before < 0 or now < 0:
        raise ValueError(f"counts are at least 0, not {before} and {now}")
    if not (exposure_before > 0 and exposure_now > 0 and math.isfinite(exposure_before + exposure_now)):
        raise ValueError(f"exposures are positive, not {exposure_before} and {exposure_now}")
    check_confidence(confidence)
    total = before + now
    if total == 0:
        return None
    share = exposure_now / (exposure_before + exposure_now)
    low, high = binomial.exact_interval(now, total, confidence)
    scale = exposure_before / exposure_now
    return CountTest(
        before=before,
        now=now,
        ratio=math.inf if before == 0 else (now / exposure_now) / (before / exposure_before),
        interval=Interval(_odds(low) * scale, _odds(high) * scale),
        p_value=binomial_two_sided(now, total, share),
        confidence=confidence,
    )


def _odds(share: float) -> float:
    return math.inf if share >= 1.0 else share / (1.0 - share)


def binomial_two_sided(k: int, n: int, p: float) -> float:
    """The two-sided p-value of k successes in n trials at rate p (minimum likelihood): the
    total probability of the outcomes at most as likely as k, found on the other side of the
    mode by binary search, each tail one incomplete beta function."""
    expected = p * n
    if k == expected:
        return 1.0
    d = binomial.pmf(k, n, p) * _AS_LIKELY
    if k < expected:
        # The first outcome above the mode at most as likely as k: pmf falls from ceil(p n) on.
        first = _first_at_most(d, n, p, math.ceil(expected), n, falling=True)
        p_value = binomial.cdf(k, n, p) + binomial.sf(first - 1, n, p)
    else:
        # The last outcome below the mode at most as likely as k: pmf rises up to floor(p n).
        last = _first_at_most(d, n, p, 0, math.floor(expected), falling=False)
        p_value = binomial.cdf(last, n, p) + binomial.sf(k - 1, n, p)
    return min(1.0, p_value)


def _first_at_most(d: float, n: int, p: float, low: int, high: int, *, falling: bool) -> int:
    """On a monotone stretch [low, high] of the pmf: falling, the smallest x with pmf(x) <= d
    (high + 1 if none); rising, the largest x with pmf(x) <= d (low - 1 if none)."""
    if falling:
        lo, hi = low, high + 1
        while lo < hi:
            mid = (lo + hi) // 2
            if binomial.pmf(mid, n, p) <= d:
                hi = mid
            else:
                lo = mid + 1
        return lo
    lo, hi = low - 1, high
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if binomial.pmf(mid, n, p) <= d:
            lo = mid
        else:
            hi = mid - 1
    return lo
