"""read_state through the real clients against the sandbox: contents, RPC counts, pages, errors."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ga_goals.errors import ApiError, QuotaExhausted
from ga_goals.ga4.admin import AdminGateway
from ga_goals.model import Condition, CustomDimension, CustomMetric, EventCreateRule, KeyEvent, Mutation
from ga_goals.sandbox.faults import Fault
from ga_goals.sandbox.admin import AdminBackend
from ga_goals.sandbox.server import SandboxServer
from ga_goals.sandbox.store import SandboxStore

from .conftest import PROPERTY, make_target, server_calls

STREAM = "properties/123/dataStreams/1"


def seed(server: SandboxServer, kind: str, parent: str, **body: Any) -> dict[str, Any]:
    return server.backend.create(kind, parent, body)


def test_seeded_property(server: SandboxServer, gateway: AdminGateway) -> None:
    state = gateway.read_state()
    assert state.property == PROPERTY
    assert state.display_name == "Sandbox shop"
    assert state.service_level == "standard"
    assert [(s.resource_name, s.type, s.display_name, s.default_uri) for s in state.data_streams] == [
        (STREAM, "web", "Web", "https://shop.example.com")
    ]
    assert state.data_streams[0].measurement_id.startswith("G-")
    purchase = state.key_events["purchase"]
    assert (purchase.counting_method, purchase.custom, purchase.deletable) == ("once_per_event", False, False)
    assert not state.custom_dimensions and not state.custom_metrics and not state.event_create_rules


def test_a_read_is_eleven_rpcs(server: SandboxServer, gateway: AdminGateway) -> None:
    gateway.read_state()
    expected = {
        "GetProperty": 1,
        "ListKeyEvents": 1,
        "ListCustomDimensions": 1,
        "ListCustomMetrics": 1,
        "ListDataStreams": 1,
        "ListEventCreateRules": 1,
        "ListEventEditRules": 1,
        "ListCalculatedMetrics": 1,
        "ListChannelGroups": 1,
        "GetEnhancedMeasurementSettings": 1,
        "ListAudiences": 1,
    }
    assert server_calls(server) == expected
    assert dict(gateway.calls) == expected  # the client-side count agrees
    assert gateway.call_count == 11


def test_every_resource_kind_is_read(server: SandboxServer, gateway: AdminGateway) -> None:
    seed(server, "key_events", PROPERTY, event_name="sign_up", counting_method="ONCE_PER_SESSION",
         default_value={"numeric_value": 2.5, "currency_code": "EUR"})
    seed(server, "custom_dimensions", PROPERTY, parameter_name="tier", display_name="Tier", scope="USER",
         description="Customer tier", disallow_ads_personalization=True)
    seed(server, "custom_metrics", PROPERTY, parameter_name="cart_value", display_name="Cart value", scope="EVENT",
         measurement_unit="CURRENCY", restricted_metric_type=["REVENUE_DATA", "COST_DATA"])
    rule = {
        "destination_event": "newsletter_signup",
        "event_conditions": [
            {"field": "event_name", "comparison_type": "EQUALS", "value": "form_submit"},
            {"field": "page_location", "comparison_type": "REGULAR_EXPRESSION", "value": "/blog/.*", "negated": True},
        ],
        "source_copy_parameters": True,
        "parameter_mutations": [{"parameter": "origin", "parameter_value": "[[form_id]]"}],
    }
    first = seed(server, "event_create_rules", STREAM, **rule)
    second = seed(server, "event_create_rules", STREAM, **{**rule, "source_copy_parameters": False})
    state = gateway.read_state()

    ke = state.key_events["sign_up"]
    assert ke == KeyEvent("sign_up", "once_per_session", 2.5, "EUR")
    assert ke.resource_name and ke.custom
    assert state.custom_dimensions[("user", "tier")] == CustomDimension("tier", "user", "Tier", "Customer tier", True)
    assert state.custom_metrics["cart_value"] == CustomMetric(
        "cart_value", "Cart value", "", "currency", ("cost_data", "revenue_data")
    )
    conditions = (
        Condition("event_name", "equals", "form_submit"),
        Condition("page_location", "regular_expression", "/blog/.*", True),
    )
    mutations = (Mutation("origin", "[[form_id]]"),)
    rules = state.event_create_rules
    assert rules[(STREAM, "newsletter_signup", 0)] == EventCreateRule(
        "newsletter_signup", conditions, True, mutations, STREAM, 0
    )
    assert rules[(STREAM, "newsletter_signup", 0)].resource_name == first["name"]
    assert rules[(STREAM, "newsletter_signup", 1)].resource_name == second["name"]
    assert rules[(STREAM, "newsletter_signup", 1)].copy_parameters is False


def test_rules_are_read_per_web_stream(server: SandboxServer, gateway: AdminGateway) -> None:
    web2 = server.store.add_data_stream("123", type="web", display_name="Blog")
    server.store.add_data_stream("123", type="android")
    server.store.add_data_stream("123", type="ios")
    cond = [{"field": "event_name", "comparison_type": "EQUALS", "value": "x"}]
    seed(server, "event_create_rules", web2, destination_event="blog_read", event_conditions=cond)
    state = gateway.read_state()
    assert sorted(s.type for s in state.data_streams) == ["android", "ios", "web", "web"]
    assert list(state.event_create_rules) == [(web2, "blog_read", 0)]
    assert server_calls(server)["ListEventCreateRules"] == 2  # web streams only
    assert server_calls(server)["ListEventEditRules"] == 2
    assert server_calls(server)["GetEnhancedMeasurementSettings"] == 2  # web streams only
    assert sorted(state.enhanced_measurement) == sorted([STREAM, web2])
    assert gateway.call_count == 14


@pytest.fixture(scope="module")
def big_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 360 property with 250 custom dimensions (125 event + 100 user + 25 item), 125 metrics
    and 50 key events, seeded once per module."""
    directory = tmp_path_factory.mktemp("big") / "sandbox"
    store = SandboxStore(directory)
    store.ensure_property("123", service_level="360")
    backend = AdminBackend(store)
    for scope, n in (("EVENT", 125), ("USER", 100), ("ITEM", 25)):
        for i in range(n):
            backend.create("custom_dimensions", PROPERTY, {
                "parameter_name": f"{scope.lower()}_d{i}", "display_name": f"D {scope} {i}", "scope": scope})
    for i in range(125):
        backend.create("custom_metrics", PROPERTY, {
            "parameter_name": f"m{i}", "display_name": f"M {i}", "scope": "EVENT", "measurement_unit": "STANDARD"})
    for i in range(49):
        backend.create("key_events", PROPERTY, {"event_name": f"k{i}", "counting_method": "ONCE_PER_EVENT"})
    return directory


@pytest.fixture
def big_property(big_state: Path, tmp_path: Path) -> Iterator[SandboxServer]:
    directory = tmp_path / "big"
    shutil.copytree(big_state, directory)
    with SandboxServer(directory) as server:
        yield server


def test_lists_follow_pages(big_property: SandboxServer) -> None:
    server = big_property
    with AdminGateway(make_target(server)) as ga:
        state = ga.read_state()
    assert state.service_level == "360"
    assert len(state.custom_dimensions) == 250
    assert len(state.custom_metrics) == 125
    assert len(state.key_events) == 50
    calls = server_calls(server)
    assert calls["ListCustomDimensions"] == 2  # 200 + 50
    assert calls["ListCustomMetrics"] == 1 and calls["ListKeyEvents"] == 1
    assert sum(calls.values()) == 12


def test_a_failing_second_page_is_retried(big_property: SandboxServer) -> None:
    server = big_property
    server.inject(Fault("ListCustomDimensions", code="UNAVAILABLE", after=1, times=1))
    with AdminGateway(make_target(server)) as ga:
        state = ga.read_state()
    assert len(state.custom_dimensions) == 250
    assert server_calls(server)["ListCustomDimensions"] == 3


def test_unavailable_twice_then_success(server: SandboxServer, gateway: AdminGateway) -> None:
    server.inject(Fault("ListKeyEvents", code="UNAVAILABLE", times=2))
    server.inject(Fault("GetProperty", code="DEADLINE_EXCEEDED", times=1))
    state = gateway.read_state()
    assert "purchase" in state.key_events
    calls = server_calls(server)
    assert calls["ListKeyEvents"] == 3 and calls["GetProperty"] == 2
    assert gateway.calls["ListKeyEvents"] == 3


def test_gives_up_after_the_retry_deadline(server: SandboxServer) -> None:
    server.inject(Fault("ListCustomMetrics", code="UNAVAILABLE", times=0))
    with AdminGateway(make_target(server, retry_deadline=0.3)) as ga:
        for _ in range(2):  # the same call again: counted afresh, not added to the first
            server.reset_calls()
            with pytest.raises(ApiError) as info:
                ga.read_state()
            sent = server_calls(server)["ListCustomMetrics"]
            assert sent > 1
            assert f"did not answer: {sent} attempts over " in str(info.value)
            assert "no time left for another within the 0.3 s retry limit" in str(info.value)


def test_errors_that_are_not_retried(server: SandboxServer, gateway: AdminGateway) -> None:
    server.inject(Fault("ListKeyEvents", code="INVALID_ARGUMENT", times=0))
    with pytest.raises(ApiError, match="the sandbox refused it"):
        gateway.read_state()
    assert server_calls(server)["ListKeyEvents"] == 1


def test_unknown_property(server: SandboxServer) -> None:
    with AdminGateway(make_target(server, property="properties/999")) as ga:
        with pytest.raises(ApiError, match=r"^property 999 does not exist in the sandbox server .*sandbox serve --property 999"):
            ga.read_state()


def test_unknown_property_on_google_names_the_access_fix() -> None:
    from google.api_core import exceptions as gexc

    from ga_goals.ga4.errors import map_error

    error = map_error(gexc.NotFound("Requested entity was not found."), prop="properties/999", reading=True)
    assert str(error).startswith("property 999 not found (or no access)")
    assert "Property access management" in str(error)


def test_permission_denied(server: SandboxServer, gateway: AdminGateway) -> None:
    server.inject(Fault("GetProperty", code="PERMISSION_DENIED", message="User does not have sufficient permissions for this property."))
    with pytest.raises(ApiError) as info:
        gateway.read_state()
    message = str(info.value)
    assert message.startswith("no access to property 123 (User does not have sufficient permissions")
    assert "Viewer" in message and "Editor" in message and "Property access management" in message
    assert not isinstance(info.value, QuotaExhausted)


def test_read_quota_exhausted(server: SandboxServer, gateway: AdminGateway) -> None:
    server.inject(Fault("ListDataStreams", code="RESOURCE_EXHAUSTED", times=0))
    with pytest.raises(QuotaExhausted, match="wait a minute"):
        gateway.read_state()


def test_a_slow_answer_times_out_and_is_retried(server: SandboxServer) -> None:
    server.inject(Fault("GetProperty", code="OK", latency=0.5))  # the first call hangs past the timeout
    with AdminGateway(make_target(server, timeout=0.2)) as ga:
        state = ga.read_state()
    assert state.display_name == "Sandbox shop"
    assert ga.calls["GetProperty"] == 2
