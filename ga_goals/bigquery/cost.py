"""What a query costs at BigQuery on-demand pricing, and byte counts for people.

Price: **$6.25 per TiB** processed, the on-demand analysis price of BigQuery's pricing page
(https://cloud.google.com/bigquery/pricing, "On-demand compute pricing"; the US multi-region,
most regions charge the same, some more). A query is billed for the bytes it processes, rounded
up to a whole MiB, and at least **10 MiB** ("minimum 10 MB data processed per table referenced by
the query"). The first TiB a billing account processes each month is free; that allowance is
not counted here: these are list prices, an upper bound.
"""

from __future__ import annotations

from ga_goals.units import parse_bytes  # noqa: F401 (re-exported: sizes in options and plans)

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB
TIB = 1024 * GIB

#: On-demand price in USD per TiB processed.
USD_PER_TIB = 6.25
#: Every query is billed at least this many bytes.
MIN_BILLED_BYTES = 10 * MIB


def billed_bytes(processed: int) -> int:
    """Bytes billed for ``processed`` bytes: rounded up to a whole MiB, at least :data:`MIN_BILLED_BYTES`."""
    if processed < 0:
        raise ValueError(f"bytes processed cannot be negative ({processed})")
    return max(MIN_BILLED_BYTES, -(-processed // MIB) * MIB)


def cost_usd(processed: int) -> float:
    """The on-demand price, in US dollars, of a query that processes ``processed`` bytes."""
    return billed_bytes(processed) / TIB * USD_PER_TIB


def format_usd(amount: float) -> str:
    """``$0.0001`` for small amounts, ``$1.23`` from a cent up."""
    if amount < 0.01:
        return f"${amount:.4f}"
    return f"${amount:,.2f}"


def human_size(n: int) -> str:
    """``512 B``, ``1.5 KiB``, ``1.3 GiB``, ``2.0 TiB`` (binary units, one decimal)."""
    if n < KIB:
        return f"{n} B"
    for unit, size in (("TiB", TIB), ("GiB", GIB), ("MiB", MIB), ("KiB", KIB)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    raise AssertionError("unreachable")
