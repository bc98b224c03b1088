"""Channel-group dimensions of the sandbox's Data API, through the real clients.

A plan with a custom channel group is synced to the shop sandbox through the real Admin client
(ga-goals' own sync); reports by ``sessionCustomChannelGroup:<id>`` and
``firstUserCustomChannelGroup:<id>`` then equal an independent Python evaluation of the plan's
rules over the same event rows; ``sessionPrimaryChannelGroup`` follows the primary group.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.analytics import admin_v1alpha as a
from google.analytics import data_v1beta as beta
from google.api_core import exceptions as ex
from google.protobuf.field_mask_pb2 import FieldMask

from ga_goals.funnels.channel_rules import CAMPAIGN, MEDIUM, SOURCE, AllOf, AnyOf, Filter, Not, Rule, channel_of, default_channel
from ga_goals.manager import Connection, Manager
from ga_goals.model.channel_groups import ChannelGroup
from ga_goals.plan_file import load_plan
from ga_goals.sandbox.server import SandboxServer

from .conftest import alpha_client
from .data_api_helpers import END, PROP, START, Clients, P, clients, cursor, start_shop_server

PLAN = f"""\
version: 1
property: "{P}"
channel_groups:
  Shop marketing channels:
    description: E-mail and campaign traffic
    channels:
      - name: Newsletter
        when:
          - {{field: source, equals: NewsLetter}}
          - {{field: medium, in: [EMAIL, e-mail]}}
      - name: Paid
        when:
          - {{field: default_channel_group, starts_with: paid}}
      - name: Not Google, organic or looks
        when:
          - {{field: source, equals: google, negate: true}}
          - any:
              - {{field: medium, matches: "ORG.*"}}
              - {{field: campaign_name, partially_matches: "looks"}}
      - name: Direct or referral
        when:
          - {{field: medium, matches: "\\\\(none\\\\)|referral"}}
"""
DIRECT = {SOURCE: "(direct)", MEDIUM: "(none)", CAMPAIGN: "(direct)"}
RANGE = [beta.DateRange(start_date=f"{START:%Y-%m-%d}", end_date=f"{END:%Y-%m-%d}")]


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SandboxServer, ChannelGroup, str]]:
    base = tmp_path_factory.mktemp("channels")
    server = start_shop_server(base / "sandbox")
    try:
        (base / "plan.yaml").write_text(PLAN)
        plan = load_plan(base / "plan.yaml")
        with Manager(Connection(sandbox=True, sandbox_address=server.address)) as manager:
            manager.sync(plan, apply=True)
        (group,) = plan.channel_groups.values()
        (created,) = [g for g in server.store.load(P)["channel_groups"] if not g.get("system_defined")]
        yield server, group, created["name"].rsplit("/", 1)[-1]
    finally:
        server.stop()


@pytest.fixture(scope="module")
def api(synced) -> Iterator[Clients]:
    with clients(synced[0].address or "") as c:
        yield c


def plan_rules(group: ChannelGroup) -> tuple[Rule, ...]:
    """The plan's channels as rules, read from the model (not from the Admin state the sandbox reads)."""

    def one(c) -> Filter | Not:
        f = Filter(c.field, c.match.upper(), c.value, c.values)
        return Not(f) if c.negated else f

    return tuple(Rule(ch.name, AllOf(tuple(AnyOf(tuple(one(c) for c in g)) for g in ch.conditions))) for ch in group.channels)


def session_sources(server: SandboxServer) -> dict[tuple[str, int], dict[str, str | None]]:
    """Each session's traffic source: its first event (by time) that has one (last click, else what
    the event collected, else the source / medium / campaign parameters); direct traffic for a
    session without any."""
    with cursor(server) as con:
        rows = con.execute(
            """
            SELECT user_pseudo_id, event_timestamp, event_params,
                   session_traffic_source_last_click.manual_campaign AS lc, collected_traffic_source AS cts
            FROM events
            """
        ).fetchall()
    first: dict[tuple[str, int], tuple[int, dict[str, str | None]]] = {}
    for uid, ts, params, lc, cts in rows:
        p = {x["key"]: x["value"] for x in params or ()}
        sid = (p.get("ga_session_id") or {}).get("int_value")
        if sid is None:
            continue

        def pick(last: str, collected: str, parameter: str) -> str | None:
            for value in ((lc or {}).get(last), (cts or {}).get(collected), (p.get(parameter) or {}).get("string_value")):
                if value is not None:
                    return value
            return None

        key = (uid, int(sid))
        source = pick("source", "manual_source", "source")
        if source is None:
            first.setdefault(key, (2**63, DIRECT))
            continue
        src = {SOURCE: source, MEDIUM: pick("medium", "manual_medium", "medium"), CAMPAIGN: pick("campaign_name", "manual_campaign_name", "campaign")}
        if key not in first or ts < first[key][0]:
            first[key] = (ts, src)
    return {k: v for k, (_ts, v) in first.items()}


def report(api: Clients, *dimensions: str, metric: str = "sessions", **fields) -> dict[tuple[str, ...], int]:
    response = api.beta.run_report(
        beta.RunReportRequest(
            property=PROP,
            dimensions=[beta.Dimension(name=d) for d in dimensions],
            metrics=[beta.Metric(name=metric)],
            date_ranges=RANGE,
            limit=1000,
            **fields,
        )
    )
    return {tuple(v.value for v in r.dimension_values): int(r.metric_values[0].value) for r in response.rows}


def expected_sessions(server: SandboxServer, rules) -> dict[tuple[str, ...], int]:
    return dict(Counter((channel_of(rules, src),) for src in session_sources(server).values()))


def test_metadata_lists_the_primary_and_the_custom_group_dimensions(synced, api: Clients):
    _server, _group, gid = synced
    metadata = api.beta.get_metadata(name=f"{PROP}/metadata")
    found = {d.api_name: d for d in metadata.dimensions}
    for name in ("sessionPrimaryChannelGroup", "firstUserPrimaryChannelGroup"):
        assert not found[name].custom_definition and found[name].category == "Traffic source"
    session, first = found[f"sessionCustomChannelGroup:{gid}"], found[f"firstUserCustomChannelGroup:{gid}"]
    assert session.custom_definition and first.custom_definition
    assert session.ui_name == "Session Shop marketing channels" and first.ui_name == "First user Shop marketing channels"
    # property 0 (the universal list) has the primary ones only
    universal = {d.api_name for d in api.beta.get_metadata(name="properties/0/metadata").dimensions}
    assert "sessionPrimaryChannelGroup" in universal and not any("CustomChannelGroup:" in n for n in universal)


def test_sessions_by_the_custom_group_equal_a_python_evaluation_of_the_plan(synced, api: Clients):
    server, group, gid = synced
    rules = plan_rules(group)
    got = report(api, f"sessionCustomChannelGroup:{gid}")
    assert got == expected_sessions(server, rules)
    # every channel of the group and the fall-through show up in the shop's traffic
    assert {(c.name,) for c in group.channels} | {("Unassigned",)} <= set(got)


def test_first_users_by_the_custom_group_equal_a_python_evaluation(synced, api: Clients):
    server, group, gid = synced
    rules = plan_rules(group)
    with cursor(server) as con:
        rows = con.execute("SELECT DISTINCT user_pseudo_id, traffic_source.source, traffic_source.medium, traffic_source.name FROM events").fetchall()
    users: dict[str, set[str]] = defaultdict(set)
    for uid, s, m, c in rows:
        users[channel_of(rules, {SOURCE: s, MEDIUM: m, CAMPAIGN: c})].add(uid)
    assert report(api, f"firstUserCustomChannelGroup:{gid}", metric="totalUsers") == {(k,): len(v) for k, v in users.items()}
    by_default = report(api, "firstUserPrimaryChannelGroup", metric="totalUsers")
    defaults: dict[str, set[str]] = defaultdict(set)
    for uid, s, m, c in rows:
        defaults[default_channel(s, m, c)].add(uid)
    assert by_default == {(k,): len(v) for k, v in defaults.items()}


def test_filters_and_pivots_read_the_custom_group(synced, api: Clients):
    _server, _group, gid = synced
    name = f"sessionCustomChannelGroup:{gid}"
    newsletter = beta.FilterExpression(
        filter=beta.Filter(field_name=name, string_filter=beta.Filter.StringFilter(value="Newsletter"))
    )
    by_source = report(api, "sessionSource", dimension_filter=newsletter)
    assert set(by_source) == {("newsletter",)} and by_source[("newsletter",)] == report(api, name)[("Newsletter",)]
    pivot = api.beta.run_pivot_report(
        beta.RunPivotReportRequest(
            property=PROP,
            dimensions=[beta.Dimension(name=name), beta.Dimension(name="deviceCategory")],
            metrics=[beta.Metric(name="sessions")],
            date_ranges=RANGE,
            pivots=[beta.Pivot(field_names=[name], limit=10), beta.Pivot(field_names=["deviceCategory"], limit=5)],
        )
    )
    channels = {h.dimension_values[0].value for h in pivot.pivot_headers[0].pivot_dimension_headers}
    assert channels == {k[0] for k in report(api, name)}


def test_the_primary_group_is_the_default_one_until_a_custom_group_is_made_primary(synced, api: Clients):
    server, group, gid = synced
    assert report(api, "sessionPrimaryChannelGroup") == report(api, "sessionDefaultChannelGroup")
    admin = alpha_client(server.address or "")
    name = f"{PROP}/channelGroups/{gid}"
    mask = FieldMask(paths=["primary"])
    admin.update_channel_group(channel_group=a.ChannelGroup(name=name, primary=True), update_mask=mask)
    try:
        assert report(api, "sessionPrimaryChannelGroup") == report(api, f"sessionCustomChannelGroup:{gid}")
        assert report(api, "firstUserPrimaryChannelGroup", metric="totalUsers") == report(
            api, f"firstUserCustomChannelGroup:{gid}", metric="totalUsers"
        )
    finally:
        admin.update_channel_group(channel_group=a.ChannelGroup(name=name, primary=False), update_mask=mask)
    assert report(api, "sessionPrimaryChannelGroup") == report(api, "sessionDefaultChannelGroup")


@pytest.mark.parametrize(
    ("field", "error", "message"),
    [
        ("sessionCustomChannelGroup:999", ex.InvalidArgument, "not a valid dimension"),
        ("firstUserCustomChannelGroup:abc", ex.InvalidArgument, "custom channel group of the property"),
        ("customChannelGroup:999", ex.InvalidArgument, "not a valid dimension"),
        ("customChannelGroup:{gid}", ex.MethodNotImplemented, "attribution model"),
        ("primaryChannelGroup", ex.MethodNotImplemented, "primaryChannelGroup"),
    ],
)
def test_unknown_groups_are_invalid_and_attributed_channels_unimplemented(synced, api: Clients, field, error, message):
    gid = synced[2]
    with pytest.raises(error, match=message):
        report(api, field.format(gid=gid))


def test_a_custom_group_name_as_a_metric_is_invalid(synced, api: Clients):
    with pytest.raises(ex.InvalidArgument, match="not a valid metric"):
        report(api, "date", metric=f"sessionCustomChannelGroup:{synced[2]}")


def test_the_shop_plans_group_sorts_the_shops_traffic_sources():
    """configs/shop.yaml's group, evaluated on the sources the shop's generated traffic uses."""
    plan = load_plan(Path(__file__).resolve().parents[2] / "configs" / "shop.yaml")
    (group,) = plan.channel_groups.values()
    rules = plan_rules(group)
    cases = {
        ("newsletter", "email", "weekly_newsletter"): "Newsletter",
        ("newsletter", "email", "order_shipped"): "Newsletter",  # rule order: the first channel that matches
        ("shop", "email", "order_shipped"): "Cart and order e-mails",
        ("partner", "e-mail", "hello"): "Other e-mail",
        ("facebook", "paid_social", "summer_sale_2026"): "Seasonal campaigns",
        ("google", "cpc", "brand_search"): "Other paid",
        ("google", "organic", "(organic)"): "Organic and direct",
        ("instagram", "social", "spring_looks"): "Organic and direct",
        ("(direct)", "(none)", "(direct)"): "Organic and direct",
        ("partner", "print", None): "Unassigned",
    }
    for (s, m, c), channel in cases.items():
        assert channel_of(rules, {SOURCE: s, MEDIUM: m, CAMPAIGN: c}) == channel, (s, m, c)
