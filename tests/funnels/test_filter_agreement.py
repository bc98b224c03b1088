"""Every kind of step filter means the same in every place that evaluates or translates it.

The places: the Python reference (``semantics.filter_holds``), the DuckDB SQL and the BigQuery
SQL (``funnels.sql._filter_sql`` through ``compile_funnel``; BigQuery through the local endpoint
and ``BigQueryRunner``), and the Data API round trip (``ga4.data.step_filter_expression``, what
ga-goals sends, read back by the sandbox's translator ``sandbox.data_api._step_condition``).

One event per user, each user a device category of its own, and every filter a step of one open
funnel broken down by device: users at step k per device = which events satisfy filter k (rule 6:
an open funnel counts at step k every user with an event satisfying step k).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ga_goals.bigquery import BigQueryRunner, Query
from ga_goals.bigquery.query import Typed
from ga_goals.events import EventStore
from ga_goals.funnels.semantics import FunnelDefinitionError, filter_holds, validate
from ga_goals.funnels.sql import compile_funnel, run_funnel
from ga_goals.ga4.data import step_filter_expression
from ga_goals.model.tracking_plan import EventMatch, Funnel, FunnelStep, StepFilter
from ga_goals.sandbox.data_api import _step_condition
from tests.bigquery.local import DATASET, local_bigquery
from tests.funnels.engines import DAY, ev, stored_events

P = "v"
#: The parameter ``v`` of each user's one event: text of all cases, numbers as int, double and
#: text, a value that is not a number, empty, and missing.
VALUES: dict[str, Any] = {
    "u00": "Shop",
    "u01": "shop",
    "u02": "SHOP/cart",
    "u03": "5",
    "u04": "5.0",
    "u05": 5,
    "u06": 5.0,
    "u07": 2.5,
    "u08": 10,
    "u09": "10",
    "u10": "abc5",
    "u11": None,  # the event has no parameter v
    "u12": "",
    "u13": "-3",
}


def _events() -> list[dict[str, Any]]:
    return [
        ev("e", 10 + i, user, params={P: value} if value is not None else {"other": "x"}, device=user)
        for i, (user, value) in enumerate(VALUES.items())
    ]


TEXTS: list[Any] = ["shop", "Shop", "SHOP/CART", "5", "5.0", "10", "", "ab", "cart", 5, 5.0, 2.5]
NUMBERS: list[Any] = [5, 5.0, 2.5, -3, 10, 0]
PATTERNS = ["sh.*", "S.*", "[0-9]+", r"5(\.0)?", "(?i)shop", ".*"]
LISTS = [("shop", "5"), ("SHOP/cart",), ("10", "2.5"), ("Shop", "abc5", "")]


def _kinds() -> list[StepFilter]:
    out = []
    for case_sensitive in (True, False):
        for negated in (False, True):
            for op in ("equals", "contains", "starts_with", "ends_with"):
                out += [StepFilter(P, op, v, case_sensitive, negated) for v in TEXTS]
            out += [StepFilter(P, "matches", v, case_sensitive, negated) for v in PATTERNS]
            out += [StepFilter(P, "in", v, case_sensitive, negated) for v in LISTS]
            for op in ("greater_than", "greater_than_or_equal", "less_than", "less_than_or_equal"):
                out += [StepFilter(P, op, v, case_sensitive, negated) for v in NUMBERS]
            out.append(StepFilter("missing", "equals", "x", case_sensitive, negated))
    return out


KINDS = _kinds()
CHUNK = 10


def _funnel(filters: list[StepFilter]) -> Funnel:
    return Funnel(
        name="kinds",
        title="Kinds",
        steps=tuple(FunnelStep(f"k{i}", "e", (f,)) for i, f in enumerate(filters)),
        open=True,
        breakdown="deviceCategory",
        breakdown_limit=len(VALUES),
    )


def _chunks() -> list[list[StepFilter]]:
    return [KINDS[i : i + CHUNK] for i in range(0, len(KINDS), CHUNK)]


def _membership(rows: dict[str, tuple[int, ...]], n: int) -> list[set[str]]:
    return [{user for user, users in rows.items() if users[k]} for k in range(n)]


@pytest.fixture(scope="module")
def store() -> Iterator[EventStore]:
    s = EventStore()
    s.insert(_events())
    yield s
    s.close()


@pytest.fixture(scope="module")
def reference(store: EventStore) -> list[set[str]]:
    stored = stored_events(store, DAY, DAY)
    return [{user for user, events in stored.items() if any(filter_holds(f, e) for e in events)} for f in KINDS]


def test_the_table_and_the_kinds_are_what_they_say(reference: list[set[str]]):
    assert len(KINDS) > 200
    for f in KINDS:
        validate(_funnel([f]))
    assert any(r and r != set(VALUES) for r in reference)  # filters that split the users
    # a missing parameter satisfies no filter, and every negated one
    missing = [i for i, f in enumerate(KINDS) if f.parameter == "missing"]
    assert all(reference[i] == (set(VALUES) if KINDS[i].negated else set()) for i in missing)


@pytest.mark.parametrize("op", ["greater_than", "greater_than_or_equal", "less_than", "less_than_or_equal"])
def test_a_numeric_comparison_with_text_is_refused(op: str):
    with pytest.raises(FunnelDefinitionError, match="needs a number"):
        validate(_funnel([StepFilter(P, op, "5")]))


def _disagreements(name: str, got: list[set[str]], expected: list[set[str]]) -> list[str]:
    return [
        f"{name}: {KINDS[i]} -> {sorted(g)}, reference {sorted(e)}" for i, (g, e) in enumerate(zip(got, expected)) if g != e
    ]


def test_duckdb_sql_agrees_with_the_reference(store: EventStore, reference: list[set[str]]):
    got: list[set[str]] = []
    for chunk in _chunks():
        result = run_funnel(store, _funnel(chunk), DAY, DAY, "deviceCategory", limit=len(VALUES))
        got += _membership({str(r.breakdown): tuple(r.users) for r in result.rows}, len(chunk))
    assert _disagreements("duckdb", got, reference) == []


def test_bigquery_sql_agrees_with_the_reference(store: EventStore, reference: list[set[str]]):
    got: list[set[str]] = []
    with local_bigquery(store) as bq:
        runner = BigQueryRunner(DATASET, endpoint=bq.endpoint)
        for chunk in _chunks():
            compiled = compile_funnel(_funnel(chunk), DAY, DAY, breakdown="deviceCategory", dialect="bigquery", table=DATASET)
            n = compiled.steps
            query = Query(compiled.sql, {p.name: Typed(p.type, p.value) for p in compiled.parameters})
            rows = {str(row[0]): tuple(int(x or 0) for x in row[1 : 1 + n]) for row in runner.run(query).rows}
            got += _membership(rows, n)
    assert _disagreements("bigquery", got, reference) == []


def test_the_data_api_round_trip_agrees_with_the_reference(store: EventStore, reference: list[set[str]]):
    stored = stored_events(store, DAY, DAY)
    got = []
    for f in KINDS:
        condition = _step_condition(step_filter_expression(FunnelStep("s", "e", (f,))), "steps[0]")
        assert isinstance(condition, EventMatch) and condition.event == "e"
        got.append(
            {user for user, events in stored.items() if any(all(filter_holds(g, e) for g in condition.filters) for e in events)}
        )
    assert _disagreements("proto round trip", got, reference) == []
