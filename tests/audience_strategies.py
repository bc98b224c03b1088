"""Hypothesis strategies for audiences a plan may declare (valid under ``validate``'s rules), used
by the round-trip tests: model -> proto -> model, model -> pull's YAML -> loaded plan, model ->
the sandbox's request dict."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from ga_goals.model.audiences import (
    Audience,
    AudienceClause,
    AudienceCondition,
    AudienceTrigger,
    EventFilter,
    FieldFilter,
    SequenceStep,
    window_filter,
)

#: Events GA4 collects or recommends (validate accepts them without a declaration).
EVENTS = ("page_view", "view_item", "add_to_cart", "begin_checkout", "purchase", "sign_up", "view_cart", "login")
DIMENSIONS = ("deviceCategory", "firstUserMedium", "country", "customUser:tier", "pageLocation", "eventCount", "sessions")
PARAMETERS = ("value", "currency", "content_type", "form_id", "eventCount")
REGEXES = ("[a-z]+", "^https://[^/]+/sale/.*", "a|b", "(?i)vip")
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12)
NUMBER = st.one_of(st.integers(-10**6, 10**6), st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False))
SCOPES = ("user", "session", "event")


def _json(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True, default=str)


@st.composite
def field_filters(draw: st.DrawFn, names: tuple[str, ...] = DIMENSIONS, scope: str = "user") -> FieldFilter:
    name = draw(st.sampled_from(names))
    op = draw(st.sampled_from(("equals", "contains", "starts_with", "ends_with", "matches", "in", "less_than",
                               "greater_than", "between", "equals_number")))
    value: Any
    case_sensitive = True
    if op == "equals_number":
        op, value = "equals", draw(NUMBER)
    elif op in ("less_than", "greater_than"):
        value = draw(NUMBER)
    elif op == "between":
        low, high = sorted((draw(NUMBER), draw(NUMBER)))
        value = (low, high)
    elif op == "in":
        value = tuple(draw(st.lists(TEXT, min_size=1, max_size=4, unique=True)))
        case_sensitive = draw(st.booleans())
    elif op == "matches":
        value = draw(st.sampled_from(REGEXES))
        case_sensitive = draw(st.booleans())
    else:
        value = draw(TEXT)
        case_sensitive = draw(st.booleans())
    user = scope == "user"
    return FieldFilter(
        field=name,
        op=op,
        value=value,
        case_sensitive=case_sensitive,
        negated=draw(st.booleans()),
        in_last_days=draw(st.one_of(st.none(), st.integers(1, 60))) if user else None,
        at_any_point=draw(st.booleans()) if user else False,
    )


@st.composite
def event_filters(draw: st.DrawFn, scope: str = "user") -> EventFilter:
    event = draw(st.sampled_from(EVENTS))
    kind = draw(st.sampled_from(("plain", "window", "where") if scope == "user" else ("plain", "where")))
    if kind == "plain":
        return EventFilter(event)
    if kind == "window":
        return EventFilter(event, (window_filter(draw(st.integers(1, 60))),))
    filters = draw(st.lists(field_filters(PARAMETERS, scope), min_size=1, max_size=3, unique_by=lambda f: _json(f.to_json())))
    return EventFilter(event, tuple(filters))


def leaves(scope: str) -> st.SearchStrategy[Any]:
    return st.one_of(event_filters(scope), field_filters(DIMENSIONS, scope))


@st.composite
def conditions(draw: st.DrawFn, scope: str = "user") -> AudienceCondition:
    groups = draw(
        st.lists(
            st.lists(leaves(scope), min_size=1, max_size=3, unique_by=lambda x: _json(x.to_json())),
            min_size=1,
            max_size=3,
            unique_by=lambda g: _json([x.to_json() for x in g]),
        )
    )
    return AudienceCondition(tuple(tuple(g) for g in groups))


DURATIONS = st.one_of(st.none(), st.integers(1, 10**7))


@st.composite
def clauses(draw: st.DrawFn, exclude: bool) -> AudienceClause:
    scope = draw(st.sampled_from(SCOPES))
    if draw(st.booleans()):
        return AudienceClause(exclude=exclude, scope=scope, condition=draw(conditions(scope)))
    steps = []
    for _ in range(draw(st.integers(1, 3))):
        step_scope = draw(st.sampled_from(SCOPES))
        steps.append(SequenceStep(draw(conditions(step_scope)), step_scope, draw(DURATIONS), draw(st.booleans())))
    return AudienceClause(exclude=exclude, scope=scope, steps=tuple(steps), within_seconds=draw(DURATIONS))


@st.composite
def audiences(draw: st.DrawFn, name: str = "Generated audience") -> Audience:
    unique = {"unique_by": lambda c: _json(c.to_json())}
    include = draw(st.lists(clauses(False), min_size=1, max_size=3, **unique))  # type: ignore[arg-type]
    exclude = draw(st.lists(clauses(True), min_size=0, max_size=2, **unique))  # type: ignore[arg-type]
    trigger = draw(st.one_of(st.none(), st.builds(AudienceTrigger, st.sampled_from(("joined_audience", "renewed_x")),
                                                 st.sampled_from(("joined", "renewed")))))
    return Audience(
        display_name=name,
        description=draw(TEXT),
        membership_days=draw(st.integers(1, 540)),
        clauses=tuple(include + exclude),
        trigger=trigger,
        exclusion=draw(st.sampled_from(("temporary", "permanent"))) if exclude else "temporary",
    )
