"""A Plan: the ordered changes that make a property match a tracking plan.

``Change`` is a small value object: what to do (``action``), to which resource (``kind`` and
``label``), the resource as GA4 has it (``existing``, with its ``resource_name``) and as the
plan wants it (``desired``), and for updates the field-level differences. The GA4 layer applies
a Plan change by change; the CLI renders it.

A Plan is reviewed before it is applied: ``checksum`` fingerprints the changes, so a plan shown
in a pull request can be applied later only if recomputing it gives the same changes
(``sync --checksum``), and ``check_safety`` refuses destructive changes unless they are
explicitly allowed and under ``safety.max_destroy``.
"""

from __future__ import annotations

import builtins
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from ga_goals.errors import UnsafePlan
from ga_goals.model import Resource, Safety

Action = Literal["create", "update", "replace", "archive", "delete", "reorder"]

#: Actions that lose something in GA4 (an archived custom definition cannot be restored).
DESTRUCTIVE: frozenset[str] = frozenset({"replace", "archive", "delete"})

#: The order changes are planned and applied in: archives and deletes first, because they free
#: slots under GA4's per-property limits that creates may need; then replaces, updates, creates;
#: last the reorders of event edit rules, which need every rule of their stream to exist.
ACTION_ORDER: tuple[str, ...] = ("archive", "delete", "replace", "update", "create", "reorder")

#: The order of kinds within one action: definitions before the events that use them.
KIND_ORDER: tuple[str, ...] = (
    "custom_dimension",
    "custom_metric",
    "key_event",
    "event_create_rule",
    "event_edit_rule",
    # After custom metrics: a calculated metric's formula may name them.
    "calculated_metric",
    "channel_group",
    "enhanced_measurement",
    "audience",
)

#: The order of counts in ``Plan.summary()`` and in the rendered summary line.
SUMMARY_ORDER: tuple[str, ...] = ("create", "update", "replace", "archive", "delete")
#: Counted in the summary only when the plan has one (only ordered resources are reordered).
OPTIONAL_SUMMARY: tuple[str, ...] = ("reorder",)

#: A symbol per action, Terraform-like, used by the renderers.
SYMBOLS: dict[str, str] = {"create": "+", "update": "~", "replace": "-/+", "archive": "x", "delete": "-", "reorder": "<>"}


def canonical_json(data: Any) -> str:
    """JSON with sorted keys and no whitespace: the same data always gives the same text."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class Change:
    action: Action
    kind: str  # KeyEvent.KIND, CustomDimension.KIND, ...
    label: str  # human identity: "purchase", "event:form_id", "newsletter_signup#2"
    existing: Resource | None = None
    desired: Resource | None = None
    #: create: every desired field (old None); update/replace: the fields that differ;
    #: archive/delete: every existing field (new None), so a reviewer sees what goes.
    fields: tuple[FieldChange, ...] = ()
    #: Why, where it is not obvious ("scope is immutable", "not in the plan (unmanaged: remove)").
    reason: str = ""

    @property
    def destructive(self) -> bool:
        return self.action in DESTRUCTIVE

    @property
    def resource(self) -> Resource:
        """The resource this change is about: the desired one, or the existing one it removes."""
        resource = self.desired if self.desired is not None else self.existing
        assert resource is not None, "a Change needs a desired or an existing resource"
        return resource

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "action": self.action,
            "kind": self.kind,
            "label": self.label,
            "fields": [f.to_json() for f in self.fields],
        }
        if self.existing is not None and getattr(self.existing, "resource_name", None):
            data["resource_name"] = self.existing.resource_name
        # Event create rules hang under a data stream: which one is part of what is reviewed.
        stream = getattr(self.desired, "stream", None) or getattr(self.existing, "stream", None)
        if stream:
            data["stream"] = stream
        if self.reason:
            data["reason"] = self.reason
        return data

    def describe(self) -> str:
        """One line for messages: ``archive custom_dimension event:form_id``."""
        return f"{self.action} {self.kind} {self.label}"


@dataclass(frozen=True)
class Note:
    """Something the user should know that is not a change (an ignored unmanaged resource).

    ``drift``: the property differs from what the plan means although no change would fix it
    (two identical event create rules: GA4 creates the event, and counts the key event, twice).
    ``plan --exit-code`` counts it as drift (:attr:`Plan.has_drift`); the JSON carries
    ``"drift": true`` on such notes only.
    """

    level: Literal["info", "warning"]
    message: str
    drift: bool = False

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"level": self.level, "message": self.message}
        if self.drift:
            data["drift"] = True
        return data


@dataclass
class Plan:
    property: str  # "properties/123"
    changes: list[Change] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    environment: str | None = None
    source: str = ""  # the plan file
    #: safety.max_destroy of the plan file: the default cap of ``check_safety``.
    max_destroy: int = Safety().max_destroy

    @builtins.property  # the `property` field shadows the builtin in this class body
    def has_changes(self) -> bool:
        return bool(self.changes)

    @builtins.property
    def has_drift(self) -> bool:
        """The property differs from the plan: changes pending, or a note no change can fix."""
        return self.has_changes or any(note.drift for note in self.notes)

    @builtins.property
    def destructive(self) -> list[Change]:
        return [c for c in self.changes if c.destructive]

    def summary(self) -> dict[str, int]:
        """How many changes per action, every action present: ``{"create": 3, "update": 0, ...}``;
        ``reorder`` only when the plan reorders something."""
        counts = dict.fromkeys(SUMMARY_ORDER, 0)
        for change in self.changes:
            counts[change.action] = counts.get(change.action, 0) + 1
        return counts

    @builtins.property
    def checksum(self) -> str:
        """sha256 (hex) of the property and the changes: equal checksums mean the same plan.

        Notes, the environment name and the source file are left out: they do not change what
        an apply would do.
        """
        data = {"property": self.property, "changes": [c.to_json() for c in self.changes]}
        return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()

    def to_json(self) -> dict[str, Any]:
        return {
            "property": self.property,
            "environment": self.environment,
            "source": self.source,
            "changes": [c.to_json() for c in self.changes],
            "notes": [n.to_json() for n in self.notes],
            "summary": self.summary(),
            "max_destroy": self.max_destroy,
            "checksum": self.checksum,
        }

    def check_safety(self, *, allow_destroy: bool, max_destroy: int | None = None) -> None:
        """Raise :class:`UnsafePlan` unless the plan's destructive changes may be applied.

        :param allow_destroy: the user allowed archives, deletes and replaces (``--allow-destroy``).
        :param max_destroy: at most this many destructive changes (``--max-destroy``); default:
            the plan file's ``safety.max_destroy``.
        """
        destructive = self.destructive
        if not destructive:
            return
        listing = "\n".join(f"  {SYMBOLS[c.action]} {c.describe()}" for c in destructive)
        count = _plural(len(destructive), "destructive change")
        if not allow_destroy:
            raise UnsafePlan(
                f"{self.property}: the plan has {count}, which GA4 cannot undo "
                f"(archived custom definitions cannot be restored):\n{listing}\n"
                "Review them, then pass --allow-destroy to apply them."
            )
        limit = self.max_destroy if max_destroy is None else max_destroy
        if len(destructive) > limit:
            if max_destroy is None:
                source, remedy = (
                    f"safety.max_destroy {limit}",
                    f"raise it in the plan (safety.max_destroy: {len(destructive)}) "
                    f"or pass --max-destroy {len(destructive)}",
                )
            else:
                source, remedy = f"--max-destroy {limit}", f"pass --max-destroy {len(destructive)}"
            raise UnsafePlan(
                f"{self.property}: {count}, more than {source}:\n{listing}\n"
                f"If they are all intended, {remedy}."
            )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")
