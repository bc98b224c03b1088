"""Split tests: the figures against statsmodels' own, the verdicts, and every kind of bad input said
in the report (never raised): a value without data, a missing control, too few users, GA4's
breakdown limit."""

from __future__ import annotations

import math

import pytest
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint, proportion_effectsize, proportions_ztest

from ga_goals.model import Funnel, FunnelStep, SplitTest
from ga_goals.model.ga4_facts import BREAKDOWN_LIMIT_MAX
from ga_goals.reports.split_tests import (
    BETTER,
    CONTROL,
    MISSING,
    NO_DIFFERENCE,
    NOT_ENOUGH_DATA,
    UNTESTED,
    WORSE,
    about,
    points,
    split_test_result,
)
from ga_goals.sources.results import FunnelTable, StepValues
from ga_goals.templating import p_value_text

TWO_STEPS = Funnel(
    name="product_to_cart",
    title="Product page to cart",
    steps=(FunnelStep("view_item", "view_item"), FunnelStep("add_to_cart", "add_to_cart")),
)
FOUR_STEPS = Funnel(
    name="checkout",
    title="Checkout",
    steps=tuple(FunnelStep(e, e) for e in ("view_item", "add_to_cart", "begin_checkout", "purchase")),
)


def table(funnel: Funnel, values: dict[str, list[int]]) -> FunnelTable:
    """A breakdown table as the sources give it: the current period, one row per value, totals."""
    t = FunnelTable(step_names=tuple(s.name for s in funnel.steps), breakdown="customUser:arm", date_ranges=("current",))
    totals = [sum(users[k] for users in values.values()) for k in range(len(funnel.steps))]
    t.cells[("current", None, None)] = [StepValues(u, 0.0, 0, 0.0) for u in totals]
    for value, users in values.items():
        t.cells[("current", None, value)] = [StepValues(u, 0.0, 0, 0.0) for u in users]
    t.breakdown_values = tuple(values)
    return t


def run(counts: dict[str, list[int]], funnel: Funnel = TWO_STEPS, **test: object):
    """The split test of ``funnel`` by ``customUser:arm`` (control A) on these users per step."""
    spec = SplitTest(funnel=funnel.name, by="customUser:arm", **{"control": "A", **test})  # type: ignore[arg-type]
    return split_test_result(spec, funnel, table(funnel, counts))


def by_value(result) -> dict:
    return {v.value: v for v in result.values}


# -- against statsmodels -----------------------------------------------------------------------------


def test_every_figure_is_statsmodels_figure():
    counts = {"A": [253, 49], "B": [231, 82], "C": [227, 41]}
    result = run(counts, values=("B", "C"))
    rows = by_value(result)
    assert [v.value for v in result.values] == ["A", "B", "C"]
    assert (rows["A"].status, rows["B"].status, rows["C"].status) == (CONTROL, BETTER, NO_DIFFERENCE)
    raw = [proportions_ztest([counts[v][1], counts["A"][1]], [counts[v][0], counts["A"][0]])[1] for v in ("B", "C")]
    adjusted = multipletests(raw, method="holm")[1]
    for v, p, adj in zip(("B", "C"), raw, adjusted):
        row = rows[v]
        assert row.p_value == pytest.approx(p, rel=1e-9)
        assert row.adjusted_p_value == pytest.approx(adj, rel=1e-9)
        z = proportions_ztest([counts[v][1], counts["A"][1]], [counts[v][0], counts["A"][0]])[0]
        assert row.z == pytest.approx(z, rel=1e-9)
        low, high = confint_proportions_2indep(counts[v][1], counts[v][0], counts["A"][1], counts["A"][0], method="newcomb")
        assert (row.difference_low, row.difference_high) == (pytest.approx(low, rel=1e-9), pytest.approx(high, rel=1e-9))
        assert row.difference == pytest.approx(counts[v][1] / counts[v][0] - 49 / 253, rel=1e-12)
        # the MDE: statsmodels' effect size at 80 % power, turned back into points above the control rate
        h = NormalIndPower().solve_power(effect_size=None, nobs1=253, alpha=0.05, power=0.8, ratio=counts[v][0] / 253)
        expected = math.sin(math.asin(math.sqrt(49 / 253)) + h / 2) ** 2 - 49 / 253
        assert row.minimum_detectable_effect == pytest.approx(expected, rel=1e-6)
    for v, (n, s) in counts.items():
        low, high = proportion_confint(s, n, alpha=0.05, method="wilson")
        assert (rows[v].completion_low, rows[v].completion_high) == (pytest.approx(low, rel=1e-9), pytest.approx(high, rel=1e-9))
        assert rows[v].completion_rate == s / n and rows[v].users == n and rows[v].completions == s
    assert result.correction == "Holm, 2 tests" and result.message is None


def test_the_users_needed_are_statsmodels_sample_size():
    result = run({"A": [253, 49], "C": [227, 41]})
    c = by_value(result)["C"]
    assert c.status == NO_DIFFERENCE
    h = proportion_effectsize(41 / 227, 49 / 253)
    n_control = NormalIndPower().solve_power(effect_size=abs(h), nobs1=None, alpha=0.05, power=0.8, ratio=227 / 253)
    needed = math.ceil(n_control - 1e-9)
    assert c.more_users_needed == needed + round(needed * 227 / 253) - 253 - 227
    assert c.verdict == f"no detectable difference yet ({points(c.difference)}, {p_value_text(c.adjusted_p_value)})"
    assert f"about {about(c.more_users_needed):,} more users" in c.detail
    assert f"detectable at this size: about {c.minimum_detectable_effect * 100:.1f} points" in c.detail


def test_per_step_completion_has_wilson_intervals():
    counts = {"A": [400, 120, 60, 40], "B": [380, 150, 70, 50]}
    result = run(counts, FOUR_STEPS)
    b = by_value(result)["B"]
    assert [s.completion_rate for s in b.steps] == [150 / 380, 70 / 150, 50 / 70, None]
    for step, (n, s) in zip(b.steps, [(380, 150), (150, 70), (70, 50)]):
        low, high = proportion_confint(s, n, alpha=0.05, method="wilson")
        assert step.completion_low == pytest.approx(low, rel=1e-9) and step.completion_high == pytest.approx(high, rel=1e-9)
    assert b.completion_rate == 50 / 380  # overall: the last step's users over the first's


def test_the_confidence_sets_the_intervals_and_the_level():
    counts = {"A": [500, 100], "B": [500, 124]}
    loose = by_value(run(counts, confidence=0.90))["B"]
    strict = by_value(run(counts, confidence=0.95))["B"]
    low, high = proportion_confint(124, 500, alpha=0.10, method="wilson")
    assert loose.completion_low == pytest.approx(low, rel=1e-9) and loose.completion_high == pytest.approx(high, rel=1e-9)
    p = proportions_ztest([124, 100], [500, 500])[1]
    assert 0.05 < p < 0.10
    assert loose.status == BETTER and strict.status == NO_DIFFERENCE


# -- verdicts ----------------------------------------------------------------------------------------


def test_a_better_value_gets_a_plain_verdict():
    b = by_value(run({"A": [253, 49], "B": [231, 82]}))["B"]
    assert b.status == BETTER and b.significant
    assert b.verdict == "B converts better than A: +16.1 points, p < 0.001"
    assert "interval +8.2 to +23.9" in b.detail


def test_a_worse_value_says_worse():
    b = by_value(run({"A": [400, 120], "B": [400, 70]}))["B"]
    assert b.status == WORSE
    assert b.verdict == "B converts worse than A: -12.5 points, p < 0.001"
    assert b.detail == "difference -12.5 points (95% interval -18.3 to -6.6), z = -4.15, p = 3.3e-05 before adjustment"


def test_the_verdict_uses_the_adjusted_p_value():
    # Each alone is below 0.05, but not after Holm's adjustment for the two tested together.
    counts = {"A": [500, 100], "B": [500, 128], "C": [500, 127]}
    raw = [proportions_ztest([s, 100], [500, 500])[1] for s in (128, 127)]
    assert max(raw) < 0.05
    rows = by_value(run(counts))
    assert rows["B"].status == rows["C"].status == NO_DIFFERENCE
    assert rows["B"].adjusted_p_value == pytest.approx(multipletests(raw, method="holm")[1][0], rel=1e-9)
    # one value alone: no adjustment, and the same difference is found
    assert by_value(run(counts, values=("B",)))["B"].status == BETTER


def test_default_values_are_those_with_the_most_users():
    counts = {"A": [300, 60], "v1": [10, 2], "v2": [500, 100], "v3": [200, 40], "v4": [250, 50], "v5": [400, 80]}
    result = run(counts)
    assert [v.value for v in result.values] == ["A", "v2", "v5", "v4", "v3"]
    assert result.other_users == 10


# -- bad input: said, never raised --------------------------------------------------------------------


def test_a_value_without_data_is_reported_missing():
    result = run({"A": [253, 49], "B": [231, 82]}, values=("B", "Z"))
    z = by_value(result)["Z"]
    assert z.status == MISSING and z.p_value is None
    assert z.verdict == "no data" and z.detail == "no user entered the funnel with 'Z' in this period"
    # the other value is still tested, alone (no adjustment for a test that did not run)
    assert by_value(result)["B"].adjusted_p_value == by_value(result)["B"].p_value


def test_a_value_beyond_the_breakdown_limit_is_reported_missing_not_dropped():
    counts = {f"v{k:02d}": [100 + k, 20] for k in range(BREAKDOWN_LIMIT_MAX)}
    counts["A"] = counts.pop("v00")
    result = run(counts, values=("v01", "rare"))
    rare = by_value(result)["rare"]
    assert result.limit_reached and rare.status == MISSING
    assert f"not among the {BREAKDOWN_LIMIT_MAX} values GA4 returns" in rare.detail


def test_a_missing_control_tests_nothing_and_says_why():
    result = run({"B": [231, 82], "C": [227, 41]}, control="A")
    rows = by_value(result)
    assert result.message == "No data for the control 'A' in this period: nothing is tested (check its spelling)"
    assert rows["A"].status == MISSING
    assert rows["B"].status == rows["C"].status == UNTESTED
    assert all(v.p_value is None and v.adjusted_p_value is None for v in result.values)
    assert rows["B"].completion_rate == 82 / 231  # the figures are still there
    assert result.correction == ""


@pytest.mark.parametrize(
    "control, variant",
    [([40, 2], [35, 1]), ([3, 0], [2, 2]), ([1000, 3], [900, 1]), ([30, 29], [25, 25])],
    ids=["few users", "tiny groups", "rare completions", "almost everyone completes"],
)
def test_too_few_users_give_no_p_value(control, variant):
    b = by_value(run({"A": control, "B": variant}))["B"]
    assert b.status == NOT_ENOUGH_DATA
    assert b.p_value is None and b.adjusted_p_value is None and b.z is None
    assert b.verdict == "not enough data to test yet" and "p =" not in b.verdict + b.detail
    assert f"{variant[0]:,} users, {variant[1]:,} completed" in b.detail


def test_nobody_in_the_funnel_at_all():
    result = run({})
    assert result.message is not None and result.values[0].status == MISSING
    assert result.other_users == 0


@pytest.mark.parametrize("n, expected", [(7, 7), (99, 99), (27601, 28000), (1234, 1200), (1_250_000, 1_200_000)])
def test_users_needed_are_said_to_two_digits(n, expected):
    assert about(n) == expected


def test_points_and_p_values_read_plainly():
    assert points(0.0123) == "+1.2 points" and points(-0.05) == "-5.0 points" and points(0.0001) == "±0.0 points"
    assert p_value_text(0.0004) == "p < 0.001" and p_value_text(0.004) == "p = 0.004" and p_value_text(0.0123) == "p = 0.01"


# -- the generated traffic's product page experiment ---------------------------------------------------


@pytest.mark.parametrize("seed", [15])  # the seed with the weakest effect of 1 to 16
def test_the_generated_experiment_is_found_and_its_null_arm_is_not(seed):
    """The sandbox's traffic (5,000 users over eight weeks, as the sandbox generates it) and the shop
    plan's split test on its last seven days: B's known effect is found, C (no effect) is not flagged.
    (Measured on seeds 1 to 16: see docs/reports.md; one seed runs here, the sandbox's own in
    tests/sources/test_same_answers.py.)"""
    from datetime import date, timedelta

    from ga_goals.events import EventStore, generate
    from ga_goals.events.generator import PDP_TEST_PROPERTY
    from ga_goals.funnels import run_funnel
    from ga_goals.plan_file import load_plan
    from tests.conftest import CONFIGS

    plan = load_plan(CONFIGS / "shop.yaml", env={})
    [test] = plan.reports["weekly"].split_tests
    funnel = plan.funnels[test.funnel]
    assert test.by == f"customUser:{PDP_TEST_PROPERTY}"
    end = date(2026, 11, 29)
    with EventStore() as store:
        generate(store, end - timedelta(days=55), end, users=5000, seed=seed)
        found = run_funnel(store, funnel, end - timedelta(days=6), end, test.by, limit=BREAKDOWN_LIMIT_MAX)
    result = split_test_result(test, funnel, table(funnel, {r.breakdown: list(r.users) for r in found.rows}))
    rows = by_value(result)
    assert rows["B"].status == BETTER and rows["B"].difference > 0.08
    assert rows["C"].status == NO_DIFFERENCE
