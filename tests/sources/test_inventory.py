"""What a property receives (every event name, which parameters arrive) is answered alike by the
Data API (the real GA4 clients against the sandbox) and by SQL over the export (DuckDB, BigQuery),
on Google's real export rows (tests/data/ga4): text, integer and absent parameters, registered
custom dimensions and one that is not."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest

from ga_goals.events import EventStore
from ga_goals.manager import Connection, Manager
from ga_goals.plan_file import load_plan
from ga_goals.sandbox.bigquery import serve_bigquery
from ga_goals.sources.base import EngineOptions, ReportQuery
from ga_goals.sources.bigquery_engine import BigQueryEngine
from ga_goals.sources.export import DuckDBEngine, ExportSource
from ga_goals.sources.results import ParameterRef
from tests.conftest import GA4_DATA

PROPERTY = "100000009"
DATASET = "ga-goals-test.analytics_100000009"


@dataclass(frozen=True)
class Span:
    name: str
    start: date
    end: date


SPANS = (Span("all", date(2020, 11, 1), date(2021, 1, 31)), Span("december", date(2020, 12, 1), date(2020, 12, 31)))
PLAN = f"""\
property: "{PROPERTY}"
conversions:
  macro:
    purchase: {{}}
custom_dimensions:
  search_term: {{scope: event, display_name: Search term}}
  term: {{scope: event, display_name: Term}}
  engaged_session_event: {{scope: event, display_name: Engaged session event}}
  gift_wrap: {{scope: event, display_name: Gift wrap}}
  customer_tier: {{scope: user, display_name: Customer tier}}
"""
REGISTERED = (
    ParameterRef("event", "search_term"),
    ParameterRef("event", "term"),
    ParameterRef("event", "engaged_session_event"),
    ParameterRef("event", "gift_wrap"),
    ParameterRef("user", "customer_tier"),
)
UNREGISTERED = ParameterRef("event", "page_title")
QUERY = ReportQuery(spans=SPANS, event_names=True, parameters=(*REGISTERED, UNREGISTERED, ParameterRef("item", "item_color")))


@pytest.fixture(scope="module")
def sample() -> Iterator[EventStore]:
    store = EventStore()
    store.load_jsonl(GA4_DATA / "export-sample-events.jsonl")
    yield store
    store.close()


@pytest.fixture(scope="module")
def data_api(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("inventory")
    (base / "plan.yaml").write_text(PLAN)
    plan = load_plan(base / "plan.yaml", env={})
    with Manager(Connection(sandbox=True, sandbox_dir=base / "sandbox")) as manager:
        manager.sync(plan, apply=True)
        server = manager._sandbox()
        rows = base / "rows.jsonl"
        rows.write_text((GA4_DATA / "export-sample-events.jsonl").read_text())
        server.data.events.load(PROPERTY, [rows], replace=True)
        with manager.report_source(plan) as source:
            return source.fetch(QUERY)


def _duckdb(store: EventStore):
    engine = DuckDBEngine(lambda start, end: "events", "sample rows", store.connection)
    with ExportSource(engine, property=f"properties/{PROPERTY}") as source:
        return source.fetch(QUERY)


def _names(answer) -> list[tuple[str, str, float, float]]:
    return sorted((d["eventName"], d["dateRange"], v["eventCount"], v["totalUsers"]) for d, v in answer.event_names.rows)


def test_every_event_name_with_its_count_and_users(data_api, sample):
    duck = _duckdb(sample)
    assert _names(data_api) == _names(duck)
    assert {name for name, *_ in _names(duck)} >= {"page_view", "session_start", "user_engagement"}
    assert sum(n for _, span, n, _ in _names(duck) if span == "all") == 700


def test_parameters_arrive_alike_and_the_data_api_says_what_it_cannot_see(data_api, sample):
    duck = _duckdb(sample)
    for parameter in REGISTERED:
        for span in SPANS:
            assert data_api.parameters.events(parameter, span.name) == duck.parameters.events(parameter, span.name), (parameter, span)
    counts = {p.name: duck.parameters.events(p, "all") for p in REGISTERED}
    assert counts == {"search_term": 11, "term": 100, "engaged_session_event": 670, "gift_wrap": 0, "customer_tier": 0}
    # the export sees what the property has not registered; the Data API cannot, and says why
    assert duck.parameters.events(UNREGISTERED, "all") == 694
    assert data_api.parameters.events(UNREGISTERED, "all") is None
    assert "not registered" in data_api.parameters.unseen[UNREGISTERED]
    assert data_api.parameters.events(ParameterRef("item", "item_color"), "all") is None
    assert duck.parameters.events(ParameterRef("item", "item_color"), "all") == 0


def test_bigquery_answers_as_duckdb(sample):
    duck = _duckdb(sample)
    with serve_bigquery(sample.connection, DATASET) as bq:
        engine = BigQueryEngine.from_options(EngineOptions(engine="bigquery", dataset=DATASET, endpoint=bq.endpoint))
        with ExportSource(engine, property=f"properties/{PROPERTY}") as source:
            answer = source.fetch(QUERY)
        real = [j for j in bq.jobs.recorded if not j.dry_run]
    assert _names(answer) == _names(duck)
    assert answer.parameters.counts == duck.parameters.counts and answer.parameters.unseen == {}
    assert all("'search_term'" not in j.sql and "'customer_tier'" not in j.sql for j in real)  # names are parameters
