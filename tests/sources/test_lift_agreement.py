"""The micro vs macro table means the same on every engine: a micro conversion's users, and those
of them whose macro conversion came after it (rules 2 and 4 of ga_goals.funnels.semantics).

One set of hand-made events with every case that matters (micro before macro, only after it,
at the same moment, ordered by the batch index, before and after, on another day, no session)
goes to the Python reference, DuckDB (``lift_query`` over the table), BigQuery SQL (the real
client against the local endpoint) and the sandbox's Data API (the gateway's real requests:
one ``RunFunnelReport`` per micro conversion); all four give the same table, and it is the
table the cases call for.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from ga_goals.events import EventStore
from ga_goals.funnels import reference_funnel
from ga_goals.sandbox.bigquery import serve_bigquery
from ga_goals.sources.base import EngineOptions, ReportQuery, lift_funnel, micro_funnel
from ga_goals.sources.bigquery_engine import BigQueryEngine
from ga_goals.sources.export import DuckDBEngine, ExportSource
from ga_goals.sources.results import LiftTables
from tests.funnels.engines import DAY, ev, stored_events

DATASET = "ga-goals-test.analytics_100000009"
MACRO = "purchase"
MICROS = ("sign_up", "write_review", "add_to_cart", "add_to_wishlist")


@dataclass(frozen=True)
class Span:
    name: str
    start: date
    end: date


CURRENT = Span("current", DAY, DAY)
PREVIOUS = Span("previous", DAY - timedelta(days=1), DAY - timedelta(days=1))

EVENTS = [
    # u1: sign_up, then purchase: converted after sign_up.
    ev("session_start", 0, "u1"), ev("sign_up", 10, "u1"), ev(MACRO, 20, "u1"),
    # u2: purchase, then write_review: the review came after, it does not count as converting.
    ev("session_start", 0, "u2"), ev(MACRO, 10, "u2"), ev("write_review", 20, "u2"),
    # u3: add_to_cart and purchase at the same moment (same timestamp, no batch index): no order.
    ev("session_start", 0, "u3"), ev("add_to_cart", 5, "u3"), ev(MACRO, 5, "u3"),
    # u4: the same timestamp, but the batch index puts purchase after add_to_cart: converted.
    ev("session_start", 0, "u4"), ev("add_to_cart", 5, "u4", index=0), ev(MACRO, 5, "u4", index=1),
    # u5: purchase, add_to_cart, purchase again: the second purchase follows the micro: converted.
    ev("session_start", 0, "u5"), ev(MACRO, 10, "u5"), ev("add_to_cart", 30, "u5"), ev(MACRO, 50, "u5"),
    # u6: sign_up and no purchase.
    ev("session_start", 0, "u6"), ev("sign_up", 3, "u6"),
    # u7: add_to_wishlist the day before (another range), purchase today: not a user of the row today.
    ev("add_to_wishlist", 100, "u7", day=-1), ev("session_start", 0, "u7"), ev(MACRO, 10, "u7"),
    # u8: purchase, then add_to_wishlist at the same moment, in the previous range only.
    ev(MACRO, 200, "u8", day=-1), ev("add_to_wishlist", 200, "u8", day=-1),
    # u9: a purchase without a session start: not in the baseline; write_review before it counts.
    ev("write_review", 1, "u9"), ev(MACRO, 2, "u9"),
]

#: (users, converted) per row in the current range, as the cases above call for.
EXPECTED_CURRENT = {
    "baseline": [7, 6],  # u1..u7 started a session; u6 never converted
    "sign_up": [2, 1],  # u1 converted after it; u6 did not convert
    "write_review": [2, 1],  # u2's review came after the purchase; u9's before
    "add_to_cart": [3, 2],  # u3 simultaneous (no), u4 batch-ordered (yes), u5 purchased again (yes)
    "add_to_wishlist": [0, 0],  # u7's was the day before
}
#: The day before: u7's and u8's add_to_wishlist, neither followed by a purchase in that range
#: (u7's came the next day, u8's at the same moment).
EXPECTED_PREVIOUS = {"baseline": [0, 0], "sign_up": [0, 0], "write_review": [0, 0], "add_to_cart": [0, 0], "add_to_wishlist": [2, 0]}


def table_of(lift: LiftTables, span: str) -> dict[str, list[int]]:
    out = {"baseline": lift.baseline.users(span)}
    for micro in MICROS:
        table = lift.micro(micro)
        assert table is not None, micro
        out[micro] = table.users(span)
    return out


@pytest.fixture(scope="module")
def store() -> Iterator[EventStore]:
    events = EventStore()
    events.insert(EVENTS)
    yield events
    events.close()


def query() -> ReportQuery:
    return ReportQuery(spans=(CURRENT, PREVIOUS), macro=MACRO, micros=MICROS)


def test_the_reference_gives_what_the_cases_call_for(store: EventStore):
    for span, expected in ((CURRENT, EXPECTED_CURRENT), (PREVIOUS, EXPECTED_PREVIOUS)):
        stored = stored_events(store, span.start, span.end)
        got = {"baseline": reference_funnel(stored, lift_funnel(MACRO))}
        got |= {m: reference_funnel(stored, micro_funnel(m, MACRO)) for m in MICROS}
        assert got == expected, span.name


def test_duckdb_agrees(store: EventStore):
    engine = DuckDBEngine(lambda start, end: "events", "the events table", store.connection)
    with ExportSource(engine) as source:
        answer = source.fetch(query())
    assert answer.lift is not None
    assert table_of(answer.lift, "current") == EXPECTED_CURRENT
    assert table_of(answer.lift, "previous") == EXPECTED_PREVIOUS
    assert not answer.lift.caveats  # the export engines read every event


def test_bigquery_agrees(store: EventStore):
    with serve_bigquery(store.connection, DATASET) as bq:
        options = EngineOptions(engine="bigquery", dataset=DATASET, endpoint=bq.endpoint)
        with ExportSource(BigQueryEngine.from_options(options)) as source:
            answer = source.fetch(query())
        sql = [j.sql for j in bq.jobs.recorded if not j.dry_run]
    assert answer.lift is not None
    assert table_of(answer.lift, "current") == EXPECTED_CURRENT
    assert table_of(answer.lift, "previous") == EXPECTED_PREVIOUS
    # every plan value a query parameter: no conversion's name in the SQL text (session_start and
    # first_visit appear as rule 2's fixed ranks)
    assert sql and all(f"'{name}'" not in text for text in sql for name in (MACRO, *MICROS))


def test_the_sandbox_data_api_agrees(tmp_path: Path):
    from ga_goals.ga4 import Target
    from ga_goals.ga4.data import DataGateway
    from ga_goals.sandbox.server import SandboxServer

    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps(e) + "\n" for e in EVENTS))
    server = SandboxServer(tmp_path / "sandbox")
    server.start()
    try:
        server.store.ensure_property("100000009", time_zone="UTC")
        assert server.data is not None
        server.data.events.load("100000009", [rows], replace=True)
        with DataGateway(Target("properties/100000009", sandbox_address=server.address, timeout=30)) as gateway:
            lift = gateway.micro_lift(MACRO, MICROS, [CURRENT, PREVIOUS])
            assert gateway.calls == {"RunFunnelReport": 1 + len(MICROS)}
    finally:
        server.stop()
    assert table_of(lift, "current") == EXPECTED_CURRENT
    assert table_of(lift, "previous") == EXPECTED_PREVIOUS
