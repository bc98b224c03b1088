"""The binomial distribution, accurate for any size: probability mass, tails and the exact
(Clopper-Pearson) interval of a proportion.

* The mass uses Loader's saddle-point expansion ("Fast and accurate computation of binomial
  probabilities", C. Loader, 2000; R's ``dbinom``): relative error near machine precision even
  for n in the billions, where ``lgamma`` differences would lose eight digits.
* A tail is the regularized incomplete beta function, I_p(k+1, n-k) = P(X > k), evaluated with
  its continued fraction (modified Lentz; Numerical Recipes 6.4) on the side where it converges
  fast, the other side as its complement. Its prefactor is itself a binomial mass, so it
  inherits Loader's precision. The cost does not grow with n by summation: the continued
  fraction needs a few dozen terms in the tails and about sqrt(n) terms next to the mode
  (a few thousand for ten million events: milliseconds).
"""

from __future__ import annotations

import math
from collections.abc import Callable

_LOG_2PI = math.log(2.0 * math.pi)
_HALF_LOG_2PI = 0.5 * _LOG_2PI
_TINY = 1e-300
_EPSILON = 1e-16


def _stirling_error(n: float) -> float:
    """log(n!) - log(sqrt(2 pi n) (n/e)^n): the error of Stirling's formula."""
    if n <= 15.0:
        return math.lgamma(n + 1.0) - (n + 0.5) * math.log(n) + n - _HALF_LOG_2PI
    s0, s1, s2, s3, s4 = 1 / 12, 1 / 360, 1 / 1260, 1 / 1680, 1 / 1188
    nn = n * n
    if n > 500:
        return (s0 - s1 / nn) / n
    if n > 80:
        return (s0 - (s1 - s2 / nn) / nn) / n
    if n > 35:
        return (s0 - (s1 - (s2 - s3 / nn) / nn) / nn) / n
    return (s0 - (s1 - (s2 - (s3 - s4 / nn) / nn) / nn) / nn) / n


def _deviance(x: float, mean: float) -> float:
    """x log(x / mean) + mean - x, without cancellation when x is close to mean."""
    if abs(x - mean) < 0.1 * (x + mean):
        v = (x - mean) / (x + mean)
        s = (x - mean) * v
        term = 2.0 * x * v
        v = v * v
        j = 1
        while True:
            term *= v
            following = s + term / (2 * j + 1)
            if following == s:
                return following
            s = following
            j += 1
    return x * math.log(x / mean) + mean - x


def pmf(k: int, n: int, p: float, q: float | None = None) -> float:
    """P(X = k) for X ~ Binomial(n, p); ``q`` = 1 - p when the caller has it more precisely."""
    if q is None:
        q = 1.0 - p
    if k < 0 or k > n:
        return 0.0
    if n == 0:
        return 1.0
    if p == 0.0:
        return 1.0 if k == 0 else 0.0
    if q == 0.0:
        return 1.0 if k == n else 0.0
    if k == 0:
        return math.exp(-_deviance(n, n * q) - n * p if p < 0.1 else n * math.log(q))
    if k == n:
        return math.exp(-_deviance(n, n * p) - n * q if q < 0.1 else n * math.log(p))
    log_c = (
        _stirling_error(n) - _stirling_error(k) - _stirling_error(n - k)
        - _deviance(k, n * p) - _deviance(n - k, n * q)
    )
    log_f = _LOG_2PI + math.log(k) + math.log1p(-k / n)
    return math.exp(log_c - 0.5 * log_f)


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of I_x(a, b) (Numerical Recipes' betacf, modified Lentz)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    limit = 1000 + 20 * int(math.sqrt(a + b))
    for m in range(1, limit + 1):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        step = d * c
        h *= step
        if abs(step - 1.0) < _EPSILON:
            return h
    raise ArithmeticError(f"the incomplete beta fraction did not converge for a={a}, b={b}, x={x}")


def _fraction_converges(k: int, n: int, p: float) -> bool:
    """Whether the continued fraction of I_p(k+1, n-k) converges fast (p below its mode)."""
    return p < (k + 2.0) / (n + 3.0)


def _above_by_fraction(k: int, n: int, p: float, q: float) -> float:
    """P(X > k) as I_p(k+1, n-k) = pmf(k+1) * q * fraction / ... (see the module docstring)."""
    # I_x(a, b) = x^a (1-x)^b / (a B(a, b)) * fraction; with a = k+1, b = n-k the prefactor is
    # C(n, k+1) p^(k+1) q^(n-k) = pmf(k+1) * q.
    return pmf(k + 1, n, p, q) * q * _beta_fraction(k + 1.0, float(n - k), p)


def sf(k: int, n: int, p: float, q: float | None = None) -> float:
    """P(X > k) for X ~ Binomial(n, p)."""
    if q is None:
        q = 1.0 - p
    if k < 0:
        return 1.0
    if k >= n:
        return 0.0
    if p == 0.0:
        return 0.0
    if q == 0.0:
        return 1.0
    if _fraction_converges(k, n, p):
        return min(1.0, _above_by_fraction(k, n, p, q))
    # P(X > k) = 1 - P(X <= k) = 1 - P(n - X > n - k - 1), n - X ~ Binomial(n, q).
    return max(0.0, 1.0 - _above_by_fraction(n - k - 1, n, q, p))


def cdf(k: int, n: int, p: float, q: float | None = None) -> float:
    """P(X <= k) for X ~ Binomial(n, p)."""
    if q is None:
        q = 1.0 - p
    # P(X <= k) = P(n - X >= n - k) = P(n - X > n - k - 1), n - X ~ Binomial(n, q).
    return sf(n - k - 1, n, q, p)


def _solve_increasing(
    function: Callable[[float], float], target: float, derivative: Callable[[float], float]
) -> float:
    """The x in (0, 1) with function(x) = target, for an increasing function: Newton's method
    kept inside a shrinking bracket (bisection whenever Newton would leave it)."""
    low, high = 0.0, 1.0
    x = 0.5
    for _ in range(200):
        value = function(x) - target
        if value == 0.0:
            return x
        if value < 0.0:
            low = x
        else:
            high = x
        slope = derivative(x)
        candidate = x - value / slope if slope > 0.0 else math.nan
        if not low < candidate < high:
            candidate = 0.5 * (low + high)
        if abs(candidate - x) <= 1e-15 * max(x, 1e-300) or high - low <= 1e-300:
            return candidate
        x = candidate
    return x


def exact_interval(k: int, n: int, confidence: float) -> tuple[float, float]:
    """The Clopper-Pearson interval of a proportion (k successes out of n trials): the
    proportions whose one-sided binomial tails at k are (1 - confidence) / 2."""
    alpha = (1.0 - confidence) / 2.0
    if k == 0:
        low = 0.0
    else:
        # P(X >= k; p) rises with p; its derivative is n * pmf(k - 1; n - 1, p).
        low = _solve_increasing(
            lambda p: sf(k - 1, n, p), alpha, lambda p: n * pmf(k - 1, n - 1, p)
        )
    if k == n:
        high = 1.0
    else:
        # -P(X <= k; p) rises with p (its derivative is n * pmf(k; n - 1, p)); solving for the
        # small tail itself keeps its precision when alpha is tiny.
        high = _solve_increasing(
            lambda p: -cdf(k, n, p), -alpha, lambda p: n * pmf(k, n - 1, p)
        )
    return low, high
