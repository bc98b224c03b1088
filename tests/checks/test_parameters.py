"""Parameter checks on hand-written export rows: every kind of fault, on DuckDB and on BigQuery SQL
(the real client against the local endpoint), and the type rules against their Python statement."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ga_goals.checks import run_check
from ga_goals.checks.render import render_json, render_text
from ga_goals.events import EventStore
from ga_goals.funnels.dialect import Dialect
from ga_goals.model.event_schemas import EventSchema
from ga_goals.model.event_schemas import ParameterSpec as P
from ga_goals.model.parameter_types import accepts, present, text_accepts
from ga_goals.plan_file import load_plan
from ga_goals.sandbox.bigquery import serve_bigquery
from ga_goals.sources.base import EngineOptions, ReportQuery
from ga_goals.sources.bigquery_engine import BigQueryEngine
from ga_goals.sources.export import DuckDBEngine, ExportSource
from ga_goals.sources.parameter_sql import _Compiler, _Value
from ga_goals.sources.results import ParameterFault

DATASET = "ga-goals-test.analytics_100000002"
D1, D2, D3 = date(2024, 5, 1), date(2024, 5, 2), date(2024, 5, 3)


def _value(kind: str, value: object) -> dict:
    record = {"string_value": None, "int_value": None, "float_value": None, "double_value": None}
    if kind != "none":
        record[{"s": "string_value", "i": "int_value", "d": "double_value", "f": "float_value"}[kind]] = value
    return record


def _params(pairs: list[tuple[str, str, object]]) -> list[dict]:
    return [{"key": k, "value": _value(kind, v)} for k, kind, v in pairs]


def _item(**fields: object) -> dict:
    params = fields.pop("params", [])
    return {**fields, "item_params": _params(params)}  # type: ignore[arg-type]


def _event(name: str, day: date, params: list[tuple[str, str, object]], items: list[dict] | None = None, n: int = 0) -> dict:
    return {
        "event_date": day.strftime("%Y%m%d"),
        "event_timestamp": int(day.strftime("%s")) * 1_000_000 + n,
        "event_name": name,
        "event_params": _params([("page_location", "s", "https://x.example/"), ("ga_session_id", "i", 7), *params]),
        "user_pseudo_id": f"u{n}",
        "items": items or [],
    }


ITEMS = P(
    "items",
    "items",
    required=True,
    items=(P("item_id", required=True), P("price", "number"), P("quantity", "integer"), P("index", "integer"),
           P("item_color", values=("red", "blue"))),
)
SCHEMAS = {
    "purchase": EventSchema(
        "purchase",
        (P("currency", required=True, pattern="[A-Z]{3}"), P("value", "number", required=True),
         P("transaction_id", required=True), P("coupon", values=("A", "B")), ITEMS),
    ),
    "sign_up": EventSchema(
        "sign_up",
        (P("method", required=True, values=("email", "google")), P("newsletter", "boolean"), P("age", "integer")),
        closed=False,
    ),
    "view_item": EventSchema("view_item", (P("value", "number"),)),
    "write_review": EventSchema("write_review", (P("rating", "integer", values=(1, 2, 3)),)),
}

ROWS = [
    # a purchase without fault: GA4's own parameters are never undeclared
    _event("purchase", D1, [("currency", "s", "USD"), ("value", "d", 10.5), ("transaction_id", "s", "T1"),
                            ("engagement_time_msec", "i", 5)],
           [_item(item_id="A", price=1.0, quantity=1, item_list_index="1", params=[("item_color", "s", "red")])], n=1),
    # one of each fault
    _event("purchase", D2, [("currency", "s", "usd"), ("value", "s", "12.00"), ("debug_x", "d", 3.0)],
           [_item(item_id="(not set)", quantity=2, item_list_index="Slide 1",
                  params=[("item_color", "s", "green"), ("gift", "s", "x")]),
            _item(item_id="B", params=[("item_color", "s", "blue"), ("gift", "s", "s")])], n=2),
    # an empty string is missing; the first entry of a repeated key is the one read
    _event("purchase", D3, [("currency", "s", ""), ("value", "i", 10), ("transaction_id", "i", 77),
                            ("coupon", "s", "A"), ("coupon", "s", "Z")], n=3),
    _event("sign_up", D1, [("method", "s", "facebook"), ("newsletter", "s", "yes"), ("age", "d", 3.0), ("foo", "s", "x")], n=4),
    _event("sign_up", D2, [("newsletter", "i", 1), ("age", "d", 3.5)], n=5),
    _event("sign_up", D3, [("method", "s", "email"), ("newsletter", "s", "true"), ("age", "i", 30)], n=6),
    _event("view_item", D1, [("value", "d", 5.0), ("experiment", "s", "x")], n=7),
    _event("view_item", D3, [("value", "d", 5.0), ("experiment", "s", "a")], n=8),
    _event("write_review", D1, [("rating", "d", 3.0)], n=9),
    _event("write_review", D2, [("rating", "i", 4)], n=10),
    _event("page_view", D2, [("whatever", "s", "x")], n=11),  # no schema: not read
]


def F(event: str, parameter: str, kind: str, days: tuple[date, date], example: str | None, *, events: int = 1,
      item: bool = False) -> ParameterFault:
    return ParameterFault(event, parameter, item, kind, events, days[0], days[1], example)


EXPECTED = sorted(
    [
        F("purchase", "currency", "pattern", (D2, D2), "usd"),
        F("purchase", "currency", "missing", (D3, D3), None),
        F("purchase", "value", "wrong_type", (D2, D2), "12.00"),
        F("purchase", "transaction_id", "missing", (D2, D2), None),
        F("purchase", "transaction_id", "wrong_type", (D3, D3), "77"),
        F("purchase", "debug_x", "undeclared", (D2, D2), "3"),
        F("purchase", "items", "missing", (D3, D3), None),
        F("purchase", "item_id", "missing", (D2, D2), None, item=True),
        F("purchase", "index", "wrong_type", (D2, D2), "Slide 1", item=True),
        F("purchase", "item_color", "not_allowed", (D2, D2), "green", item=True),
        F("purchase", "gift", "undeclared", (D2, D2), "s", item=True),
        F("sign_up", "method", "not_allowed", (D1, D1), "facebook"),
        F("sign_up", "method", "missing", (D2, D2), None),
        F("sign_up", "newsletter", "wrong_type", (D1, D1), "yes"),
        F("sign_up", "age", "wrong_type", (D2, D2), "3.5"),
        F("view_item", "experiment", "undeclared", (D1, D3), "a", events=2),
        F("write_review", "rating", "not_allowed", (D2, D2), "4"),
    ],
    key=lambda f: (f.event, f.parameter, f.item, f.kind),
)


@pytest.fixture(scope="module")
def store():
    s = EventStore()
    s.insert(ROWS)
    yield s
    s.close()


def _query() -> ReportQuery:
    from ga_goals.reports.periods import DateSpan

    return ReportQuery(spans=(DateSpan("current", D1, D3),), schemas=tuple(SCHEMAS.values()))


def _sorted(faults: list[ParameterFault]) -> list[ParameterFault]:
    return sorted(faults, key=lambda f: (f.event, f.parameter, f.item, f.kind))


def test_every_kind_of_fault_on_duckdb(store: EventStore):
    with ExportSource(DuckDBEngine(lambda s, e: "events", "rows", store.connection)) as source:
        answer = source.fetch(_query())
    assert answer.schema_faults is not None
    assert _sorted(answer.schema_faults.faults) == EXPECTED
    assert answer.schema_faults.totals == {"purchase": 3, "sign_up": 3, "view_item": 2, "write_review": 2}
    assert answer.schema_faults.unseen == []


def test_bigquery_sql_finds_the_same(store: EventStore):
    with serve_bigquery(store.connection, DATASET) as bq:
        engine = BigQueryEngine.from_options(EngineOptions(engine="bigquery", dataset=DATASET, endpoint=bq.endpoint))
        with ExportSource(engine) as source:
            answer = source.fetch(_query())
        sql = [j.sql for j in bq.jobs.recorded if not j.dry_run]
    assert answer.schema_faults is not None
    assert _sorted(answer.schema_faults.faults) == EXPECTED
    assert answer.schema_faults.totals == {"purchase": 3, "sign_up": 3, "view_item": 2, "write_review": 2}
    assert sql and all("'transaction_id'" not in s and "'purchase'" not in s for s in sql)  # plan values are parameters


def test_findings_in_text_and_json(store: EventStore, tmp_path: Path):
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text("version: 1\nproperty: sandbox\nevents:\n  view_item: {}\n")
    plan = load_plan(plan_file, env={})
    plan.event_schemas = dict(SCHEMAS)
    with ExportSource(DuckDBEngine(lambda s, e: "events", "rows", store.connection)) as source:
        result = run_check(plan, source, days=3, today=date(2024, 5, 4))
    found = [f for f in result.findings if "fault" in f.figures]
    assert len(found) == len(EXPECTED)
    by_subject = {(f.subject, f.figures["fault"]): f for f in found}
    wrong = by_subject[("purchase.value", "wrong_type")]
    assert wrong.severity == "error" and wrong.figures["share"] == pytest.approx(1 / 3)
    assert wrong.figures["example"] == "12.00" and wrong.figures["declared"]["type"] == "number"
    assert wrong.message.startswith("purchase.value: not a number on 1 of 3 events (33.3%), on 2024-05-02 (e.g. '12.00')")
    item = by_subject[("purchase.items[].item_color", "not_allowed")]
    assert item.severity == "warning" and item.figures["item"] is True
    assert by_subject[("view_item.experiment", "undeclared")].figures["first_day"] == "2024-05-01"
    assert {f.severity for f in found if f.figures["fault"] in ("missing", "wrong_type")} == {"error"}
    assert result.checked == {"events": 10, "event_names": 4, "event_names_seen": 4, "parameters": 15}
    data = json.loads(render_json(result))
    assert data["format"] == "ga-goals-check/1" and data["checked"]["events"] == 10
    text = render_text(result)
    assert "Required parameters missing:" in text and "Parameters of the wrong type:" in text
    assert "Event schemas: 4 events declared (4 seen), 15 parameters, checked on 10 events." in text


def test_an_example_from_ga_is_shown_as_plain_text(tmp_path: Path):
    """A value with a terminal escape and a right-to-left override never reaches the terminal raw."""
    with EventStore() as s:
        s.insert([_event("view_item", D1, [("value", "d", 1.0), ("evil", "s", "\x1b[31mred\u202e")])])
        plan_file = tmp_path / "plan.yaml"
        plan_file.write_text("version: 1\nproperty: sandbox\nevents:\n  view_item: {}\n")
        plan = load_plan(plan_file, env={})
        plan.event_schemas = {"view_item": SCHEMAS["view_item"]}
        with ExportSource(DuckDBEngine(lambda a, b: "events", "rows", s.connection)) as source:
            result = run_check(plan, source, days=1, today=D2)
    text, data = render_text(result), render_json(result)
    assert "\x1b" not in text and "\u202e" not in text and "\\x1b" in text
    assert "\x1b" not in data and "\u202e" not in data
    assert json.loads(data)["findings"][0]["figures"]["example"] == "\x1b[31mred\u202e"


# -- the type rules: the SQL says what ga_goals.model.parameter_types says -----------------------

_records = st.fixed_dictionaries(
    {
        "string_value": st.one_of(st.none(), st.sampled_from(["", "true", "false", "1", "x", "12.5", "(not set)"])),
        "int_value": st.one_of(st.none(), st.integers(-3, 3)),
        "float_value": st.one_of(st.none(), st.sampled_from([0.0, 1.0, 2.5, -4.0])),
        "double_value": st.one_of(st.none(), st.sampled_from([0.0, 1.0, 2.5, -4.0, 1e16])),
    }
)


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    yield c
    c.close()


@settings(max_examples=60, deadline=None)
@given(record=_records)
def test_sql_types_agree_with_their_definition(con, record: dict):
    c = _Compiler(Dialect("duckdb"))
    v = _Value.record("r")
    columns = [c.present(v)] + [c.accepts(v, t) for t in ("string", "integer", "number", "boolean")]
    row = con.execute(
        f"SELECT {', '.join(columns)} FROM (SELECT $r::STRUCT(string_value VARCHAR, int_value BIGINT, "
        "float_value DOUBLE, double_value DOUBLE) AS r)",
        {"r": record},
    ).fetchone()
    assert row[0] == present(record)
    if present(record):
        assert list(row[1:]) == [accepts(t, record) for t in ("string", "integer", "number", "boolean")]


@settings(max_examples=40, deadline=None)
@given(text=st.sampled_from(["", "(not set)", "1", "-20", "1.5", "Slide 1", "true", "x"]))
def test_sql_text_columns_agree_with_their_definition(con, text: str):
    c = _Compiler(Dialect("duckdb"))
    v = _Value(text="r")
    columns = [c.present(v)] + [c.accepts(v, t) for t in ("string", "integer", "number", "boolean")]
    row = con.execute(f"SELECT {', '.join(columns)} FROM (SELECT $r::VARCHAR AS r)", {"r": text}).fetchone()
    assert row[0] == (text not in ("", "(not set)"))
    assert list(row[1:]) == [text_accepts(t, text) for t in ("string", "integer", "number", "boolean")]
