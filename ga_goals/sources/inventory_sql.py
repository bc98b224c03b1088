"""The SQL of what a property receives, over GA4 export rows (DuckDB and BigQuery).

:func:`inventory_query` is ONE scan per date range answering both questions of ``ga-goals
check`` (:mod:`ga_goals.ga4.inventory` asks the Data API the same): per event name, its events
and distinct users, and how many of its events carried each asked parameter with a value.
Summed over the event names, those are the parameter counts.

"Carried with a value" is what the Data API reports as anything but ``(not set)``: an event
parameter or user property present with a non-empty value (read as text, as
:func:`ga_goals.funnels.dimensions.dimension_sql` reads ``customEvent:`` / ``customUser:``
dimensions); for an item parameter, one of the event's items has it with a non-empty value. The
export holds every parameter the site sends, registered as a custom dimension or not.
"""

from __future__ import annotations

from collections.abc import Sequence

from ga_goals.events.schema import param_value
from ga_goals.funnels.dialect import Dialect, SqlQuery
from ga_goals.funnels.sql import export_columns, narrowed
from ga_goals.sources.results import ParameterRef


def _has_value(text: str) -> str:
    return f"COALESCE({text}, '') <> ''"


def carries(d: Dialect, parameter: ParameterRef) -> str:
    """The row ``t`` carries ``parameter`` with a non-empty value."""
    if parameter.scope == "event":
        return _has_value(d.param(parameter.name, "text"))
    if parameter.scope == "user":
        return _has_value(d.user_property(parameter.name))
    key = d.value(parameter.name)
    text = param_value("p.value", "text", dialect=d.name)
    inner = d.list_exists("i.item_params", "p", f"p.key = {key} AND {_has_value(text)}")
    return d.list_exists("t.items", "i", inner)


def inventory_query(d: Dialect, relation: str, dates: str | None, parameters: Sequence[ParameterRef]) -> SqlQuery:
    """Rows ``(event_name, events, users, carried_1, ..., carried_n)``: one per event name, the
    ``carried_k`` counting its events that carry ``parameters[k]``."""
    i = d.int_type
    flags = "".join(f", CAST({d.count_if(carries(d, p))} AS {i}) AS c{k}" for k, p in enumerate(parameters, start=1))
    sql = (
        f"SELECT t.event_name, CAST(COUNT(*) AS {i}) AS events, CAST(COUNT(DISTINCT t.user_pseudo_id) AS {i}) AS users"
        + flags
        + " FROM {relation} AS t"
        + (f" WHERE {dates}" if dates else "")
        + " GROUP BY t.event_name"
    )
    sql = sql.replace("{relation}", narrowed(relation, " ".join(export_columns(sql))))
    return SqlQuery(sql, d.parameters, d.name)
