"""The plan file's ``enhanced_measurement:`` block: its schema, its GA4 rules, its model object.

The block applies to the plan's web stream (the top-level ``stream:`` selector, as for event
create rules; default: the property's only web stream)::

    enhanced_measurement:
      site_search: true
      search_query_parameter: [q]         # or "q,s"
      scrolls: true
      form_interactions: true

A setting the block leaves out is not managed (the property keeps its value); no block at all
manages none. Rules checked offline (``validate``):

* the query parameter lists: names without commas or spaces, none twice, at most
  :data:`~ga_goals.model.enhanced_measurement.QUERY_PARAMETER_MAX` characters once joined, and
  ``search_query_parameter`` not empty (GA4 refuses an empty one);
* the cross-check: a conversion, a funnel step or a stage's ``reached_by`` naming an event
  that GA4 only collects while a setting is on, with the plan turning that setting (or the
  stream's enhanced measurement) off: a warning naming the setting.
"""

from __future__ import annotations

from typing import Any

from ga_goals.errors import Problem
from ga_goals.model.enhanced_measurement import (
    BOOLEAN_SETTINGS,
    EVENT_SETTINGS,
    QUERY_PARAMETER_MAX,
    SETTING_WORDS,
    EnhancedMeasurement,
)
from ga_goals.plan_file.document import Document, Path
from ga_goals.plan_file.wording import quote

KEY = "enhanced_measurement"

_PARAMETER_LIST = {
    "anyOf": [
        {"type": "string"},
        {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
    ],
}


def schema() -> dict[str, Any]:
    """The JSON Schema of the block (a top-level property of the plan schema)."""
    properties: dict[str, Any] = {
        name: {"type": "boolean", "description": f"Collect {SETTING_WORDS[name]}."} for name in BOOLEAN_SETTINGS
    }
    properties["stream_enabled"]["description"] = (
        "Enhanced measurement on the stream as a whole: false stops every setting below without changing them."
    )
    properties["search_query_parameter"] = {
        **_PARAMETER_LIST,
        "title": "Site search query parameters",
        "description": "The URL query parameters site search reads the search term from: a list of names, or "
        "GA4's comma-separated string. GA4's default: q,s,search,query,keyword.",
        "examples": [["q"], "q,s,search,query,keyword"],
    }
    properties["uri_query_parameter"] = {
        **_PARAMETER_LIST,
        "title": "Additional query parameters",
        "description": "More URL query parameters site search records with the term (a list, or a "
        "comma-separated string; empty: none).",
        "examples": [["category"]],
    }
    ordered = {name: properties[name] for name in _ORDER}
    return {
        "type": "object",
        "title": "Enhanced measurement",
        "description": "The web stream's enhanced measurement settings (the plan's `stream`). Settings left "
        "out are not managed: the property keeps its values.",
        "properties": ordered,
        "additionalProperties": False,
        "minProperties": 1,
        "examples": [{"site_search": True, "search_query_parameter": ["q"], "scrolls": True}],
    }


_ORDER = (
    "stream_enabled",
    "page_changes",
    "scrolls",
    "outbound_clicks",
    "site_search",
    "search_query_parameter",
    "uri_query_parameter",
    "form_interactions",
    "video_engagement",
    "file_downloads",
)


def parameter_list(value: Any) -> list[str] | None:
    """The names of a query parameter setting as written (a list, or a comma-separated string)."""
    if isinstance(value, str):
        return [p.strip() for p in value.split(",")] if value.strip() else []
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value]
    return None


def build(doc: Document, stream: str | None) -> EnhancedMeasurement | None:
    """The block as a model object (None when the plan has no block): a checked document only."""
    spec = doc.data.get(KEY)
    if not isinstance(spec, dict):
        return None
    values: dict[str, Any] = {name: spec[name] for name in BOOLEAN_SETTINGS if name in spec}
    for name in ("search_query_parameter", "uri_query_parameter"):
        if name in spec:
            values[name] = ",".join(p for p in parameter_list(spec[name]) or [] if p)
    return EnhancedMeasurement(stream=stream, **values)


# Rules -------------------------------------------------------------------------------------------


def check(doc: Document) -> list[Problem]:
    """The GA4 rules of the block and the cross-check against the plan's events."""
    spec = doc.get((KEY,))
    if not isinstance(spec, dict):
        return []
    problems: list[Problem] = []
    for name in ("search_query_parameter", "uri_query_parameter"):
        if name in spec:
            problems += _check_parameters(doc, (KEY, name), spec[name], required=name == "search_query_parameter")
    problems += _cross_check(doc, spec)
    return problems


def _check_parameters(doc: Document, path: Path, value: Any, *, required: bool) -> list[Problem]:
    names = parameter_list(value)
    if names is None:
        return []  # the structure check reports the type
    where = doc.at(path)
    setting = path[-1]
    if required and not [n for n in names if n]:
        return [
            Problem(
                where,
                f"{setting} must name at least one URL query parameter (GA4 refuses an empty one); write e.g. [q], "
                "or leave the key out to keep the property's value",
            )
        ]
    problems = []
    seen: set[str] = set()
    for i, name in enumerate(names):
        at = doc.at(path + (i,)) if isinstance(value, list) else where
        if not name:
            problems.append(Problem(at, f"{setting} has an empty parameter name; remove the extra comma"))
        elif "," in name or any(c.isspace() for c in name):
            problems.append(
                Problem(
                    at,
                    f"{setting}: {quote(name)} is not one URL query parameter name (no commas or spaces in a name); "
                    "list the names separately, e.g. [q, s]",
                )
            )
        elif name.lower() in seen:
            problems.append(Problem(at, f"{setting} lists {quote(name)} twice; keep one"))
        seen.add(name.lower())
    joined = ",".join(n for n in names if n)
    if len(joined) > QUERY_PARAMETER_MAX:
        problems.append(
            Problem(
                where,
                f"{setting} is {len(joined)} characters long once joined with commas; GA4 allows at most "
                f"{QUERY_PARAMETER_MAX}; list fewer parameters",
            )
        )
    return problems


def _cross_check(doc: Document, spec: dict[str, Any]) -> list[Problem]:
    """A warning per declared conversion, funnel step or stage event that a setting the plan turns
    off keeps GA4 from collecting (the event exists only while that setting is on)."""
    values: dict[str, Any] = {k: v for k, v in spec.items() if k in BOOLEAN_SETTINGS and isinstance(v, bool)}
    settings = EnhancedMeasurement(**values)
    problems = []
    for group, what, at_key in _declared_events(doc):
        reasons = [settings.off_reason(event) for _, event in group]
        if any(r is None for r in reasons):
            continue  # measured (one alternative of a step is enough)
        for (path, event), reason in zip(group, reasons):
            needed = EVENT_SETTINGS[event]
            if reason == "stream_enabled":
                cause = (
                    "the plan turns enhanced measurement off for the stream (enhanced_measurement.stream_enabled: "
                    f"false), and GA4 collects {quote(event)} only through its {needed} setting"
                )
                fix = "set enhanced_measurement.stream_enabled: true"
            else:
                cause = (
                    f"GA4 collects {quote(event)} only while enhanced measurement's {needed} setting is on, and the "
                    f"plan sets enhanced_measurement.{needed}: false"
                )
                fix = f"set enhanced_measurement.{needed}: true"
            problems.append(
                Problem(
                    doc.key_at(path) if at_key else doc.at(path),
                    what.format(event=quote(event)) + f": {cause}; {fix}, or send the event from the site's own tag",
                    "warning",
                )
            )
    return problems


#: One thing the plan counts on: its events (all must be off for it to measure nothing) with paths.
_Group = list[tuple[Path, str]]


def _declared_events(doc: Document) -> list[tuple[_Group, str, bool]]:
    """(events, what, at_key) of everything the plan counts on that names an enhanced measurement
    event: conversions, the source events of their create rules, funnel steps (a step with
    alternatives is one group), stages' ``reached_by``."""
    data = doc.data if isinstance(doc.data, dict) else {}
    out: list[tuple[_Group, str, bool]] = []
    conversions: dict[str, Any] = data["conversions"] if isinstance(data.get("conversions"), dict) else {}
    for kind in ("macro", "micro"):
        table = conversions.get(kind)
        if not isinstance(table, dict):
            continue
        for name, spec in table.items():
            path: Path = ("conversions", kind, name)
            if isinstance(name, str) and name in EVENT_SETTINGS:
                out.append(([(path, name)], f"{kind} conversion {{event}} will never be measured", True))
            for rule_path, source in _rule_sources(spec):
                if source in EVENT_SETTINGS:
                    out.append(
                        (
                            [(path + rule_path, source)],
                            f"the event create rule of {quote(str(name))} reads {{event}}, which GA4 will never collect",
                            False,
                        )
                    )
    funnels: dict[str, Any] = data["funnels"] if isinstance(data.get("funnels"), dict) else {}
    for name, funnel in funnels.items():
        steps = funnel.get("steps") if isinstance(funnel, dict) else None
        for i, step in enumerate(steps if isinstance(steps, list) else []):
            group = _step_events(("funnels", name, "steps", i), step)
            if group:
                out.append((group, f"funnel {quote(str(name))} step {i + 1} needs {{event}}, which GA4 will never collect", False))
    stages = data.get("stages")
    for i, stage in enumerate(stages if isinstance(stages, list) else []):
        if isinstance(stage, dict) and "reached_by" in stage:
            group = _step_events(("stages", i, "reached_by"), stage["reached_by"])
            if group:
                out.append(
                    (group, f"stage {quote(str(stage.get('name')))} is reached by {{event}}, which GA4 will never collect", False)
                )
    return out


def _rule_sources(spec: Any) -> list[tuple[Path, str]]:
    """(path, event) of the ``{event_name: X}`` conditions of a conversion's create rules."""
    created = spec.get("created_from") if isinstance(spec, dict) else None
    rules: list[tuple[Path, Any]] = [(("created_from",), created)] if isinstance(created, dict) else []
    if isinstance(created, list):
        rules = [(("created_from", i), r) for i, r in enumerate(created) if isinstance(r, dict)]
    out = []
    for path, rule in rules:
        when = rule.get("when")
        for j, condition in enumerate(when if isinstance(when, list) else []):
            if isinstance(condition, dict) and isinstance(condition.get("event_name"), str) and not condition.get("negate"):
                out.append((path + ("when", j, "event_name"), condition["event_name"]))
    return out


def _step_events(path: Path, step: Any) -> _Group:
    """The enhanced measurement events a funnel step needs, when every event it accepts is one
    (the step itself, ``event``, or all of ``any``'s alternatives); else empty."""
    if isinstance(step, str):
        return [(path, step)] if step in EVENT_SETTINGS else []
    if not isinstance(step, dict):
        return []
    if isinstance(step.get("event"), str):
        return [(path + ("event",), step["event"])] if step["event"] in EVENT_SETTINGS else []
    alternatives = step.get("any")
    if not isinstance(alternatives, list) or not alternatives:
        return []
    named = [(a if isinstance(a, str) else a.get("event") if isinstance(a, dict) else None) for a in alternatives]
    if not all(isinstance(e, str) and e in EVENT_SETTINGS for e in named):
        return []
    return [(path + ("any", i), str(e)) for i, e in enumerate(named)]


__all__ = ["KEY", "build", "check", "parameter_list", "schema"]
