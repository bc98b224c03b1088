"""The events table's DDL and the SQL helpers that read parameters (DuckDB and BigQuery)."""

from __future__ import annotations

import pytest

from ga_goals.events import EVENTS_DDL, EventStore, param
from ga_goals.events.schema import COLUMNS, bigquery_type, quote_literal, sql_type


def test_ddl_follows_the_export_schema():
    for column in (
        "event_date VARCHAR",
        "event_timestamp BIGINT",
        "user_pseudo_id VARCHAR",
        "stream_id VARCHAR",
        "batch_page_id BIGINT",
        "batch_ordering_id BIGINT",
        "batch_event_index BIGINT",
    ):
        assert column in EVENTS_DDL
    assert sql_type(COLUMNS["event_params"]) == (
        "STRUCT(key VARCHAR, value STRUCT(string_value VARCHAR, int_value BIGINT, float_value DOUBLE, "
        "double_value DOUBLE))[]"
    )
    assert bigquery_type(COLUMNS["geo"]).startswith("STRUCT<continent STRING, sub_continent STRING, country STRING")
    items = COLUMNS["items"][0]
    for field in ("item_id", "item_name", "item_brand", "item_category", "price", "quantity", "item_params"):
        assert field in items
    for record in (
        "device",
        "geo",
        "traffic_source",
        "collected_traffic_source",
        "ecommerce",
        "app_info",
        "user_ltv",
        "privacy_info",
        "session_traffic_source_last_click",
    ):
        assert isinstance(COLUMNS[record], dict)


def _one_event(store: EventStore, params: list[dict]) -> None:
    store.insert(
        [
            {
                "event_date": "20240304",
                "event_timestamp": 1,
                "event_name": "e",
                "user_pseudo_id": "u",
                "event_params": params,
            }
        ]
    )


@pytest.mark.parametrize(
    ("value", "text", "number"),
    [
        ({"string_value": "newsletter"}, "newsletter", None),
        ({"string_value": "12.50"}, "12.50", 12.5),
        ({"string_value": "-3"}, "-3", -3.0),
        ({"string_value": "1e3"}, "1e3", None),  # only plain decimals count as numbers
        ({"int_value": 7}, "7", 7.0),
        ({"double_value": 19.99}, "19.99", 19.99),
        ({"double_value": 5.0}, "5.0", 5.0),
        ({"float_value": 0.5}, "0.5", 0.5),
        ({}, None, None),
    ],
)
def test_param_reads_text_and_numbers(value, text, number):
    with EventStore() as store:
        _one_event(store, [{"key": "x", "value": value}, {"key": "x", "value": {"string_value": "second"}}])
        got = store.connection.execute(f"SELECT {param('x')}, {param('x', 'number')} FROM events").fetchone()
    assert got == (text, number)


def test_param_of_a_missing_key_and_typed_fields():
    with EventStore() as store:
        _one_event(store, [{"key": "a", "value": {"int_value": 3, "string_value": None}}])
        got = store.connection.execute(
            f"SELECT {param('b')}, {param('a', 'int')}, {param('a', 'string')}, {param('a', 'value')}.int_value "
            "FROM events"
        ).fetchone()
    assert got == (None, 3, None, 3)


def test_quoting():
    assert quote_literal("it's") == "'it''s'"
    assert quote_literal("it's \\ here", "bigquery") == "'it\\'s \\\\ here'"
    assert param("o'k").count("'o''k'") == 1


def test_bigquery_param_is_valid_sql():
    import sqlglot
    for kind in ("text", "number", "int", "value"):
        sql = f"SELECT {param('value', kind, dialect='bigquery')} FROM `p.d.events_20240101`"
        sqlglot.parse_one(sql, read="bigquery")
