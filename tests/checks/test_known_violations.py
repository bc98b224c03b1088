"""`ga-goals check` finds exactly the sandbox's four known violations, on every engine.

The sandbox's shop traffic (ga_goals/events/generator.py, ``_add_known_violations``) carries them:
``add_to_cart`` without ``currency`` for a 5-day broken release, ``add_payment_info`` with
``payment_type`` ``bank_transfer``, ``purchase`` with ``value`` as text, ``view_item`` with an
undeclared ``experiment_variant``. Checked with schemas of everything else the shop sends
(tests/checks/schemas.py), DuckDB on the sandbox's export files and BigQuery SQL find those four
and nothing else, with the counts, shares, days and examples a plain query of the rows gives; the
Data API finds the two its registered custom dimensions show, equal to the export's, and says
per parameter what it cannot see.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest

from ga_goals.checks import CheckResult, run_check
from ga_goals.events import EventStore
from ga_goals.events.generator import broken_release
from ga_goals.plan_file import load_plan
from ga_goals.sandbox.bigquery import serve_bigquery
from ga_goals.sandbox.events import default_range, default_seed
from ga_goals.sources.base import EngineOptions
from ga_goals.sources.bigquery_engine import BigQueryEngine
from ga_goals.sources.export import ExportSource
from tests.checks.on_sandbox import check_export, check_on_sandbox
from tests.checks.schemas import shop_schemas

PLAN = Path(__file__).with_name("schema_plan.yaml")
PROPERTY = "100000001"
DATASET = "ga-goals-test.analytics_100000001"


@dataclass
class Checked:
    plan: object
    today: date
    export: Path
    store: EventStore
    data_api: CheckResult
    duckdb: CheckResult


def _faults(result: CheckResult) -> dict[tuple[str, str], dict]:
    return {(f.subject, f.figures["fault"]): f.figures for f in result.findings if "fault" in f.figures}


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Checked]:
    plan = load_plan(PLAN, env={})
    plan.event_schemas = shop_schemas()
    done = check_on_sandbox(plan, tmp_path_factory.mktemp("violations"))
    store = EventStore()
    store.load_parquet(str(done.export / "*.parquet"))
    yield Checked(plan, done.today, done.export, store, done.data_api, check_export(plan, done.export, done.today))
    store.close()


def _plain(checked: Checked, sql: str) -> tuple:
    """A plain query of the exported rows in the check's period (the last 28 days ending yesterday)."""
    start, end = checked.duckdb.start, checked.duckdb.end
    return checked.store.connection.execute(
        sql.replace("{period}", f"event_date BETWEEN '{start:%Y%m%d}' AND '{end:%Y%m%d}'")
    ).fetchone()


def _day(text: str) -> date:
    return datetime.strptime(text, "%Y%m%d").date()


def test_the_export_finds_exactly_the_four_known_violations(checked: Checked):
    assert set(_faults(checked.duckdb)) == {
        ("add_to_cart.currency", "missing"),
        ("add_payment_info.payment_type", "not_allowed"),
        ("purchase.value", "wrong_type"),
        ("view_item.experiment_variant", "undeclared"),
    }
    assert checked.duckdb.checked["event_names_seen"] == len(shop_schemas())


def test_the_broken_release_drops_currency_on_every_add_to_cart_of_five_days(checked: Checked):
    found = _faults(checked.duckdb)[("add_to_cart.currency", "missing")]
    first, last = broken_release(*default_range("UTC", checked.today), default_seed(PROPERTY))
    assert (found["first_day"], found["last_day"]) == (first.isoformat(), last.isoformat())
    assert (last - first).days == 4 and checked.duckdb.start <= first and last <= checked.duckdb.end
    total, on_those_days, without = _plain(
        checked,
        f"SELECT count(*), count(*) FILTER (WHERE event_date BETWEEN '{first:%Y%m%d}' AND '{last:%Y%m%d}'), "
        "count(*) FILTER (WHERE NOT list_contains(list_transform(event_params, lambda p: p.key), 'currency')) "
        "FROM events WHERE event_name = 'add_to_cart' AND {period}",
    )
    assert found["events"] == without == on_those_days > 0 and found["event_total"] == total
    assert found["share"] == pytest.approx(without / total) and found["example"] is None
    [finding] = [f for f in checked.duckdb.findings if f.subject == "add_to_cart.currency"]
    assert finding.severity == "error" and finding.kind == "parameter_missing"


@pytest.mark.parametrize(
    "subject, fault, event, condition, low, high, example",
    [
        ("add_payment_info.payment_type", "not_allowed", "add_payment_info",
         "list_contains(list_transform(event_params, lambda p: p.value.string_value), 'bank_transfer')", 0.01, 0.06,
         r"bank_transfer"),
        ("purchase.value", "wrong_type", "purchase",
         "len(list_filter(event_params, lambda p: p.key = 'value' AND p.value.string_value IS NOT NULL)) > 0", 0.002, 0.03,
         r"[0-9]+\.[0-9]{2}"),
        ("view_item.experiment_variant", "undeclared", "view_item",
         "list_contains(list_transform(event_params, lambda p: p.key), 'experiment_variant')", 0.01, 0.035,
         r"control"),
    ],
)
def test_each_share_of_violations_as_the_rows_say(checked: Checked, subject, fault, event, condition, low, high, example):
    found = _faults(checked.duckdb)[(subject, fault)]
    total, n, first, last = _plain(
        checked,
        f"SELECT count(*), count(*) FILTER (WHERE {condition}), min(event_date) FILTER (WHERE {condition}), "
        f"max(event_date) FILTER (WHERE {condition}) FROM events WHERE event_name = '{event}' AND {{period}}",
    )
    assert (found["events"], found["event_total"]) == (n, total)
    assert low < found["share"] < high
    assert (found["first_day"], found["last_day"]) == (_day(first).isoformat(), _day(last).isoformat())
    assert re.fullmatch(example, found["example"])


def test_bigquery_finds_the_same(checked: Checked):
    with serve_bigquery(checked.store.connection, DATASET) as bq:
        engine = BigQueryEngine.from_options(EngineOptions(engine="bigquery", dataset=DATASET, endpoint=bq.endpoint))
        with ExportSource(engine, property=f"properties/{PROPERTY}") as source:
            result = run_check(checked.plan, source, today=checked.today)
    assert _faults(result) == _faults(checked.duckdb)
    assert result.checked == checked.duckdb.checked


def test_the_data_api_finds_what_registered_dimensions_show_and_says_what_it_cannot(checked: Checked):
    api, duck = _faults(checked.data_api), _faults(checked.duckdb)
    assert set(api) == {("add_payment_info.payment_type", "not_allowed"), ("view_item.experiment_variant", "undeclared")}
    for key in api:
        without_declared = {k: v for k, v in api[key].items() if k != "declared"}
        assert without_declared == {k: v for k, v in duck[key].items() if k != "declared"}, key
    notes = {f.subject: f for f in checked.data_api.findings if f.kind == "not_checked" and f.figures.get("kinds")}
    # currency cannot be a custom dimension: nothing of it is visible, the broken release included
    assert "not registered as a custom dimension: not checkable from the Data API; use the export engines" in notes["currency"].message
    assert set(notes["currency"].figures["kinds"]) == {"missing", "wrong_type", "not_allowed", "pattern"}
    assert "add_to_cart" in notes["currency"].figures["events"]
    # value is registered: its values are visible, its type is not (text sent for a number included)
    assert notes["value"].figures["kinds"] == ["wrong_type"] and "as text" in notes["value"].message
    assert notes["items[].*"].figures["item"] is True and "add_to_cart" in notes["items[].*"].figures["events"]
    assert notes["(unregistered)"].figures["kinds"] == ["undeclared"]
    declared = {p.name for s in shop_schemas().values() for p in s.parameters if p.type != "items"}
    assert declared <= set(notes)  # every declared parameter says what the Data API could not see


# -- configs/shop.yaml: its declarations, its event create rules, on the same traffic --------------

SHOP = Path(__file__).resolve().parents[2] / "configs" / "shop.yaml"


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CheckResult, CheckResult]]:
    """configs/shop.yaml synced to a sandbox (its create rules make use_filter, compare_products and
    newsletter_signup from the traffic), checked from the Data API and from the export files."""
    plan = load_plan(SHOP, env={})
    done = check_on_sandbox(plan, tmp_path_factory.mktemp("shop"))
    yield done.data_api, check_export(plan, done.export, done.today)


def test_the_shop_plan_on_the_sandbox_finds_exactly_the_known_violations(shop: tuple[CheckResult, CheckResult]):
    data_api, duck = shop
    assert set(_faults(duck)) == {
        ("add_to_cart.currency", "missing"),
        ("add_payment_info.payment_type", "not_allowed"),
        ("purchase.value", "wrong_type"),
        ("view_item.experiment_variant", "undeclared"),
    }
    plan = load_plan(SHOP, env={})
    assert duck.checked["event_names"] == len(plan.event_schemas)
    assert duck.checked["event_names_seen"] == len(plan.event_schemas)  # created events included
    # the shop registers none of those parameters: the Data API finds none of them, and says why
    assert _faults(data_api) == {}
    notes = {f.subject for f in data_api.findings if f.kind == "not_checked" and f.figures.get("kinds")}
    assert {"currency", "payment_type", "value", "(unregistered)"} <= notes
