"""More GA4 fields (unified page/screen, subContinentCode, languageCode, streamName,
signedInWithUserId, nthMinute; item ecommerce rates and discounts; averageSessionDuration; first-time
purchasers; rolling active users) through the real Data API client, on the generated shop traffic,
on the real export rows and on rows made from them (app screens, list and promotion clicks, item
discounts, signed-in users, two streams). Every value is checked against a computation in plain
Python over the same rows, written here from GA4's definitions (docs/ga4-api-facts.md, 3.2c), not
with the sandbox's code."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
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
REAL_PROP, MADE_PROP = "100000011", "100000012"
REAL_SPAN = ("2020-11-01", "2021-01-31", "all")
#: A range in the middle of the real rows, so that the windows reach back before it.
REAL_LATE = ("2020-12-01", "2020-12-20", "late")
REAL_STREAM, APP_STREAM = "2100450278", "2100450279"
STREAM_NAMES = {REAL_STREAM: "Merch store (web)", APP_STREAM: "Merch store (Android)"}

#: UN M49 sub-region codes (https://unstats.un.org/unsd/methodology/m49/), GA4's names of them.
M49 = {
    "Northern America": "021", "Central America": "013", "Caribbean": "029", "South America": "005",
    "Northern Europe": "154", "Western Europe": "155", "Southern Europe": "039", "Eastern Europe": "151",
    "Eastern Asia": "030", "Southern Asia": "034", "Southeast Asia": "035", "Central Asia": "143",
    "Western Asia": "145", "Australasia": "053", "Northern Africa": "015",
}  # fmt: skip

Event = dict[str, Any]
PURCHASES = ("purchase", "in_app_purchase")


# -- rows made from the real ones ------------------------------------------------------------------


def _value(v: Any) -> dict[str, Any]:
    kind = "string_value" if isinstance(v, str) else "int_value" if isinstance(v, int) else "double_value"
    return {"string_value": None, "int_value": None, "float_value": None, "double_value": None, kind: v}


def made_rows() -> list[Event]:
    """The real rows, with: every other item view made a list view, promotions clicked, carts made
    purchases with discounted items, a third of the users signed in, app screens on a second stream."""
    out = []
    seen: Counter[str] = Counter()
    for line in GA4_ROWS.read_text().splitlines():
        e = json.loads(line)
        name = e["event_name"]
        seen[name] += 1
        n = seen[name]
        if name == "view_item" and n % 2:
            e["event_name"] = "view_item_list"
        elif name == "view_promotion" and n % 3 == 0:
            e["event_name"] = "select_promotion"
        elif name == "add_to_cart" and n % 2:
            e["event_name"] = "purchase"
            for i, item in enumerate(e["items"] or []):
                item["quantity"] = 1 + i % 3
                item["item_params"] = [{"key": "discount", "value": _value(1.25 * (1 + n % 4))}]
        if int(e["user_pseudo_id"].split(".")[0]) % 3 == 0:
            e["user_id"] = "member-" + e["user_pseudo_id"]
        if name == "page_view" and n % 5 == 0:
            e["event_name"] = "screen_view"
            e["platform"] = "ANDROID"
            e["stream_id"] = APP_STREAM
            e["event_params"] = [p for p in e["event_params"] if p["key"] not in ("page_location", "page_title")]
            e["event_params"].append({"key": "firebase_screen_class", "value": _value(f"Screen{n % 4}Activity")})
        out.append(e)
    return out


# -- the independent computation -------------------------------------------------------------------


def _param(e: Event, key: str, params: str = "event_params") -> Any:
    for p in e.get(params) or []:
        if p["key"] == key:
            v = p["value"] or {}
            for kind in ("string_value", "int_value", "double_value", "float_value"):
                if v.get(kind) is not None:
                    return v[kind]
    return None


def _shown(value: Any) -> str:
    return "(not set)" if value is None or value == "" else str(value)


def _url(e: Event) -> Any:
    url = _param(e, "page_location")
    return urlsplit(url) if url and "://" in url else None


def dimension_value(e: Event, dimension: str, range_start: str) -> str:
    """The value GA4 gives ``dimension`` for the event (web: the page; app: the screen class)."""
    url, screen_class = _url(e), _param(e, "firebase_screen_class")
    if dimension == "unifiedPagePathScreen":
        return _shown((url.path or None) if url else screen_class)
    if dimension == "unifiedPageScreen":
        page = (url.path + ("?" + url.query if url.query else "")) if url else None
        return _shown(page or screen_class)
    if dimension == "unifiedScreenClass":
        return _shown(_param(e, "page_title") or screen_class)
    if dimension == "subContinentCode":
        return _shown(M49.get((e["geo"] or {}).get("sub_continent")))
    if dimension == "languageCode":
        language = (e["device"] or {}).get("language")
        return _shown(language.lower() if language else None)
    if dimension == "streamName":
        return _shown(STREAM_NAMES.get(str(e["stream_id"])))
    if dimension == "signedInWithUserId":
        return "yes" if e.get("user_id") else "no"
    if dimension == "nthMinute":
        start = datetime.strptime(range_start, "%Y%m%d").replace(tzinfo=timezone.utc)
        minutes = int((datetime.fromtimestamp(e["event_timestamp"] / 1e6, timezone.utc) - start).total_seconds() // 60)
        return f"{minutes:04d}"
    raise AssertionError(dimension)


DIMENSIONS = (
    "unifiedPagePathScreen", "unifiedPageScreen", "unifiedScreenClass", "subContinentCode", "languageCode",
    "streamName", "signedInWithUserId", "nthMinute",
)  # fmt: skip


def in_range(events: list[Event], span: tuple[str, str, str]) -> list[Event]:
    return [e for e in events if ymd(span[0]) <= e["event_date"] <= ymd(span[1])]


def item_rates(events: list[Event], key: Callable[[dict[str, Any]], str] | None = None) -> dict[str, dict[str, float]]:
    """Per value of ``key(item)`` (else one row ""): users with the item in each event, as GA4's
    rates put them (an event without items is in no item row), and the purchased discounts."""
    users: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    discount: dict[str, float] = defaultdict(float)
    for e in events:
        for item in e.get("items") or []:
            row = key(item) if key else ""
            users[row][e["event_name"]].add(e["user_pseudo_id"])
            if e["event_name"] in PURCHASES:
                discount[row] += (_param(item, "discount", "item_params") or 0) * (item.get("quantity") or 1)

    def rate(row: str, num: tuple[str, ...], den: str) -> float:
        n = set().union(*(users[row][x] for x in num))
        return len(n) / len(users[row][den]) if users[row][den] else 0.0

    return {
        row: {
            "cartToViewRate": rate(row, ("add_to_cart",), "view_item"),
            "purchaseToViewRate": rate(row, PURCHASES, "view_item"),
            "itemListClickThroughRate": rate(row, ("select_item",), "view_item_list"),
            "itemPromotionClickThroughRate": rate(row, ("select_promotion",), "view_promotion"),
            "itemDiscountAmount": discount[row],
        }
        for row in users
    }


def session_durations(events: list[Event]) -> dict[str, float]:
    """averageSessionDuration per date: the sessions with events that day, each lasting from its
    first to its last event in the range, summed, per session."""
    bounds: dict[tuple[str, int], list[int]] = {}
    days: dict[str, set[tuple[str, int]]] = defaultdict(set)
    for e in events:
        sid = _param(e, "ga_session_id")
        if sid is None or e["user_pseudo_id"] is None:
            continue
        key = (e["user_pseudo_id"], sid)
        lo, hi = bounds.get(key, [e["event_timestamp"], e["event_timestamp"]])
        bounds[key] = [min(lo, e["event_timestamp"]), max(hi, e["event_timestamp"])]
        days[e["event_date"]].add(key)
    return {
        day: sum((bounds[k][1] - bounds[k][0]) / 1e6 for k in keys) / len(keys) for day, keys in days.items()
    }


def first_time_purchasers(all_events: list[Event], events: list[Event]) -> dict[str, tuple[int, float, float]]:
    """Per date: (first-time purchasers, per active user, per new user); a user's first purchase is
    their earliest purchase among every stored event."""
    first: dict[str, int] = {}
    for e in all_events:
        if e["event_name"] in PURCHASES:
            first[e["user_pseudo_id"]] = min(first.get(e["user_pseudo_id"], e["event_timestamp"]), e["event_timestamp"])
    buyers: dict[str, set[str]] = defaultdict(set)
    active: dict[str, set[str]] = defaultdict(set)
    new: dict[str, set[str]] = defaultdict(set)
    for e in events:
        day, uid = e["event_date"], e["user_pseudo_id"]
        if e["event_name"] in PURCHASES and first.get(uid) == e["event_timestamp"]:
            buyers[day].add(uid)
        if e.get("is_active_user") is not False:
            active[day].add(uid)
        if e["event_name"] == "first_visit":
            new[day].add(uid)
    return {
        day: (
            len(buyers[day]),
            len(buyers[day]) / len(active[day]) if active[day] else 0.0,
            len(buyers[day]) / len(new[day]) if new[day] else 0.0,
        )
        for day in active
    }


def active_in(all_events: list[Event], end: str, days: int, where: Callable[[Event], bool] = lambda e: True) -> int:
    """Distinct active users of the ``days`` days ending on ``end`` (YYYYMMDD), every stored event."""
    last = datetime.strptime(end, "%Y%m%d").date()
    first = (last - timedelta(days=days - 1)).strftime("%Y%m%d")
    return len(
        {
            e["user_pseudo_id"]
            for e in all_events
            if first <= e["event_date"] <= end and e.get("is_active_user") is not False and where(e)
        }
        - {None}
    )


WINDOWS = {"active1DayUsers": (1,), "active7DayUsers": (7,), "active28DayUsers": (28,), "dauPerWau": (1, 7), "dauPerMau": (1, 30), "wauPerMau": (7, 30)}


def window_value(all_events: list[Event], end: str, metric: str, where: Callable[[Event], bool] = lambda e: True) -> float:
    counts = [active_in(all_events, end, days, where) for days in WINDOWS[metric]]
    if len(counts) == 1:
        return counts[0]
    return counts[0] / counts[1] if counts[1] else 0.0


# -- fixtures ----------------------------------------------------------------------------------------

_COLUMNS = (
    "user_pseudo_id, user_id, event_timestamp, event_name, event_date, event_params, items, device, geo, "
    "stream_id, platform, is_active_user"
)


def stored_events(server: SandboxServer, pid: str) -> list[Event]:
    return helpers.stored_events(server, pid, _COLUMNS)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    srv = start_shop_server(tmp_path_factory.mktemp("more") / "sandbox")
    folder = tmp_path_factory.mktemp("rows")
    real, made = folder / "real.jsonl", folder / "made.jsonl"
    real.write_text(GA4_ROWS.read_text())
    made.write_text("".join(json.dumps(e) + "\n" for e in made_rows()))
    for pid, path in ((REAL_PROP, real), (MADE_PROP, made)):
        helpers.load_rows(srv, pid, path, STREAM_NAMES)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def api(server: SandboxServer) -> Iterator[Clients]:
    with clients(server.address or "") as c:
        yield c


@pytest.fixture(scope="module")
def events(server: SandboxServer) -> dict[str, list[Event]]:
    return {prop: stored_events(server, prop.split("/")[1]) for prop in (PROP, f"properties/{REAL_PROP}", f"properties/{MADE_PROP}")}


SPANS = {PROP: CURRENT, f"properties/{REAL_PROP}": REAL_SPAN, f"properties/{MADE_PROP}": REAL_SPAN}


def report(api: Clients, prop: str, span: tuple[str, str, str], dimensions: list[str], metrics: list[str], **extra: Any) -> Any:
    return api.beta.run_report(
        beta.RunReportRequest(
            property=prop,
            dimensions=[beta.Dimension(name=d) for d in dimensions],
            metrics=[beta.Metric(name=m) for m in metrics],
            date_ranges=[date_range(beta, span)],
            limit=100_000,
            **extra,
        )
    )


# -- tests -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("prop", list(SPANS))
@pytest.mark.parametrize("dimension", DIMENSIONS)
def test_each_dimension_is_as_ga4_defines_it(api: Clients, events: dict[str, list[Event]], prop: str, dimension: str):
    span = SPANS[prop]
    got = Counter({dims[0]: int(values[0]) for dims, values in rows(report(api, prop, span, [dimension], ["eventCount"]))})
    expected = Counter(dimension_value(e, dimension, ymd(span[0])) for e in in_range(events[prop], span))
    assert got == expected


def test_the_made_rows_hold_every_kind_of_value(api: Clients):
    """The made rows exercise both sides of each field (so the test above compares real values)."""
    prop = f"properties/{MADE_PROP}"

    def values(dimension: str) -> set[str]:
        return {dims[0] for dims, _v in rows(report(api, prop, REAL_SPAN, [dimension], ["eventCount"]))}

    assert {"Screen1Activity", "/"} <= values("unifiedPagePathScreen")
    assert {"yes", "no"} == values("signedInWithUserId")
    assert set(STREAM_NAMES.values()) == values("streamName")
    assert {"021", "154", "035"} <= values("subContinentCode")
    assert max(len(v) for v in values("nthMinute")) > 4  # more than four digits when the range needs them


@pytest.mark.parametrize("prop", list(SPANS))
def test_item_rates_and_discounts(api: Clients, events: dict[str, list[Event]], prop: str):
    names = ["cartToViewRate", "purchaseToViewRate", "itemListClickThroughRate", "itemPromotionClickThroughRate", "itemDiscountAmount"]
    span = SPANS[prop]
    got = rows(report(api, prop, span, [], names))
    expected = item_rates(in_range(events[prop], span))[""]
    assert [float(v) for v in got[0][1]] == pytest.approx([expected[n] for n in names])
    by_item = {dims[0]: [float(v) for v in values] for dims, values in rows(report(api, prop, span, ["itemName"], names))}
    expected_by_item = item_rates(in_range(events[prop], span), lambda item: _shown(item.get("item_name")))
    # GA4 leaves out rows whose metrics are all zero (keepEmptyRows is false).
    assert by_item == {k: pytest.approx([v[n] for n in names]) for k, v in expected_by_item.items() if any(v.values())}


def test_the_made_rows_give_every_rate_and_discount(api: Clients):
    got = rows(
        report(
            api, f"properties/{MADE_PROP}", REAL_SPAN, [],
            ["cartToViewRate", "purchaseToViewRate", "itemListClickThroughRate", "itemPromotionClickThroughRate", "itemDiscountAmount"],
        )
    )
    assert all(float(v) > 0 for v in got[0][1])


@pytest.mark.parametrize("prop", list(SPANS))
def test_average_session_duration_and_first_time_purchasers(api: Clients, events: dict[str, list[Event]], prop: str):
    span = SPANS[prop]
    metrics = ["averageSessionDuration", "firstTimePurchasers", "firstTimePurchaserRate", "firstTimePurchasersPerNewUser"]
    got = {dims[0]: [float(v) for v in values] for dims, values in rows(report(api, prop, span, ["date"], metrics))}
    window = in_range(events[prop], span)
    durations, buyers = session_durations(window), first_time_purchasers(events[prop], window)
    expected = {day: [durations.get(day, 0.0), *buyers[day]] for day in buyers}
    assert got == {day: pytest.approx(v) for day, v in expected.items() if any(v)}
    if prop == PROP:
        assert sum(v[1] for v in got.values()) > 0 and min(v[0] for v in got.values()) > 0


def test_a_first_purchase_before_the_range_is_not_a_first_time_purchase(api: Clients, events: dict[str, list[Event]]):
    """The shop's buyers of the current week who bought before it are purchasers, not first-time ones."""
    got = rows(report(api, PROP, CURRENT, [], ["firstTimePurchasers", "totalPurchasers"]))
    first, total = (int(v) for v in got[0][1])
    expected = sum(v[0] for v in first_time_purchasers(events[PROP], in_range(events[PROP], CURRENT)).values())
    assert first == expected < total


@pytest.mark.parametrize("prop, span", [(PROP, CURRENT), (f"properties/{REAL_PROP}", REAL_LATE)])
def test_rolling_active_users_reach_back_before_the_range(api: Clients, events: dict[str, list[Event]], prop: str, span: tuple[str, str, str]):
    metrics = list(WINDOWS)
    response = report(api, prop, span, ["date"], metrics, metric_aggregations=[beta.MetricAggregation.TOTAL])
    got = {dims[0]: [float(v) for v in values] for dims, values in rows(response)}
    days = {e["event_date"] for e in in_range(events[prop], span)}
    assert got == {day: pytest.approx([window_value(events[prop], day, m) for m in metrics]) for day in days}
    # Without a date (and in the totals), the window ends on the range's last day.
    end = ymd(span[1])
    expected = pytest.approx([window_value(events[prop], end, m) for m in metrics])
    assert [float(v.value) for v in response.totals[0].metric_values] == expected
    assert [float(v) for v in rows(report(api, prop, span, [], metrics))[0][1]] == expected
    # GA4: "active1DayUsers ... is the same as Active Users" (of the row's day).
    same = rows(report(api, prop, span, ["date"], ["active1DayUsers", "activeUsers"]))
    assert all(values[0] == values[1] for _dims, values in same)


def test_rolling_active_users_follow_the_row_dimensions_and_the_filter(api: Clients, events: dict[str, list[Event]]):
    country_filter = beta.FilterExpression(
        not_expression=beta.FilterExpression(
            filter=beta.Filter(field_name="deviceCategory", string_filter=beta.Filter.StringFilter(value="desktop"))
        )
    )
    response = report(api, PROP, CURRENT, ["country", "date"], ["active7DayUsers", "dauPerMau"], dimension_filter=country_filter)
    got = {tuple(dims): [float(v) for v in values] for dims, values in rows(response)}
    assert len({c for c, _d in got}) > 3

    def where(country: str) -> Callable[[Event], bool]:
        return lambda e: (e["geo"] or {}).get("country") == country and (e["device"] or {}).get("category") != "desktop"

    assert got == {
        (c, d): pytest.approx([window_value(events[PROP], d, "active7DayUsers", where(c)), window_value(events[PROP], d, "dauPerMau", where(c))])
        for c, d in got
    }


@pytest.mark.parametrize("dimension", ["week", "sessionSource", "landingPage"])
def test_rolling_active_users_refuse_dimensions_without_a_window(api: Clients, dimension: str):
    with pytest.raises(gexc.MethodNotImplemented, match=f"active7DayUsers with the dimension {dimension}"):
        report(api, PROP, CURRENT, [dimension], ["active7DayUsers"])


def test_get_metadata_lists_the_fields(api: Clients):
    metadata = api.beta.get_metadata(beta.GetMetadataRequest(name=f"{PROP}/metadata"))
    dims = {d.api_name: d for d in metadata.dimensions}
    mets = {m.api_name: m for m in metadata.metrics}
    assert set(DIMENSIONS) <= set(dims)
    assert {*WINDOWS, "cartToViewRate", "itemDiscountAmount", "averageSessionDuration", "firstTimePurchasers"} <= set(mets)
    assert mets["averageSessionDuration"].type_ == beta.MetricType.TYPE_SECONDS
    assert mets["itemDiscountAmount"].type_ == beta.MetricType.TYPE_CURRENCY
    assert dims["unifiedPageScreen"].ui_name == "Page path + query string and screen class"


def test_the_gap_list_no_longer_names_them():
    from ga_goals.sandbox.schema_docs import coverage

    computed_dims, computed_metrics, missing_dims, missing_metrics = coverage()
    assert set(DIMENSIONS) <= set(computed_dims) and not set(DIMENSIONS) & set(missing_dims)
    assert set(WINDOWS) <= set(computed_metrics) and not set(WINDOWS) & set(missing_metrics)



@pytest.mark.parametrize("dimension, seconds", [("nthHour", 3600), ("nthMinute", 60), ("nthDay", 86400)])
def test_nth_counts_are_never_cut_to_four_digits(api: Clients, events: dict[str, list[Event]], dimension: str, seconds: int):
    """A range of 14 months: more than 9,999 hours from its start (GA4 pads to four digits, never cuts)."""
    span = ("2019-11-01", "2021-01-31", "long")
    start = datetime(2019, 11, 1, tzinfo=timezone.utc).timestamp()
    got = Counter({dims[0]: int(values[0]) for dims, values in rows(report(api, f"properties/{REAL_PROP}", span, [dimension], ["eventCount"]))})
    expected = Counter(f"{int((e['event_timestamp'] / 1e6 - start) // seconds):04d}" for e in events[f"properties/{REAL_PROP}"])
    assert got == expected
    assert dimension == "nthDay" or max(len(v) for v in got) > 4


def test_rolling_active_users_follow_each_comparison(api: Clients, events: dict[str, list[Event]]):
    """A comparison's filter restricts the window's events as the request's own filter does."""
    response = api.beta.run_report(
        beta.RunReportRequest(
            property=PROP,
            dimensions=[beta.Dimension(name="date")],
            metrics=[beta.Metric(name="active7DayUsers"), beta.Metric(name="wauPerMau")],
            date_ranges=[date_range(beta, CURRENT)],
            comparisons=[
                beta.Comparison(
                    name=category,
                    dimension_filter=beta.FilterExpression(
                        filter=beta.Filter(field_name="deviceCategory", string_filter=beta.Filter.StringFilter(value=category))
                    ),
                )
                for category in ("mobile", "desktop")
            ],
            limit=100_000,
        )
    )
    got = {tuple(dims): [float(v) for v in values] for dims, values in rows(response)}
    assert {c for _d, c in got} == {"mobile", "desktop"}

    def on(category: str) -> Callable[[Event], bool]:
        return lambda e: (e["device"] or {}).get("category") == category

    assert got == {
        (d, c): pytest.approx([window_value(events[PROP], d, m, on(c)) for m in ("active7DayUsers", "wauPerMau")]) for d, c in got
    }
