"""DataGateway through the real google-analytics-data clients, against a tiny in-test gRPC server.

The server (tests/ga4/fake_data_api.py) registers the real service names and proto classes, so
it receives exactly what the clients send; the real GA4 responses are served back through it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import grpc
import pytest
from google.analytics import data_v1alpha as alpha
from google.analytics import data_v1beta as beta

from ga_goals.errors import ApiError, CredentialsError, QuotaExhausted
from ga_goals.ga4 import Target
from ga_goals.ga4.data import DataGateway
from ga_goals.model import Funnel, FunnelStep, StepFilter
from ga_goals.reports.periods import DateSpan
from ga_goals.sources.results import NO_CAVEATS, Caveats, Sampling
from tests.conftest import GA4_DATA
from tests.ga4.fake_data_api import FakeDataApi

CURRENT = DateSpan("current", date(2026, 11, 18), date(2026, 11, 24))
PREVIOUS = DateSpan("previous", date(2026, 11, 11), date(2026, 11, 17))
CHECKOUT = Funnel(
    name="checkout",
    title="Checkout",
    steps=(
        FunnelStep(name="View", event="view_item"),
        FunnelStep(name="Cart", event="add_to_cart", within_seconds=3600),
        FunnelStep(name="Buy", event="purchase", filters=(StepFilter("value", "greater_than", 0.0),)),
    ),
    breakdown="deviceCategory",
    breakdown_limit=2,
)


@pytest.fixture
def fake() -> Iterator[FakeDataApi]:
    with FakeDataApi() as server:
        yield server


@pytest.fixture
def gateway(fake: FakeDataApi) -> Iterator[DataGateway]:
    target = Target("properties/42", sandbox_address=fake.address, timeout=5, retry_initial=0.01, retry_deadline=3)
    with DataGateway(target) as gw:
        yield gw


def test_run_funnel_sends_the_request_and_parses_the_answer(fake: FakeDataApi, gateway: DataGateway):
    table = gateway.run_funnel(CHECKOUT, [CURRENT, PREVIOUS])
    (request,) = fake.requests_of("RunFunnelReport")
    assert request.property == "properties/42"
    assert [s.name for s in request.funnel.steps] == ["View", "Cart", "Buy"]
    assert request.funnel.steps[1].within_duration_from_prior_step.total_seconds() == 3600
    assert request.funnel_breakdown.limit == 2
    assert [r.name for r in request.date_ranges] == ["current", "previous"]
    assert request.return_property_quota
    assert table.users("current") == [1000, 550, 303]
    assert table.users("previous") == [800, 440, 242]
    assert table.breakdown_values == ("desktop", "mobile")
    assert table.users("current", breakdown="mobile") == [300, 165, 91]
    assert gateway.calls == {"RunFunnelReport": 1}
    assert gateway.quota.funnel_tokens == 7 and gateway.quota.core_tokens == 0


def test_the_live_response_through_the_real_client(fake: FakeDataApi, gateway: DataGateway):
    live = alpha.RunFunnelReportResponse.from_json((GA4_DATA / "run-funnel-report.live.response.json").read_text(), ignore_unknown_fields=True)
    fake.handlers["RunFunnelReport"] = lambda request: live
    funnel = Funnel(name="paid", title="Paid", steps=tuple(FunnelStep(name=n, event="page_view") for n in ("Viewed a paid item", "Submitted checkout", "Redirected to payment/order", "Paid")))
    table = gateway.run_funnel(funnel, [CURRENT])
    assert table.users("current") == [7, 2, 2, 0]
    assert table.steps("current")[0].completion_rate == pytest.approx(0.2857142857142857)
    assert gateway.quota.responses_without_quota == 1


def test_key_event_totals_are_one_batch_call(fake: FakeDataApi, gateway: DataGateway):
    events, site = gateway.event_totals(["purchase", "sign_up"], [CURRENT, PREVIOUS])
    assert fake.calls == {"BatchRunReports": 1}
    (batch,) = fake.requests_of("BatchRunReports")
    assert batch.property == "properties/42" and len(batch.requests) == 2
    assert events.lookup(eventName="sign_up", dateRange="current")["eventCount"] == 200
    assert events.lookup(eventName="purchase", dateRange="previous")["eventCount"] == 80
    assert site.lookup(dateRange="current")["sessions"] == 1500
    assert gateway.quota.core_tokens == 14


def test_batches_hold_at_most_five_requests(fake: FakeDataApi, gateway: DataGateway):
    from ga_goals.ga4.data import site_totals_request

    tables = gateway.batch_run_reports([site_totals_request([CURRENT]) for _ in range(7)], date_ranges=["current"])
    assert len(tables) == 7
    assert [len(r.requests) for r in fake.requests_of("BatchRunReports")] == [5, 2]
    assert gateway.calls == {"BatchRunReports": 2}


def test_micro_lift_sends_a_baseline_and_one_micro_then_macro_funnel_per_micro(fake: FakeDataApi, gateway: DataGateway):
    micros = [f"micro_{i}" for i in range(9)]
    lift = gateway.micro_lift("purchase", micros, [CURRENT, PREVIOUS])
    requests = fake.requests_of("RunFunnelReport")
    assert len(requests) == 1 + 9  # the baseline, then one funnel per micro conversion
    sent = sorted([s.filter_expression.funnel_event_filter.event_name for s in r.funnel.steps] for r in requests)
    assert sent == sorted([["session_start", "purchase"]] + [[m, "purchase"] for m in micros])
    assert all(not r.segments and not r.funnel.is_open_funnel and "funnel_breakdown" not in r for r in requests)
    assert all([d.name for d in r.date_ranges] == ["current", "previous"] for r in requests)
    assert lift.baseline.users("current") == [1000, 550]
    assert list(lift.micros) == micros
    micro = lift.micro("micro_3")
    assert micro is not None and micro.step_names == ("micro_3", "purchase")
    assert micro.users("current") == fake.step_users(2, fake._factor(0, "micro_3"), 1.6)
    assert gateway.calls == {"RunFunnelReport": 10}


def test_response_metadata_becomes_caveats(fake: FakeDataApi, gateway: DataGateway):
    """Thresholding, sampling per date range and the "(other)" row reach the parsed tables; a
    response that says nothing has no caveat."""
    plain = gateway.run_funnel(CHECKOUT, [CURRENT, PREVIOUS])
    assert not plain.caveats and plain.caveats == NO_CAVEATS
    funnel_response = fake.run_funnel_report

    def sampled(request):
        response = funnel_response(request)
        response.funnel_table.metadata = alpha.FunnelResponseMetadata(
            sampling_metadatas=[
                alpha.SamplingMetadata(samples_read_count=250, sampling_space_size=1000),
                alpha.SamplingMetadata(samples_read_count=500, sampling_space_size=1000),
            ]
        )
        return response

    fake.handlers["RunFunnelReport"] = sampled
    table = gateway.run_funnel(CHECKOUT, [CURRENT, PREVIOUS])
    assert table.caveats == Caveats(sampling=(Sampling("current", 250, 1000), Sampling("previous", 500, 1000)))
    assert [s.share for s in table.caveats.sampling] == [0.25, 0.5]
    batch_response = fake.batch_run_reports

    def thresholded(request):
        response = batch_response(request)
        response.reports[0].metadata = beta.ResponseMetaData(subject_to_thresholding=True, data_loss_from_other_row=True)
        response.reports[1].metadata = beta.ResponseMetaData(subject_to_thresholding=True)
        return response

    fake.handlers["BatchRunReports"] = thresholded
    events, site = gateway.event_totals(["purchase"], [CURRENT, PREVIOUS])
    assert events.caveats == Caveats(thresholded=True, other_row=True)
    assert site.caveats == Caveats(thresholded=True)


def test_transient_errors_are_retried(fake: FakeDataApi, gateway: DataGateway):
    fake.faults += [("RunFunnelReport", grpc.StatusCode.UNAVAILABLE, "try again")] * 2
    table = gateway.run_funnel(CHECKOUT, [CURRENT])
    assert table.users("current")[0] == 1000
    assert fake.calls["RunFunnelReport"] == 3 and gateway.calls == {"RunFunnelReport": 3}


def test_quota_exhausted_is_not_retried(fake: FakeDataApi, gateway: DataGateway):
    fake.faults.append(("RunFunnelReport", grpc.StatusCode.RESOURCE_EXHAUSTED, "Exhausted property tokens per hour."))
    with pytest.raises(QuotaExhausted, match="Data API quota exhausted for property 42.*Exhausted property tokens per hour.*in an hour"):
        gateway.run_funnel(CHECKOUT, [CURRENT])
    assert fake.calls["RunFunnelReport"] == 1


@pytest.mark.parametrize(
    "code, message, error, match",
    [
        (grpc.StatusCode.PERMISSION_DENIED, "User does not have sufficient permissions for this property.", ApiError, "no access to property 42.*Viewer"),
        (grpc.StatusCode.PERMISSION_DENIED, "Request had insufficient authentication scopes.", CredentialsError, "analytics.readonly"),
        (grpc.StatusCode.NOT_FOUND, "Property not found", ApiError, "property 42 .*not found|does not exist"),
        (grpc.StatusCode.INVALID_ARGUMENT, "Field deviceCategoryy is not a valid dimension.", ApiError, "funnel report 'checkout'.*the sandbox refused it: Field deviceCategoryy"),
    ],
)
def test_errors_become_clear_messages(fake: FakeDataApi, gateway: DataGateway, code, message, error, match):
    fake.faults.append(("RunFunnelReport", code, message))
    with pytest.raises(error, match=match):
        gateway.run_funnel(CHECKOUT, [CURRENT])
    assert fake.calls["RunFunnelReport"] == 1


def test_a_batch_of_six_is_refused_by_the_server_as_ga4_does(fake: FakeDataApi, gateway: DataGateway):
    from google.analytics import data_v1beta as beta

    request = beta.BatchRunReportsRequest(property="properties/42", requests=[beta.RunReportRequest()] * 6)
    with pytest.raises(ApiError, match="at most 5"):
        gateway._call(gateway._clients.beta.batch_run_reports, request, "a batch")


def test_property_settings_and_metadata(fake: FakeDataApi, gateway: DataGateway):
    settings = gateway.property_settings()
    assert (settings.time_zone, settings.currency, settings.display_name) == ("America/Los_Angeles", "EUR", "Fake shop")
    gateway.property_settings()  # cached
    assert gateway.admin_calls == {"GetProperty": 1}
    meta = gateway.metadata()
    assert "customEvent:form_id" in meta.dimensions and "eventValue" in meta.metrics
    assert fake.requests_of("GetMetadata")[0].name == "properties/42/metadata"
    assert gateway.calls == {"GetMetadata": 1}


def test_parallel_calls_raise_the_first_error_in_order(fake: FakeDataApi, gateway: DataGateway):
    fake.faults.append(("BatchRunReports", grpc.StatusCode.RESOURCE_EXHAUSTED, "Exhausted"))
    jobs = [lambda: gateway.run_funnel(CHECKOUT, [CURRENT]), lambda: gateway.event_totals(["purchase"], [CURRENT])]
    with pytest.raises(QuotaExhausted, match="key-event totals"):
        gateway.run_all(jobs)


def test_an_unreachable_server_fails_after_the_retry_deadline():
    target = Target("properties/42", sandbox_address="127.0.0.1:9", timeout=0.5, retry_initial=0.01, retry_deadline=0.3)
    with DataGateway(target) as gateway, pytest.raises(ApiError, match=r"did not answer: \d+ attempts over \d+\.\d s failed .*no time left for another within the 0\.3 s retry limit"):
        gateway.run_funnel(CHECKOUT, [CURRENT])
