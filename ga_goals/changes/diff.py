"""Desired vs actual state -> a :class:`Plan`.

``compute_plan`` matches resources by ``key`` in each collection, like octoDNS matches records
by (name, type):

* same key, different ``fields()`` -> ``update`` (or ``replace`` when an ``IMMUTABLE`` field
  differs);
* desired only -> ``create``;
* actual only -> *unmanaged*: a note (``safety.unmanaged: ignore``) or an ``archive`` /
  ``delete`` (``remove``).

Three GA4 specifics sit on top:

* a custom dimension whose scope changed (``event:form_id`` -> ``user:form_id``) is one
  ``replace`` rather than an unrelated create plus an unmanaged leftover, because that is what
  the user did;
* event create rules hang under a web data stream: the plan names it by a selector (id,
  display name, or nothing when there is one web stream) that is resolved against the
  property first; several rules may create the same event, and they are paired by content
  before position, so reordering them in the plan changes nothing;
* ``safety.protect`` drops every change but a create that touches a protected resource.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal

from ga_goals.changes.plan import ACTION_ORDER, KIND_ORDER, Change, FieldChange, Note, Plan, canonical_json
from ga_goals.errors import PlanningError, PropertyMismatch
from ga_goals.model import (
    Audience,
    CalculatedMetric,
    ChannelGroup,
    CustomDimension,
    CustomMetric,
    DataStream,
    EnhancedMeasurement,
    EventCreateRule,
    EventEditRule,
    EventEditRuleOrder,
    KeyEvent,
    PropertyState,
    Resource,
    Safety,
)
from ga_goals.model import ga4_facts as facts
from ga_goals.changes.event_edit_rules import EditRulePlanner

#: Resource classes by ``KIND`` (what ``kind:name`` entries of ``safety.protect`` may name).
KINDS: dict[str, type] = {
    CustomDimension.KIND: CustomDimension,
    CustomMetric.KIND: CustomMetric,
    KeyEvent.KIND: KeyEvent,
    EventCreateRule.KIND: EventCreateRule,
    EventEditRule.KIND: EventEditRule,
    CalculatedMetric.KIND: CalculatedMetric,
    ChannelGroup.KIND: ChannelGroup,
    EnhancedMeasurement.KIND: EnhancedMeasurement,
    Audience.KIND: Audience,
}

#: ``PropertyState`` collection per kind.
COLLECTIONS: dict[str, str] = {
    CustomDimension.KIND: "custom_dimensions",
    CustomMetric.KIND: "custom_metrics",
    KeyEvent.KIND: "key_events",
    EventCreateRule.KIND: "event_create_rules",
    EventEditRule.KIND: "event_edit_rules",
    CalculatedMetric.KIND: "calculated_metrics",
    ChannelGroup.KIND: "channel_groups",
    EnhancedMeasurement.KIND: "enhanced_measurement",
    Audience.KIND: "audiences",
}

#: (singular, plural) nouns per kind, for notes.
NOUNS: dict[str, tuple[str, str]] = {
    CustomDimension.KIND: ("custom dimension", "custom dimensions"),
    CustomMetric.KIND: ("custom metric", "custom metrics"),
    KeyEvent.KIND: ("key event", "key events"),
    EventCreateRule.KIND: ("event create rule", "event create rules"),
    EventEditRule.KIND: ("event edit rule", "event edit rules"),
    CalculatedMetric.KIND: ("calculated metric", "calculated metrics"),
    ChannelGroup.KIND: ("channel group", "channel groups"),
    EnhancedMeasurement.KIND: ("enhanced measurement settings", "enhanced measurement settings"),
    Audience.KIND: ("audience", "audiences"),
}

#: GA4 removes custom definitions by archiving them (no delete RPC), the others by deleting.
REMOVE_ACTION: dict[str, Literal["archive", "delete"]] = {
    CustomDimension.KIND: "archive",
    CustomMetric.KIND: "archive",
    KeyEvent.KIND: "delete",
    EventCreateRule.KIND: "delete",
    EventEditRule.KIND: "delete",
    CalculatedMetric.KIND: "delete",
    ChannelGroup.KIND: "delete",
    Audience.KIND: "archive",
}

UNMANAGED_REASON = "not in the plan (safety.unmanaged: remove)"

#: The categories the limit warnings count, in the order they are reported: name in the notes
#: -> kind in ``ga4_facts.LIMITS``.
_LIMIT_KINDS: dict[str, str] = {
    "event-scoped custom dimensions": "event",
    "user-scoped custom dimensions": "user",
    "item-scoped custom dimensions": "item",
    "custom metrics": "custom_metrics",
    "custom key events": "key_events",
    "event create rules": "created_events",
    "event edit rules": "modified_events",
    "calculated metrics": "calculated_metrics",
    "custom channel groups": "channel_groups",
    "audiences": "audiences",
}

#: Per-property limits, (standard, 360), by category (from ``ga_goals.model.ga4_facts``).
LIMITS: dict[str, tuple[int, int]] = {
    category: (facts.LIMITS[kind]["standard"], facts.LIMITS[kind]["360"]) for category, kind in _LIMIT_KINDS.items()
}


def compute_plan(
    desired: PropertyState,
    actual: PropertyState,
    *,
    safety: Safety = Safety(),
    environment: str | None = None,
    source: str = "",
) -> Plan:
    """The changes that make ``actual`` (read from GA4) match ``desired`` (from a plan file).

    :param desired: ``TrackingPlan.desired_state(...)``; its event create rules carry stream
        selectors, resolved here against ``actual.data_streams``.
    :param actual: the property as read, with its data streams.
    :param safety: the plan file's ``safety:`` block (protected names, what to do with
        unmanaged resources, the cap stored on the Plan for ``check_safety``).
    :param environment: the plan file's environment, shown in the output.
    :param source: the plan file, shown in the output.
    :raises PropertyMismatch: the two states describe different properties.
    :raises PlanningError: a rule's stream cannot be resolved, or ``safety.protect`` names an
        unknown kind.
    """
    if desired.property != actual.property:
        raise PropertyMismatch(
            f"the desired state is for {desired.property} but the actual state was read from "
            f"{actual.property}; a plan compares one property with itself"
        )
    planner = _Planner(desired, actual, safety)
    changes, notes = planner.plan()
    return Plan(
        property=actual.property,
        changes=changes,
        notes=notes,
        environment=environment,
        source=source,
        max_destroy=safety.max_destroy,
    )


def sort_key(change: Change) -> tuple[int, int, str, str]:
    """Destructive first (they free slots under GA4's limits), then by kind, then by label;
    event edit rules are created in the plan's order (GA4 appends each new one to its stream)."""
    resource = change.resource
    label = change.label
    if change.action == "create" and isinstance(resource, EventEditRule):
        label = f"{resource.processing_order:09d}"
    return (
        ACTION_ORDER.index(change.action),
        KIND_ORDER.index(change.kind) if change.kind in KIND_ORDER else len(KIND_ORDER),
        label,
        canonical_json([_key_json(change.existing), _key_json(resource)]),
    )


def protect_name(resource: Resource) -> str:
    """The name ``safety.protect`` matches: an event name, a parameter name, a created event."""
    if isinstance(resource, KeyEvent):
        return resource.event_name
    if isinstance(resource, EventCreateRule):
        return resource.destination_event
    if isinstance(resource, EventEditRule):
        return resource.display_name
    if isinstance(resource, EventEditRuleOrder):
        return resource.label
    if isinstance(resource, CalculatedMetric):
        return resource.calculated_metric_id
    if isinstance(resource, ChannelGroup):
        return resource.display_name
    if isinstance(resource, EnhancedMeasurement):
        return resource.label
    if isinstance(resource, Audience):
        return resource.display_name
    return resource.parameter_name


class _Planner:
    def __init__(self, desired: PropertyState, actual: PropertyState, safety: Safety) -> None:
        self.desired = desired
        self.actual = actual
        self.safety = safety
        self.protected = _protector(safety.protect)
        self.changes: list[Change] = []
        self.notes: list[Note] = []
        #: Actual resources no desired one claims, per kind.
        self.unmanaged: dict[str, list[Resource]] = defaultdict(list)
        self.rule_labels: Callable[[EventCreateRule], str] = lambda rule: rule.label
        self.edit_rules = EditRulePlanner(self)

    def plan(self) -> tuple[list[Change], list[Note]]:
        self._diff_dimensions()
        self._diff_keyed(CustomMetric.KIND)
        self._diff_keyed(KeyEvent.KIND)
        self._diff_rules()
        self.edit_rules.diff()
        self._diff_keyed(CalculatedMetric.KIND)
        self.notes.extend(_invalid_reference_notes(self.actual))
        self._diff_keyed(ChannelGroup.KIND)
        self._diff_enhanced_measurement()
        self._diff_keyed(Audience.KIND)
        for kind in KIND_ORDER:
            self._unmanaged(kind, self.unmanaged[kind])
        changes = self._drop_protected(sorted(self.changes, key=sort_key))
        changes += self.edit_rules.reorders(changes)
        self.notes.extend(_limit_warnings(self.actual, changes))
        return changes, self.notes

    # Matching ------------------------------------------------------------------------------

    def _diff_keyed(self, kind: str) -> tuple[list[Resource], list[Resource]]:
        """Match one collection by key; return (desired without a match, actual without one)."""
        desired: dict[Any, Resource] = getattr(self.desired, COLLECTIONS[kind])
        actual: dict[Any, Resource] = getattr(self.actual, COLLECTIONS[kind])
        for key, new in desired.items():
            old = actual.get(key)
            if old is not None:
                self._compare(old, new, label=new.label)
        missing = [r for k, r in desired.items() if k not in actual]
        extra = [r for k, r in actual.items() if k not in desired]
        if kind != CustomDimension.KIND:
            self.changes.extend(_create(r, r.label) for r in missing)
            self.unmanaged[kind].extend(extra)
        return missing, extra

    def _diff_dimensions(self) -> None:
        """Keyed matching, plus: a dimension whose scope changed is one replace."""
        missing, extra = self._diff_keyed(CustomDimension.KIND)
        by_parameter: dict[str, list[CustomDimension]] = defaultdict(list)
        for old in extra:
            assert isinstance(old, CustomDimension)
            by_parameter[old.parameter_name].append(old)
        wanted: dict[str, list[CustomDimension]] = defaultdict(list)
        for new in missing:
            assert isinstance(new, CustomDimension)
            wanted[new.parameter_name].append(new)
        replaced: set[int] = set()
        for parameter, news in wanted.items():
            olds = by_parameter.get(parameter, [])
            # Only an unambiguous move is a replace; otherwise (two scopes to pick from) it
            # stays a create plus an unmanaged leftover, and the user decides.
            if len(news) == 1 and len(olds) == 1:
                old, new = olds[0], news[0]
                self.changes.append(_replace(old, new, label=new.label, reason=_scope_reason(old, new)))
                replaced.update((id(old), id(new)))
        self.changes.extend(_create(r, r.label) for r in missing if id(r) not in replaced)
        self.unmanaged[CustomDimension.KIND].extend(r for r in extra if id(r) not in replaced)

    def _diff_rules(self) -> None:
        """Resolve stream selectors, then pair rules per (stream, destination event)."""
        desired = _resolve_streams(list(self.desired.event_create_rules.values()), self.actual)
        actual = list(self.actual.event_create_rules.values())
        self.rule_labels = _rule_labeller(desired + actual, self.actual.data_streams)
        self.notes.extend(self._duplicate_rule_notes(desired, in_plan=True))
        self.notes.extend(self._duplicate_rule_notes(actual, in_plan=False))
        groups_desired = _group_rules(desired)
        groups_actual = _group_rules(actual)
        for group in sorted(set(groups_desired) | set(groups_actual), key=lambda g: (g[0] or "", g[1])):
            news = groups_desired.get(group, [])
            olds = list(groups_actual.get(group, []))
            unpaired: list[EventCreateRule] = []
            for new in news:  # identical rules first: a reordered plan changes nothing
                same = next((i for i, old in enumerate(olds) if old.fields() == new.fields()), None)
                if same is None:
                    unpaired.append(new)
                else:
                    del olds[same]
            for new, old in zip(unpaired, olds):
                self._compare(old, new, label=self.rule_labels(new))
            self.changes.extend(_create(new, self.rule_labels(new)) for new in unpaired[len(olds) :])
            self.unmanaged[EventCreateRule.KIND].extend(olds[len(unpaired) :])

    def _diff_enhanced_measurement(self) -> None:
        """The plan's settings against its web stream's: one ``update`` of the managed settings that
        differ (the settings are a singleton per web stream: never created, never removed)."""
        for selector, new in self.desired.enhanced_measurement.items():
            stream = _resolve_enhanced_measurement_stream(selector, self.actual)
            old = self.actual.enhanced_measurement.get(stream)
            if old is None:
                raise PlanningError(
                    f"the enhanced measurement settings of {stream} were not read from {self.actual.property}; "
                    "plan again (GA4 keeps them for every web stream)"
                )
            new = dataclasses.replace(new, stream=stream, stream_name=old.stream_name)
            have = old.fields()
            differences = tuple(FieldChange(k, have.get(k), v) for k, v in new.fields().items() if have.get(k) != v)
            if differences:
                self.changes.append(
                    Change("update", new.KIND, new.label, existing=old, desired=new, fields=differences)
                )

    def _duplicate_rule_notes(self, rules: list[EventCreateRule], *, in_plan: bool) -> list[Note]:
        """A warning per set of identical rules on one stream: each creates the event, so GA4
        counts it (and a key event on it) once per rule. In the property it is drift."""
        same: dict[tuple[str | None, str], list[EventCreateRule]] = defaultdict(list)
        for rule in rules:
            same[(rule.stream, canonical_json(rule.fields()))].append(rule)
        notes = []
        for copies in same.values():
            if len(copies) < 2:
                continue
            labels = ", ".join(self._rule_name(r, in_plan) for r in copies)
            where = "the plan declares" if in_plan else "the property has"
            fix = (
                "remove all but one from the plan file"
                if in_plan
                else "delete all but one in GA4 (Admin > Data streams > Modify events / Create events)"
            )
            notes.append(
                Note(
                    "warning",
                    f"{where} {len(copies)} identical event create rules creating "
                    f"{copies[0].destination_event}: {labels}; GA4 creates the event once per rule, so it "
                    f"(and a key event on it) counts {len(copies)} times; {fix}",
                    drift=not in_plan,
                )
            )
        return notes

    def _rule_name(self, rule: EventCreateRule, in_plan: bool) -> str:
        if in_plan or not rule.resource_name:
            return self.rule_labels(rule)
        return rule.resource_name

    def _compare(self, old: Resource, new: Resource, *, label: str) -> None:
        differences = _field_changes(old.fields(), new.fields())
        if not differences:
            return
        immutable = [f.field for f in differences if f.field in type(new).IMMUTABLE]
        if immutable:
            self.changes.append(_replace(old, new, label=label, reason=_immutable_reason(new, immutable)))
        else:
            self.changes.append(Change("update", new.KIND, label, existing=old, desired=new, fields=differences))

    # Unmanaged, protection ------------------------------------------------------------------

    def _unmanaged(self, kind: str, resources: list[Resource]) -> None:
        if not resources:
            return
        labels = sorted(((self._label(r), r) for r in resources), key=lambda item: item[0])
        one, many = NOUNS[kind]
        verb = REMOVE_ACTION[kind]
        if self.safety.unmanaged != "remove":
            names = ", ".join(label + _default_tag(r) for label, r in labels)
            count = len(labels)
            self.notes.append(
                Note(
                    "info",
                    f"{count} {one if count == 1 else many} in the property "
                    f"{'is' if count == 1 else 'are'} not in the plan and "
                    f"{'is' if count == 1 else 'are'} left alone: {names} "
                    f"(set safety.unmanaged: remove to {verb} {'it' if count == 1 else 'them'})",
                )
            )
            return
        for label, resource in labels:
            if isinstance(resource, KeyEvent) and not resource.deletable:
                self.notes.append(
                    Note(
                        "warning",
                        f"key event {label} is not in the plan, but GA4 marks it as not deletable"
                        f"{' (a GA default key event)' if not resource.custom else ''}; left alone",
                    )
                )
                continue
            fields = tuple(FieldChange(k, v, None) for k, v in resource.fields().items())
            self.changes.append(
                Change(verb, kind, label, existing=resource, fields=fields, reason=UNMANAGED_REASON)
            )

    def _drop_protected(self, changes: list[Change]) -> list[Change]:
        kept: list[Change] = []
        for change in changes:
            entry = None
            if change.action != "create":
                entry = self.protected(change.existing) or self.protected(change.desired)
            if entry is None:
                kept.append(change)
                continue
            what = ", ".join(f.field for f in change.fields) if change.action in ("update", "replace") else ""
            self.notes.append(
                Note(
                    "warning",
                    f"{change.kind} {change.label} is protected by safety.protect ({entry}); not changed: "
                    f"the plan would {change.action} it" + (f" ({what})" if what else ""),
                )
            )
        return kept

    def _label(self, resource: Resource) -> str:
        if isinstance(resource, EventCreateRule):
            return self.rule_labels(resource)
        if isinstance(resource, EventEditRule):
            return self.edit_rules.label(resource)
        return resource.label


# Changes ------------------------------------------------------------------------------------


def _field_changes(old: dict[str, Any], new: dict[str, Any]) -> tuple[FieldChange, ...]:
    names = list(new) + [k for k in old if k not in new]
    return tuple(FieldChange(k, old.get(k), new.get(k)) for k in names if old.get(k) != new.get(k))


def _create(resource: Resource, label: str) -> Change:
    fields = tuple(FieldChange(k, None, v) for k, v in resource.fields().items())
    return Change("create", resource.KIND, label, desired=resource, fields=fields)


def _replace(old: Resource, new: Resource, *, label: str, reason: str) -> Change:
    fields = _field_changes(old.fields(), new.fields())
    return Change("replace", new.KIND, label, existing=old, desired=new, fields=fields, reason=reason)


def _scope_reason(old: CustomDimension, new: CustomDimension) -> str:
    return (
        f"scope is immutable in GA4: the {old.scope}-scoped dimension is archived and "
        f"{'an' if new.scope in ('event', 'item') else 'a'} {new.scope}-scoped one created; "
        "archived names cannot be reused in the same scope"
    )


def _immutable_reason(resource: Resource, fields: list[str]) -> str:
    noun = NOUNS[resource.KIND][0]
    verb = "archived" if REMOVE_ACTION[resource.KIND] == "archive" else "deleted"
    names = " and ".join(fields)
    return (
        f"{names} {'is' if len(fields) == 1 else 'are'} immutable in GA4: the {noun} is {verb} "
        "and created again"
    )


def _key_json(resource: Resource | None) -> Any:
    if resource is None:
        return None
    key = resource.key
    return list(key) if isinstance(key, tuple) else key


def _default_tag(resource: Resource) -> str:
    if not isinstance(resource, KeyEvent):
        return ""
    tags = ([] if resource.custom else ["GA default"]) + ([] if resource.deletable else ["not deletable"])
    return f" ({', '.join(tags)})" if tags else ""


# safety.protect -------------------------------------------------------------------------------


def _protector(entries: Sequence[str]) -> Callable[[Resource | None], str | None]:
    """A function returning the ``safety.protect`` entry a resource matches, or None."""
    bare: dict[str, str] = {}
    by_kind: dict[tuple[str, str], str] = {}
    problems = []
    for entry in entries:
        kind, sep, name = entry.partition(":")
        if not sep:
            bare.setdefault(entry, entry)
        elif kind in KINDS and name:
            by_kind.setdefault((kind, name), entry)
        else:
            problems.append(entry)
    if problems:
        raise PlanningError(
            "safety.protect: "
            + ", ".join(repr(p) for p in problems)
            + " "
            + ("is not" if len(problems) == 1 else "are not")
            + " a name or kind:name; kinds are "
            + ", ".join(KINDS)
            + " (for example key_event:purchase or custom_dimension:form_id)"
        )

    def protected(resource: Resource | None) -> str | None:
        if resource is None:
            return None
        name = protect_name(resource)
        return (
            bare.get(name)
            or by_kind.get((resource.KIND, name))
            or by_kind.get((resource.KIND, resource.label))
        )

    return protected


# Event create rules ---------------------------------------------------------------------------


def _resolve_streams(rules: list[EventCreateRule], actual: PropertyState) -> list[EventCreateRule]:
    """Desired rules with ``stream`` set to the resource name of the web stream they name.

    Rules in one (stream, destination event) group are renumbered 0, 1, ... in their plan
    order, so that two selectors naming the same stream ("Web" and its id) cannot collide.
    """
    if not rules:
        return []
    users: dict[str | None, list[str]] = defaultdict(list)
    for rule in rules:
        users[rule.stream].append(rule.label)
    resolved = resolve_selectors(users, actual, noun="event create rules", where="per rule under created_from")
    out = [dataclasses.replace(r, stream=resolved[r.stream]) for r in rules]
    renumbered: list[EventCreateRule] = []
    for group in _group_rules(out).values():
        renumbered.extend(dataclasses.replace(r, index=i) for i, r in enumerate(group))
    return renumbered


def resolve_selectors(
    users: dict[str | None, list[str]], actual: PropertyState, *, noun: str, where: str
) -> dict[str | None, str]:
    """Each stream selector of the plan (None: the only web stream) -> a web stream's resource name.

    :param users: the labels of the rules using each selector, for the error.
    :param noun: what the rules are ("event create rules"), for the error.
    :param where: where else the plan may set ``stream:`` ("per rule under created_from").
    :raises PlanningError: listing every selector that names no single web stream.
    """
    web = [s for s in actual.data_streams if s.type == "web"]
    resolved: dict[str | None, str] = {}
    problems: dict[str | None, str] = {}
    for selector in users:
        try:
            resolved[selector] = _resolve_stream(selector, web, actual, noun)
        except ValueError as exc:
            problems[selector] = str(exc)
    if problems:
        lines = [
            f"- {problem} (used by {', '.join(sorted(users[selector]))})"
            for selector, problem in sorted(problems.items(), key=lambda p: p[0] or "")
        ]
        key = "created_from" if noun == "event create rules" else noun.replace(" ", "_")
        raise PlanningError(
            f"cannot attach the plan's {noun} to a data stream of {actual.property}:\n"
            + "\n".join(lines)
            + f"\n{actual.property} has "
            + (_describe_streams(web) if web else "no web data stream")
            + ".\n"
            + (
                f"Set `stream:` in the plan (at the top level, or {where}) to a web "
                "stream's id or display name."
                if web
                else f"{noun[0].upper()}{noun[1:]} need a web data stream: create one in GA4 first, or take the "
                f"rules ({key}) out of the plan."
            )
        )
    return resolved


def _resolve_stream(selector: str | None, web: list[DataStream], actual: PropertyState, noun: str) -> str:
    if selector is None:
        if len(web) == 1:
            return web[0].resource_name
        if not web:
            raise ValueError("the plan names no stream and the property has no web data stream")
        raise ValueError(f"the plan names no stream and the property has {len(web)} web data streams")
    matches = [s for s in web if selector in (s.stream_id, s.resource_name)]
    if not matches:
        matches = [s for s in web if s.display_name == selector]
    if len(matches) == 1:
        return matches[0].resource_name
    if len(matches) > 1:
        raise ValueError(
            f'stream "{selector}" is the display name of {len(matches)} web streams '
            f"({', '.join(s.stream_id for s in matches)}); use the stream id"
        )
    other = [s for s in actual.data_streams if selector in (s.stream_id, s.resource_name, s.display_name)]
    if other:
        raise ValueError(f'stream "{selector}" is an {other[0].type} app stream; {noun} need a web stream')
    raise ValueError(f'stream "{selector}" is not a web data stream of {actual.property}')


def _resolve_enhanced_measurement_stream(selector: str | None, actual: PropertyState) -> str:
    """The web stream the plan's ``enhanced_measurement`` block applies to (the plan's ``stream``)."""
    web = [s for s in actual.data_streams if s.type == "web"]
    try:
        return _resolve_stream(selector, web, actual, "enhanced measurement settings")
    except ValueError as exc:
        problem = str(exc).replace("enhanced measurement settings need a web stream", "enhanced measurement is a web stream's")
        raise PlanningError(
            f"cannot apply the plan's enhanced_measurement to a data stream of {actual.property}: {problem}; "
            + (
                f"{actual.property} has {_describe_streams(web)}: set `stream:` at the top of the plan to one's id "
                "or display name"
                if web
                else "enhanced measurement settings belong to a web data stream: create one in GA4 first, or take "
                "enhanced_measurement out of the plan"
            )
        ) from None


def _describe_streams(streams: Iterable[DataStream]) -> str:
    items = [f'"{s.display_name}" (id {s.stream_id})' for s in streams]
    return ("web stream " if len(items) == 1 else "web streams ") + ", ".join(items)


def _group_rules(rules: Iterable[EventCreateRule]) -> dict[tuple[str | None, str], list[EventCreateRule]]:
    """Rules per (stream, destination event), each group in index order."""
    groups: dict[tuple[str | None, str], list[EventCreateRule]] = defaultdict(list)
    for rule in rules:
        groups[(rule.stream, rule.destination_event)].append(rule)
    for group in groups.values():
        group.sort(key=lambda r: r.index)
    return dict(groups)


def _rule_labeller(rules: list[EventCreateRule], streams: list[DataStream]) -> Callable[[EventCreateRule], str]:
    """Rule labels; with rules on several streams, each label names its stream."""
    if len({r.stream for r in rules}) <= 1:
        return lambda rule: rule.label
    names = {s.resource_name: s.display_name or s.stream_id for s in streams}

    def label(rule: EventCreateRule) -> str:
        stream = rule.stream or ""
        return f"{rule.label} (stream {names.get(stream, stream.rsplit('/', 1)[-1])})"

    return label


# Calculated metrics ---------------------------------------------------------------------------


def _invalid_reference_notes(actual: PropertyState) -> list[Note]:
    """A warning per calculated metric GA4 flags with ``invalid_metric_reference`` (its formula
    names a metric that is gone, e.g. an archived custom metric): reports using it may fail."""
    return [
        Note(
            "warning",
            f"GA4 flags calculated metric {metric.label} ({metric.formula}) with an invalid metric reference: "
            "a metric its formula names no longer exists, so reports using it may fail or mislead; fix the "
            "formula in the plan (or register the missing custom metric)",
        )
        for metric in sorted(actual.calculated_metrics.values(), key=lambda m: m.key)
        if metric.invalid_metric_reference
    ]


# Limits ---------------------------------------------------------------------------------------


def _limit_category(resource: Resource) -> str | None:
    if isinstance(resource, CustomDimension):
        return f"{resource.scope}-scoped custom dimensions"
    if isinstance(resource, CustomMetric):
        return "custom metrics"
    if isinstance(resource, KeyEvent):
        return "custom key events" if resource.custom else None
    if isinstance(resource, EventEditRule):
        return "event edit rules"
    if isinstance(resource, EventEditRuleOrder):
        return None
    if isinstance(resource, CalculatedMetric):
        return "calculated metrics"
    if isinstance(resource, ChannelGroup):
        return None if resource.system_defined else "custom channel groups"
    if isinstance(resource, EnhancedMeasurement):
        return None  # one per web stream, no limit to count against
    if isinstance(resource, Audience):
        return "audiences"
    return "event create rules"


def _limit_warnings(actual: PropertyState, changes: list[Change]) -> list[Note]:
    """Warn when the creates would take a category past GA4's per-property limit."""
    counts: dict[str, int] = defaultdict(int)
    created: dict[str, int] = defaultdict(int)
    for resource in actual.resources():
        category = _limit_category(resource)
        if category:
            counts[category] += 1
    for change in changes:
        if change.existing is not None and change.action in ("replace", "archive", "delete"):
            category = _limit_category(change.existing)
            if category:
                counts[category] -= 1
        if change.desired is not None and change.action in ("replace", "create"):
            category = _limit_category(change.desired)
            if category:
                counts[category] += 1
                created[category] += 1
    tier = 1 if actual.service_level == "360" else 0
    notes = []
    for category, (standard, premium) in LIMITS.items():
        limit = (standard, premium)[tier]
        over = counts[category] - limit
        if over > 0 and created[category]:
            notes.append(
                Note(
                    "warning",
                    f"after this plan {actual.property} would have {counts[category]} {category}; "
                    f"a {'360' if tier else 'standard'} property allows {limit}, so GA4 will refuse "
                    f"{min(over, created[category])} of the creates. Remove some from the plan, or "
                    "free slots by removing unused ones (safety.unmanaged: remove)",
                )
            )
    return notes
