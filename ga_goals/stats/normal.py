"""The standard normal distribution: tail probabilities and quantiles.

``statistics.NormalDist`` gives the quantile (Wichura's AS241, accurate to double precision);
the upper tail is computed with ``math.erfc`` so that p-values far in the tail keep their
relative precision (``1 - cdf`` would round them to 0).
"""

from __future__ import annotations

import math
from statistics import NormalDist

_STANDARD = NormalDist()


def upper_tail(z: float) -> float:
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def lower_tail(z: float) -> float:
    """P(Z < z) for a standard normal Z."""
    return upper_tail(-z)


def quantile(probability: float) -> float:
    """The z with P(Z < z) = ``probability`` (0 < probability < 1)."""
    return _STANDARD.inv_cdf(probability)


def two_sided_critical(confidence: float) -> float:
    """The z with P(|Z| < z) = ``confidence``: 1.959963984540054 for 0.95."""
    check_confidence(confidence)
    return quantile(1.0 - (1.0 - confidence) / 2.0)


def check_confidence(confidence: float) -> None:
    """Raise ValueError unless 0 < ``confidence`` < 1."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), not {confidence!r}")
