"""The documentation page's "Enhanced measurement" section (``ga-goals docs``).

One row per setting the plan manages, in GA4's order: its value, what it makes GA4 collect,
and the plan's events that need it (from the one event -> setting table,
:data:`~ga_goals.model.enhanced_measurement.EVENT_SETTINGS`); then the settings the plan leaves
to the property.
"""

from __future__ import annotations

from dataclasses import dataclass

from ga_goals.model import TrackingPlan
from ga_goals.model.enhanced_measurement import EVENT_SETTINGS, SETTING_WORDS, SETTINGS, TEXT_SETTINGS, split_parameters

#: Setting -> its name on GA4's screen.
LABELS: dict[str, str] = {
    "stream_enabled": "Enhanced measurement (the stream's switch)",
    "page_changes": "Page changes based on browser history events",
    "scrolls": "Scrolls",
    "outbound_clicks": "Outbound clicks",
    "site_search": "Site search",
    "search_query_parameter": "Search term query parameters",
    "uri_query_parameter": "Additional query parameters",
    "form_interactions": "Form interactions",
    "video_engagement": "Video engagement",
    "file_downloads": "File downloads",
}


@dataclass(frozen=True)
class SettingDoc:
    setting: str
    label: str
    value: str  # "on", "off", "q, s", "none"
    collects: str
    needed_by: tuple[str, ...]  # the plan's events that exist only while the setting is on


@dataclass(frozen=True)
class EnhancedMeasurementDoc:
    stream: str | None
    settings: tuple[SettingDoc, ...]
    unmanaged: tuple[str, ...]  # labels of the settings the plan leaves to the property


def enhanced_measurement_doc(plan: TrackingPlan) -> EnhancedMeasurementDoc | None:
    """The section's content, or None when the plan does not manage enhanced measurement."""
    settings = plan.enhanced_measurement
    if settings is None:
        return None
    used = set(plan.conversions) | {e for f in plan.funnels.values() for s in f.steps for e in s.events}
    used |= {c.value for conv in plan.conversions.values() for r in conv.created_from for c in r.conditions
             if c.field == "event_name" and c.comparison == "equals" and not c.negated}
    rows = []
    for name, value in settings.fields().items():
        if name in TEXT_SETTINGS:
            shown = ", ".join(split_parameters(str(value))) or "none"
        else:
            shown = "on" if value else "off"
        needed = tuple(sorted(e for e, s in EVENT_SETTINGS.items() if e in used and name in (s, "stream_enabled")))
        rows.append(SettingDoc(name, LABELS[name], shown, SETTING_WORDS[name], needed))
    unmanaged = tuple(LABELS[s] for s in SETTINGS if s not in settings.fields())
    return EnhancedMeasurementDoc(stream=plan.stream, settings=tuple(rows), unmanaged=unmanaged)


__all__ = ["EnhancedMeasurementDoc", "LABELS", "SettingDoc", "enhanced_measurement_doc"]
