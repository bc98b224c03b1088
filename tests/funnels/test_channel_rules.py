"""Channel-group rules: the SQL (DuckDB, and BigQuery through the local endpoint) agrees with the
Python reference on random groups and traffic sources; GA4's default channel group gives the
channels of Google's published table; the funnel engine's default channel group is that evaluator.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ga_goals.bigquery.query import Query
from ga_goals.bigquery.runner import BigQueryRunner
from ga_goals.events import EventStore
from ga_goals.events.schema import quote_literal
from ga_goals.funnels.channel_rules import (
    CAMPAIGN,
    DEFAULT_CHANNEL_GROUP,
    DEFAULT_CHANNEL_RULES,
    FIELDS,
    IN_LIST,
    MEDIUM,
    SOURCE,
    STRING_MATCHES,
    UNASSIGNED,
    AllOf,
    AnyOf,
    Filter,
    Not,
    Rule,
    channel_of,
    channel_sql,
    default_channel,
    expression_from_admin,
    rules_from_admin,
)
from ga_goals.funnels.dialect import Dialect, SqlQuery
from ga_goals.funnels.dimensions import FIRST_USER_CHANNEL_FIELDS, dimension_sql
from ga_goals.sandbox.bigquery import serve_bigquery

from tests.conftest import GA4_DATA

#: Values of the traffic-source fields: real ones, case variants, GA4's placeholders, missing.
VALUES = ("google", "Google", "cpc", "email", "E-Mail", "newsletter", "(direct)", "(none)", "(not set)", "summer_sale", "", None)
#: What a filter compares with (regular expressions among them, for the regexp matches).
NEEDLES = ("google", "GOO", "mail", "e-mail", "(direct)", "(not set)", "sale", "paid", "n")
PATTERNS = ("goo.*", "e-?mail", "(?:summer|winter)_.*", r"\(not set\)", "[a-z]+", "G", "paid search|organic search")
TEXT_FIELDS = (SOURCE, MEDIUM, CAMPAIGN, "eachScopeManualAdContent", DEFAULT_CHANNEL_GROUP)


@st.composite
def filters(draw) -> Filter:
    field = draw(st.sampled_from(TEXT_FIELDS))
    match = draw(st.sampled_from((*STRING_MATCHES, IN_LIST)))
    if match == IN_LIST:
        return Filter(field, IN_LIST, values=tuple(draw(st.lists(st.sampled_from(NEEDLES + ("Organic Search", "Direct")), min_size=1, max_size=3))))
    if match in ("FULL_REGEXP", "PARTIAL_REGEXP"):
        return Filter(field, match, draw(st.sampled_from(PATTERNS)))
    return Filter(field, match, draw(st.sampled_from(NEEDLES)))


expressions = st.recursive(
    filters(),
    lambda inner: st.one_of(
        st.builds(lambda xs: AllOf(tuple(xs)), st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda xs: AnyOf(tuple(xs)), st.lists(inner, min_size=1, max_size=3)),
        st.builds(Not, inner),
    ),
    max_leaves=6,
)
groups = st.lists(st.builds(Rule, st.sampled_from(("A", "B", "C", "Paid", "Mail")), expressions), min_size=0, max_size=4)
sources = st.fixed_dictionaries({f: st.sampled_from(VALUES) for f in (SOURCE, MEDIUM, CAMPAIGN, "eachScopeManualAdContent")})

_COLUMNS = {SOURCE: "s", MEDIUM: "m", CAMPAIGN: "c", "eachScopeManualAdContent": "a"}


def _row_sql(values: dict[str, str | None]) -> str:
    cells = ", ".join(f"{'NULL' if values[f] is None else quote_literal(values[f])} AS {c}" for f, c in _COLUMNS.items())
    return f"SELECT {cells}"


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules=groups, values=st.lists(sources, min_size=1, max_size=6))
def test_duckdb_sql_agrees_with_the_python_reference(rules, values):
    sql = channel_sql(Dialect("duckdb"), rules, {f: f"x.{c}" for f, c in _COLUMNS.items()}, from_plan=True)
    relation = " UNION ALL ".join(f"SELECT {i} AS i, * FROM ({_row_sql(v)})" for i, v in enumerate(values))
    got = dict(duckdb.sql(f"SELECT i, {sql} FROM ({relation}) AS x").fetchall())
    assert got == {i: channel_of(rules, v) for i, v in enumerate(values)}


@pytest.fixture(scope="module")
def bigquery() -> Iterator[BigQueryRunner]:
    store = EventStore()
    with serve_bigquery(store.connection, "ga-goals-test.analytics_1") as bq:
        yield BigQueryRunner("ga-goals-test.analytics_1", endpoint=bq.endpoint)
    store.close()


@settings(max_examples=20, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(rules=groups, values=sources)
def test_bigquery_sql_agrees_and_carries_plan_values_as_parameters(bigquery: BigQueryRunner, rules, values):
    d = Dialect("bigquery")
    cells = {f: ("NULL" if v is None else d.lit(v)) for f, v in values.items()}
    sql = channel_sql(d, rules, {f: f"CAST({cells[f]} AS STRING)" for f in _COLUMNS}, from_plan=True)
    query = SqlQuery(f"SELECT {sql} AS channel", d.parameters, "bigquery")
    (row,) = bigquery.run(Query.of(query)).rows
    assert row[0] == channel_of(rules, values)


# -- GA4's default channel group ------------------------------------------------------------------

#: (source, medium, campaign) -> channel, from Google's "[GA4] Default channel group" table.
PUBLISHED = [
    (("(direct)", "(none)", "(direct)"), "Direct"),
    (("(direct)", "(not set)", None), "Direct"),
    (("google", "cpc", "pmax cross-network q3"), "Cross-network"),
    (("google", "cpc", "spring_shopping"), "Paid Shopping"),
    (("shopify", "paid_social", "x"), "Paid Shopping"),
    (("Google", "CPC", "brand"), "Paid Search"),
    (("m.facebook.com", "paid-social", None), "Paid Social"),
    (("youtube", "cpv", None), "Paid Video"),
    (("partner", "banner", None), "Display"),
    (("partner", "retargeting", None), "Paid Other"),
    (("igshopping", "referral", None), "Organic Shopping"),
    (("blog.example.org", "referral", "eshop_week"), "Organic Shopping"),
    (("blog.example.org", "referral", "workshop"), "Referral"),
    (("l.instagram.com", "referral", None), "Organic Social"),
    (("instagram", "social", "spring_looks"), "Organic Social"),
    (("newsletter", "sm", None), "Organic Social"),
    (("youtube.com", "referral", None), "Organic Video"),
    (("partner", "video", None), "Organic Video"),
    (("duckduckgo", "referral", None), "Organic Search"),
    (("partner", "organic", None), "Organic Search"),
    (("blog.example.org", "referral", None), "Referral"),
    (("partner", "app", None), "Referral"),
    (("newsletter", "email", "weekly"), "Email"),
    (("e-mail", "newsletter", None), "Email"),
    (("partner", "affiliate", None), "Affiliates"),
    (("spotify", "audio", None), "Audio"),
    (("sms", "text", None), "SMS"),
    (("app", "web-push", None), "Mobile Push Notifications"),
    (("firebase", "x", None), "Mobile Push Notifications"),
    (("partner", "print", None), UNASSIGNED),
    ((None, None, None), UNASSIGNED),
]


@pytest.mark.parametrize(("source", "channel"), PUBLISHED)
def test_the_default_group_gives_googles_published_channels(source, channel):
    assert default_channel(*source) == channel
    sql = channel_sql(Dialect("duckdb"), DEFAULT_CHANNEL_RULES, {SOURCE: "x.s", MEDIUM: "x.m", CAMPAIGN: "x.c"})
    row = _row_sql({SOURCE: source[0], MEDIUM: source[1], CAMPAIGN: source[2], "eachScopeManualAdContent": None})
    assert duckdb.sql(f"SELECT {sql} FROM ({row}) AS x").fetchall() == [(channel,)]


def test_a_custom_rule_may_test_the_default_channel_group():
    rules = (Rule("Paid", Filter(DEFAULT_CHANNEL_GROUP, "BEGINS_WITH", "paid")), Rule("Rest", Not(Filter(SOURCE, "EXACT", "nothing"))))
    assert channel_of(rules, {SOURCE: "bing", MEDIUM: "ppc"}) == "Paid"
    assert channel_of(rules, {SOURCE: "bing", MEDIUM: "organic"}) == "Rest"
    assert channel_of((), {SOURCE: "bing"}) == UNASSIGNED


def test_admin_expressions_read_as_rules():
    expression = {
        "and_group": {
            "filter_expressions": [
                {"or_group": {"filter_expressions": [
                    {"filter": {"field_name": SOURCE, "string_filter": {"match_type": "EXACT", "value": "Newsletter"}}},
                    {"not_expression": {"filter": {"field_name": MEDIUM, "in_list_filter": {"values": ["cpc", "ppc"]}}}},
                ]}}
            ]
        }
    }
    assert expression_from_admin(expression) == AllOf(
        (AnyOf((Filter(SOURCE, "EXACT", "Newsletter"), Not(Filter(MEDIUM, IN_LIST, values=("cpc", "ppc"))))),)
    )
    (rule,) = rules_from_admin([{"display_name": "News", "expression": expression}])
    assert channel_of((rule,), {SOURCE: "newsletter", MEDIUM: "cpc"}) == "News"
    assert channel_of((rule,), {SOURCE: "other", MEDIUM: "cpc"}) == UNASSIGNED
    assert set(FIELDS) >= set(TEXT_FIELDS)


def test_first_user_default_channel_group_on_the_real_export_rows_is_the_reference():
    store = EventStore()
    try:
        store.load_jsonl(GA4_DATA / "export-sample-events.jsonl")
        spec = dimension_sql("firstUserDefaultChannelGroup")
        ts = ", ".join(FIRST_USER_CHANNEL_FIELDS.values())
        rows = store.connection.execute(f"SELECT {ts}, {spec.expr} FROM events AS t").fetchall()
    finally:
        store.close()
    assert len(rows) == 700
    assert all(channel == default_channel(s, m, c) for s, m, c, channel in rows)
    assert {"Direct", "Organic Search", "Referral", "Paid Search", UNASSIGNED} <= {r[3] for r in rows}
