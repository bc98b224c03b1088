"""Planning event edit rules: matched by display name per stream, then kept in the plan's order.

GA4 runs a stream's event edit rules one after another, in their processing order, so the order
is part of what a plan declares. The planner

1. resolves each rule's stream selector (as for event create rules) and matches rules by
   ``(stream, display_name)``: a rule in both is compared field by field (an ``update``), a
   rule only in the plan is a ``create``, one only in the property is unmanaged (left alone, or
   deleted with ``safety.unmanaged: remove``);
2. once the other changes are known, predicts each stream's order after them (GA4 keeps the
   order of the rules that stay and appends every new rule at the end; creates are applied in
   the plan's order), and when the plan's rules are not in the plan's order there, adds ONE
   ``reorder`` change per stream with the order before and after. Rules the plan does not
   manage keep their places; the plan's rules fill the places the plan's rules held.

The ``reorder`` comes last in a plan (``ACTION_ORDER``): ``ReorderEventEditRules`` must name
every rule of the stream, new ones included, so it can only run once the creates and deletes
are through. A sync that stops earlier leaves the rules in a valid order; re-running finishes.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import TYPE_CHECKING

from ga_goals.changes.plan import Change, FieldChange, Note
from ga_goals.model import EventEditRule, EventEditRuleOrder

if TYPE_CHECKING:
    from ga_goals.changes.diff import _Planner

Key = tuple[str | None, str, int]


class EditRulePlanner:
    """The event edit rule part of one planning run (``diff._Planner`` owns it)."""

    def __init__(self, planner: _Planner) -> None:
        self.planner = planner
        #: The plan's rules with their streams resolved, in the plan's order.
        self.desired: list[EventEditRule] = []
        self._names: dict[str, str] = {}
        self._several_streams = False

    # Matching ------------------------------------------------------------------------------

    def diff(self) -> None:
        from ga_goals.changes.diff import _create, resolve_selectors

        planner = self.planner
        rules = sorted(planner.desired.event_edit_rules.values(), key=lambda r: r.processing_order)
        actual = planner.actual.event_edit_rules
        if rules:
            users: dict[str | None, list[str]] = defaultdict(list)
            for rule in rules:
                users[rule.stream].append(rule.label)
            resolved = resolve_selectors(
                users, planner.actual, noun="event edit rules", where="per rule under event_edit_rules"
            )
            self.desired = _renumber([dataclasses.replace(r, stream=resolved[r.stream]) for r in rules])
        streams = {r.stream for r in self.desired} | {r.stream for r in actual.values()}
        self._several_streams = len(streams) > 1
        self._names = {s.resource_name: s.display_name or s.stream_id for s in planner.actual.data_streams}
        wanted = {r.key: r for r in self.desired}
        for key, new in wanted.items():
            old = actual.get(key)
            if old is not None:
                planner._compare(old, new, label=self.label(new))
            else:
                planner.changes.append(_create(new, self.label(new)))
        planner.unmanaged[EventEditRule.KIND].extend(r for k, r in actual.items() if k not in wanted)

    def label(self, rule: EventEditRule) -> str:
        """The rule's label; with rules on several streams, it names its stream."""
        if not self._several_streams:
            return rule.label
        return f"{rule.label} (stream {self._stream_name(rule.stream)})"

    def _stream_name(self, stream: str | None) -> str:
        stream = stream or ""
        return self._names.get(stream, stream.rsplit("/", 1)[-1])

    # Order ---------------------------------------------------------------------------------

    def reorders(self, changes: list[Change]) -> list[Change]:
        """One ``reorder`` per stream whose rules would not be in the plan's order after ``changes``."""
        out: list[Change] = []
        removed = {
            c.existing.key
            for c in changes
            if isinstance(c.existing, EventEditRule) and c.action in ("delete", "replace")
        }
        created: dict[str | None, list[EventEditRule]] = defaultdict(list)
        for c in changes:
            if isinstance(c.desired, EventEditRule) and c.action in ("create", "replace"):
                created[c.desired.stream].append(c.desired)
        for stream in dict.fromkeys(r.stream for r in self.desired):
            assert stream is not None
            rules = [r for r in self.planner.actual.edit_rule_order(stream) if r.key not in removed]
            rules += created[stream]
            managed = [r for r in self.desired if r.stream == stream]
            keys = {r.key for r in managed}
            before = [r.key for r in rules]
            order = iter(r.key for r in managed)
            after = [next(order) if key in keys else key for key in before]
            if after == before:
                continue
            labels = {r.key: r.label for r in rules}
            moved = [r for r in rules if before.index(r.key) != after.index(r.key)]
            guard = next(((r, e) for r in moved if (e := self.planner.protected(r))), None)
            if guard is not None:
                rule, entry = guard
                self.planner.notes.append(
                    Note(
                        "warning",
                        f"the event edit rules of {self._stream_name(stream)} are not in the plan's order, but "
                        f"reordering them moves {rule.label}, which safety.protect protects ({entry}); not reordered",
                    )
                )
                continue
            old = tuple(labels[k] for k in before)
            new = tuple(labels[k] for k in after)
            label = "processing order" + (f" (stream {self._stream_name(stream)})" if self._several_streams else "")
            out.append(
                Change(
                    "reorder",
                    EventEditRule.KIND,
                    label,
                    existing=EventEditRuleOrder(stream, old),
                    desired=EventEditRuleOrder(stream, new),
                    fields=(FieldChange("processing_order", list(old), list(new)),),
                    reason="GA4 runs a stream's event edit rules in order; this puts them in the plan's order",
                )
            )
        return out


def _renumber(rules: list[EventEditRule]) -> list[EventEditRule]:
    """``index`` numbers rules with the same display name on one stream, in plan order."""
    seen: dict[tuple[str | None, str], int] = defaultdict(int)
    out = []
    for rule in rules:
        group = (rule.stream, rule.display_name)
        out.append(dataclasses.replace(rule, index=seen[group]))
        seen[group] += 1
    return out


def number_rules(rules: list[EventEditRule]) -> list[EventEditRule]:
    """Rules read from one stream, sorted by processing order, ``index`` numbering equal display names."""
    return _renumber(sorted(rules, key=lambda r: r.processing_order))


__all__ = ["EditRulePlanner", "number_rules"]
