"""Per-step metrics (rule 7): the derivations of docs/funnel-semantics.md §5, checked against the live GA4 response."""

from __future__ import annotations

import json
from datetime import date

import pytest

from ga_goals.funnels import FunnelResult, FunnelRow, StepMetrics, step_metrics

from tests.conftest import GA4_DATA  # noqa: E402

LIVE = GA4_DATA / "run-funnel-report.live.response.json"


@pytest.fixture(scope="module")
def live() -> dict:
    return json.loads(LIVE.read_text())


def test_the_live_response_follows_the_derivation(live):
    """4 requested steps, the 4th without users: the rows GA4 returned are exactly ours."""
    rows = live["funnelTable"]["rows"]
    names = [r["dimensionValues"][0]["value"].split(". ", 1)[1] for r in rows] + ["Fourth step"]
    users = [int(r["metricValues"][0]["value"]) for r in rows] + [0]
    ours = [m for m in step_metrics(names, users) if m.active_users > 0]
    assert len(ours) == len(rows) == 3
    for metric, row in zip(ours, rows):
        values = [v["value"] for v in row["metricValues"]]
        assert metric.label == row["dimensionValues"][0]["value"]
        assert metric.active_users == int(values[0])
        assert metric.completion_rate == pytest.approx(float(values[1]), abs=1e-15)
        assert metric.abandonments == int(values[2])
        assert metric.abandonment_rate == pytest.approx(float(values[3]), abs=1e-15)


def test_the_formulas():
    m = step_metrics(["a", "b", "c"], [10, 4, 1])
    assert m[0] == StepMetrics(1, "a", 10, 0.4, 6, 0.6)
    assert m[1] == StepMetrics(2, "b", 4, 0.25, 3, 0.75)
    # the true final step: everyone there completed the funnel (decided; not in the live data)
    assert m[2] == StepMetrics(3, "c", 1, 1.0, 0, 0.0)
    for row in m:
        assert row.completion_rate + row.abandonment_rate == pytest.approx(1.0)


def test_last_step_with_users_before_an_empty_requested_step():
    m = step_metrics(["a", "b", "c"], [5, 2, 0])
    assert (m[1].completion_rate, m[1].abandonments, m[1].abandonment_rate) == (0.0, 2, 1.0)
    assert m[2] == StepMetrics(3, "c", 0, 0.0, 0, 0.0)


def test_open_funnels_use_the_continued_counts():
    # open: step 2 has more users than step 1; 3 of the 5 at step 1 went on
    m = step_metrics(["a", "b"], [5, 8], continued=[3, 0])
    assert (m[0].completion_rate, m[0].abandonments, m[0].abandonment_rate) == (0.6, 2, 0.4)
    assert m[1].completion_rate == 1.0


def test_mismatched_lengths():
    with pytest.raises(ValueError):
        step_metrics(["a"], [1, 2])
    with pytest.raises(ValueError):
        step_metrics(["a", "b"], [1, 2], continued=[1])


def test_result_helpers():
    total = FunnelRow(None, (10, 5, 0), (5, 0, 0))
    mobile = FunnelRow("mobile", (6, 2, 0), (2, 0, 0))
    result = FunnelResult(
        "f", ("a", "b", "c"), date(2024, 1, 1), date(2024, 1, 7), False, total, "deviceCategory", (mobile,)
    )
    assert result.users == (10, 5, 0)
    assert result.overall_conversion() == 0.0
    assert result.overall_conversion(mobile) == 0.0
    assert [m.label for m in result.reported()] == ["1. a", "2. b"]
    assert result.reported()[-1].abandonment_rate == 1.0
    assert result.row_for("mobile") is mobile and result.row_for("tablet") is None
    assert total.is_total and not mobile.is_total
