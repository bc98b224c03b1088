"""Intervals, and the Wilson score interval of a proportion."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ga_goals.stats.normal import two_sided_critical


@dataclass(frozen=True)
class Interval:
    """A confidence interval [low, high] (``high`` may be ``math.inf``: a ratio to nothing)."""

    low: float
    high: float

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high


def proportion_interval(successes: int, trials: int, confidence: float = 0.95) -> Interval | None:
    """The Wilson score interval of ``successes / trials`` (None when there are no trials).

    With z the two-sided critical value, p = successes / trials and n = trials:
    centre = (p + z²/2n) / (1 + z²/n), half-width = z sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n).
    Unlike the textbook ``p ± z sqrt(p(1-p)/n)`` it stays inside [0, 1] and keeps its coverage
    for small n and rates near 0 or 1 (Wilson 1927; Brown, Cai & DasGupta 2001).
    """
    _check_counts(successes, trials)
    if trials == 0:
        return None
    z = two_sided_critical(confidence)
    n = float(trials)
    p = successes / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denominator
    half = z * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denominator
    # At p = 0 (1) the lower (upper) bound is exactly 0 (1); rounding would leave it an ulp
    # off, even on the wrong side of p.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return Interval(low, high)


def _check_counts(successes: int, trials: int) -> None:
    if trials < 0 or successes < 0 or successes > trials:
        raise ValueError(f"successes and trials must satisfy 0 <= successes <= trials, not {successes} of {trials}")
