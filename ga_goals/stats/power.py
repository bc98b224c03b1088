"""How much data a comparison of two proportions needs: power, the minimum detectable effect,
users needed.

The machinery is statsmodels' ``NormalIndPower`` with Cohen's effect size for proportions,
h = |2 asin(sqrt(p2)) - 2 asin(sqrt(p1))| (``proportion_effectsize``); the arcsine makes the
variance of a rate (almost) independent of the rate. A two-sided test at level alpha with n1
and n2 users has, with c = z(1 - alpha/2) and N = n1 n2 / (n1 + n2),

    power(h) = P(Z > c - h sqrt(N)) + P(Z < -c - h sqrt(N)).

``minimum_detectable_effect`` solves power(h) = power for h and turns h back into a rate above
the baseline: p2 = sin²(asin(sqrt(p1)) + h/2); ``users_needed`` solves the same equation for n1
(with n2 = ratio n1). Both solve to double precision by bisection, where statsmodels uses a
root finder; they agree to 1e-9.
"""

from __future__ import annotations

import math

from ga_goals.stats.normal import lower_tail, quantile, upper_tail


def _check(alpha: float, power: float) -> float:
    """The critical value for alpha, after checking that alpha < power < 1 makes sense."""
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be between 0 and 1, not {alpha!r}")
    if not alpha < power < 1.0:
        raise ValueError(f"power must be between alpha ({alpha}) and 1, not {power!r}")
    return quantile(1.0 - alpha / 2.0)


def _power_at(shift: float, critical: float) -> float:
    """Power of the two-sided test when the statistic is shifted by ``shift`` = h sqrt(N)."""
    return upper_tail(critical - shift) + lower_tail(-critical - shift)


def _shift_for(power: float, critical: float) -> float:
    """The shift h sqrt(N) at which the two-sided test has ``power`` (bisection)."""
    low, high = 0.0, critical + quantile(power) + 1.0
    while _power_at(high, critical) < power:
        high *= 2.0
    for _ in range(200):
        middle = 0.5 * (low + high)
        if middle in (low, high):
            break
        if _power_at(middle, critical) < power:
            low = middle
        else:
            high = middle
    return 0.5 * (low + high)


def _check_rate(name: str, rate: float) -> None:
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"{name} must be a rate between 0 and 1, not {rate!r}")


def minimum_detectable_effect(
    rate: float, n_control: int, n_variant: int, alpha: float = 0.05, power: float = 0.8
) -> float | None:
    """The smallest increase of ``rate`` (absolute: 0.01 = one percentage point) that a
    two-sided test at ``alpha`` detects with probability ``power`` with these group sizes.

    None when a group is empty or when even a rate of 1 would not be detectable.
    """
    _check_rate("rate", rate)
    critical = _check(alpha, power)
    if n_control <= 0 or n_variant <= 0:
        return None
    effective = n_control * n_variant / (n_control + n_variant)
    h = _shift_for(power, critical) / math.sqrt(effective)
    angle = math.asin(math.sqrt(rate)) + h / 2.0
    if angle > math.pi / 2.0:
        return None
    return math.sin(angle) ** 2 - rate


def control_users_needed(
    rate: float, effect: float, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0
) -> float:
    """:func:`users_needed` before rounding up (statsmodels' ``solve_power(nobs1=None)``)."""
    _check_rate("rate", rate)
    _check_rate("rate + effect", rate + effect)
    critical = _check(alpha, power)
    if not ratio > 0.0:
        raise ValueError(f"ratio must be positive, not {ratio!r}")
    h = abs(2.0 * math.asin(math.sqrt(rate + effect)) - 2.0 * math.asin(math.sqrt(rate)))
    if h == 0.0:
        raise ValueError("an effect of 0 needs infinitely many users")
    effective = (_shift_for(power, critical) / h) ** 2
    # N = n1 n2 / (n1 + n2) with n2 = ratio n1, so n1 = N (1 + ratio) / ratio.
    return effective * (1.0 + ratio) / ratio


def users_needed(
    rate: float, effect: float, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0
) -> int:
    """Users the control group needs (the variant needs ``ratio`` times as many) for a
    two-sided test at ``alpha`` to detect a change of ``rate`` by ``effect`` (absolute, either
    sign) with probability ``power``; rounded up."""
    return math.ceil(control_users_needed(rate, effect, alpha, power, ratio) - 1e-9)
