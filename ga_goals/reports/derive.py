"""Every number a report derives from what GA4 returns, in one place.

Per-step metrics (completion rate, abandonments, abandonment rate) come from the funnel
engine's shared rule, :func:`ga_goals.funnels.result.step_metrics` (rule 7 of
``ga_goals.funnels.semantics``), which the sandbox's Data API uses too. It is fed GA4's own
figures: users per step, and ``continued = users - abandonments`` (GA4's abandonments), so the
rates equal those in the response for every reported step, in open funnels as well (where they
cannot be derived from the users alone), and steps absent from the response (nobody reached
them) get the same zeros the engine gives them.

The rest is defined here: overall conversion (users of the last step / users of the first),
the change against the comparison period, and the lift of a micro conversion.
"""

from __future__ import annotations

from collections.abc import Sequence

from ga_goals.funnels.result import StepMetrics, step_metrics
from ga_goals.reports.model import Change


def ratio(part: float, whole: float) -> float | None:
    """``part / whole``, or None when ``whole`` is 0."""
    return part / whole if whole else None


def change(current: float | None, previous: float | None) -> Change | None:
    """The change from ``previous`` to ``current``: absolute, and relative to ``previous``
    (None when ``previous`` is 0). None when either value is missing (no comparison)."""
    if current is None or previous is None:
        return None
    return Change(absolute=current - previous, relative=(current - previous) / previous if previous else None)


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
