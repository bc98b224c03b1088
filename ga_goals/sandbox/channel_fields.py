"""The sandbox's channel-group dimensions: the primary group and the property's custom groups.

GA4's Data API (docs/ga4-api-facts.md, "Channel-group dimensions"):

* ``sessionPrimaryChannelGroup`` / ``firstUserPrimaryChannelGroup``: the channel of the session /
  of the user's first visit in the property's primary channel group: GA4's default channel group
  unless a custom group is primary (Admin API ``ChannelGroup.primary``);
* ``sessionCustomChannelGroup:<id>`` / ``firstUserCustomChannelGroup:<id>``: the channel in the
  custom group ``properties/{p}/channelGroups/<id>``; GetMetadata lists them for each custom
  group of the property (custom definitions). An id that is not a custom group of the property
  is not a valid dimension (INVALID_ARGUMENT);
* ``primaryChannelGroup`` and ``customChannelGroup:<id>`` are attribution-scoped: the channel
  credited with a key event under the property's attribution model (data-driven by default).
  The sandbox does not model attribution: they answer UNIMPLEMENTED, naming the dimension.

The channels come from evaluating the group's rules on the traffic source, first match wins,
``Unassigned`` otherwise (:mod:`ga_goals.funnels.channel_rules`, the same SQL the funnel engine
uses for ``sessionDefaultChannelGroup``). A session without a traffic source is direct traffic:
its channel is the group's channel of ``(direct)`` / ``(none)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ga_goals.funnels.channel_rules import (
    CAMPAIGN,
    DEFAULT_CHANNEL_RULES,
    MEDIUM,
    SOURCE,
    Rule,
    channel_of,
    channel_sql,
    rules_from_admin,
)
from ga_goals.funnels.dialect import Dialect
from ga_goals.funnels.dimensions import FIRST_USER_CHANNEL_FIELDS, SESSION_CHANNEL_FIELDS
from ga_goals.sandbox.admin import SandboxError, invalid

if TYPE_CHECKING:
    from ga_goals.sandbox.reporting import Catalogue

SESSION_PREFIX = "sessionCustomChannelGroup:"
FIRST_USER_PREFIX = "firstUserCustomChannelGroup:"
ATTRIBUTED_PREFIX = "customChannelGroup:"
PREFIXES = (SESSION_PREFIX, FIRST_USER_PREFIX, ATTRIBUTED_PREFIX)
#: The traffic source of a session that has none (GA4: direct traffic).
DIRECT = {SOURCE: "(direct)", MEDIUM: "(none)", CAMPAIGN: "(direct)"}


def custom_groups(state: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The property's custom (not system-defined) channel groups, in Admin order."""
    return [g for g in (state or {}).get("channel_groups", []) if not g.get("system_defined")]


def group_id(group: dict[str, Any]) -> str:
    return str(group["name"]).rsplit("/", 1)[-1]


def primary_rules(state: dict[str, Any] | None) -> tuple[Rule, ...]:
    """The rules of the property's primary group: a custom group marked primary, else GA4's default."""
    for group in custom_groups(state):
        if group.get("primary"):
            return rules_from_admin(group["grouping_rule"])
    return DEFAULT_CHANNEL_RULES


def add_channel_fields(cat: Catalogue, state: dict[str, Any] | None) -> None:
    """Register the channel-group dimensions of the property ``state`` (None: property 0) in ``cat``."""
    from ga_goals.sandbox.reporting import Dimension

    def session(api: str, ui: str, description: str, rules: tuple[Rule, ...], custom: bool) -> Dimension:
        expr = channel_sql(Dialect("duckdb"), rules, SESSION_CHANNEL_FIELDS)
        return Dimension(api, ui, "Traffic source", description, "session", expr, channel_of(rules, DIRECT), custom=custom)

    def first_user(api: str, ui: str, description: str, rules: tuple[Rule, ...], custom: bool) -> Dimension:
        expr = channel_sql(Dialect("duckdb"), rules, FIRST_USER_CHANNEL_FIELDS)
        return Dimension(api, ui, "Traffic source", description, "event", expr, custom=custom)

    primary = primary_rules(state)
    cat.dimensions["sessionPrimaryChannelGroup"] = session(
        "sessionPrimaryChannelGroup", "Session primary channel group",
        "The session's channel in the property's primary channel group.", primary, False,
    )
    cat.dimensions["firstUserPrimaryChannelGroup"] = first_user(
        "firstUserPrimaryChannelGroup", "First user primary channel group",
        "The channel that first acquired the user, in the property's primary channel group.", primary, False,
    )
    ids = []
    for group in custom_groups(state):
        gid, name = group_id(group), str(group["display_name"])
        rules = rules_from_admin(group["grouping_rule"])
        ids.append(gid)
        cat.dimensions[SESSION_PREFIX + gid] = session(
            SESSION_PREFIX + gid, f"Session {name}", f"The custom channel that led to this session ({name}).", rules, True
        )
        cat.dimensions[FIRST_USER_PREFIX + gid] = first_user(
            FIRST_USER_PREFIX + gid, f"First user {name}", f"The custom channel that first acquired this user ({name}).",
            rules, True,
        )
    cat.channel_group_ids = tuple(ids)


def unknown_channel_field(name: str, kind: str, cat: Catalogue, where: str) -> SandboxError | None:
    """The answer to a channel-group field the catalogue does not compute, or None when ``name``
    is not one (``kind``: ``dimension`` / ``metric``)."""
    from ga_goals.sandbox.reporting import unimplemented

    prefix = next((p for p in PREFIXES if name.startswith(p)), None)
    if prefix is None:
        return None
    gid = name[len(prefix) :]
    known = ", ".join(cat.channel_group_ids) or "none"
    if kind != "dimension" or gid not in cat.channel_group_ids:
        return invalid(
            f"Field {name} is not a valid {kind}.{where} Custom channel group dimensions are named "
            f"{prefix}<id> with the id of a custom channel group of the property (its custom groups: {known}). "
            "For a list of valid dimensions and metrics, call GetMetadata."
        )
    return unimplemented(
        f"the dimension {name} (GA4 credits key events to channels with the property's attribution model; "
        f"the sandbox computes {SESSION_PREFIX}{gid} and {FIRST_USER_PREFIX}{gid})"
    )


__all__ = [
    "ATTRIBUTED_PREFIX",
    "FIRST_USER_PREFIX",
    "PREFIXES",
    "SESSION_PREFIX",
    "add_channel_fields",
    "custom_groups",
    "primary_rules",
    "unknown_channel_field",
]
