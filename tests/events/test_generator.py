"""The traffic generator: deterministic, realistic, and the example shop plan's funnels mean something on it."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from ga_goals.events import EventStore, generate, param
from ga_goals.funnels import run_funnel
from ga_goals.plan_file import load_plan

SHOP = Path(__file__).resolve().parents[2] / "configs" / "shop.yaml"
START, END = date(2024, 3, 4), date(2024, 4, 28)  # eight weeks, Monday to Sunday


def checksum(store: EventStore) -> tuple[int, str]:
    return store.connection.execute(
        "SELECT count(*), md5(string_agg(_row_hash || md5(CAST(device AS VARCHAR) || CAST(geo AS VARCHAR) "
        "|| CAST(ecommerce AS VARCHAR)), ',' ORDER BY _row_hash)) FROM events"
    ).fetchone()


@pytest.fixture(scope="module")
def shop() -> EventStore:
    """Eight weeks of 2,000 users (about 30,000 events)."""
    store = EventStore()
    generate(store, START, END, users=2000, seed=11)
    yield store
    store.close()


@pytest.fixture(scope="module")
def plan():
    return load_plan(SHOP)


def test_same_seed_same_rows_other_seed_other_rows():
    with EventStore() as a, EventStore() as b, EventStore() as c:
        ra = generate(a, date(2024, 5, 6), date(2024, 5, 19), users=300, seed=5)
        generate(b, date(2024, 5, 6), date(2024, 5, 19), users=300, seed=5)
        generate(c, date(2024, 5, 6), date(2024, 5, 19), users=300, seed=6)
        assert ra.events == a.count() > 1000
        assert checksum(a) == checksum(b)
        assert checksum(a) != checksum(c)


def test_generating_the_same_traffic_again_adds_nothing():
    with EventStore() as store:
        first = generate(store, date(2024, 5, 6), date(2024, 5, 12), users=100, seed=3)
        again = generate(store, date(2024, 5, 6), date(2024, 5, 12), users=100, seed=3)
        assert first.inserted == first.events and again.inserted == 0
        assert store.count() == first.events


def test_bad_arguments():
    with EventStore() as store:
        with pytest.raises(ValueError, match="before the start"):
            generate(store, END, START)
        assert generate(store, START, START, users=0).events == 0


def test_events_stay_in_the_date_range(shop):
    assert shop.date_range() == (START, END)
    low, high = shop.connection.execute("SELECT min(event_timestamp), max(event_timestamp) FROM events").fetchone()
    assert datetime.fromtimestamp(low / 1e6, timezone.utc).date() >= START
    assert datetime.fromtimestamp(high / 1e6, timezone.utc).date() <= END
    mismatched = shop.connection.execute(
        "SELECT count(*) FROM events WHERE event_date <> strftime(make_timestamp(event_timestamp), '%Y%m%d')"
    ).fetchone()[0]
    assert mismatched == 0


def test_every_event_the_shop_plan_names_occurs(shop, plan):
    counts = shop.event_counts()
    named = {event for funnel in plan.funnels.values() for step in funnel.steps for event in step.events}
    named |= {c.event_name for c in plan.conversions.values() if not c.created_from}
    named |= {rule.conditions[0].value for c in plan.conversions.values() for rule in c.created_from}
    named |= set(plan.events)
    missing = {name for name in named if counts.get(name, 0) == 0}
    assert not missing
    # plausible frequencies: the journey narrows
    assert counts["page_view"] > counts["view_item"] > counts["add_to_cart"] > counts["begin_checkout"]
    assert counts["begin_checkout"] > counts["add_shipping_info"] > counts["add_payment_info"] > counts["purchase"]
    assert counts["purchase"] > 50
    for micro in ("view_search_results", "add_to_wishlist", "sign_up", "write_review", "form_submit"):
        assert counts[micro] >= 10, micro


def test_parameters_of_created_events_and_filters(shop):
    con = shop.connection
    content = dict(
        con.execute(
            f"SELECT {param('content_type')}, count(*) FROM events WHERE event_name = 'select_content' GROUP BY 1"
        ).fetchall()
    )
    assert content.keys() >= {"filter", "compare", "banner"}
    forms = dict(
        con.execute(
            f"SELECT {param('form_id')}, count(*) FROM events WHERE event_name = 'form_submit' GROUP BY 1"
        ).fetchall()
    )
    assert forms["newsletter"] > forms.get("contact", 0) > 0
    free, paid = con.execute(
        f"SELECT count(*) FILTER (WHERE {param('value', 'number')} = 0), "
        f"count(*) FILTER (WHERE {param('value', 'number')} > 0) FROM events WHERE event_name = 'purchase'"
    ).fetchone()
    assert 0 < free < paid / 10


def test_sessions_users_and_weekdays(shop):
    con = shop.connection
    users, returning = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE n > 1) FROM (SELECT user_pseudo_id, "
        f"max({param('ga_session_number', 'int')}) AS n FROM events GROUP BY 1)"
    ).fetchone()
    assert users == 2000 and 0.2 < returning / users < 0.6
    per_day = dict(
        con.execute(
            "SELECT isodow(make_timestamp(event_timestamp)), count(*) FROM events "
            "WHERE event_name = 'session_start' GROUP BY 1"
        ).fetchall()
    )
    assert min(per_day[d] for d in (1, 2, 3)) > per_day[6]  # Saturdays are quieter than early weekdays
    first_touch = shop.connection.execute(
        "SELECT count(DISTINCT user_pseudo_id) FROM events WHERE event_name = 'first_visit'"
    ).fetchone()[0]
    assert first_touch == users


def test_devices_channels_geo_and_ecommerce(shop):
    con = shop.connection
    devices = dict(
        con.execute("SELECT device.category, count(DISTINCT user_pseudo_id) FROM events GROUP BY 1").fetchall()
    )
    assert set(devices) == {"desktop", "mobile", "tablet"} and devices["tablet"] < devices["desktop"]
    mediums = {r[0] for r in con.execute("SELECT DISTINCT traffic_source.medium FROM events").fetchall()}
    assert {"organic", "cpc", "email", "social", "referral", "(none)"} <= mediums
    campaigns = {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT collected_traffic_source.manual_campaign_name FROM events "
            "WHERE collected_traffic_source.manual_medium = 'cpc'"
        ).fetchall()
    }
    assert {"brand_search", "generic_products"} <= campaigns
    assert con.execute("SELECT count(DISTINCT geo.country) FROM events").fetchone()[0] >= 8
    bad = con.execute(
        "SELECT count(*) FROM events WHERE event_name = 'purchase' AND (len(items) = 0 OR "
        "ecommerce.transaction_id IS NULL OR ecommerce.total_item_quantity < 1)"
    ).fetchone()[0]
    assert bad == 0
    colors = con.execute(
        "SELECT count(*) FROM (SELECT unnest(items) AS i FROM events WHERE event_name = 'view_item') "
        "WHERE i.item_params[1].key = 'item_color'"
    ).fetchone()[0]
    assert colors > 0


def test_events_fired_together_share_a_timestamp_like_real_batches(shop):
    con = shop.connection
    landing = con.execute(
        "SELECT count(*) FROM (SELECT user_pseudo_id, event_timestamp, batch_page_id, batch_ordering_id, "
        "batch_event_index, list(event_name ORDER BY event_name) AS names FROM events "
        "WHERE event_name IN ('first_visit', 'session_start', 'page_view') GROUP BY ALL) "
        "WHERE names = ['first_visit', 'page_view', 'session_start']"
    ).fetchone()[0]
    assert landing == 2000  # every first visit: one hit, three events
    view_item_ties = con.execute(
        "SELECT count(*) FROM events AS v JOIN events AS p ON p.user_pseudo_id = v.user_pseudo_id "
        "AND p.event_timestamp = v.event_timestamp AND p.event_name = 'page_view' "
        "AND p.batch_event_index + 1 = v.batch_event_index WHERE v.event_name = 'view_item'"
    ).fetchone()[0]
    assert view_item_ties == shop.event_counts()["view_item"]


def test_the_shop_funnels_are_meaningful(shop, plan):
    checkout, browse = plan.funnels["checkout"], plan.funnels["browse_to_buy"]
    result = run_funnel(shop, checkout, START, END, checkout.breakdown)
    users = result.users
    assert all(u > 0 for u in users)
    assert list(users) == sorted(users, reverse=True)  # closed: never grows
    assert 0.01 < result.overall_conversion() < 0.3
    by_device = {row.breakdown: row for row in result.rows}
    assert set(by_device) == {"desktop", "mobile", "tablet"}
    assert result.overall_conversion(by_device["desktop"]) > 1.3 * result.overall_conversion(by_device["mobile"])
    # the time windows of the plan cost users: without them more users would go on
    unbounded = run_funnel(shop, _without_windows(checkout), START, END)
    assert unbounded.users[2] > users[2] and unbounded.users[5] >= users[5]
    # open funnel: later steps can count users who skipped earlier ones
    open_result = run_funnel(shop, browse, START, END, "sessionDefaultChannelGroup")
    assert open_result.users[1] > open_result.users[0]
    assert all(u > 0 for u in open_result.users)
    channels = {row.breakdown: row for row in open_result.rows}
    assert {"Direct", "Organic Search", "Paid Search", "Email"} <= set(channels)
    rates = {name: open_result.overall_conversion(row) for name, row in channels.items()}
    assert max(rates.values()) > 1.5 * min(rates.values())


def _without_windows(funnel):
    from dataclasses import replace

    return replace(funnel, steps=tuple(replace(s, within_seconds=None) for s in funnel.steps))


def test_incidental_events_leave_the_journeys_as_they_were(monkeypatch: pytest.MonkeyPatch):
    """The old tag's add_to_basket and the random share come from a stream of their own: without
    them, every other row is exactly the same."""
    from ga_goals.events import generator

    with EventStore() as with_them, EventStore() as without:
        generate(with_them, START, date(2024, 3, 17), users=400, seed=5)
        monkeypatch.setattr(generator, "_add_incidental_events", lambda sim, seed: None)
        generate(without, START, date(2024, 3, 17), users=400, seed=5)
        query = "SELECT _row_hash FROM events WHERE event_name NOT IN ('add_to_basket', 'share') ORDER BY 1"
        assert with_them.connection.execute(query).fetchall() == without.connection.execute(query).fetchall()
        extra = "SELECT count(*) FROM events WHERE event_name IN ('add_to_basket', 'share')"
        assert with_them.connection.execute(extra).fetchone()[0] > 0
        assert without.connection.execute(extra).fetchone()[0] == 0


def test_the_old_tag_doubles_add_to_cart_and_share_is_random_on_first_visits(shop):
    con = shop.connection
    carts, baskets, paired = con.execute(
        "SELECT (SELECT count(*) FROM events WHERE event_name = 'add_to_cart'), "
        "(SELECT count(*) FROM events WHERE event_name = 'add_to_basket'), "
        "(SELECT count(*) FROM events AS b JOIN events AS c ON c.user_pseudo_id = b.user_pseudo_id "
        " AND c.event_timestamp = b.event_timestamp AND c.event_name = 'add_to_cart' WHERE b.event_name = 'add_to_basket')"
    ).fetchone()
    assert baskets == paired and 0.4 < baskets / carts < 0.6  # every one beside an add_to_cart, about half of them
    shares = con.execute(
        f"SELECT count(*), count(DISTINCT user_pseudo_id), max({param('ga_session_number', 'int')}), "
        "count(*) FILTER (WHERE len(items) > 0 OR ecommerce IS NOT NULL) FROM events WHERE event_name = 'share'"
    ).fetchone()
    users = con.execute("SELECT count(DISTINCT user_pseudo_id) FROM events").fetchone()[0]
    assert shares[0] == shares[1] and shares[2] == 1 and shares[3] == 0  # once, on the first visit, no payload
    assert 0.03 < shares[1] / users < 0.09


def test_the_product_page_experiment_has_its_known_effect(shop, plan):
    """Every user is in one arm of pdp_test (a user property on all their events); B saves more
    of the products it views, A and C are alike (the split test's known effect)."""
    from ga_goals.events.generator import PDP_TEST_ARMS, PDP_TEST_EXTRA_WISHLIST, PDP_TEST_PROPERTY

    arms = dict(
        shop.connection.execute(
            "SELECT up.value.string_value, count(DISTINCT user_pseudo_id) FROM events, unnest(user_properties) AS u(up) "
            f"WHERE up.key = '{PDP_TEST_PROPERTY}' GROUP BY 1"
        ).fetchall()
    )
    assert set(arms) == set(PDP_TEST_ARMS) and PDP_TEST_EXTRA_WISHLIST == (0.0, 0.12, 0.0)
    users = shop.connection.execute("SELECT count(DISTINCT user_pseudo_id) FROM events").fetchone()[0]
    assert sum(arms.values()) == users and all(0.28 < n / users < 0.39 for n in arms.values())
    funnel = plan.funnels["product_to_wishlist"]
    rows = {r.breakdown: r for r in run_funnel(shop, funnel, START, END, f"customUser:{PDP_TEST_PROPERTY}").rows}
    rate = {arm: rows[arm].users[1] / rows[arm].users[0] for arm in PDP_TEST_ARMS}
    assert rate["B"] > 1.8 * rate["A"] and 0.75 < rate["C"] / rate["A"] < 1.33


def test_the_experiment_only_adds_wishlist_rows(monkeypatch):
    """Arm B's extra saves come from the experiment's own stream and do not move the journey's
    clock: without them every other row is the same (users, times, names, parameters, items)."""
    from ga_goals.events import generator

    def rows() -> set[tuple]:
        with EventStore() as store:
            generate(store, date(2024, 4, 1), date(2024, 4, 28), users=600, seed=5)
            return set(
                store.connection.execute(
                    "SELECT user_pseudo_id, event_timestamp, event_name, CAST(event_params AS VARCHAR), "
                    "CAST(items AS VARCHAR), batch_page_id, batch_event_index FROM events"
                ).fetchall()
            )

    with_experiment = rows()
    monkeypatch.setattr(generator, "PDP_TEST_EXTRA_WISHLIST", (0.0, 0.0, 0.0))
    without = rows()
    added = with_experiment - without
    assert without <= with_experiment and added
    assert {row[2] for row in added} == {"add_to_wishlist"}


# Enhanced measurement ------------------------------------------------------------------------


def _rows(settings=None) -> dict[str, set[str]]:
    """Row hashes by event name, of a fortnight of 400 users under ``settings``."""
    with EventStore() as store:
        generate(store, START, date(2024, 3, 17), users=400, seed=5, enhanced_measurement=settings)
        out: dict[str, set[str]] = {}
        for name, row_hash in store.connection.execute("SELECT event_name, _row_hash FROM events").fetchall():
            out.setdefault(name, set()).add(row_hash)
        return out


@pytest.fixture(scope="module")
def default_rows() -> dict[str, set[str]]:
    return _rows()


@pytest.mark.parametrize("setting", ["scrolls", "site_search", "form_interactions", "stream_enabled", "video_engagement"])
def test_a_setting_turned_off_removes_its_events_and_nothing_else(default_rows, setting):
    """The events the setting gives GA4 (the model's one table) are gone; every other row is the
    same row as with GA4's defaults."""
    from ga_goals.model import EnhancedMeasurement
    from ga_goals.model.enhanced_measurement import EVENT_SETTINGS

    off = _rows(EnhancedMeasurement(**{setting: False}))
    needs = {e for e, s in EVENT_SETTINGS.items() if setting in (s, "stream_enabled")}
    gone = {name for name in default_rows if name in needs}
    assert {name for name in default_rows if name not in off} == gone
    assert {"scroll": "scrolls", "view_search_results": "site_search", "form_submit": "form_interactions"}.keys() >= gone
    for name, hashes in off.items():
        assert hashes == default_rows[name], name


def test_settings_left_out_are_ga4s_defaults(default_rows):
    from ga_goals.model import EnhancedMeasurement

    assert _rows(EnhancedMeasurement(page_changes=False, outbound_clicks=False, search_query_parameter="q,s")) == default_rows


def test_the_search_page_url_carries_the_configured_query_parameter():
    from ga_goals.model import EnhancedMeasurement

    location, referrer, term = param("page_location", "string"), param("page_referrer", "string"), param("search_term", "string")
    for settings, key in ((None, "q"), (EnhancedMeasurement(search_query_parameter="keyword,q"), "keyword")):
        with EventStore() as store:
            generate(store, START, date(2024, 3, 10), users=200, seed=3, enhanced_measurement=settings)
            con = store.connection
            searches = con.execute(f"SELECT {location}, {term} FROM events WHERE event_name = 'view_search_results'").fetchall()
            assert searches and all(url == f"https://shop.example.com/search?{key}={t.replace(' ', '+')}" for url, t in searches)
            on_page = con.execute(f"SELECT DISTINCT event_name FROM events WHERE {location} LIKE '%/search?%'").fetchall()
            assert {"page_view", "view_search_results"} <= {n for (n,) in on_page}
            assert con.execute(f"SELECT count(*) FROM events WHERE {location} LIKE '%/search'").fetchone()[0] == 0
            after = con.execute(f"SELECT count(*) FROM events WHERE {referrer} LIKE '%/search?{key}=%'").fetchone()[0]
            assert after > 0  # the next page's referrer is the results page, with its query


def test_traffic_key_names_what_changes():
    from ga_goals.events.generator import traffic_key
    from ga_goals.model import EnhancedMeasurement
    from ga_goals.model.enhanced_measurement import GA4_DEFAULTS

    assert traffic_key(None) == traffic_key(GA4_DEFAULTS) == traffic_key(EnhancedMeasurement(search_query_parameter="q")) == ""
    assert traffic_key(EnhancedMeasurement(scrolls=False, search_query_parameter="s")) == "without scroll; search pages ?s="
    assert traffic_key(EnhancedMeasurement(stream_enabled=False)) == "without form_submit, scroll, view_search_results"



def test_the_known_violations_change_only_their_own_rows(monkeypatch: pytest.MonkeyPatch):
    """The four known violations (add_to_cart without currency for a broken release, bank_transfer,
    value as text, experiment_variant) come from a stream of their own: without them, the same
    events with the same times, and every row but those events' parameters the same."""
    from ga_goals.events import generator

    def rows() -> set[tuple]:
        with EventStore() as store:
            generate(store, date(2024, 4, 1), date(2024, 4, 28), users=800, seed=5)
            return set(
                store.connection.execute(
                    "SELECT user_pseudo_id, event_timestamp, event_name, CAST(event_params AS VARCHAR), "
                    "CAST(items AS VARCHAR), batch_page_id, batch_event_index FROM events"
                ).fetchall()
            )

    with_them = rows()
    monkeypatch.setattr(generator, "_add_known_violations", lambda sim, seed: None)
    without = rows()
    assert len(with_them) == len(without)
    changed = with_them - without
    names = {row[2] for row in changed}
    assert {"add_to_cart", "view_item"} <= names <= {"add_to_cart", "add_payment_info", "purchase", "view_item"}
    assert {row[:3] for row in changed} == {row[:3] for row in without - with_them}  # the same events, other parameters
    first, last = generator.broken_release(date(2024, 4, 1), date(2024, 4, 28), 5)
    broken = {row for row in changed if row[2] == "add_to_cart"}
    days = {datetime.fromtimestamp(row[1] / 1e6, timezone.utc).date() for row in broken}
    assert days and first <= min(days) and max(days) <= last and (last - first).days == 4
    assert all("'currency'" not in row[3] for row in broken)
