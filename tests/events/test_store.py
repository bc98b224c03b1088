"""EventStore: real export files load exactly; loading is idempotent; odd input is normalised or refused."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from ga_goals.errors import GaGoalsError
from ga_goals.events import COLUMNS, EventLoadError, EventStore, LoadResult, param

from tests.conftest import GA4_DATA

#: Real GA4 export rows (tests/data/ga4).
SAMPLE = GA4_DATA / "export-sample-events.jsonl"


@pytest.fixture(scope="module")
def sample() -> Path:
    return SAMPLE


@pytest.fixture(scope="module")
def sample_rows(sample) -> list[dict]:
    return [json.loads(line) for line in sample.read_text().splitlines() if line.strip()]


@pytest.fixture
def store():
    with EventStore() as s:
        yield s


def event(**overrides) -> dict:
    row = {
        "event_date": "20240304",
        "event_timestamp": 1709510400000000,
        "event_name": "page_view",
        "user_pseudo_id": "u1",
        "event_params": [{"key": "page_title", "value": {"string_value": "Home"}}],
    }
    row.update(overrides)
    return row


def test_the_real_sample_loads_exactly(store, sample):
    result = store.load_jsonl(sample)
    assert result == LoadResult(read=700, inserted=700)
    assert store.count() == 700
    assert store.user_count() == 178
    assert len(store.dates()) == 92
    assert store.date_range() == (date(2020, 11, 1), date(2021, 1, 31))
    sessions = store.connection.execute(
        f"SELECT count(DISTINCT (user_pseudo_id, {param('ga_session_id', 'int')})) FROM events"
    ).fetchone()[0]
    assert sessions == 206


def test_the_sample_keeps_its_values(store, sample, sample_rows):
    store.load_jsonl(sample)
    counts = store.event_counts()
    assert counts["page_view"] == 229 and counts["add_to_cart"] == 7
    first = sample_rows[0]
    row = store.connection.execute(
        f"""SELECT event_timestamp, stream_id, device.web_info.browser, geo.city, traffic_source.source,
                   {param("page_title")}, {param("ga_session_id", "int")}, {param("ga_session_number", "number")}
            FROM events WHERE event_timestamp = ? AND event_name = ? AND user_pseudo_id = ?""",
        [first["event_timestamp"], first["event_name"], first["user_pseudo_id"]],
    ).fetchone()
    assert row == (
        1604192073036492,
        "2100450278",  # an integer in the file, a string in the schema
        "Chrome",
        "Delhi",
        "google",
        "Drinkware | Lifestyle | Google Merchandise Store",
        4863244888,
        1.0,
    )


def test_quirks_of_the_sample_are_normalised(store, sample, sample_rows):
    store.load_jsonl(sample)
    con = store.connection
    # "ecommerce": "null" (a string) is NULL; an object of nulls stays an object.
    as_string = sum(1 for r in sample_rows if r["ecommerce"] == "null")
    assert as_string == 190
    assert con.execute("SELECT count(*) FROM events WHERE ecommerce IS NULL").fetchone()[0] == as_string
    # user_first_touch_timestamp written as a float (1607484300839189.0) is an exact integer
    assert (
        con.execute("SELECT count(*) FROM events WHERE user_first_touch_timestamp = 1607484300839189").fetchone()[0]
        >= 1
    )
    # the items of the sample keep their fields; `_source` is dropped
    assert con.execute("SELECT sum(len(items)) FROM events").fetchone()[0] == sum(len(r["items"]) for r in sample_rows)
    names = [r[0] for r in con.execute("DESCRIBE events").fetchall()]
    assert "_source" not in names
    assert names[: len(COLUMNS)] == list(COLUMNS)


def test_loading_twice_stores_each_event_once(store, sample):
    assert store.load_jsonl(sample).inserted == 700
    again = store.load_jsonl(sample)
    assert again == LoadResult(read=700, inserted=0)
    assert again.duplicates == 700
    assert store.count() == 700


def test_parquet_round_trip_is_the_same_events(store, sample, tmp_path):
    store.load_jsonl(sample)
    file = tmp_path / "events.parquet"
    columns = ", ".join(COLUMNS)
    store.connection.execute(f"COPY (SELECT {columns} FROM events) TO '{file}' (FORMAT parquet)")
    with EventStore() as other:
        assert other.load_parquet(file) == LoadResult(read=700, inserted=700)
        theirs = other.connection.execute("SELECT _row_hash FROM events ORDER BY 1").fetchall()
    ours = store.connection.execute("SELECT _row_hash FROM events ORDER BY 1").fetchall()
    assert theirs == ours
    # and loading the Parquet copy into the store that has the JSON rows adds nothing
    assert store.load_parquet(file).inserted == 0


def test_a_file_store_persists(tmp_path):
    path = tmp_path / "state" / "events.duckdb"
    with EventStore(path) as s:
        s.insert([event(), event(event_timestamp=1709510401000000)])
    with EventStore(path) as s:
        assert s.count() == 2
        assert s.insert([event()]).inserted == 0


def test_insert_dicts_and_duplicates_inside_one_batch(store):
    result = store.insert([event(), event(), event(event_name="scroll")])
    assert result == LoadResult(read=3, inserted=2)
    assert store.count() == 2


def test_identity_ignores_context_fields(store):
    """The same event exported again with a grown user_ltv is the same event."""
    store.insert([event(user_ltv={"revenue": 10.0, "currency": "USD"})])
    assert store.insert([event(user_ltv={"revenue": 25.0, "currency": "USD"})]).inserted == 0
    # ... but a different parameter makes it another event
    assert store.insert([event(event_params=[{"key": "page_title", "value": {"string_value": "Cart"}}])]).inserted == 1


def test_values_are_converted_to_the_column_types(store):
    store.insert(
        [
            event(
                event_timestamp="1709510400000001",  # BigQuery's JSON export writes INT64 as strings
                stream_id=123,
                event_date=None,
                event_params=[{"key": "n", "value": {"int_value": "42"}}],
                device="desktop",  # not an object: NULL
                items=None,
            )
        ]
    )
    row = store.connection.execute(
        f"SELECT event_timestamp, stream_id, event_date, {param('n', 'int')}, device, items FROM events"
    ).fetchone()
    assert row == (1709510400000001, "123", "20240304", 42, None, None)


def test_rows_without_name_or_timestamp_are_refused_whole(store, tmp_path):
    file = tmp_path / "bad.jsonl"
    rows = [event(), event(event_name=None), event(event_timestamp=None, event_name="x")]
    file.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    with pytest.raises(EventLoadError, match=r"2 row\(s\) lack event_name or event_timestamp.*row 2 \(no event_name\)"):
        store.load_jsonl(file)
    assert store.count() == 0
    assert issubclass(EventLoadError, GaGoalsError)


def test_missing_and_unreadable_files(store, tmp_path):
    with pytest.raises(EventLoadError, match="no such file"):
        store.load_jsonl(tmp_path / "nope.jsonl")
    bad = tmp_path / "broken.jsonl"
    bad.write_text('{"event_name": "page_view", \n')
    with pytest.raises(EventLoadError, match="cannot read it as GA4 export rows"):
        store.load_jsonl(bad)
    assert store.count() == 0


def test_clear(store, sample):
    store.load_jsonl(sample)
    assert store.clear() == 700
    assert store.count() == 0
    assert store.date_range() is None
    assert store.load_jsonl(sample).inserted == 700
