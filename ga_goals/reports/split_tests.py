"""Split tests: a funnel compared across the values of a dimension, each value tested against a control.

A report's ``split_tests`` (:class:`ga_goals.model.SplitTest`) each become one funnel breakdown
the source computes like any other (:func:`split_test_funnels`: the plan's funnel, broken down
by the test's dimension, with GA4's largest breakdown limit), and one
:class:`SplitTestResult` here (:func:`split_test_result`). Per value: users who entered the
funnel, users who completed it, the completion rate with its interval, the completion of each
step with its interval, and for every value but the control the difference against the control
with its interval, the two-proportion z-test's p-value adjusted for the number of values tested
(Holm), the minimum detectable effect at the observed sample sizes, and a verdict sentence.

The statistics are :mod:`ga_goals.stats`'s; this module only decides what is tested and words
the result. What can go wrong is said, never raised: a value that does not occur (or that GA4's
breakdown limit leaves out), a missing control, too few users for a test ("not enough data",
no p-value).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from ga_goals.model import Funnel, Report, SplitTest, TrackingPlan
from ga_goals.model.ga4_facts import BREAKDOWN_LIMIT_MAX
from ga_goals.model.tracking_plan import SPLIT_TEST_DEFAULT_VALUES
from ga_goals.reports.periods import CURRENT
from ga_goals.sources.base import ReportAnswer
from ga_goals.sources.results import FunnelTable
from ga_goals.stats import MIN_EXPECTED, ProportionTest, compare_proportions, holm_adjust, minimum_detectable_effect, proportion_interval, users_needed
from ga_goals.templating import p_value_text

#: Statuses of a :class:`SplitValue`.
CONTROL, BETTER, WORSE, NO_DIFFERENCE, NOT_ENOUGH_DATA, MISSING, UNTESTED = (
    "control",
    "better",
    "worse",
    "no_difference",
    "not_enough_data",
    "missing",
    "untested",
)

#: Power of the test the minimum detectable effect and the users needed are computed for.
POWER = 0.8

#: More users than this to detect the observed difference is said as "over a million".
_NEEDED_CAP = 1_000_000


@dataclass(frozen=True)
class SplitStep:
    """One step of the funnel for one value: its users, and the share who went on to the next step."""

    name: str
    users: int
    #: Share of this step's users who reached the next step (None: the last step, or nobody here).
    completion_rate: float | None
    completion_low: float | None = None
    completion_high: float | None = None


@dataclass(frozen=True)
class SplitValue:
    """One value of the dimension: its funnel figures and, but for the control, its test."""

    value: str
    #: One of ``control``, ``better``, ``worse``, ``no_difference``, ``not_enough_data`` (too few
    #: users for a test: no p-value), ``missing`` (no users in the period, or left out by GA4's
    #: breakdown limit), ``untested`` (the control is missing).
    status: str
    users: int = 0
    completions: int = 0
    completion_rate: float | None = None
    completion_low: float | None = None
    completion_high: float | None = None
    steps: tuple[SplitStep, ...] = ()
    #: Completion rate minus the control's (a fraction: 0.012 = +1.2 points), with its interval.
    difference: float | None = None
    difference_low: float | None = None
    difference_high: float | None = None
    z: float | None = None
    p_value: float | None = None
    #: The p-value adjusted for the values tested together (Holm); the verdict uses this one.
    adjusted_p_value: float | None = None
    #: The smallest difference (in either direction, a fraction) the test detects with 80 %
    #: power at these sample sizes.
    minimum_detectable_effect: float | None = None
    #: About how many more users (this value and the control together) a test needs to detect
    #: the observed difference (only when none was detected).
    more_users_needed: int | None = None
    #: The plain verdict (``B converts better than A: +1.2 points, p = 0.01``), one short line.
    verdict: str = ""
    #: What backs it or what would settle it (the detectable effect, the users needed), one line.
    detail: str = ""

    @property
    def is_control(self) -> bool:
        return self.status == CONTROL

    @property
    def significant(self) -> bool:
        return self.status in (BETTER, WORSE)


@dataclass(frozen=True)
class SplitTestResult:
    """A split test of the report, computed on the current period."""

    title: str
    funnel: str
    funnel_title: str
    dimension: str
    control: str
    confidence: float
    step_names: tuple[str, ...]
    #: The control first, then the values tested, in the order asked for (or by users).
    values: tuple[SplitValue, ...]
    #: Users who entered the funnel under other values (not tested, or beyond GA4's breakdown limit).
    other_users: int = 0
    #: Whether GA4 returned as many values as its breakdown limit allows (others may exist).
    limit_reached: bool = False
    #: A problem with the whole test (the control is missing), or None.
    message: str | None = None
    #: How the p-values were adjusted: "Holm (3 tests)".
    correction: str = ""

    @property
    def alpha(self) -> float:
        return 1.0 - self.confidence


def split_funnel_name(report: Report, index: int) -> str:
    """The key of split test ``index``'s funnel in a source's answer (no plan funnel can have it)."""
    return f"{report.name}.split_tests[{index}]"


def split_test_funnels(plan: TrackingPlan, report: Report) -> list[Funnel]:
    """The funnel breakdowns the report's split tests need (over the current span only:
    :attr:`~ga_goals.sources.base.ReportQuery.current_only_funnels`)."""
    return [
        replace(plan.funnels[t.funnel], name=split_funnel_name(report, i), breakdown=t.by, breakdown_limit=BREAKDOWN_LIMIT_MAX)
        for i, t in enumerate(report.split_tests)
    ]


def split_test_problems(plan: TrackingPlan, report: Report) -> list[str]:
    """Why the report's split tests cannot run (the plan file's rules say it first, with locations)."""
    out = []
    for test in report.split_tests:
        funnel = plan.funnels.get(test.funnel)
        if funnel is None:
            out.append(f"a split test of report {report.name!r} compares funnel {test.funnel!r}, which the plan does not define")
        elif funnel.open:
            out.append(f"a split test of report {report.name!r} compares funnel {test.funnel!r}, which is open; compare a closed funnel")
        if not 0.5 < test.confidence < 1:
            out.append(f"a split test of report {report.name!r} has confidence {test.confidence}; use a value between 0.5 and 1 (0.95)")
    return out


def split_test_of(test: SplitTest, funnel: Funnel, answer: ReportAnswer, name: str) -> SplitTestResult:
    """The split test from a source's answer (its funnel keyed ``name``), or, when the server
    refused that funnel's breakdown, a result that says so."""
    refusal = answer.refused.get(name)
    if refusal is None:
        return split_test_result(test, funnel, answer.funnels[name])
    reason = refusal.split("refused it: ", 1)[-1]
    values = tuple(SplitValue(value=v, status=UNTESTED, verdict="not tested") for v in (test.control, *test.values))
    return SplitTestResult(
        title=split_test_title(test, funnel),
        funnel=funnel.name,
        funnel_title=funnel.title,
        dimension=test.by,
        control=test.control,
        confidence=test.confidence,
        step_names=tuple(s.name for s in funnel.steps),
        values=values,
        message=f"Not tested: the Data API refused the breakdown by {test.by} ({reason}). Register it "
        "(custom_dimensions in the plan, then `ga-goals sync`).",
    )


def split_test_title(test: SplitTest, funnel: Funnel) -> str:
    return test.title or f"{funnel.title} by {test.by}"


def points(difference: float) -> str:
    """A difference of rates in percentage points: ``0.0123`` -> ``+1.2 points``."""
    text = f"{difference * 100:+.1f}"
    if text in ("+0.0", "-0.0"):
        text = "±0.0"
    return f"{text} points"


def split_test_result(test: SplitTest, funnel: Funnel, table: FunnelTable) -> SplitTestResult:
    """The split test ``test`` of ``funnel`` from its breakdown ``table`` (current period)."""
    names = tuple(s.name for s in funnel.steps)
    users_by_value: dict[str, list[int]] = {}
    for value in table.breakdown_values:
        per_step = table.users(CURRENT, breakdown=value)
        if per_step and per_step[0] > 0:
            users_by_value[value] = per_step
    limit_reached = len(table.breakdown_values) >= BREAKDOWN_LIMIT_MAX
    if test.values:
        tested = [v for v in test.values if v != test.control]
    else:
        ranked = sorted((v for v in users_by_value if v != test.control), key=lambda v: (-users_by_value[v][0], v))
        tested = ranked[:SPLIT_TEST_DEFAULT_VALUES]
    total = table.users(CURRENT)[0] if table.step_names else 0
    shown = sum(users_by_value[v][0] for v in [test.control, *tested] if v in users_by_value)
    title = split_test_title(test, funnel)
    alpha = 1.0 - test.confidence

    control_users = users_by_value.get(test.control)
    message = None
    if control_users is None:
        message = (
            f"No data for the control {test.control!r}"
            + (f" (or it is not among the {BREAKDOWN_LIMIT_MAX} values GA4 returns)" if limit_reached else " in this period")
            + ": nothing is tested (check its spelling)"
        )

    def figures(users: list[int]) -> dict[str, Any]:
        interval = proportion_interval(users[-1], users[0], test.confidence)
        return dict(
            users=users[0],
            completions=users[-1],
            completion_rate=users[-1] / users[0] if users[0] else None,
            completion_low=interval.low if interval else None,
            completion_high=interval.high if interval else None,
            steps=_steps(names, users, test.confidence),
        )

    rows: list[SplitValue] = []
    if control_users is not None:
        rows.append(SplitValue(value=test.control, status=CONTROL, verdict="control", **figures(control_users)))
    else:
        rows.append(SplitValue(value=test.control, status=MISSING, verdict="no data", detail=_missing(test.control, limit_reached)))

    tests: dict[str, ProportionTest | None] = {}
    for value in tested:
        found = users_by_value.get(value)
        if found is not None and control_users is not None:
            tests[value] = compare_proportions(control_users[-1], control_users[0], found[-1], found[0], test.confidence)
    p_values = {v: t.p_value for v, t in tests.items() if t is not None and t.p_value is not None}
    adjusted = dict(zip(p_values, holm_adjust(list(p_values.values())))) if p_values else {}
    run = list(p_values)

    for value in tested:
        users = users_by_value.get(value)
        if users is None:
            rows.append(SplitValue(value=value, status=MISSING, verdict="no data", detail=_missing(value, limit_reached)))
            continue
        base = figures(users)
        if control_users is None:
            rows.append(SplitValue(value=value, status=UNTESTED, verdict="not tested", detail="there is no data for the control", **base))
            continue
        mde = minimum_detectable_effect(control_users[-1] / control_users[0], control_users[0], users[0], alpha, POWER)
        result = tests[value]
        if result is None or result.p_value is None:
            rows.append(
                SplitValue(
                    value=value,
                    status=NOT_ENOUGH_DATA,
                    difference=result.difference if result else None,
                    difference_low=result.interval.low if result else None,
                    difference_high=result.interval.high if result else None,
                    minimum_detectable_effect=mde,
                    verdict="not enough data to test yet",
                    detail=f"{users[0]:,} users, {users[-1]:,} completed (control: {control_users[0]:,}, "
                    f"{control_users[-1]:,}); a test needs {MIN_EXPECTED:g} expected completions and non-completions "
                    "in each",
                    **base,
                )
            )
            continue
        p = adjusted[value]
        fields: dict[str, Any] = dict(
            difference=result.difference,
            difference_low=result.interval.low,
            difference_high=result.interval.high,
            z=result.z,
            p_value=result.p_value,
            adjusted_p_value=p,
            minimum_detectable_effect=mde,
        )
        if p < alpha:
            better = result.difference > 0
            rows.append(
                SplitValue(
                    value=value,
                    status=BETTER if better else WORSE,
                    detail=f"difference {result.difference * 100:+.1f} points ({test.confidence:.0%} interval "
                    f"{result.interval.low * 100:+.1f} to {result.interval.high * 100:+.1f}), "
                    f"z = {result.z:.2f}, p = {result.p_value:.2g} before adjustment",
                    verdict=f"{value} converts {'better' if better else 'worse'} than {test.control}: "
                    f"{points(result.difference)}, {p_value_text(p)}",
                    **fields,
                    **base,
                )
            )
            continue
        more = _more_users(control_users, users, result.difference, alpha)
        size = abs(result.difference)
        detail = f"detectable at this size: about {mde * 100:.1f} points" if mde is not None else "nothing is detectable at this size"
        if more is not None and more > _NEEDED_CAP:
            detail += f"; {size * 100:.1f} points would need over {_NEEDED_CAP:,} more users"
        elif more is not None:
            detail += f"; to detect {size * 100:.1f} points: about {about(more):,} more users"
        rows.append(
            SplitValue(
                value=value,
                status=NO_DIFFERENCE,
                more_users_needed=more,
                verdict=f"no detectable difference yet ({points(result.difference)}, {p_value_text(p)})",
                detail=detail,
                **fields,
                **base,
            )
        )

    return SplitTestResult(
        title=title,
        funnel=funnel.name,
        funnel_title=funnel.title,
        dimension=test.by,
        control=test.control,
        confidence=test.confidence,
        step_names=names,
        values=tuple(rows),
        other_users=max(0, total - shown),
        limit_reached=limit_reached,
        message=message,
        correction=f"Holm, {len(run)} test{'s' if len(run) != 1 else ''}" if run else "",
    )


def about(n: int) -> int:
    """``n`` to two significant digits (a sample size estimate is no more precise): 27,601 -> 28,000."""
    if n < 100:
        return n
    step = 10 ** (len(str(n)) - 2)
    return round(n / step) * step


def _steps(names: Sequence[str], users: Sequence[int], confidence: float) -> tuple[SplitStep, ...]:
    out = []
    for k, name in enumerate(names):
        if k + 1 < len(names) and users[k]:
            interval = proportion_interval(users[k + 1], users[k], confidence)
            out.append(
                SplitStep(
                    name=name,
                    users=users[k],
                    completion_rate=users[k + 1] / users[k],
                    completion_low=interval.low if interval else None,
                    completion_high=interval.high if interval else None,
                )
            )
        else:
            out.append(SplitStep(name=name, users=users[k], completion_rate=None))
    return tuple(out)


def _missing(value: str, limit_reached: bool) -> str:
    if limit_reached:
        return f"{value!r} is not among the {BREAKDOWN_LIMIT_MAX} values GA4 returns (fewer users than those, or none)"
    return f"no user entered the funnel with {value!r} in this period"


def _more_users(control: Sequence[int], variant: Sequence[int], difference: float, alpha: float) -> int | None:
    """About how many more users (both groups) a test needs to detect ``difference``; None for no difference."""
    if difference == 0:
        return None
    n_control, n_variant = control[0], variant[0]
    ratio = n_variant / n_control
    needed = users_needed(control[-1] / n_control, difference, alpha, POWER, ratio)
    total = needed + round(needed * ratio)
    return max(0, total - n_control - n_variant)
