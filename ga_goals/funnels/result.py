"""A computed funnel: users per step (per breakdown value and in total) and the metrics derived from them.

:func:`step_metrics` is the one place where completion and abandonment are derived (rule 7 of
``ga_goals.funnels.semantics``; docs/funnel-semantics.md §5), for every engine and every consumer (the
sandbox's Data API, reports).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

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


@dataclass(frozen=True)
class NextActions:
    """Rule 10 of ``ga_goals.funnels.semantics``: after each step but the last, the users who left
    the funnel there and the values of ``dimension`` on their next event (GA4's next action)."""

    funnel: str
    dimension: str
    step_names: tuple[str, ...]
    #: ``left[k - 1]``: users who left after step k (k = 1 .. steps - 1).
    left: tuple[int, ...]
    #: ``values[k - 1]``: ``(value, users)`` after step k, most users first (ties: by value).
    values: tuple[tuple[tuple[str, int], ...], ...]

    @classmethod
    def of(cls, funnel: Any, dimension: str, left: Mapping[int, int], values: Mapping[int, Mapping[str, int]]) -> NextActions:
        """From per-step counts (step numbers 1-based); steps absent count 0."""
        steps = range(1, len(funnel.steps))
        return cls(
            funnel=funnel.name,
            dimension=dimension,
            step_names=tuple(s.name for s in funnel.steps),
            left=tuple(int(left.get(k, 0)) for k in steps),
            values=tuple(
                tuple(sorted(((str(v), int(u)) for v, u in (values.get(k) or {}).items()), key=lambda x: (-x[1], x[0])))
                for k in steps
            ),
        )

    def after(self, step: int, limit: int | None = None) -> list[tuple[str, int]]:
        """The next values after ``step`` (1-based), most users first, at most ``limit``."""
        found = list(self.values[step - 1])
        return found if limit is None else found[:limit]

    def without_next(self, step: int) -> int:
        """Users who left after ``step`` and had no later event in the range."""
        return self.left[step - 1] - sum(u for _, u in self.values[step - 1])
