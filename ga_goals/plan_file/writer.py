"""Write a plan file from a property's actual state (``ga-goals pull``).

The file is written so that loading it again and planning against the same property shows no
changes: every managed field is spelled out, values keep their exact strings.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import yaml

from ga_goals.model import ga4_facts as facts
from ga_goals.model.enhanced_measurement import TEXT_SETTINGS, split_parameters
from ga_goals.plan_file import calculated_metrics, channel_groups
from ga_goals.plan_file.audiences import Flow, audience_entry
from ga_goals.plan_file.document import resolve_plain
from ga_goals.model import (
    SANDBOX,
    Condition,
    CustomDimension,
    CustomMetric,
    EnhancedMeasurement,
    EventCreateRule,
    EventEditRule,
    KeyEvent,
    Mutation,
    PropertyState,
)

#: Recommended GA4 events that are business outcomes rather than steps towards one.
MACRO_EVENTS = frozenset({"purchase", "generate_lead", "qualify_lead", "close_convert_lead", "in_app_purchase"})

_COPY = re.compile(r"^\[\[([A-Za-z][A-Za-z0-9_]*)\]\]$")
_OPERATORS = {
    "equals": "equals",
    "contains": "contains",
    "starts_with": "starts_with",
    "ends_with": "ends_with",
    "regular_expression": "matches",
    "greater_than": "greater_than",
    "greater_than_or_equal": "greater_than_or_equal",
    "less_than": "less_than",
    "less_than_or_equal": "less_than_or_equal",
}


def render_plan_file(state: PropertyState, *, property_ref: str, today: date | None = None) -> str:
    """A commented YAML plan file declaring everything ``state`` holds.

    ``property_ref`` is what the file's ``property:`` says (``sandbox`` or a numeric id).
    """
    created: dict[str, list[EventCreateRule]] = {}
    for rule in sorted(state.event_create_rules.values(), key=lambda r: (r.destination_event, r.index)):
        created.setdefault(rule.destination_event, []).append(rule)
    web_streams = [s for s in state.data_streams if s.type == "web"]
    name_stream = len(web_streams) > 1

    macro: dict[str, Any] = {}
    micro: dict[str, Any] = {}
    for event_name in sorted(set(state.key_events) | set(created)):
        entry = _conversion(state.key_events.get(event_name), created.get(event_name, []), name_stream)
        (macro if event_name in MACRO_EVENTS else micro)[event_name] = entry

    document: dict[str, Any] = {
        "version": 1,
        "property": property_ref if property_ref == SANDBOX else str(property_ref),
        "tier": state.service_level,
    }
    conversions = {k: v for k, v in (("macro", macro), ("micro", micro)) if v}
    if conversions:
        document["conversions"] = conversions
    dimensions: dict[str, Any] = {}
    for dimension in _sorted_dimensions(state):
        key = _dimension_key(dimension, state)
        dimensions[key] = _dimension(dimension)
        if key != dimension.parameter_name:
            dimensions[key]["parameter"] = dimension.parameter_name
    if dimensions:
        document["custom_dimensions"] = dimensions
    metrics = {m.parameter_name: _metric(m) for m in sorted(state.custom_metrics.values(), key=lambda m: m.key)}
    if metrics:
        document["custom_metrics"] = metrics
    # A plan names each rule of a stream once (GA4's screens allow two with one name): a copy
    # (index > 0) is left out, so the file validates; `plan` leaves the copy alone as unmanaged
    # (`safety.unmanaged: remove` deletes it).
    edits = [
        _edit_rule(rule, name_stream)
        for stream in web_streams
        for rule in state.edit_rule_order(stream.resource_name)
        if rule.index == 0
    ]
    if edits:
        document["event_edit_rules"] = edits  # in processing order: the list's order is GA4's
    calculated = {m.key: calculated_metrics.to_plan(m) for m in sorted(state.calculated_metrics.values(), key=lambda m: m.key)}
    if calculated:
        document["calculated_metrics"] = calculated
    groups = {g.key: channel_groups.to_plan(g, _Flow) for g in sorted(state.channel_groups.values(), key=lambda g: g.key)}
    if groups:
        document["channel_groups"] = groups
    settings = state.enhanced_measurement.get(web_streams[0].resource_name) if web_streams else None
    if settings is not None:
        if name_stream:  # the block applies to the plan's stream: name it
            document = {**document, "stream": web_streams[0].stream_id}
        document["enhanced_measurement"] = _enhanced_measurement(settings)

    # A copy with the same display name is written once (a plan's keys are unique); `plan` then
    # names the copy as drift to archive.
    audiences = {
        a.display_name: audience_entry(a) for a in sorted(state.audiences.values(), key=lambda a: a.key) if not a.copy
    }
    # Events the audiences use must be known to the plan (validate checks them like a funnel's):
    # declare those GA4 neither collects nor recommends, and the plan does not declare already.
    declared = set(state.key_events) | set(created)
    used = sorted({e for a in state.audiences.values() for e in a.events()} - declared - facts.KNOWN_EVENTS)
    if used:
        document["events"] = {
            e: {"description": "Used by audience " + ", ".join(
                sorted(a.display_name for a in state.audiences.values() if e in a.events()))}
            for e in used
        }
    if audiences:
        document["audiences"] = audiences

    stamp = (today or date.today()).isoformat()
    title = f' ("{state.display_name}")' if state.display_name else ""
    header = (
        f"# Pulled from {state.property}{title} by `ga-goals pull` on {stamp}.\n"
        "# Review before committing: sort conversions into macro (business outcomes) and micro\n"
        "# (steps towards them), give them journey `stage`s and descriptions, then add funnels\n"
        "# and reports. `ga-goals plan` against the same property shows no changes.\n"
    )
    body = yaml.dump(_literal_values(document), Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
    return header + body


#: A small mapping written on one line: ``{parameter: form_id, equals: newsletter}`` (one class
#: for every kind; defined beside the audiences' writer, which builds them too).
_Flow = Flow


def _literal_values(value: Any) -> Any:
    """``value`` with every ``${`` of a string value written ``$${``: text from the property (an
    audience's description, a rule's value) is literal, and the loader would read ``${...}`` as
    a variable reference (``plan_file/variables.py``; keys are never substituted)."""
    if isinstance(value, str):
        return value.replace("${", "$${")
    if isinstance(value, dict):
        return type(value)((k, _literal_values(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return type(value)(_literal_values(v) for v in value)
    return value


class _Dumper(yaml.SafeDumper):
    pass


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    """A string, quoted when the plan reader (YAML 1.2 core schema: ``resolve_plain``) would
    read it unquoted as something else: PyYAML's 1.1 rules leave ``0E0``, ``1e3``, ``09`` or
    ``0o17`` bare, which the reader takes for numbers."""
    node = dumper.represent_str(data)
    if isinstance(node, yaml.ScalarNode) and node.style is None and resolve_plain(data) != data:
        node.style = "'"
    return node


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(
    Flow, lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=True)
)


def _conversion(key_event: KeyEvent | None, rules: list[EventCreateRule], name_stream: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    if key_event is None:
        entry["key_event"] = False
    else:
        entry["counting"] = key_event.counting_method
        if key_event.default_value is not None:
            value: dict[str, Any] = _Flow(default=_number(key_event.default_value))
            if key_event.currency:
                value["currency"] = key_event.currency
            entry["value"] = value
    if rules:
        specs: list[dict[str, Any]] = []
        for rule in rules:
            spec = _rule(rule, name_stream)
            # An identical copy of a rule makes GA4 create the event twice; a plan lists a rule once
            # (validate refuses repeats), and `plan` then shows the copy as drift to remove.
            if spec not in specs:
                specs.append(spec)
        entry["created_from"] = specs[0] if len(specs) == 1 else specs
    return entry


def _rule(rule: EventCreateRule, name_stream: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {"when": [_condition(c) for c in rule.conditions]}
    spec["copy_parameters"] = rule.copy_parameters
    if rule.mutations:
        spec["set"] = [_mutation(m) for m in rule.mutations]
    if name_stream and rule.stream:
        spec["stream"] = rule.stream.rsplit("/", 1)[-1]
    return spec


def _edit_rule(rule: EventEditRule, name_stream: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {"display_name": rule.display_name, "when": [_condition(c) for c in rule.conditions]}
    spec["set"] = [_mutation(m) for m in rule.mutations]
    if name_stream and rule.stream:
        spec["stream"] = rule.stream.rsplit("/", 1)[-1]
    return spec


def _condition(condition: Condition) -> dict[str, Any]:
    comparison = condition.comparison
    insensitive = comparison.endswith("_case_insensitive")
    base = comparison.removesuffix("_case_insensitive")
    if condition.field == "event_name" and base == "equals" and not insensitive and not condition.negated:
        return _Flow(event_name=condition.value)
    value: Any = condition.value
    if base.startswith(("greater_than", "less_than")):
        value = _numeral(value)  # the plan format takes numbers for numeric comparisons
    spec: dict[str, Any] = _Flow({"parameter": condition.field, _OPERATORS[base]: value})
    if insensitive:
        spec["case_sensitive"] = False
    if condition.negated:
        spec["negate"] = True
    return spec


def _mutation(mutation: Mutation) -> dict[str, Any]:
    copied = _COPY.match(mutation.value)
    if copied:
        return _Flow(parameter=mutation.parameter, copy_from=copied.group(1))
    return _Flow(parameter=mutation.parameter, value=mutation.value)


def _sorted_dimensions(state: PropertyState) -> list[CustomDimension]:
    order = {"event": 0, "user": 1, "item": 2}
    return sorted(state.custom_dimensions.values(), key=lambda d: (order[d.scope], d.parameter_name))


def _dimension_key(dimension: CustomDimension, state: PropertyState) -> str:
    # The same parameter may be registered in two scopes; map keys must stay unique.
    same_name = [d for d in state.custom_dimensions.values() if d.parameter_name == dimension.parameter_name]
    if len(same_name) > 1 and dimension.scope != "event":
        return f"{dimension.parameter_name}_{dimension.scope}"
    return dimension.parameter_name


def _dimension(dimension: CustomDimension) -> dict[str, Any]:
    spec: dict[str, Any] = {"scope": dimension.scope, "display_name": dimension.display_name}
    if dimension.description:
        spec["description"] = dimension.description
    if dimension.disallow_ads_personalization:
        spec["disallow_ads_personalization"] = True
    return spec


def _metric(metric: CustomMetric) -> dict[str, Any]:
    spec: dict[str, Any] = {"display_name": metric.display_name, "unit": metric.measurement_unit}
    if metric.restricted_metric_type:
        spec["restricted"] = [t.removesuffix("_data") for t in metric.restricted_metric_type]
    if metric.description:
        spec["description"] = metric.description
    return spec


def _enhanced_measurement(settings: EnhancedMeasurement) -> dict[str, Any]:
    """Every setting, so that the pulled plan manages them all (query parameters as lists)."""
    spec: dict[str, Any] = {}
    for name, value in settings.fields().items():
        spec[name] = split_parameters(value) if name in TEXT_SETTINGS else value
    return spec


def _numeral(text: str) -> int | float | str:
    """``"10"`` -> 10, ``"2.5"`` -> 2.5: a number that loads back as the same string; else the text."""
    for kind in (int, float):
        try:
            number = kind(text)
        except ValueError:
            continue
        if str(number) == text:
            return number
    return text


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
