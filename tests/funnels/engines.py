"""Run one funnel over one set of events in both engines: the DuckDB SQL engine and the Python reference."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ga_goals.events import EventStore
from ga_goals.funnels import FunnelResult, reference_detail, run_funnel
from ga_goals.funnels.semantics import segmented_progress
from ga_goals.model.tracking_plan import Funnel, FunnelStep, Segment, StepFilter

DAY = date(2024, 3, 4)
#: 2024-03-04 00:00:00 UTC in microseconds.
T0 = 1709510400 * 1_000_000
S = 1_000_000


def ev(
    name: str,
    t: float,
    user: str = "u1",
    *,
    params: Mapping[str, Any] | None = None,
    page: int | None = None,
    request: int | None = None,
    index: int | None = None,
    day: int = 0,
    device: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An export-shaped event ``t`` seconds (float; µs precision) after midnight of DAY + ``day``."""
    ts = T0 + day * 86400 * S + round(t * S)
    row: dict[str, Any] = {
        "event_date": f"{20240304 + day}",
        "event_timestamp": ts,
        "event_name": name,
        "user_pseudo_id": user,
        "event_params": [{"key": k, "value": _value(v)} for k, v in (params or {}).items()],
        "batch_page_id": page,
        "batch_ordering_id": request,
        "batch_event_index": index,
    }
    if device is not None:
        row["device"] = {"category": device}
    row.update(extra)
    return row


def _value(v: Any) -> dict[str, Any]:
    if isinstance(v, dict):
        return v
    if isinstance(v, bool) or v is None:
        raise TypeError(v)
    if isinstance(v, int):
        return {"int_value": v}
    if isinstance(v, float):
        return {"double_value": v}
    return {"string_value": v}


def funnel(*steps: FunnelStep | str, open: bool = False) -> Funnel:
    built = tuple(s if isinstance(s, FunnelStep) else FunnelStep(name=s, event=s) for s in steps)
    return Funnel(name="f", title="F", steps=built, open=open)


def step(event: str, *filters: StepFilter, direct: bool = False, within: float | None = None) -> FunnelStep:
    return FunnelStep(name=event, event=event, filters=filters, directly_followed=direct, within_seconds=within)


@dataclass
class Both:
    sql: FunnelResult
    reference_users: list[int]
    reference_continued: list[int]
    stored: dict[str, list[dict[str, Any]]]

    @property
    def users(self) -> list[int]:
        """Users per step, after checking both engines agree."""
        assert list(self.sql.users) == self.reference_users, (self.sql.users, self.reference_users)
        assert list(self.sql.total.continued) == self.reference_continued, (
            self.sql.total.continued,
            self.reference_continued,
        )
        return self.reference_users


def stored_events(store: EventStore, start: date, end: date) -> dict[str, list[dict[str, Any]]]:
    """The events of the date range as stored (typed, every column, with ``_row_hash``), grouped by user."""
    rows = store.connection.execute(
        "SELECT e.user_pseudo_id, to_json(e) FROM events AS e "
        "WHERE e.event_date BETWEEN ? AND ? AND e.user_pseudo_id IS NOT NULL",
        [start.strftime("%Y%m%d"), end.strftime("%Y%m%d")],
    ).fetchall()
    by_user: dict[str, list[dict[str, Any]]] = {}
    for user, text in rows:
        by_user.setdefault(user, []).append(json.loads(text))
    return by_user


def run_both(
    events: Iterable[Mapping[str, Any]],
    f: Funnel,
    start: date = DAY,
    end: date = DAY,
    *,
    store: EventStore | None = None,
    breakdown: str | None = None,
    segment: Segment | None = None,
) -> Both:
    own = store is None
    store = store or EventStore()
    try:
        store.clear()
        store.insert(events)
        result = run_funnel(store, f, start, end, breakdown, segment=segment)
        # BigQuery's plan (one guarded pass over the users) run in DuckDB: the same answer.
        guarded = run_funnel(store, f, start, end, breakdown, guarded=True, segment=segment)
        assert guarded.total == result.total and guarded.rows == result.rows, (guarded, result)
        stored = stored_events(store, start, end)
    finally:
        if own:
            store.close()
    users, continued = reference_detail(stored, f, segment)
    return Both(result, users, continued, stored)


def reference_breakdown(
    stored: Mapping[str, list[dict[str, Any]]], f: Funnel, segment: Segment | None = None
) -> dict[str, tuple[int, ...]]:
    """Users per step per device category of the entry event (rule 8), computed in Python."""
    out: dict[str, list[int]] = {}
    for events in stored.values():
        progress = segmented_progress(events, f, segment)
        value = progress.entry_value(lambda e: (e.get("device") or {}).get("category") or "(not set)")
        if value is None:
            continue
        row = out.setdefault(value, [0] * len(f.steps))
        for k, reached in enumerate(progress.reached):
            row[k] += reached
    return {k: tuple(v) for k, v in out.items()}
