"""apply() under faults: retries, lost responses (no duplicates), quotas, permissions, pacing."""

from __future__ import annotations

import re


import pytest

from ga_goals.changes import compute_plan
from ga_goals.changes.plan import Change, Plan
from ga_goals.errors import ApiError, QuotaExhausted
from ga_goals.ga4.admin import AdminGateway
from ga_goals.model import Condition, CustomDimension, CustomMetric, EventCreateRule, KeyEvent, PropertyState, Safety
from ga_goals.sandbox.faults import Fault
from ga_goals.sandbox.server import SandboxServer

from .conftest import PROPERTY, make_target, server_calls

STREAM = "properties/123/dataStreams/1"


def creates(*resources: object) -> Plan:
    return Plan(PROPERTY, [Change("create", r.KIND, r.label, desired=r) for r in resources])  # type: ignore[attr-defined]


def statuses(report: object) -> list[str]:
    return [r.status for r in report.results]  # type: ignore[attr-defined]


def test_write_retried_after_unavailable_twice(server: SandboxServer, gateway: AdminGateway) -> None:
    server.inject(Fault("CreateCustomMetric", code="UNAVAILABLE", times=2))
    report = gateway.apply(creates(CustomMetric("m", "M")))
    assert statuses(report) == ["applied"]
    assert server_calls(server)["CreateCustomMetric"] == 3
    assert gateway.calls["CreateCustomMetric"] == 3


@pytest.mark.parametrize("code", ["UNAVAILABLE", "DEADLINE_EXCEEDED"])
def test_lost_create_response_is_already_applied_without_duplicate(
    server: SandboxServer, gateway: AdminGateway, code: str
) -> None:
    server.inject(Fault("CreateKeyEvent", code=code, apply_first=True))
    report = gateway.apply(creates(KeyEvent("sign_up", "once_per_session")))
    assert statuses(report) == ["already_applied"] and report.complete
    result = report.results[0]
    assert result.message == "already in GA4: a retried request had succeeded"
    state = gateway.read_state()
    assert result.resource_name == state.key_events["sign_up"].resource_name
    calls = server_calls(server)
    assert calls["CreateKeyEvent"] == 2  # the lost one + the retry that got ALREADY_EXISTS
    assert calls["ListKeyEvents"] == 2  # one re-read to compare, one read_state above
    stored = [k for k in server.store.load("123")["key_events"] if k["event_name"] == "sign_up"]
    assert len(stored) == 1


def test_lost_responses_for_dimensions_and_metrics(server: SandboxServer, gateway: AdminGateway) -> None:
    server.inject(Fault("CreateCustomDimension", code="UNAVAILABLE", apply_first=True))
    server.inject(Fault("v1beta.CreateCustomMetric", code="DEADLINE_EXCEEDED", apply_first=True))
    report = gateway.apply(creates(CustomDimension("form_id", "event", "Form ID"), CustomMetric("m", "M")))
    assert statuses(report) == ["already_applied", "already_applied"]
    state = gateway.read_state()
    assert list(state.custom_dimensions) == [("event", "form_id")] and list(state.custom_metrics) == ["m"]


def test_lost_rule_create_response_makes_no_duplicate(server: SandboxServer, gateway: AdminGateway) -> None:
    # GA4 has no unique key for event create rules: a blind retry would create the rule twice.
    rule = EventCreateRule("x_done", (Condition("event_name", "equals", "x"),), stream=STREAM)
    gateway.read_state()
    server.reset_calls()
    server.inject(Fault("CreateEventCreateRule", code="UNAVAILABLE", apply_first=True))
    report = gateway.apply(creates(rule))
    assert statuses(report) == ["already_applied"]
    assert len(server.store.load("123")["event_create_rules"]) == 1
    calls = server_calls(server)
    assert calls == {"CreateEventCreateRule": 1, "ListEventCreateRules": 1}


def test_rule_create_retried_when_the_lost_attempt_did_not_land(server: SandboxServer, gateway: AdminGateway) -> None:
    rule = EventCreateRule("x_done", (Condition("event_name", "equals", "x"),), stream=STREAM)
    server.inject(Fault("CreateEventCreateRule", code="UNAVAILABLE"))  # fails before the work
    report = gateway.apply(creates(rule))
    assert statuses(report) == ["applied"]
    assert len(server.store.load("123")["event_create_rules"]) == 1
    assert server_calls(server)["CreateEventCreateRule"] == 2


@pytest.mark.parametrize("kind", ["dimension", "key_event"])
def test_lost_archive_or_delete_response(server: SandboxServer, gateway: AdminGateway, kind: str) -> None:
    if kind == "dimension":
        gateway.apply(creates(CustomDimension("d", "event", "D")))
        existing = gateway.read_state().custom_dimensions[("event", "d")]
        change, method = Change("archive", "custom_dimension", "event:d", existing=existing), "ArchiveCustomDimension"
    else:
        gateway.apply(creates(KeyEvent("k")))
        existing = gateway.read_state().key_events["k"]
        change, method = Change("delete", "key_event", "k", existing=existing), "DeleteKeyEvent"
    server.inject(Fault(method, code="UNAVAILABLE", apply_first=True))
    report = gateway.apply(Plan(PROPERTY, [change]))
    assert statuses(report) == ["already_applied"]
    assert report.results[0].message == "already done: a retried request had succeeded"
    assert server_calls(server)[method] == 2


def test_resource_exhausted_stops_with_the_partial_report(server: SandboxServer, gateway: AdminGateway) -> None:
    server.inject(Fault("CreateCustomMetric", code="RESOURCE_EXHAUSTED", message="rateLimitExceeded", times=0))
    plan = creates(KeyEvent("a"), KeyEvent("b"), CustomMetric("m", "M"), KeyEvent("c"))
    report = gateway.apply(plan)
    assert statuses(report) == ["applied", "applied", "failed", "not_attempted"]
    assert isinstance(report.error, QuotaExhausted)
    message = str(report.error)
    assert "quota exhausted" in message and "wait a minute and re-run" in message
    assert "2 changes were applied" in message
    assert report.results[2].message == message
    assert server_calls(server)["CreateCustomMetric"] == 1  # quota errors are not retried
    with pytest.raises(QuotaExhausted) as info:
        report.raise_for_error()
    assert info.value.report is report  # type: ignore[attr-defined]


@pytest.mark.sandbox(write_quota=(2, 60.0))
def test_the_server_write_quota_is_quota_exhausted(server: SandboxServer) -> None:
    # Pacing off (a huge budget): the sandbox's own quota of 2 writes a minute answers 429.
    with AdminGateway(make_target(server, writes_per_minute=1000)) as ga:
        report = ga.apply(creates(KeyEvent("a"), KeyEvent("b"), KeyEvent("c")))
    assert statuses(report) == ["applied", "applied", "failed"]
    assert isinstance(report.error, QuotaExhausted)
    assert "rateLimitExceeded" in str(report.error)


def test_permission_denied_on_write(server: SandboxServer, gateway: AdminGateway) -> None:
    server.inject(Fault("Create*", code="PERMISSION_DENIED", message="The caller does not have permission", times=0))
    report = gateway.apply(creates(KeyEvent("a")))
    assert statuses(report) == ["failed"]
    message = report.results[0].message
    assert message.startswith("create key event a: no access to property 123 (The caller does not have permission)")
    assert "Editor" in message
    assert type(report.error) is ApiError


def test_write_gives_up_after_the_retry_deadline(server: SandboxServer) -> None:
    server.inject(Fault("CreateKeyEvent", code="UNAVAILABLE", times=0))
    with AdminGateway(make_target(server, retry_deadline=0.2)) as ga:
        report = ga.apply(creates(KeyEvent("a"), KeyEvent("b")))
    assert statuses(report) == ["failed", "not_attempted"]
    message = report.results[0].message
    sent = server_calls(server)["CreateKeyEvent"]
    assert sent > 1
    # what really happened: the attempts the server saw, the time they took, the limit
    assert re.search(rf"did not answer: {sent} attempts over \d+\.\d s failed \(last error: .*UNAVAILABLE", message), message
    assert "no time left for another within the 0.2 s retry limit" in message
    # the last attempt may have landed: the message does not say it failed for sure
    assert report.results[0].message.endswith("it may have been applied, the next run checks")


def test_pacing_keeps_under_the_server_write_quota(server: SandboxServer) -> None:
    """The client's pacing and the server's quota on one fake clock: deterministic, no waiting."""
    from ga_goals.ga4.pacing import WriteLimiter
    from ga_goals.sandbox.server import WriteQuota
    from tests.fake_clock import FakeClock

    clock = FakeClock()
    server.quota = WriteQuota(3, 0.5, clock=clock)
    limiter = WriteLimiter(3, 0.5, clock=clock, sleep=clock.sleep)
    waits: list[float] = []
    with AdminGateway(make_target(server, writes_per_minute=3, write_window=0.5), limiter=limiter) as ga:
        start = clock()
        report = ga.apply(creates(*(KeyEvent(f"k{i}") for i in range(7))), on_wait=waits.append)
    assert report.complete, report.to_json()
    assert statuses(report) == ["applied"] * 7
    assert server_calls(server)["CreateKeyEvent"] == 7  # no RESOURCE_EXHAUSTED, no retry
    assert len(waits) == 2  # 3 writes, wait, 3 writes, wait, 1 write
    assert clock() - start == pytest.approx(sum(clock.sleeps)) and sum(clock.sleeps) >= 1.0
    assert report.paced_seconds == pytest.approx(sum(clock.sleeps))


def test_read_then_sync_then_re_sync_with_faults_everywhere(server: SandboxServer, gateway: AdminGateway) -> None:
    """Flaky network on every call: the sync still converges, with no duplicates."""
    server.inject(Fault("*", code="UNAVAILABLE", times=6))
    server.inject(Fault("Create*", code="UNAVAILABLE", apply_first=True, times=2))
    want = PropertyState(PROPERTY)
    for r in (KeyEvent("purchase"), KeyEvent("a"), CustomDimension("d", "user", "D"), CustomMetric("m", "M"),
              EventCreateRule("r_done", (Condition("event_name", "equals", "r"),))):
        want.add(r)
    safety = Safety(unmanaged="remove")
    report = gateway.apply(compute_plan(want, gateway.read_state(), safety=safety))
    assert report.complete, report.to_json()
    assert not compute_plan(want, gateway.read_state(), safety=safety).changes
    stored = server.store.load("123")
    assert len(stored["event_create_rules"]) == 1 and len(stored["custom_metrics"]) == 1
