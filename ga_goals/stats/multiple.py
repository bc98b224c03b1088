"""Many tests at once: Holm's step-down adjustment of p-values."""

from __future__ import annotations

from collections.abc import Sequence


def holm_adjust(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the order given.

    Sorted ascending, the i-th smallest (i from 1) of m becomes max over j <= i of
    min(1, (m - j + 1) p_(j)). Rejecting every hypothesis whose adjusted p-value is below alpha
    keeps the chance of any false positive among the m tests at most alpha, without assuming
    the tests independent (Holm 1979; ``statsmodels ... multipletests(method="holm")``).
    """
    for p in p_values:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"a p-value is between 0 and 1, not {p!r}")
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted
