"""The sandbox's event edit rule order: ``processing_order`` and ``ReorderEventEditRules``.

GA4 gives a new rule "an order value at the end of the order" (``EventEditRule.processing_order``,
output only) and ``ReorderEventEditRules`` takes the resource names of the stream's rules "in the
needed processing order. All EventEditRules for the stream must be present in the list."
``ListEventEditRules`` returns them "ordered stably, but in an arbitrary order" (the sandbox:
by id), so a client sorts by ``processing_order``. The functions work on the backend's dicts;
``*_problem`` ones return what is wrong (None when fine), as ``rules.py`` does.
"""

from __future__ import annotations

from collections import Counter
from typing import Any


def next_order(rules: list[dict[str, Any]], stream: str) -> int:
    """The processing order of a rule appended to ``stream`` (after every rule it has)."""
    orders = [int(r.get("processing_order") or 0) for r in rules if r["name"].startswith(stream + "/")]
    return max(orders, default=0) + 1


def reorder_problem(existing: list[str], wanted: list[str], stream: str) -> str | None:
    """Why ``wanted`` is not a new order of ``existing`` (the stream's rule names), or None."""
    if not wanted:
        return f"event_edit_rules is required: the names of every event edit rule of {stream}, in the new order"
    repeated = sorted(n for n, count in Counter(wanted).items() if count > 1)
    if repeated:
        return f"event_edit_rules names {', '.join(repeated)} more than once; list each rule of {stream} exactly once"
    unknown = [n for n in wanted if n not in existing]
    if unknown:
        return (
            f"event_edit_rules names {', '.join(unknown)}, which {'is' if len(unknown) == 1 else 'are'} not an event "
            f"edit rule of {stream}; list each rule of the stream exactly once"
        )
    missing = [n for n in existing if n not in wanted]
    if missing:
        return (
            f"event_edit_rules must list every event edit rule of {stream}: {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} missing"
        )
    return None


def reorder(rules: list[dict[str, Any]], wanted: list[str]) -> None:
    """Set ``processing_order`` 1, 2, ... in the order of ``wanted`` (checked by :func:`reorder_problem`)."""
    place = {name: n for n, name in enumerate(wanted, start=1)}
    for rule in rules:
        rule["processing_order"] = place[rule["name"]]


__all__ = ["next_order", "reorder", "reorder_problem"]
