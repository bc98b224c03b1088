"""The ``events`` table: GA4's BigQuery export schema, in DuckDB.

One row per event, with the export's nested records kept nested (``event_params`` and ``items``
are lists of structs, ``device``/``geo``/``ecommerce``... are structs), so SQL written against a
real export (``project.dataset.events_*``) reads the same here. The columns follow Google's
"[GA4] BigQuery Export schema" article (``tests/data/ga4/export-schema.md``) and the DDL of
the public GA4 sample dataset (``export-ddl.bigquery.sql``), with the documented types where
the two differ: ``stream_id`` is a string, ``privacy_info`` and ``user_properties`` hold strings
(the obfuscated sample dataset types them INT64), and ``device.is_limited_ad_tracking`` is the
``"Yes"``/``"No"`` string real exports carry.

The table has one column that is not in the export: ``_row_hash``, the MD5 of the fields that
identify an event (:data:`IDENTITY`: user, timestamp, name, parameters, items, bundle and batch
numbers). :class:`ga_goals.events.store.EventStore` uses it to store an event once however many
times it is loaded, and the funnel engine uses it as the last tie-breaker of its event order
(``ga_goals.funnels.semantics``).

:func:`param` builds the SQL that reads an event parameter, in DuckDB or BigQuery.
"""

from __future__ import annotations

import functools
import json
from importlib.metadata import version
from typing import Literal, TypeAlias

#: A column type: a scalar SQL type name, a struct (field -> type) or a list ([element type]).
Type: TypeAlias = "str | dict[str, Type] | list[Type]"

_S, _I, _F, _B = "VARCHAR", "BIGINT", "DOUBLE", "BOOLEAN"

#: The value record of event parameters and item parameters: one of the fields is set.
PARAM_VALUE: dict[str, Type] = {"string_value": _S, "int_value": _I, "float_value": _F, "double_value": _F}
#: ``event_params`` and ``items[].item_params``.
PARAMS: list[Type] = [{"key": _S, "value": PARAM_VALUE}]

ITEM: dict[str, Type] = {
    "item_id": _S,
    "item_name": _S,
    "item_brand": _S,
    "item_variant": _S,
    "item_category": _S,
    "item_category2": _S,
    "item_category3": _S,
    "item_category4": _S,
    "item_category5": _S,
    "price_in_usd": _F,
    "price": _F,
    "quantity": _I,
    "item_revenue_in_usd": _F,
    "item_revenue": _F,
    "item_refund_in_usd": _F,
    "item_refund": _F,
    "coupon": _S,
    "affiliation": _S,
    "location_id": _S,
    "item_list_id": _S,
    "item_list_name": _S,
    "item_list_index": _S,
    "promotion_id": _S,
    "promotion_name": _S,
    "creative_name": _S,
    "creative_slot": _S,
    "item_params": PARAMS,
}

#: GA4's item parameters that the export keeps in a column of ``items`` (its name when it differs:
#: the ``index`` parameter is ``item_list_index``); every other item parameter is in
#: ``items[].item_params``. Google's export schema: "predefined item parameters like item_id,
#: item_name etc. are not included [in item_params], instead they are exported as explicit
#: fields". A missing text field reads ``(not set)`` in real exports.
ITEM_PARAMETER_COLUMNS: dict[str, str] = {
    **{name: name for name in ITEM if name not in ("item_params", "item_list_index") and "_in_usd" not in name
       and not name.startswith(("item_revenue", "item_refund"))},
    "index": "item_list_index",
}

_MANUAL_CAMPAIGN: dict[str, Type] = {
    "campaign_id": _S,
    "campaign_name": _S,
    "source": _S,
    "medium": _S,
    "term": _S,
    "content": _S,
    "source_platform": _S,
    "creative_format": _S,
    "marketing_tactic": _S,
}

#: The export columns, in the export's order (then the newer fields), with their types.
COLUMNS: dict[str, Type] = {
    "event_date": _S,
    "event_timestamp": _I,
    "event_name": _S,
    "event_params": PARAMS,
    "event_previous_timestamp": _I,
    "event_value_in_usd": _F,
    "event_bundle_sequence_id": _I,
    "event_server_timestamp_offset": _I,
    "user_id": _S,
    "user_pseudo_id": _S,
    "privacy_info": {"analytics_storage": _S, "ads_storage": _S, "uses_transient_token": _S},
    "user_properties": [
        {
            "key": _S,
            "value": {
                "string_value": _S,
                "int_value": _I,
                "float_value": _F,
                "double_value": _F,
                "set_timestamp_micros": _I,
            },
        }
    ],
    "user_first_touch_timestamp": _I,
    "user_ltv": {"revenue": _F, "currency": _S},
    "device": {
        "category": _S,
        "mobile_brand_name": _S,
        "mobile_model_name": _S,
        "mobile_marketing_name": _S,
        "mobile_os_hardware_model": _S,
        "operating_system": _S,
        "operating_system_version": _S,
        "vendor_id": _S,
        "advertising_id": _S,
        "language": _S,
        "is_limited_ad_tracking": _S,
        "time_zone_offset_seconds": _I,
        "web_info": {"browser": _S, "browser_version": _S, "hostname": _S},
    },
    "geo": {"continent": _S, "sub_continent": _S, "country": _S, "region": _S, "city": _S, "metro": _S},
    "app_info": {"id": _S, "version": _S, "install_store": _S, "firebase_app_id": _S, "install_source": _S},
    "traffic_source": {"name": _S, "medium": _S, "source": _S},
    "stream_id": _S,
    "platform": _S,
    "event_dimensions": {"hostname": _S},
    "ecommerce": {
        "total_item_quantity": _I,
        "purchase_revenue_in_usd": _F,
        "purchase_revenue": _F,
        "refund_value_in_usd": _F,
        "refund_value": _F,
        "shipping_value_in_usd": _F,
        "shipping_value": _F,
        "tax_value_in_usd": _F,
        "tax_value": _F,
        "unique_items": _I,
        "transaction_id": _S,
    },
    "items": [ITEM],
    "collected_traffic_source": {
        "manual_campaign_id": _S,
        "manual_campaign_name": _S,
        "manual_source": _S,
        "manual_medium": _S,
        "manual_term": _S,
        "manual_content": _S,
        "manual_source_platform": _S,
        "manual_creative_format": _S,
        "manual_marketing_tactic": _S,
        "gclid": _S,
        "dclid": _S,
        "srsltid": _S,
    },
    "session_traffic_source_last_click": {
        "manual_campaign": _MANUAL_CAMPAIGN,
        "google_ads_campaign": {
            "customer_id": _S,
            "account_name": _S,
            "campaign_id": _S,
            "campaign_name": _S,
            "ad_group_id": _S,
            "ad_group_name": _S,
        },
    },
    "is_active_user": _B,
    "batch_event_index": _I,
    "batch_page_id": _I,
    "batch_ordering_id": _I,
}

#: The private column (not in the export): MD5 of the event's identity (:data:`IDENTITY`).
ROW_HASH = "_row_hash"

#: Column names that are nested records (structs) and lists.
STRUCT_COLUMNS = tuple(name for name, t in COLUMNS.items() if isinstance(t, dict))
LIST_COLUMNS = tuple(name for name, t in COLUMNS.items() if isinstance(t, list))


def sql_type(t: Type) -> str:
    """DuckDB's spelling of a column type: ``STRUCT(key VARCHAR, ...)[]``."""
    if isinstance(t, str):
        return t
    if isinstance(t, list):
        return f"{sql_type(t[0])}[]"
    return "STRUCT(" + ", ".join(f"{name} {sql_type(sub)}" for name, sub in t.items()) + ")"


def json_structure(t: Type) -> str:
    """The JSON structure ``from_json`` takes for a type (missing keys become NULL, extra keys are ignored)."""
    return json.dumps(t, separators=(",", ":"))


def bigquery_type(t: Type) -> str:
    """BigQuery's spelling of a column type (for documentation and export round trips)."""
    if isinstance(t, str):
        return {"VARCHAR": "STRING", "BIGINT": "INT64", "DOUBLE": "FLOAT64", "BOOLEAN": "BOOL"}[t]
    if isinstance(t, list):
        return f"ARRAY<{bigquery_type(t[0])}>"
    return "STRUCT<" + ", ".join(f"{name} {bigquery_type(sub)}" for name, sub in t.items()) + ">"


def create_table_sql(table: str = "events") -> str:
    """``CREATE TABLE IF NOT EXISTS`` for the events table (export columns, then ``_row_hash``)."""
    columns = [f"    {name} {sql_type(t)}" for name, t in COLUMNS.items()]
    columns.append(f"    {ROW_HASH} VARCHAR NOT NULL")
    return f"CREATE TABLE IF NOT EXISTS {table} (\n" + ",\n".join(columns) + "\n)"


#: The DDL of the ``events`` table.
EVENTS_DDL = create_table_sql()


#: The fields that identify an event (``_row_hash`` is their MD5). The rest (device, geo, traffic
#: source, user_ltv, privacy...) describe the event's context, which GA4 may restate differently
#: in a later export of the same event (``user_ltv`` grows, for one).
IDENTITY = (
    "user_pseudo_id",
    "user_id",
    "event_timestamp",
    "event_name",
    "event_bundle_sequence_id",
    "batch_page_id",
    "batch_ordering_id",
    "batch_event_index",
    "stream_id",
    "event_params",
    "items",
)


def row_hash_sql(alias: str | None = None) -> str:
    """The SQL of ``_row_hash`` for a row whose columns are in scope (optionally as ``alias.col``)."""
    prefix = f"{alias}." if alias else ""
    fields = ", ".join(f"{name} := {prefix}{name}" for name in IDENTITY)
    return f"md5(CAST(struct_pack({fields}) AS VARCHAR))"


# ---------------------------------------------------------------------------------------------
# SQL helpers shared by the generator, the store and the funnel engine

Dialect = Literal["duckdb", "bigquery"]
ParamKind = Literal["text", "number", "int", "string", "double", "value"]


@functools.cache
def _python_lambdas() -> bool:
    """DuckDB 1.3 introduced ``lambda x: ...``; 2.0 rejects the older ``x -> ...``. Read from the
    installed package's metadata: importing DuckDB only to build SQL text would slow every start."""
    parts = []
    for piece in version("duckdb").split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts) >= (1, 3)


def lambda_sql(args: str, body: str) -> str:
    """A DuckDB lambda in the syntax the installed DuckDB accepts (``lambda p: body`` or ``p -> body``)."""
    if _python_lambdas():
        return f"lambda {args}: {body}"
    return f"({args}) -> {body}" if "," in args else f"{args} -> {body}"


def quote_literal(value: str, dialect: Dialect = "duckdb") -> str:
    """A SQL string literal (DuckDB doubles quotes; BigQuery escapes with backslashes)."""
    if dialect == "bigquery":
        escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")
        return f"'{escaped}'"
    return "'" + value.replace("'", "''") + "'"


#: A string parameter counts as a number for numeric comparisons only when it is written like one.
NUMBER_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"


def param_value(value: str, kind: ParamKind, *, dialect: Dialect = "duckdb") -> str:
    """SQL converting a parameter's value struct (an expression) to ``kind`` (see :func:`param`)."""
    if kind == "value":
        return value
    if kind in ("string", "int", "double"):
        return f"{value}.{kind}_value"
    if dialect == "bigquery":
        if kind == "text":
            return (
                f"COALESCE({value}.string_value, CAST({value}.int_value AS STRING), "
                f"CAST({value}.double_value AS STRING), CAST({value}.float_value AS STRING))"
            )
        return (
            f"COALESCE(CAST({value}.int_value AS FLOAT64), {value}.double_value, {value}.float_value, "
            f"IF(REGEXP_CONTAINS({value}.string_value, r'{NUMBER_PATTERN}'), "
            f"CAST({value}.string_value AS FLOAT64), NULL))"
        )
    if kind == "text":
        return (
            f"COALESCE({value}.string_value, CAST({value}.int_value AS VARCHAR), "
            f"CAST({value}.double_value AS VARCHAR), CAST({value}.float_value AS VARCHAR))"
        )
    return (
        f"COALESCE(CAST({value}.int_value AS DOUBLE), {value}.double_value, {value}.float_value, "
        f"CASE WHEN regexp_full_match({value}.string_value, '{NUMBER_PATTERN[1:-1]}') "
        f"THEN CAST({value}.string_value AS DOUBLE) END)"
    )


def param(
    name: str,
    kind: ParamKind = "text",
    *,
    dialect: Dialect = "duckdb",
    column: str = "event_params",
    key_sql: str | None = None,
) -> str:
    """SQL reading the event parameter ``name`` of the current row (NULL when the event does not carry it).

    ``kind`` says which value to read (when a key repeats, its first entry wins):

    * ``text``: the value as text: ``string_value``, else ``int_value`` in decimal, else
      ``double_value`` (then ``float_value``) as the engine prints a double (DuckDB: ``5.0``;
      BigQuery: ``5``).
    * ``number``: the value as a DOUBLE: ``int_value``, else ``double_value``, else
      ``float_value``, else ``string_value`` when it is written as a plain decimal number
      (:data:`NUMBER_PATTERN`); otherwise NULL.
    * ``string`` / ``int`` / ``double``: that typed field only.
    * ``value``: the whole value struct.

    Reading several kinds of one parameter, or one parameter in several places of a query, is
    cheaper from a column holding ``param(name, "value")`` and :func:`param_value` over it.
    ``key_sql`` replaces the quoted name (a BigQuery query parameter such as ``@p1``).
    """
    key = key_sql or quote_literal(name, dialect)
    if dialect == "bigquery":
        if kind == "value":
            return (
                f"(SELECT p.value FROM UNNEST({column}) AS p WITH OFFSET AS o WHERE p.key = {key} ORDER BY o LIMIT 1)"
            )
        inner = param_value("p.value", kind, dialect=dialect)
        return f"(SELECT {inner} FROM UNNEST({column}) AS p WITH OFFSET AS o WHERE p.key = {key} ORDER BY o LIMIT 1)"
    matching = f"list_filter({column}, {lambda_sql('p', f'p.key = {key}')})"
    if kind == "value":
        return f"({matching}[1]).value"
    # One lookup, the conversion inside it (DuckDB does not share repeated sub-expressions).
    return f"list_transform({matching}, {lambda_sql('p', param_value('p.value', kind, dialect=dialect))})[1]"
