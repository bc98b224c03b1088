"""Channel groups evaluated on a traffic source: GA4's default channel group and custom groups.

One evaluator, written once: :func:`channel_sql` compiles a group's rules to one SQL ``CASE``
(DuckDB or BigQuery, :mod:`ga_goals.funnels.dialect`) over the SQL of each field, and
:func:`channel_of` is the Python reference the tests hold it to. The semantics, as GA4 documents
them (docs/ga4-api-facts.md, "Channel groups" and "Default channel group"):

* a group is a list of channels (``GroupingRule``), tried **in order**: the first whose expression
  holds wins; when none holds the value is ``Unassigned`` (:data:`UNASSIGNED`);
* an expression (``ChannelGroupFilterExpression``) is an and-group, an or-group, a negation or one
  filter; the Admin API accepts only an and-group of or-groups of (negated) filters, but the
  evaluator takes any nesting;
* a filter tests one field (``eachScopeSource``, ``eachScopeMedium``, ``eachScopeCampaignName``,
  ``eachScopeCampaignId``, ``eachScopeSourcePlatform``, ``eachScopeManualAdContent``,
  ``eachScopeDefaultChannelGroup``) with a string filter (``EXACT``, ``BEGINS_WITH``,
  ``ENDS_WITH``, ``CONTAINS``, ``FULL_REGEXP``, ``PARTIAL_REGEXP``) or an in-list filter; GA4
  matches **case-insensitively** (both filters: "The match is case insensitive");
* a missing or empty field reads ``(not set)``, as GA4 shows it; ``eachScopeDefaultChannelGroup``
  is the default channel group of the same source, medium and campaign.

:data:`DEFAULT_CHANNEL_RULES` is GA4's default channel group for manually tagged and organic
traffic, written as such rules (Google's "[GA4] Default channel group" table, in its order). The
Google Ads / DV360 / SA360 rules read ad-platform data the export does not carry (its ad network
type...); the source lists are the common part of Google's source categories
(:mod:`ga_goals.funnels.source_categories`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

from ga_goals.funnels.source_categories import SEARCH_SITES, SHOPPING_SITES, SOCIAL_SITES, VIDEO_SITES

if TYPE_CHECKING:  # the SQL side only: the Python reference (funnels.semantics, validate) loads no DuckDB
    from ga_goals.funnels.dialect import Dialect

UNASSIGNED = "Unassigned"
NOT_SET = "(not set)"

SOURCE = "eachScopeSource"
MEDIUM = "eachScopeMedium"
CAMPAIGN = "eachScopeCampaignName"
DEFAULT_CHANNEL_GROUP = "eachScopeDefaultChannelGroup"
#: Every field a channel filter may name (the Admin API's ``field_name`` values).
FIELDS = (
    DEFAULT_CHANNEL_GROUP,
    SOURCE,
    MEDIUM,
    "eachScopeSourcePlatform",
    "eachScopeCampaignId",
    CAMPAIGN,
    "eachScopeManualAdContent",
)
STRING_MATCHES = ("EXACT", "BEGINS_WITH", "ENDS_WITH", "CONTAINS", "FULL_REGEXP", "PARTIAL_REGEXP")
IN_LIST = "IN_LIST"


@dataclass(frozen=True)
class Filter:
    """``field`` ``match`` ``value`` (``values`` for :data:`IN_LIST`), case-insensitive."""

    field: str
    match: str
    value: str = ""
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class AllOf:
    items: tuple[Expression, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Expression, ...]


@dataclass(frozen=True)
class Not:
    item: Expression


Expression = Union[Filter, AllOf, AnyOf, Not]


@dataclass(frozen=True)
class Rule:
    """One channel of a group: its name and the expression a traffic source must satisfy."""

    channel: str
    expression: Expression


# -- reading groups ------------------------------------------------------------------------------


def expression_from_admin(e: Mapping[str, Any]) -> Expression:
    """A ``ChannelGroupFilterExpression`` as the Admin API's JSON / the sandbox's state holds it."""
    if e.get("and_group") is not None:
        return AllOf(tuple(expression_from_admin(x) for x in e["and_group"].get("filter_expressions") or ()))
    if e.get("or_group") is not None:
        return AnyOf(tuple(expression_from_admin(x) for x in e["or_group"].get("filter_expressions") or ()))
    if e.get("not_expression") is not None:
        return Not(expression_from_admin(e["not_expression"]))
    f = e.get("filter") or {}
    field = str(f.get("field_name") or "")
    if f.get("in_list_filter") is not None:
        return Filter(field, IN_LIST, values=tuple(str(v) for v in f["in_list_filter"].get("values") or ()))
    string = f.get("string_filter") or {}
    return Filter(field, str(string.get("match_type") or "EXACT"), str(string.get("value") or ""))


def rules_from_admin(grouping_rule: Sequence[Mapping[str, Any]]) -> tuple[Rule, ...]:
    """A channel group's ``grouping_rule`` list as rules, in order."""
    return tuple(Rule(str(r["display_name"]), expression_from_admin(r["expression"])) for r in grouping_rule)


# -- GA4's default channel group -------------------------------------------------------------------

_PAID_MEDIUM = ".*cp.*|ppc|retargeting|paid.*"
_SHOPPING_CAMPAIGN = r".*(([^a-df-z]|^)shop|shopping).*"
_EMAIL = "email|e-mail|e_mail|e mail"


def _is(field: str, value: str) -> Filter:
    return Filter(field, "EXACT", value)


def _in(field: str, values: Sequence[str] | frozenset[str]) -> Filter:
    return Filter(field, IN_LIST, values=tuple(sorted(values)))


def _re(field: str, pattern: str) -> Filter:
    return Filter(field, "FULL_REGEXP", pattern)


_paid = _re(MEDIUM, _PAID_MEDIUM)
_shopping = AnyOf((_in(SOURCE, SHOPPING_SITES), _re(CAMPAIGN, _SHOPPING_CAMPAIGN)))

#: GA4's default channel group on source, medium and campaign, in Google's order.
DEFAULT_CHANNEL_RULES: tuple[Rule, ...] = (
    Rule("Direct", AllOf((_is(SOURCE, "(direct)"), _in(MEDIUM, ("(not set)", "(none)"))))),
    Rule("Cross-network", Filter(CAMPAIGN, "CONTAINS", "cross-network")),
    Rule("Paid Shopping", AllOf((_shopping, _paid))),
    Rule("Paid Search", AllOf((_in(SOURCE, SEARCH_SITES), _paid))),
    Rule("Paid Social", AllOf((_in(SOURCE, SOCIAL_SITES), _paid))),
    Rule("Paid Video", AllOf((_in(SOURCE, VIDEO_SITES), _paid))),
    Rule("Display", _in(MEDIUM, ("display", "banner", "expandable", "interstitial", "cpm"))),
    Rule("Paid Other", _paid),
    Rule("Organic Shopping", _shopping),
    Rule(
        "Organic Social",
        AnyOf(
            (
                _in(SOURCE, SOCIAL_SITES),
                _in(MEDIUM, ("social", "social-network", "social-media", "sm", "social network", "social media")),
            )
        ),
    ),
    Rule("Organic Video", AnyOf((_in(SOURCE, VIDEO_SITES), _re(MEDIUM, ".*video.*")))),
    Rule("Organic Search", AnyOf((_in(SOURCE, SEARCH_SITES), _is(MEDIUM, "organic")))),
    Rule("Referral", _in(MEDIUM, ("referral", "app", "link"))),
    Rule("Email", AnyOf((_re(SOURCE, _EMAIL), _re(MEDIUM, _EMAIL)))),
    Rule("Affiliates", _is(MEDIUM, "affiliate")),
    Rule("Audio", _is(MEDIUM, "audio")),
    Rule("SMS", AnyOf((_is(SOURCE, "sms"), _is(MEDIUM, "sms")))),
    Rule(
        "Mobile Push Notifications",
        AnyOf(
            (
                Filter(MEDIUM, "ENDS_WITH", "push"),
                Filter(MEDIUM, "CONTAINS", "mobile"),
                Filter(MEDIUM, "CONTAINS", "notification"),
                _is(SOURCE, "firebase"),
            )
        ),
    ),
)


def fields_of(rules: Sequence[Rule]) -> set[str]:
    """The fields the rules read."""

    def walk(e: Expression) -> set[str]:
        if isinstance(e, Filter):
            return {e.field}
        if isinstance(e, Not):
            return walk(e.item)
        return set().union(*(walk(x) for x in e.items)) if e.items else set()

    return set().union(*(walk(r.expression) for r in rules)) if rules else set()


# -- SQL -----------------------------------------------------------------------------------------


def shown_sql(expr: str) -> str:
    """A field's value as a channel rule reads it: ``(not set)`` when missing or empty."""
    return f"COALESCE(NULLIF({expr}, ''), '{NOT_SET}')"


def channel_sql(d: Dialect, rules: Sequence[Rule], fields: Mapping[str, str], *, from_plan: bool = False) -> str:
    """The channel of ``rules`` as one SQL ``CASE`` over ``fields`` (field name -> SQL text of
    its value, NULL when missing; a field not given reads ``(not set)``, except
    ``eachScopeDefaultChannelGroup``, computed from the source, medium and campaign).

    ``from_plan``: the rules come from a plan or a property (their values become BigQuery query
    parameters); the default group's constants are literals.
    """
    values = {name: shown_sql(sql) for name, sql in fields.items()}
    if DEFAULT_CHANNEL_GROUP in fields_of(rules) and DEFAULT_CHANNEL_GROUP not in values:
        values[DEFAULT_CHANNEL_GROUP] = channel_sql(d, DEFAULT_CHANNEL_RULES, fields)
    quote = d.value if from_plan else d.lit

    def field(name: str) -> str:
        return f"lower({values.get(name, d.lit(NOT_SET))})"

    def compile_(e: Expression) -> str:
        if isinstance(e, AllOf):
            return "(" + " AND ".join(compile_(x) for x in e.items) + ")" if e.items else "TRUE"
        if isinstance(e, AnyOf):
            return "(" + " OR ".join(compile_(x) for x in e.items) + ")" if e.items else "FALSE"
        if isinstance(e, Not):
            return f"(NOT {compile_(e.item)})"
        text = field(e.field)
        if e.match == IN_LIST:
            items = [v.lower() for v in e.values]
            if from_plan:
                return d.values_in(text, items)
            return f"{text} IN ({', '.join(d.lit(v) for v in items)})"
        value = quote(e.value.lower()) if e.match not in ("FULL_REGEXP", "PARTIAL_REGEXP") else ""
        if e.match == "EXACT":
            return f"{text} = {value}"
        if e.match == "BEGINS_WITH":
            return d.starts_with(text, value)
        if e.match == "ENDS_WITH":
            return d.ends_with(text, value)
        if e.match == "CONTAINS":
            return f"{d.strpos(text, value)} > 0"
        # Regular expressions: GA4 ignores case; the text is lower-cased, the pattern made
        # case-insensitive (a pattern may spell a class like [A-Z]).
        pattern = f"(?i:{e.value})"
        if e.match == "FULL_REGEXP":
            return d.full_match(text, pattern, from_plan=from_plan)
        if e.match == "PARTIAL_REGEXP":
            fn = "REGEXP_CONTAINS" if d.bigquery else "regexp_matches"
            return f"{fn}({text}, {quote(pattern)})"
        raise ValueError(f"unknown channel filter match {e.match!r}")

    whens = " ".join(f"WHEN {compile_(r.expression)} THEN {d.lit(r.channel)}" for r in rules)
    return f"(CASE {whens} ELSE {d.lit(UNASSIGNED)} END)" if rules else d.lit(UNASSIGNED)


# -- the Python reference --------------------------------------------------------------------------


def channel_of(rules: Sequence[Rule], values: Mapping[str, str | None]) -> str:
    """The channel of ``rules`` for one traffic source (``values``: field name -> value, None or
    missing when not set), as :func:`channel_sql` computes it."""
    shown = {name: (v if v else NOT_SET) for name, v in values.items()}
    if DEFAULT_CHANNEL_GROUP in fields_of(rules) and DEFAULT_CHANNEL_GROUP not in shown:
        shown[DEFAULT_CHANNEL_GROUP] = channel_of(DEFAULT_CHANNEL_RULES, values)

    def holds(e: Expression) -> bool:
        if isinstance(e, AllOf):
            return all(holds(x) for x in e.items)
        if isinstance(e, AnyOf):
            return any(holds(x) for x in e.items)
        if isinstance(e, Not):
            return not holds(e.item)
        text = shown.get(e.field, NOT_SET).lower()
        if e.match == IN_LIST:
            return text in {v.lower() for v in e.values}
        value = e.value.lower()
        if e.match == "EXACT":
            return text == value
        if e.match == "BEGINS_WITH":
            return text.startswith(value)
        if e.match == "ENDS_WITH":
            return text.endswith(value)
        if e.match == "CONTAINS":
            return value in text
        if e.match == "FULL_REGEXP":
            return re.fullmatch(e.value, text, re.IGNORECASE) is not None
        if e.match == "PARTIAL_REGEXP":
            return re.search(e.value, text, re.IGNORECASE) is not None
        raise ValueError(f"unknown channel filter match {e.match!r}")

    for rule in rules:
        if holds(rule.expression):
            return rule.channel
    return UNASSIGNED


def default_channel(source: str | None, medium: str | None, campaign: str | None) -> str:
    """GA4's default channel group of a source, medium and campaign (:data:`DEFAULT_CHANNEL_RULES`)."""
    return channel_of(DEFAULT_CHANNEL_RULES, {SOURCE: source, MEDIUM: medium, CAMPAIGN: campaign})


__all__ = [
    "DEFAULT_CHANNEL_RULES",
    "FIELDS",
    "IN_LIST",
    "STRING_MATCHES",
    "UNASSIGNED",
    "AllOf",
    "AnyOf",
    "Expression",
    "Filter",
    "Not",
    "Rule",
    "channel_of",
    "channel_sql",
    "default_channel",
    "expression_from_admin",
    "fields_of",
    "rules_from_admin",
    "shown_sql",
]
