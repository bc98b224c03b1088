"""Per-tier limits, archive semantics, pagination and page tokens."""

from __future__ import annotations

import pytest
from google.api_core import exceptions as ex

from .conftest import P, P360, PARENT, PARENT360


def fill(sandbox, kind, parent, count, make):
    """Create ``count`` resources through the backend (the same code path, without gRPC round trips)."""
    return [sandbox.backend.create(kind, parent, make(i))["name"] for i in range(count)]


def key_event(i):
    return {"event_name": f"event_{i}", "counting_method": "ONCE_PER_EVENT"}


def dimension(scope):
    return lambda i: {"parameter_name": f"{scope.lower()}_p{i}", "display_name": f"D {i}", "scope": scope}


def metric(i):
    return {"parameter_name": f"metric_{i}", "display_name": f"M {i}", "measurement_unit": "STANDARD", "scope": "EVENT"}


LIMIT_CASES = [
    # (id, property, kind, make, limit, what the message says)
    ("key-events-standard", P, "key_events", key_event, 30, "30 custom key events"),
    ("key-events-360", P360, "key_events", key_event, 50, "50 custom key events"),
    ("event-dims-standard", P, "custom_dimensions", dimension("EVENT"), 50, "50 event-scoped custom dimensions"),
    ("event-dims-360", P360, "custom_dimensions", dimension("EVENT"), 125, "125 event-scoped"),
    ("user-dims-standard", P, "custom_dimensions", dimension("USER"), 25, "25 user-scoped"),
    ("user-dims-360", P360, "custom_dimensions", dimension("USER"), 100, "100 user-scoped"),
    ("item-dims-standard", P, "custom_dimensions", dimension("ITEM"), 10, "10 item-scoped"),
    ("item-dims-360", P360, "custom_dimensions", dimension("ITEM"), 25, "25 item-scoped"),
    ("metrics-standard", P, "custom_metrics", metric, 50, "50 custom metrics"),
    ("metrics-360", P360, "custom_metrics", metric, 125, "125 custom metrics"),
]
CREATE = {
    "key_events": ("create_key_event", "key_event"),
    "custom_dimensions": ("create_custom_dimension", "custom_dimension"),
    "custom_metrics": ("create_custom_metric", "custom_metric"),
}


@pytest.mark.parametrize(("pid", "kind", "make", "limit", "message"), [c[1:] for c in LIMIT_CASES], ids=[c[0] for c in LIMIT_CASES])
def test_limits_per_tier(sandbox, beta, pid, kind, make, limit, message):
    parent = f"properties/{pid}"
    names = fill(sandbox, kind, parent, limit - 1, make)
    method, field = CREATE[kind]
    getattr(beta, method)(request={"parent": parent, field: make(limit - 1)})  # the last slot, through the client
    with pytest.raises(ex.FailedPrecondition) as caught:
        getattr(beta, method)(request={"parent": parent, field: make(limit)})
    assert "Limit reached" in caught.value.message and message in caught.value.message
    if kind == "key_events":
        beta.delete_key_event(name=names[0])
    else:
        getattr(beta, method.replace("create", "archive"))(name=names[0])
    getattr(beta, method)(request={"parent": parent, field: make(limit)})  # the freed slot


def test_default_key_events_do_not_count(sandbox, beta):
    fill(sandbox, "key_events", PARENT, 30, key_event)
    with pytest.raises(ex.FailedPrecondition):
        beta.create_key_event(parent=PARENT, key_event=key_event(30))
    first_open = beta.create_key_event(parent=PARENT, key_event={"event_name": "first_open", "counting_method": 1})
    assert first_open.custom is False


def test_dimension_scopes_have_separate_limits(sandbox, beta):
    fill(sandbox, "custom_dimensions", PARENT, 10, dimension("ITEM"))
    with pytest.raises(ex.FailedPrecondition):
        beta.create_custom_dimension(parent=PARENT, custom_dimension=dimension("ITEM")(10))
    beta.create_custom_dimension(parent=PARENT, custom_dimension=dimension("EVENT")(0))


def test_event_create_rule_limit_is_per_property(sandbox, alpha, streams):
    rule = {"destination_event": "made", "event_conditions": [{"field": "event_name", "comparison_type": "EQUALS", "value": "x"}]}
    for i in range(25):
        sandbox.backend.create("event_create_rules", streams.web, rule)
        sandbox.backend.create("event_create_rules", streams.web2, rule)
    with pytest.raises(ex.FailedPrecondition, match="50 event create rules"):
        alpha.create_event_create_rule(parent=streams.web, event_create_rule=rule)
    alpha.create_event_create_rule(parent=streams.web360, event_create_rule=rule)  # another property


def test_archive_hides_and_burns(beta):
    made = beta.create_custom_dimension(
        parent=PARENT, custom_dimension={"parameter_name": "form_id", "display_name": "Form", "scope": "EVENT"}
    )
    beta.archive_custom_dimension(name=made.name)
    assert list(beta.list_custom_dimensions(parent=PARENT)) == []
    with pytest.raises(ex.FailedPrecondition, match="archived"):
        beta.create_custom_dimension(
            parent=PARENT, custom_dimension={"parameter_name": "form_id", "display_name": "Form", "scope": "EVENT"}
        )
    # The name is burned per scope: the same parameter in USER scope is a different dimension.
    beta.create_custom_dimension(
        parent=PARENT, custom_dimension={"parameter_name": "form_id", "display_name": "Form", "scope": "USER"}
    )
    # ...and per property.
    beta.create_custom_dimension(
        parent=PARENT360, custom_dimension={"parameter_name": "form_id", "display_name": "Form", "scope": "EVENT"}
    )


def test_pagination_with_small_pages(beta, sandbox):
    names = [f"properties/{P}/keyEvents/2"] + fill(sandbox, "key_events", PARENT, 4, key_event)
    pages = list(beta.list_key_events(request={"parent": PARENT, "page_size": 2}).pages)
    assert [len(p.key_events) for p in pages] == [2, 2, 1]
    assert all(p.next_page_token for p in pages[:-1]) and pages[-1].next_page_token == ""
    assert [k.name for p in pages for k in p.key_events] == names
    assert sandbox.calls["v1beta.ListKeyEvents"] == 3


def test_pagination_default_and_maximum(beta, sandbox):
    for scope, count in (("EVENT", 125), ("USER", 100), ("ITEM", 25)):
        fill(sandbox, "custom_dimensions", PARENT360, count, dimension(scope))
    everything = list(beta.list_custom_dimensions(parent=PARENT360))
    assert len(everything) == 250
    ids = [int(d.name.rsplit("/", 1)[1]) for d in everything]
    assert ids == sorted(ids)  # creation order
    assert sandbox.calls["v1beta.ListCustomDimensions"] == 5  # 50 per page by default

    pages = list(beta.list_custom_dimensions(request={"parent": PARENT360, "page_size": 250}).pages)
    assert [len(p.custom_dimensions) for p in pages] == [200, 50]  # coerced to 200
    assert [d.name for p in pages for d in p.custom_dimensions] == [d.name for d in everything]


def test_pages_survive_deletions_between_calls(beta, sandbox):
    names = fill(sandbox, "key_events", PARENT, 5, key_event)
    first = beta.list_key_events(request={"parent": PARENT, "page_size": 3})._response
    assert [k.name for k in first.key_events][1:] == names[:2]
    beta.delete_key_event(name=names[1])  # already returned
    second = beta.list_key_events(request={"parent": PARENT, "page_size": 3, "page_token": first.next_page_token})
    assert [k.name for k in second] == names[2:]


@pytest.mark.parametrize(
    "method,parent",
    [
        ("list_custom_dimensions", PARENT),  # another collection
        ("list_key_events", PARENT360),  # another property
    ],
)
def test_page_token_misuse(beta, sandbox, method, parent):
    fill(sandbox, "key_events", PARENT, 3, key_event)
    token = beta.list_key_events(request={"parent": PARENT, "page_size": 1})._response.next_page_token
    assert token
    with pytest.raises(ex.InvalidArgument, match="page_token is invalid for this request"):
        list(getattr(beta, method)(request={"parent": parent, "page_token": token}))


def test_tampered_page_token(beta, sandbox):
    fill(sandbox, "key_events", PARENT, 3, key_event)
    token = beta.list_key_events(request={"parent": PARENT, "page_size": 1})._response.next_page_token
    body, sig = token.split(".")
    with pytest.raises(ex.InvalidArgument, match="page_token .* is invalid"):
        list(beta.list_key_events(request={"parent": PARENT, "page_token": body[:-1] + "A." + sig}))


def test_list_properties_pages(beta, sandbox):
    for pid in range(3000, 3005):
        sandbox.store.ensure_property(str(pid))
    pages = list(beta.list_properties(request={"filter": "parent:accounts/100000", "page_size": 3}).pages)
    assert [len(p.properties) for p in pages] == [3, 3, 1]
