"""Every number a report derives from what GA4 returns, in one place.

Per-step metrics (completion rate, abandonments, abandonment rate) come from the funnel
engine's shared rule, :func:`ga_goals.funnels.result.step_metrics` (rule 7 of
``ga_goals.funnels.semantics``), which the sandbox's Data API uses too. It is fed GA4's own
figures: users per step, and ``continued = users - abandonments`` (GA4's abandonments), so the
rates equal those in the response for every reported step, in open funnels as well (where they
cannot be derived from the users alone), and steps absent from the response (nobody reached
them) get the same zeros the engine gives them.

The rest is defined here: overall conversion (users of the last step / users of the first),
the change against the comparison period and whether it is distinguishable from noise (counts
with the exact Poisson test, rates with the two-proportion z-test: ``docs/statistics.md``), and
the lift of a micro conversion.
"""

from __future__ import annotations

from collections.abc import Sequence

import dataclasses

from ga_goals.funnels.result import StepMetrics, step_metrics
from ga_goals.reports.model import Change
from ga_goals.stats import compare_counts, compare_proportions

#: The confidence at which a report calls a change significant (p < 0.05).
CONFIDENCE = 0.95


def ratio(part: float, whole: float) -> float | None:
    """``part / whole``, or None when ``whole`` is 0."""
    return part / whole if whole else None


def change(current: float | None, previous: float | None) -> Change | None:
    """The change from ``previous`` to ``current``: absolute, and relative to ``previous``
    (None when ``previous`` is 0). None when either value is missing (no comparison)."""
    if current is None or previous is None:
        return None
    return Change(absolute=current - previous, relative=(current - previous) / previous if previous else None)


def count_change(current: float | None, previous: float | None, days: int = 1, previous_days: int = 1) -> Change | None:
    """:func:`change` of a count (events, users, sessions, completions) over ``days``, against
    ``previous`` over ``previous_days``, with the exact Poisson test of the two rates per day
    (periods of different lengths compare fairly)."""
    base = change(current, previous)
    if base is None or current is None or previous is None:
        return None
    result = compare_counts(round(previous), round(current), previous_days, days, CONFIDENCE)
    if result is None:  # nothing in either period: nothing to test
        return dataclasses.replace(base, test="poisson")
    return dataclasses.replace(base, test="poisson", p_value=result.p_value, significant=result.significant)


def rate_change(successes: int, trials: int, previous_successes: int | None, previous_trials: int | None) -> Change | None:
    """:func:`change` of the rate ``successes / trials`` (0 without trials) against the previous
    period's, with the two-proportion z-test; no p-value when there are too few users for it
    (:func:`ga_goals.stats.enough_for_a_test`). Untested (``test`` None) when the successes are
    not a subset of the trials: an open funnel's last step can have more users than its first."""
    if previous_successes is None or previous_trials is None:
        return None
    base = change(ratio(successes, trials) or 0.0, ratio(previous_successes, previous_trials) or 0.0)
    assert base is not None
    if not (0 <= successes <= trials and 0 <= previous_successes <= previous_trials):
        return base
    result = compare_proportions(previous_successes, previous_trials, successes, trials, CONFIDENCE)
    if result is None:
        return dataclasses.replace(base, test="z")
    return dataclasses.replace(base, test="z", p_value=result.p_value, significant=result.significant)


def overall_conversion(users: Sequence[int]) -> float:
    """Users at the last step / users at the first step (0 when nobody entered)."""
    return users[-1] / users[0] if users and users[0] else 0.0


def lift(rate: float | None, baseline: float | None) -> float | None:
    """How many times likelier users who did a micro conversion are to convert than all users."""
    if rate is None or not baseline:
        return None
    return rate / baseline


def step_figures(names: Sequence[str], users: Sequence[int], abandonments: Sequence[int]) -> list[StepMetrics]:
    """Completion and abandonment of every step from GA4's users and abandonments per step."""
    continued = [max(0, u - a) for u, a in zip(users, abandonments)]
    return step_metrics(list(names), list(users), continued)
