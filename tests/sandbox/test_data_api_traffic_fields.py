"""Traffic-source, landing-page and user fields (``sessionManualAdContent``, ``landingPage``,
``newVsReturning``, ``firstSessionDate``...) through the real Data API client, on the generated shop
traffic and on the real export rows; every value checked against a computation in plain Python over
the same rows (written here from GA4's definitions, not with the sandbox's or the engine's code)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from google.analytics import data_v1beta as beta
from google.api_core import exceptions as gexc

from ga_goals.sandbox.server import SandboxServer
from tests.sandbox import data_api_helpers as helpers
from tests.sandbox.data_api_helpers import CURRENT, PROP, Clients, clients, date_range, rows, start_shop_server, ymd

GA4_ROWS = Path(__file__).resolve().parents[1] / "data" / "ga4" / "export-sample-events.jsonl"
REAL_PROP = "100000009"
REAL_SPAN = ("2020-11-01", "2021-01-31", "all")

#: Session dimension -> the manual campaign fields it shows (joined with " / ") and the value of a
#: session without any campaign (GA4: direct traffic).
SESSION_FIELDS: dict[str, tuple[tuple[str, ...], str]] = {
    "sessionManualSource": (("source",), "(direct)"),
    "sessionManualMedium": (("medium",), "(none)"),
    "sessionManualCampaignName": (("campaign_name",), "(direct)"),
    "sessionManualSourceMedium": (("source", "medium"), "(direct) / (none)"),
    "sessionManualCampaignId": (("campaign_id",), "(not set)"),
    "sessionManualTerm": (("term",), "(not set)"),
    "sessionManualAdContent": (("content",), "(not set)"),
    "sessionManualSourcePlatform": (("source_platform",), "(not set)"),
    "sessionManualCreativeFormat": (("creative_format",), "(not set)"),
    "sessionManualMarketingTactic": (("marketing_tactic",), "(not set)"),
    "sessionCampaignId": (("campaign_id",), "(not set)"),
    "sessionSourcePlatform": (("source_platform",), "(not set)"),
}
#: First-user dimension -> the manual campaign field of the user's first session.
FIRST_SESSION_FIELDS = {
    "firstUserManualAdContent": "content",
    "firstUserManualTerm": "term",
    "firstUserManualCampaignId": "campaign_id",
    "firstUserManualSourcePlatform": "source_platform",
    "firstUserManualCreativeFormat": "creative_format",
    "firstUserManualMarketingTactic": "marketing_tactic",
    "firstUserCampaignId": "campaign_id",
    "firstUserSourcePlatform": "source_platform",
}
#: Where each manual campaign field is in the export: last-click record, collected record, older exports' parameter.
EXPORT_FIELDS = {
    "source": ("source", "manual_source", "source"),
    "medium": ("medium", "manual_medium", "medium"),
    "campaign_name": ("campaign_name", "manual_campaign_name", "campaign"),
    "campaign_id": ("campaign_id", "manual_campaign_id", None),
    "term": ("term", "manual_term", "term"),
    "content": ("content", "manual_content", "content"),
    "source_platform": ("source_platform", "manual_source_platform", None),
    "creative_format": ("creative_format", "manual_creative_format", None),
    "marketing_tactic": ("marketing_tactic", "manual_marketing_tactic", None),
}

Event = dict[str, Any]


# -- the independent computation -------------------------------------------------------------------


def _param(e: Event, key: str) -> Any:
    for p in e["event_params"] or []:
        if p["key"] == key:
            v = p["value"] or {}
            for kind in ("string_value", "int_value", "double_value", "float_value"):
                if v.get(kind) is not None:
                    return v[kind]
            return None
    return None


def _shown(value: Any) -> str:
    return "(not set)" if value is None or value == "" else str(value)


def _campaign(e: Event) -> dict[str, Any]:
    last = (e.get("session_traffic_source_last_click") or {}).get("manual_campaign") or {}
    collected = e.get("collected_traffic_source") or {}
    out = {}
    for name, (in_last, in_collected, parameter) in EXPORT_FIELDS.items():
        value = last.get(in_last)
        if value is None:
            value = collected.get(in_collected)
        if value is None and parameter:
            value = _param(e, parameter)
        out[name] = None if value is None else str(value)
    return out


def session_campaigns(events: list[Event]) -> dict[tuple[str, int], dict[str, Any]]:
    """Each session's campaign: that of its earliest event that carries a source."""
    best: dict[tuple[str, int], tuple[int, dict[str, Any]]] = {}
    for e in events:
        sid = _param(e, "ga_session_id")
        campaign = _campaign(e)
        if sid is None or campaign["source"] is None:
            continue
        key = (e["user_pseudo_id"], sid)
        if key not in best or e["event_timestamp"] < best[key][0]:
            best[key] = (e["event_timestamp"], campaign)
    return {k: c for k, (_ts, c) in best.items()}


def landing_urls(events: list[Event]) -> dict[tuple[str, int], str | None]:
    """Each session's first page_view URL (timestamp, then batch index, then the smallest URL)."""
    firsts: dict[tuple[str, int], tuple[Any, ...]] = {}
    for e in events:
        sid = _param(e, "ga_session_id")
        if e["event_name"] != "page_view" or sid is None:
            continue
        url = _param(e, "page_location")
        order = (e["event_timestamp"], -1 if e.get("batch_event_index") is None else e["batch_event_index"], url or "")
        key = (e["user_pseudo_id"], sid)
        if key not in firsts or order < firsts[key]:
            firsts[key] = order
    return {k: (o[2] or None) for k, o in firsts.items()}


def _path(url: str | None, query: bool) -> str | None:
    if not url or "://" not in url:
        return None
    parts = urlsplit(url)
    return (parts.path + ("?" + parts.query if query and "?" in url else "")) or None


def expected_counts(all_events: list[Event], lo: str, hi: str, dimension: str) -> Counter[str]:
    """eventCount per value of ``dimension`` over the events of lo..hi (YYYYMMDD)."""
    events = [e for e in all_events if lo <= e["event_date"] <= hi]
    campaigns = session_campaigns(events)
    landings = landing_urls(events)
    every_campaign = session_campaigns(all_events)
    first_visit: dict[str, tuple[int, int]] = {}
    for e in all_events:
        sid = _param(e, "ga_session_id")
        if e["event_name"] in ("first_visit", "first_open") and sid is not None:
            key = (e["event_timestamp"], sid)
            first_visit[e["user_pseudo_id"]] = min(first_visit.get(e["user_pseudo_id"], key), key)
    out: Counter[str] = Counter()
    for e in events:
        uid, sid = e["user_pseudo_id"], _param(e, "ga_session_id")
        ts = e.get("traffic_source") or {}
        if dimension in SESSION_FIELDS:
            fields, direct = SESSION_FIELDS[dimension]
            if sid is None:
                value = "(not set)"
            elif (uid, sid) not in campaigns:
                value = direct
            else:
                value = " / ".join(_shown(campaigns[uid, sid][f]) for f in fields)
        elif dimension in FIRST_SESSION_FIELDS:
            first = first_visit.get(uid)
            campaign = every_campaign.get((uid, first[1])) if first else None
            value = _shown(campaign[FIRST_SESSION_FIELDS[dimension]] if campaign else None)
        elif dimension == "firstUserManualSource":
            value = _shown(ts.get("source"))
        elif dimension == "firstUserManualMedium":
            value = _shown(ts.get("medium"))
        elif dimension == "firstUserManualCampaignName":
            value = _shown(ts.get("name"))
        elif dimension == "firstUserManualSourceMedium":
            value = _shown(None if ts.get("source") is None or ts.get("medium") is None else f"{ts['source']} / {ts['medium']}")
        elif dimension in ("landingPage", "landingPagePlusQueryString"):
            url = landings.get((uid, sid)) if sid is not None else None
            value = _shown(_path(url, dimension == "landingPagePlusQueryString"))
        elif dimension == "newVsReturning":
            n = _param(e, "ga_session_number")
            value = "(not set)" if n is None or n < 1 else "new" if n == 1 else "returning"
        elif dimension == "firstSessionDate":
            first_touch = e.get("user_first_touch_timestamp")
            value = _shown(
                None if first_touch is None else datetime.fromtimestamp(first_touch / 1e6, timezone.utc).strftime("%Y%m%d")
            )
        else:
            raise AssertionError(dimension)
        out[value] += 1
    return out


ALL_DIMENSIONS = (
    *SESSION_FIELDS,
    *FIRST_SESSION_FIELDS,
    "firstUserManualSource",
    "firstUserManualMedium",
    "firstUserManualCampaignName",
    "firstUserManualSourceMedium",
    "landingPage",
    "landingPagePlusQueryString",
    "newVsReturning",
    "firstSessionDate",
)

_COLUMNS = (
    "user_pseudo_id, event_timestamp, batch_event_index, event_name, event_date, event_params, traffic_source, "
    "collected_traffic_source, session_traffic_source_last_click, user_first_touch_timestamp"
)


def stored_events(server: SandboxServer, pid: str) -> list[Event]:
    return helpers.stored_events(server, pid, _COLUMNS)


# -- fixtures ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    srv = start_shop_server(tmp_path_factory.mktemp("traffic") / "sandbox")
    folder = tmp_path_factory.mktemp("real-rows")
    rows_file = folder / "rows.jsonl"
    rows_file.write_text(GA4_ROWS.read_text())
    helpers.load_rows(srv, REAL_PROP, rows_file)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def api(server: SandboxServer) -> Iterator[Clients]:
    with clients(server.address or "") as c:
        yield c


@pytest.fixture(scope="module")
def shop_events(server: SandboxServer) -> list[Event]:
    return stored_events(server, PROP.split("/")[1])


@pytest.fixture(scope="module")
def real_events(server: SandboxServer) -> list[Event]:
    return stored_events(server, REAL_PROP)


def counts(api: Clients, prop: str, span: tuple[str, str, str], dimension: str) -> Counter[str]:
    response = api.beta.run_report(
        beta.RunReportRequest(
            property=prop,
            dimensions=[beta.Dimension(name=dimension)],
            metrics=[beta.Metric(name="eventCount")],
            date_ranges=[date_range(beta, span)],
            limit=100_000,
        )
    )
    return Counter({dims[0]: int(values[0]) for dims, values in rows(response)})


# -- tests -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dimension", ALL_DIMENSIONS)
def test_the_shop_traffic_reports_each_field_as_ga4_defines_it(api: Clients, shop_events: list[Event], dimension: str):
    got = counts(api, PROP, CURRENT, dimension)
    assert got == expected_counts(shop_events, ymd(CURRENT[0]), ymd(CURRENT[1]), dimension)


@pytest.mark.parametrize("dimension", ALL_DIMENSIONS)
def test_the_real_export_rows_report_each_field_as_ga4_defines_it(api: Clients, real_events: list[Event], dimension: str):
    got = counts(api, f"properties/{REAL_PROP}", REAL_SPAN, dimension)
    assert got == expected_counts(real_events, ymd(REAL_SPAN[0]), ymd(REAL_SPAN[1]), dimension)


@pytest.mark.parametrize(
    "dimension, values",
    [
        # utm_content of every campaign with one, utm_term of paid search, the campaign ids.
        ("sessionManualAdContent", {"hero_banner", "text_ad_a", "shopping_ad", "story", "carousel", "(not set)"}),
        ("sessionManualTerm", {"northwind shop", "insulated travel mug", "(not set)"}),
        ("sessionCampaignId", {"20481", "20519", "30112", "40210", "(not set)"}),
        ("newVsReturning", {"new", "returning"}),
    ],
)
def test_the_shop_traffic_carries_the_values_people_send(api: Clients, dimension: str, values: set[str]):
    assert values <= set(counts(api, PROP, CURRENT, dimension))


def test_the_real_rows_carry_utm_terms_and_both_kinds_of_users(api: Clients):
    """The sample predates the last-click record: terms come from the ``term`` parameter."""
    terms = counts(api, f"properties/{REAL_PROP}", REAL_SPAN, "sessionManualTerm")
    assert set(terms) - {"(not set)"}
    assert {"new", "returning"} <= set(counts(api, f"properties/{REAL_PROP}", REAL_SPAN, "newVsReturning"))
    assert set(counts(api, f"properties/{REAL_PROP}", REAL_SPAN, "landingPage")) - {"(not set)"}


def test_fields_combine_and_filter_like_any_other(api: Clients, shop_events: list[Event]):
    """Session, landing and first-session fields together, with a dimension filter on one of them."""
    response = api.beta.run_report(
        beta.RunReportRequest(
            property=PROP,
            dimensions=[beta.Dimension(name="sessionManualAdContent"), beta.Dimension(name="landingPage")],
            metrics=[beta.Metric(name="eventCount")],
            date_ranges=[date_range(beta, CURRENT)],
            dimension_filter=beta.FilterExpression(
                filter=beta.Filter(
                    field_name="firstUserManualAdContent",
                    string_filter=beta.Filter.StringFilter(value="hero_banner"),
                )
            ),
            limit=100_000,
        )
    )
    got = sum(int(values[0]) for _dims, values in rows(response))
    lo, hi = ymd(CURRENT[0]), ymd(CURRENT[1])
    assert got == expected_counts(shop_events, lo, hi, "firstUserManualAdContent")["hero_banner"] > 0


def test_get_metadata_lists_the_fields(api: Clients):
    metadata = api.beta.get_metadata(beta.GetMetadataRequest(name=f"{PROP}/metadata"))
    listed = {d.api_name: d for d in metadata.dimensions}
    for name in ALL_DIMENSIONS:
        assert name in listed
    assert listed["sessionManualAdContent"].ui_name == "Session manual ad content"
    assert listed["landingPage"].category == "Page / screen"


def test_landing_pages_are_not_funnel_breakdowns(api: Clients):
    """The funnel engines do not compute them: the sandbox says so instead of guessing."""
    from google.analytics import data_v1alpha as alpha

    request = alpha.RunFunnelReportRequest(
        property=PROP,
        date_ranges=[alpha.DateRange(start_date=CURRENT[0], end_date=CURRENT[1])],
        funnel=alpha.Funnel(
            steps=[
                alpha.FunnelStep(
                    name="visit",
                    filter_expression=alpha.FunnelFilterExpression(
                        funnel_event_filter=alpha.FunnelEventFilter(event_name="session_start")
                    ),
                )
            ]
        ),
        funnel_breakdown=alpha.FunnelBreakdown(breakdown_dimension=alpha.Dimension(name="landingPage")),
    )
    with pytest.raises(gexc.MethodNotImplemented, match="landingPage"):
        api.alpha.run_funnel_report(request)


def test_the_gap_list_no_longer_names_them():
    """The generated README / docs/sandbox.md gap lists (schema_docs) shrink by exactly these fields."""
    from ga_goals.sandbox.schema_docs import coverage

    computed, _metrics, missing, _missing_metrics = coverage()
    assert set(ALL_DIMENSIONS) <= set(computed)
    assert not set(ALL_DIMENSIONS) & set(missing)
