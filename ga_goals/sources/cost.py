"""Sizes and BigQuery's on-demand price, in one place (dry-run estimates, caps, report footers).

The price is BigQuery's on-demand analysis price in the US multi-region, USD 6.25 per TiB
processed, with a minimum of 10 MiB billed per query that reads a table (Google's "BigQuery
pricing" page; other regions cost somewhat more). It is an estimate shown to the user, never
used to decide anything: the cap that refuses a query is in bytes.
"""

from __future__ import annotations

#: USD per TiB processed, on-demand (US multi-region).
ON_DEMAND_USD_PER_TIB = 6.25
#: Bytes billed at least per query that reads data.
MINIMUM_BILLED_BYTES = 10 * 2**20

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def human_bytes(n: int | float) -> str:
    """``1536`` -> ``1.5 KiB``; ``10 * 2**30`` -> ``10 GiB``."""
    value = float(n)
    for unit in _UNITS:
        if abs(value) < 1024 or unit == _UNITS[-1]:
            if unit == "B":
                return f"{int(value)} B"
            text = f"{value:.1f}".rstrip("0").rstrip(".")
            return f"{text} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def billed_bytes(processed: int) -> int:
    """What BigQuery bills for a query that processes ``processed`` bytes (0 stays 0)."""
    return 0 if processed <= 0 else max(processed, MINIMUM_BILLED_BYTES)


def on_demand_cost(billed: int | float) -> str:
    """``"$0.01"``: the on-demand price of ``billed`` bytes (shown with a ``<`` below a cent)."""
    usd = float(billed) / 2**40 * ON_DEMAND_USD_PER_TIB
    if usd == 0:
        return "$0"
    if usd < 0.01:
        return "< $0.01"
    return f"${usd:,.2f}"


def parse_bytes(text: str) -> int:
    """``"10GiB"``, ``"500 MB"``, ``"1TB"``, ``"0"``, ``"12345"`` -> bytes (MB/GB/TB are powers of 1024
    here too, as BigQuery bills)."""
    raw = text.strip().replace(" ", "")
    if not raw:
        raise ValueError("an empty size")
    units = {"": 1, "b": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40, "p": 2**50}
    lowered = raw.lower()
    for suffix in ("ib", "b"):
        if lowered.endswith(suffix) and len(lowered) > len(suffix) and not lowered[-len(suffix) - 1].isdigit():
            lowered = lowered[: -len(suffix)]
            break
    number = lowered.rstrip("kmgtpb")
    unit = lowered[len(number) :]
    if unit not in units:
        raise ValueError(f"{text!r} is not a size such as 10GiB, 500MiB or 2TiB")
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"{text!r} is not a size such as 10GiB, 500MiB or 2TiB") from None
    if value < 0:
        raise ValueError(f"{text!r}: a size cannot be negative")
    return int(value * units[unit])
