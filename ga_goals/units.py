"""Sizes written by people (``10GiB``, ``500 MB``) as bytes: one parser for options and plan files."""

from __future__ import annotations


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
