"""Bytes -> USD at on-demand pricing, and sizes for people."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ga_goals.bigquery.cost import (
    GIB,
    MIB,
    MIN_BILLED_BYTES,
    TIB,
    USD_PER_TIB,
    billed_bytes,
    cost_usd,
    format_usd,
    human_size,
)
from ga_goals.sandbox.bigquery.billing import MIN_BILLED
from ga_goals.sandbox.bigquery.billing import bytes_billed as sandbox_bytes_billed


def test_on_demand_price_and_minimum():
    assert USD_PER_TIB == 6.25
    assert cost_usd(TIB) == 6.25 and cost_usd(4 * TIB) == 25.0
    assert billed_bytes(0) == billed_bytes(1) == billed_bytes(10 * MIB) == MIN_BILLED_BYTES == 10 * MIB
    assert billed_bytes(10 * MIB + 1) == 11 * MIB
    assert cost_usd(0) == pytest.approx(10 / 1024 / 1024 * 6.25)
    with pytest.raises(ValueError):
        billed_bytes(-1)


@given(st.integers(min_value=0, max_value=2**50))
def test_billing_rules(n):
    billed = billed_bytes(n)
    assert billed == sandbox_bytes_billed(n) and MIN_BILLED == MIN_BILLED_BYTES  # the endpoint bills by the same rule
    assert billed >= max(n, MIN_BILLED_BYTES) and billed % MIB == 0 and (billed - n < MIB or billed == MIN_BILLED_BYTES)
    assert cost_usd(n) <= cost_usd(n + MIB)


@pytest.mark.parametrize(
    "n, text",
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (1536, "1.5 KiB"),
        (10 * MIB, "10.0 MiB"),
        (int(1.3 * GIB), "1.3 GiB"),
        (2 * TIB, "2.0 TiB"),
        (5000 * TIB, "5000.0 TiB"),
    ],
)
def test_human_sizes(n, text):
    assert human_size(n) == text


def test_usd_formatting():
    assert format_usd(cost_usd(0)) == "$0.0001"
    assert format_usd(cost_usd(TIB)) == "$6.25"
    assert format_usd(1234.5) == "$1,234.50"
