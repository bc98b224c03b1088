"""A computed funnel: users per step (per breakdown value and in total) and the metrics derived from them.

:func:`step_metrics` is the one place where completion and abandonment are derived (rule 7 of
``ga_goals.funnels.semantics``; docs/funnel-semantics.md §5), for every engine and every consumer (the
sandbox's Data API, reports).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

#: The breakdown value of the totals row, as the Data API labels it.
RESERVED_TOTAL = "RESERVED_TOTAL"
#: The breakdown value of events that lack the dimension.
NOT_SET = "(not set)"


@dataclass(frozen=True)
class StepMetrics:
    """One row of GA4's funnel table: a step and its four metrics (rates are fractions)."""

    number: int  # 1-based
    name: str
    active_users: int
    completion_rate: float
    abandonments: int
    abandonment_rate: float

    @property
    def label(self) -> str:
        """The step as the Data API names it: ``"1. Viewed a product"``."""
        return f"{self.number}. {self.name}"


def step_metrics(
    names: Sequence[str], users: Sequence[int], continued: Sequence[int] | None = None
) -> list[StepMetrics]:
    """The funnel table's metrics for every step (rule 7), including steps without users.

    ``users[k]`` is the number of users at step k; ``continued[k]`` the number of them who went
    on to step k+1 (omit it for a closed funnel, where it is ``users[k+1]``). For step k:

    * completion rate = continued / users; abandonments = users - continued; abandonment rate
      = abandonments / users (= 1 - completion rate);
    * the last requested step: completion 1, abandonments 0, abandonment rate 0 (*decided*;
      so a step followed by a requested step that nobody reached shows completion 0 and
      abandonment rate 1, as in the live response);
    * a step without users: all four metrics 0 (the Data API leaves such steps out: see
      :meth:`FunnelRow.reported`).
    """
    n = len(names)
    if len(users) != n:
        raise ValueError(f"{n} step names but {len(users)} user counts")
    if continued is None:
        continued = [users[k + 1] if k + 1 < n else 0 for k in range(n)]
    elif len(continued) != n:
        raise ValueError(f"{n} step names but {len(continued)} continued counts")
    rows = []
    for k in range(n):
        active = users[k]
        if active == 0:
            rows.append(StepMetrics(k + 1, names[k], 0, 0.0, 0, 0.0))
            continue
        if k == n - 1:
            rows.append(StepMetrics(k + 1, names[k], active, 1.0, 0, 0.0))
            continue
        went_on = min(continued[k], active)
        abandoned = active - went_on
        rows.append(StepMetrics(k + 1, names[k], active, went_on / active, abandoned, abandoned / active))
    return rows


@dataclass(frozen=True)
class FunnelRow:
    """Users per step for one breakdown value (``breakdown`` None: all users, the totals)."""

    breakdown: str | None
    users: tuple[int, ...]
    continued: tuple[int, ...]

    @property
    def is_total(self) -> bool:
        return self.breakdown is None


@dataclass(frozen=True)
class FunnelResult:
    """The output of a funnel engine for one funnel and date range.

    ``total`` covers every user; ``rows`` has one entry per breakdown value (when a breakdown
    was asked for), most users at the first step first, cut to ``breakdown_limit`` values.
    """

    funnel: str
    step_names: tuple[str, ...]
    start: date
    end: date
    open: bool
    total: FunnelRow
    breakdown: str | None = None
    rows: tuple[FunnelRow, ...] = ()
    #: Breakdown values beyond the limit that were left out of ``rows`` (their users are in ``total``).
    omitted_values: int = 0
    seconds: float = field(default=0.0, compare=False)

    @property
    def users(self) -> tuple[int, ...]:
        """Users per step, all breakdown values together."""
        return self.total.users

    def metrics(self, row: FunnelRow | None = None) -> list[StepMetrics]:
        """:func:`step_metrics` of a row (default: the totals)."""
        row = row or self.total
        return step_metrics(self.step_names, row.users, row.continued)

    def reported(self, row: FunnelRow | None = None) -> list[StepMetrics]:
        """The rows the Data API returns: steps that have users (rule 7)."""
        return [m for m in self.metrics(row) if m.active_users > 0]

    def overall_conversion(self, row: FunnelRow | None = None) -> float:
        """Users at the last step / users at the first step (0 when nobody is at the first step)."""
        row = row or self.total
        return row.users[-1] / row.users[0] if row.users and row.users[0] else 0.0

    def row_for(self, value: str) -> FunnelRow | None:
        """The breakdown row of one value (None when absent or beyond the limit)."""
        return next((r for r in self.rows if r.breakdown == value), None)
