"""Enhanced measurement: the web stream settings that make GA4 collect events on its own.

``properties/{p}/dataStreams/{s}/enhancedMeasurementSettings`` (Admin API v1alpha) is a
singleton under each web data stream: there is no create or delete, only Get and Update with an
update mask. A plan therefore only ever *updates* settings, and only the ones it names:

* the plan has no ``enhanced_measurement:`` block: the settings are not managed at all (never
  read into the plan, never changed);
* the block names some settings: those are managed; every setting it leaves out keeps the
  value the property has (it is not reset to GA4's default).

Several classic micro conversions exist only when a setting is on (``view_search_results``
needs site search, ``scroll`` needs scrolls...). :data:`EVENT_SETTINGS` is the one table of
which event needs which setting: the plan rule that warns about a conversion whose setting is
off, the sandbox's traffic generator and the docs all read it.

This module imports nothing from ``ga_goals.model.resources`` (which imports it).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any, ClassVar

#: The settings, in the order GA4's screen lists them, with the proto field each maps to.
#: Booleans first ("stream_enabled" is the switch of the whole feature), then the two strings.
PROTO_FIELDS: dict[str, str] = {
    "stream_enabled": "stream_enabled",
    "page_changes": "page_changes_enabled",
    "scrolls": "scrolls_enabled",
    "outbound_clicks": "outbound_clicks_enabled",
    "site_search": "site_search_enabled",
    "search_query_parameter": "search_query_parameter",
    "uri_query_parameter": "uri_query_parameter",
    "form_interactions": "form_interactions_enabled",
    "video_engagement": "video_engagement_enabled",
    "file_downloads": "file_downloads_enabled",
}
SETTINGS: tuple[str, ...] = tuple(PROTO_FIELDS)
#: The settings that are strings (comma-separated URL query parameter names); the rest are booleans.
TEXT_SETTINGS: tuple[str, ...] = ("search_query_parameter", "uri_query_parameter")
BOOLEAN_SETTINGS: tuple[str, ...] = tuple(s for s in SETTINGS if s not in TEXT_SETTINGS)

#: What each setting makes GA4 collect, in words (docs, messages).
SETTING_WORDS: dict[str, str] = {
    "stream_enabled": "enhanced measurement of the stream as a whole",
    "page_changes": "a page_view each time the site changes the browser history state",
    "scrolls": "a scroll event when a visitor reaches the bottom of a page (90 %)",
    "outbound_clicks": "a click event (outbound: true) on links that leave the site's domains",
    "site_search": "a view_search_results event when a page's URL carries a search query parameter",
    "search_query_parameter": "the URL query parameters site search reads the search term from",
    "uri_query_parameter": "additional URL query parameters site search records (as q_<name>)",
    "form_interactions": "form_start and form_submit events",
    "video_engagement": "video_start, video_progress and video_complete on embedded YouTube videos",
    "file_downloads": "a file_download event on links to documents, archives, applications, video and audio",
}

#: Events GA4 collects only while a setting is on (and the stream's enhanced measurement is on).
#: The ONE table: the plan rule, the sandbox generator and the docs read it.
EVENT_SETTINGS: dict[str, str] = {
    "scroll": "scrolls",
    "click": "outbound_clicks",
    "view_search_results": "site_search",
    "form_start": "form_interactions",
    "form_submit": "form_interactions",
    "video_start": "video_engagement",
    "video_progress": "video_engagement",
    "video_complete": "video_engagement",
    "file_download": "file_downloads",
}

#: search_query_parameter and uri_query_parameter: at most this many characters (proto docs).
QUERY_PARAMETER_MAX = 1024


@dataclass(frozen=True)
class EnhancedMeasurement:
    """The enhanced measurement settings of one web stream.

    Identity: the stream. In the desired state ``stream`` is the plan's stream selector (None =
    the property's only web stream, else a stream id or display name) until the planner
    resolves it to ``properties/{p}/dataStreams/{s}``; a setting that is None is not managed by
    the plan. Read from GA4 every setting is set. ``search_query_parameter`` and
    ``uri_query_parameter`` hold GA4's comma-separated form (``"q,s,search"``).
    """

    KIND: ClassVar[str] = "enhanced_measurement"
    IMMUTABLE: ClassVar[tuple[str, ...]] = ()

    stream: str | None = None
    stream_enabled: bool | None = None
    page_changes: bool | None = None
    scrolls: bool | None = None
    outbound_clicks: bool | None = None
    site_search: bool | None = None
    search_query_parameter: str | None = None
    uri_query_parameter: str | None = None
    form_interactions: bool | None = None
    video_engagement: bool | None = None
    file_downloads: bool | None = None
    # Output only: ``properties/{p}/dataStreams/{s}/enhancedMeasurementSettings``.
    resource_name: str | None = field(default=None, compare=False)
    #: The stream's display name, for labels (output only).
    stream_name: str = field(default="", compare=False)

    @property
    def key(self) -> str | None:
        return self.stream

    @property
    def label(self) -> str:
        """The stream it belongs to: its display name, else its id, else "web stream"."""
        if self.stream_name:
            return self.stream_name
        if self.stream:
            return self.stream.rsplit("/", 1)[-1]
        return "web stream"

    def fields(self) -> dict[str, Any]:
        """The managed settings (those that are not None), in :data:`SETTINGS` order."""
        return {name: getattr(self, name) for name in SETTINGS if getattr(self, name) is not None}

    def collects(self, event: str) -> bool | None:
        """Whether GA4 collects ``event`` under these settings: True/False, or None when a
        setting it depends on is not managed (unknown offline). Events outside
        :data:`EVENT_SETTINGS` do not depend on enhanced measurement (True)."""
        setting = EVENT_SETTINGS.get(event)
        if setting is None:
            return True
        if self.stream_enabled is False or getattr(self, setting) is False:
            return False
        if self.stream_enabled is None or getattr(self, setting) is None:
            return None
        return True

    def off_reason(self, event: str) -> str | None:
        """The setting that stops ``event`` being collected (``stream_enabled`` when the whole
        feature is off), or None when nothing the plan manages stops it."""
        setting = EVENT_SETTINGS.get(event)
        if setting is None:
            return None
        if getattr(self, setting) is False:
            return setting
        if self.stream_enabled is False:
            return "stream_enabled"
        return None

    def merged_over(self, base: EnhancedMeasurement) -> EnhancedMeasurement:
        """These settings with every unmanaged one taken from ``base`` (what the stream will have)."""
        return replace(base, **{k: v for k, v in self.fields().items()})

    @property
    def search_parameters(self) -> list[str]:
        """``search_query_parameter`` as a list of names (empty when unset)."""
        return split_parameters(self.search_query_parameter or "")


def split_parameters(text: str) -> list[str]:
    """``"q, s,search"`` -> ``["q", "s", "search"]`` (GA4's comma-separated parameter lists)."""
    return [p.strip() for p in text.split(",") if p.strip()]


#: A new web stream's settings as GA4 creates them (docs/ga4-api-facts.md, "Enhanced measurement").
GA4_DEFAULTS = EnhancedMeasurement(
    stream_enabled=True,
    page_changes=True,
    scrolls=True,
    outbound_clicks=True,
    site_search=True,
    search_query_parameter="q,s,search,query,keyword",
    uri_query_parameter="",
    form_interactions=True,
    video_engagement=True,
    file_downloads=True,
)


def settings_from_fields(values: dict[str, Any], **extra: Any) -> EnhancedMeasurement:
    """An :class:`EnhancedMeasurement` from plain ``{setting: value}`` data (unknown keys refused)."""
    known = {f.name for f in fields(EnhancedMeasurement)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"EnhancedMeasurement: unknown keys {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return EnhancedMeasurement(**values, **extra)


__all__ = [
    "BOOLEAN_SETTINGS",
    "EVENT_SETTINGS",
    "EnhancedMeasurement",
    "GA4_DEFAULTS",
    "PROTO_FIELDS",
    "QUERY_PARAMETER_MAX",
    "SETTINGS",
    "SETTING_WORDS",
    "TEXT_SETTINGS",
    "split_parameters",
]
