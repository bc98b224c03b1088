"""GA4 custom channel groups (Admin API v1alpha ``ChannelGroup``) in the model's form.

A channel group sorts sessions into channels by their traffic source: GA4 tries the channels in
order and the first whose conditions hold wins. A channel's conditions are an AND of OR groups
of single-field filters (the only shape GA4 accepts: the top-level expression is an
``and_group`` of ``or_group`` lists of ``filter`` or ``not_expression`` entries, the latter wrapping one filter):
:attr:`Channel.conditions` is exactly that, a tuple (AND) of tuples (OR) of
:class:`ChannelCondition`.

Identity: the display name (GA4 assigns the numeric id; the plan names a group by its name).
The system-defined "Default Channel Group" is GA4's own and never managed.

This module must not import ``ga_goals.model.resources`` (which imports it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

#: ``ChannelGroup.display_name`` and ``description`` maximum lengths; ``grouping_rule`` count.
CHANNEL_GROUP_DISPLAY_NAME_MAX = 80
CHANNEL_GROUP_DESCRIPTION_MAX = 256
CHANNELS_MAX = 50

#: The fields a channel condition may test: the plan's name -> the Admin API's ``field_name``
#: (the help center lists these seven: docs/ga4-api-facts.md, "Channel groups").
CHANNEL_FIELDS: dict[str, str] = {
    "default_channel_group": "eachScopeDefaultChannelGroup",
    "source": "eachScopeSource",
    "medium": "eachScopeMedium",
    "source_platform": "eachScopeSourcePlatform",
    "campaign_id": "eachScopeCampaignId",
    "campaign_name": "eachScopeCampaignName",
    "manual_ad_content": "eachScopeManualAdContent",
}

#: How a condition matches: the model's (lower-cased ``StringFilter.MatchType``, plus
#: ``in_list`` for an ``InListFilter``) by the plan's comparison key.
CHANNEL_MATCHES: dict[str, str] = {
    "equals": "exact",
    "starts_with": "begins_with",
    "ends_with": "ends_with",
    "contains": "contains",
    "matches": "full_regexp",
    "partially_matches": "partial_regexp",
    "in": "in_list",
}
REGEX_MATCHES = frozenset({"full_regexp", "partial_regexp"})


@dataclass(frozen=True)
class ChannelCondition:
    """One filter: ``field`` (an Admin API field name) ``match`` ``value`` (``values`` for in_list).

    GA4 matches case-insensitively. ``negated`` wraps the filter in a ``not_expression``.
    """

    field: str
    match: str
    value: str = ""
    values: tuple[str, ...] = ()
    negated: bool = False

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"field": self.field, "match": self.match}
        if self.match == "in_list":
            data["values"] = list(self.values)
        else:
            data["value"] = self.value
        if self.negated:  # only when set: plans stay short
            data["negated"] = True
        return data


@dataclass(frozen=True)
class Channel:
    """``GroupingRule``: a channel's name and conditions (AND of OR groups)."""

    name: str
    conditions: tuple[tuple[ChannelCondition, ...], ...]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "conditions": [[c.to_json() for c in group] for group in self.conditions]}


@dataclass(frozen=True)
class ChannelGroup:
    """``properties/{p}/channelGroups/{id}``. Identity: ``display_name``."""

    KIND: ClassVar[str] = "channel_group"
    IMMUTABLE: ClassVar[tuple[str, ...]] = ()

    display_name: str
    channels: tuple[Channel, ...]
    description: str = ""
    #: The group reports use by default; GA4 unsets it on the previous primary group.
    primary: bool = False
    # Output only (actual state):
    system_defined: bool = field(default=False, compare=False)
    resource_name: str | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        return self.display_name

    @property
    def label(self) -> str:
        return self.display_name

    def fields(self) -> dict[str, Any]:
        return {
            "display_name": self.display_name,
            "description": self.description,
            "primary": self.primary,
            "channels": [c.to_json() for c in self.channels],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChannelGroup:
        """The group :meth:`fields` (or a fixture with output-only keys too) describes."""
        channels = tuple(
            Channel(
                name=c["name"],
                conditions=tuple(
                    tuple(
                        ChannelCondition(
                            field=f["field"],
                            match=f["match"],
                            value=f.get("value", ""),
                            values=tuple(f.get("values", ())),
                            negated=bool(f.get("negated", False)),
                        )
                        for f in group
                    )
                    for group in c["conditions"]
                ),
            )
            for c in data.get("channels", ())
        )
        return cls(
            display_name=data["display_name"],
            channels=channels,
            description=data.get("description", ""),
            primary=bool(data.get("primary", False)),
            system_defined=bool(data.get("system_defined", False)),
            resource_name=data.get("resource_name"),
        )


__all__ = [
    "CHANNELS_MAX",
    "CHANNEL_FIELDS",
    "CHANNEL_GROUP_DESCRIPTION_MAX",
    "CHANNEL_GROUP_DISPLAY_NAME_MAX",
    "CHANNEL_MATCHES",
    "REGEX_MATCHES",
    "Channel",
    "ChannelCondition",
    "ChannelGroup",
]
