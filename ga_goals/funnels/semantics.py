"""Funnel semantics: the rules every funnel engine of ga-goals follows, and a reference implementation.

Past 600 lines because the rules and the plain-Python reference that implements them are kept in
one file, the one every engine is tested against; the channel rules and the SQL live elsewhere.

The rules (sources: ``docs/funnel-semantics.md``, which quotes Google's protos; where Google
says nothing, the choice made here is marked *decided*):

1. **Unit.** A funnel counts users (``user_pseudo_id``; events without one are ignored), over
   the events whose ``event_date`` lies in the report's date range. Events outside the range
   do not exist for the funnel, also not as "the next event" of rule 5.

2. **Event order, and ties** (*decided*; docs/funnel-semantics.md §9). A user's events are ordered by their
   *moment*, the key :func:`moment`:

   ``(event_timestamp, batch, rank)``

   * ``batch`` is ``batch_event_index + 1`` (0 when the export has no batch fields), capped at
     511: events fired together share one ``event_timestamp`` and GA4's newer exports number
     them in ``batch_event_index``. ``batch_page_id`` and ``batch_ordering_id`` order pages and
     requests, whose events carry different timestamps anyway, so they are not read;
   * ``rank`` is 0 for ``first_visit``, 1 for ``session_start`` and 2 for every other event:
     GA4 derives those two from the hit that carries the page view, so they count as having
     happened first, and a funnel ``session_start -> page_view`` works on real exports where
     all three share a timestamp and carry no batch fields.

   Events with the same moment are **simultaneous**: none of them comes after another. A step is
   satisfied by an event at a **strictly later moment** than the event that satisfied the prior
   step. So a later step may have the *same timestamp* as the prior step when the batch index or
   the rank puts it later, **one event never satisfies two steps** of one path, and two events of
   one instant that GA4 did not order (same timestamp, no batch index, both rank 2) never follow
   each other, in either direction: ga-goals invents no order that the export does not record.

   Why this rule: every engine computes it from three narrow columns, as one integer
   (:data:`MOMENT_SQL`: ``event_timestamp * 2048 + batch * 4 + rank``), so a funnel reads no
   more than it needs (on BigQuery the bytes read are the cost), and the result does not depend
   on the order in which files were loaded.

3. **Step match.** An event satisfies a step when its name equals the step's event and every
   parameter filter of the step holds (filters are ANDed). Filters (:class:`StepFilter`):

   * the parameter's value is read as text (``string_value``, else ``int_value`` in decimal,
     else ``double_value``/``float_value`` as DuckDB prints a double: ``5.0``, ``0.1``,
     ``1e+20``; BigQuery prints ``5``, so text filters on double parameters can differ there) or
     as a number (``int_value``, ``double_value``, ``float_value``, else a
     ``string_value`` written as a plain decimal number ``-?[0-9]+(.[0-9]+)?``); when a key
     repeats, its first entry counts;
   * ``equals`` compares numbers when the filter's value is a number, text otherwise;
     ``contains``, ``starts_with``, ``ends_with`` compare text; ``matches`` is a *full* match
     of an RE2 regular expression; ``in`` is text equal to one of the values;
     ``greater_than(_or_equal)``/``less_than(_or_equal)`` compare numbers;
   * ``case_sensitive=False`` compares lower-cased text (regex: the ``(?i)`` flag);
   * a parameter the event does not carry (or, for numeric operators, a value that is not a
     number) makes the filter false; ``negated`` inverts the result, so a negated filter holds
     for events *without* the parameter (*decided*).

3b. **Dimension conditions** (:class:`DimensionFilter`; GA4's ``funnelFieldFilter``). A
   condition on a dimension reads the dimension's value *on the event being tested* (the event
   that would satisfy the step), as text:

   * event dimensions (:data:`EVENT_DIMENSION_FIELDS`: ``eventName``, ``deviceCategory``,
     ``country``, ``platform``...): the event row's field; ``pageLocation`` and ``pageTitle``:
     the event's ``page_location`` / ``page_title`` parameter (rule 3's text);
     ``customEvent:<p>``: the parameter ``p`` (rule 3's text); ``customUser:<p>``: the user
     property ``p`` (``string_value``, else ``int_value``, else ``double_value`` as text);
   * first-user dimensions (``firstUserSource``, ``firstUserMedium``,
     ``firstUserCampaignName`` and their ``firstUserManual*`` twins): the ``traffic_source``
     record of the event row, which the export fills with the user's first acquisition: the
     same on every event of a user;
   * ``firstUserDefaultChannelGroup``: GA4's default channel group of that ``traffic_source``
     (source, medium and campaign name; :mod:`ga_goals.funnels.channel_rules`);
   * ``newVsReturning``: ``new`` when the event's ``ga_session_number`` is 1, ``returning``
     when it is above 1 (GA4: "0 previous sessions" / "1 or more"), else ``(not set)``;
   * session dimensions (:data:`SESSION_DIMENSIONS`: ``sessionSource``, ``sessionMedium``,
     ``sessionCampaignName``, ``sessionSourceMedium``, the manual campaign fields
     ``sessionManualAdContent`` (utm_content), ``sessionManualTerm``,
     ``sessionManualCampaignId``..., ``sessionCampaignId``, ``sessionSourcePlatform``, and
     ``sessionDefaultChannelGroup``, GA4's default channel group of the session's source,
     medium and campaign): the
     traffic source of the event's session exactly as rule 8 takes it for breakdowns (an event
     without ``ga_session_id`` reads ``(not set)``; a session without any source reads
     ``(direct)`` / ``(none)`` in source, medium and campaign name, channel ``Direct``, ``(not set)``
     in the others);
   * a missing value is the text ``(not set)``, as reports show it, and compares like any text:
     ``equals: "(not set)"`` holds for events without the value.

   The comparisons are rule 3's (``equals``, ``contains``, ``starts_with``, ``ends_with``,
   ``matches``, ``in``, the numeric ones) plus ``between`` (inclusive, numbers); a numeric
   comparison reads the text as a number when it is a plain decimal (rule 3's pattern), else
   it is false; ``case_sensitive`` and ``negated`` as in rule 3. Which dimensions a step may
   use: :func:`step_dimension_problem` (docs/ga4-api-facts.md, "Funnel step conditions").

3c. **Step conditions** (GA4's ``FunnelFilterExpression``). A step's condition is a tree:
   :class:`EventMatch` (rule 3: the event's name and its parameter filters), a
   :class:`DimensionFilter` (rule 3b), :class:`AllOf` (every part holds), :class:`AnyOf` (some
   part holds: the alternatives of a step, "``first_open`` or ``first_visit``") and
   :class:`Not`. Every part is evaluated on the **same event**: a step is satisfied by one
   event that satisfies the whole condition, so ``AllOf(EventMatch(page_view),
   DimensionFilter(deviceCategory = mobile))`` is a ``page_view`` sent from a mobile device.
   A step's plain form (an event and its filters) is ``EventMatch``. Groups are never empty.

4. **Closed funnels** (the default; docs/funnel-semantics.md §2). A user reaches step 1 with any event that
   satisfies it, and step k+1 with an event that satisfies step k+1 and comes after (rule 2)
   an event by which the user reached step k, within that step's constraints (rule 5). Steps
   cannot be skipped. The count at step k is the number of users who reached step k; it never
   grows from one step to the next.

5. **Constraints between steps** (docs/funnel-semantics.md §3 and §4), both about the event that reached the
   prior step and the event that satisfies this step:

   * ``directly_followed``: this step's event must be at *the very next moment* of the user
     after the prior step's event (rule 2, among the moments of all the user's events in the
     date range, whatever their name): no event of the user lies strictly between the two;
   * ``within_seconds``: ``ts(this) - ts(prior) <= within`` with both in microseconds and the
     bound rounded to whole microseconds: inclusive, so 5 s allows exactly 5 000 000 µs and not
     5 000 001 µs.

   Both are ignored on the first step. A user reaches step k+1 when *some* event that reached
   step k allows it: an engine must not commit to the first step-1 event and give up (the
   reference below keeps every candidate; the SQL engine keeps, per user, the moments that
   reached the prior step, and the latest of them before this step's event is the best one for
   a time window).

6. **Open funnels** (docs/funnel-semantics.md §2: "users may enter at any step"; *decided* how far that goes).
   Every event that satisfies step k is an entry at step k, so the count at step k is the
   number of users with an event that satisfies step k (its event and its filters), whether
   or not they did the steps before. The constraints of rule 5 decide whether a user
   *continued*: a user continues from step k when an event satisfying step k is followed by an
   event satisfying step k+1 within step k+1's constraints. In an open funnel, later steps can
   count more users than earlier ones.

7. **Per-step metrics** (docs/funnel-semantics.md §5, verified on a live response), see
   ``ga_goals.funnels.result.step_metrics``: ``completionRate(k) = continued(k) / users(k)``,
   ``abandonments(k) = users(k) - continued(k)``, ``abandonmentRate(k) = abandonments(k) /
   users(k)``, where ``continued(k)`` is the number of users who went on to step k+1 (for a
   closed funnel that is ``users(k+1)``). The last step that has users, when a later step was
   requested, shows completion 0 and abandonment rate 1 (as in the live response); the last
   *requested* step (*decided*, the live data does not show it) shows completion 1,
   abandonments 0 and abandonment rate 0: everyone there has completed the funnel. Steps with
   no users are absent from the Data API's rows. The overall conversion is
   ``users(last step) / users(step 1)`` (docs/funnel-semantics.md §8).

8. **Breakdowns** (*decided*). A user counts under one breakdown value: the dimension's value
   on the event by which the user entered the funnel: for a closed funnel the user's first
   moment (rule 2) with an event that satisfies step 1; for an open funnel the first moment with
   an event that satisfies any step. When several such events share that moment and carry
   different values, the smallest value counts (code-point order, a missing value being
   ``(not set)``; for session dimensions the smallest ``ga_session_id``, a missing one first). Session-scoped dimensions (``sessionSource``...) take the traffic source
   of that event's session (user and ``ga_session_id``): the first event of the session that
   carries a source (several at that time: the smallest record, :func:`source_order`), and every field of :data:`SESSION_SOURCE_FIELDS` from that event (its
   ``session_traffic_source_last_click.manual_campaign`` field, else its
   ``collected_traffic_source`` one, else the ``source`` / ``medium`` / ``campaign`` /
   ``term`` / ``content`` parameter of older exports); a session without any is direct. A
   missing value is ``(not set)``. So the breakdown rows add up to the
   totals, and each row is a funnel of its own (closed: never growing).

9. **Trends** (*decided*; GA4's ``TRENDED_FUNNEL`` adds a ``date`` dimension to the funnel
   visualization without saying which date a user counts on). A trended funnel is the funnel
   broken down (rule 8) by the ``date`` dimension: the ``event_date`` of the event by which the
   user entered the funnel. Each user counts on exactly one day, the day they entered, with the
   steps they reached over the whole date range; so the days add up to the totals, a week is
   the sum of its days (weeks start on Monday), and a day's completion rate is
   ``users(last step) / users(step 1)`` of the users who entered that day.

10. **Next action** (GA4's ``funnelNextAction``: "the first event after the event that qualified
   the user into the i-th funnel step but before the user achieved the (i+1)-th step"). For step
   k (not the last), the users who reached step k and did not continue (rule 7's abandonments:
   closed, did not reach step k+1; open, did not continue from step k) are counted under the
   dimension's value (rule 3b; ``eventName``, ``pageLocation``, ``pageTitle``) on their first
   event at a moment strictly after (rule 2) the moment they reached step k: the earliest moment
   at which they reached it (closed: rule 4's earliest; open: the earliest event satisfying
   step k), among all their events in the date range whatever their name. Simultaneous first
   events with different values: the smallest value counts. A user with no later event counts
   under no value (they left). *Decided*: only the users who did not continue are counted (the
   question a report asks is "what did they do instead"); GA4 may also count users who went on.

11. **Segments** (:class:`~ga_goals.model.tracking_plan.Segment`; GA4's funnel ``segments``, with
   the ``*_CRITERIA_WITHIN_SAME_EVENT`` scoping and a permanent exclusion). A segment's condition
   and exclusion are step conditions (rule 3c) tested on single events of the date range
   (rule 1). A segmented funnel is computed by rules 2 to 8 on the events the segment keeps, as
   if they were the user's only events (so "the very next event" of rule 5 is the next *kept*
   event):

   * ``user``: the users with at least one event satisfying the condition and none satisfying
     the exclusion; all their events are kept;
   * ``session``: the sessions (user and ``ga_session_id``) with at least one event satisfying
     the condition and none satisfying the exclusion; only the events of those sessions are
     kept (an event without ``ga_session_id`` is in no session: never kept);
   * ``event``: the events satisfying the condition and not the exclusion.

   Dimension values (rules 3b and 8) are read as without the segment: a session's traffic
   source is that of the whole session, whatever the segment keeps (*decided*).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from ga_goals.errors import GaGoalsError
from ga_goals.funnels.channel_rules import default_channel
from ga_goals.regex import re2_problem
from ga_goals.model.tracking_plan import (
    NEXT_ACTION_DIMENSIONS,
    AllOf,
    AnyOf,
    DimensionFilter,
    EventMatch,
    Funnel,
    FunnelStep,
    Not,
    Segment,
    StepCondition,
    StepFilter,
)

#: Filter operators (``StepFilter.op``).
TEXT_OPS = frozenset({"contains", "starts_with", "ends_with", "matches", "in"})
NUMERIC_OPS = frozenset({"greater_than", "greater_than_or_equal", "less_than", "less_than_or_equal"})
OPS = TEXT_OPS | NUMERIC_OPS | {"equals"}
#: Comparisons of a dimension condition (rule 3b).
DIMENSION_OPS = OPS | {"between"}

#: The text of a missing dimension value (rule 3b; the value reports show).
NOT_SET = "(not set)"

#: Event dimensions (rule 3b): the export field each reads, as a path into the row.
EVENT_DIMENSION_FIELDS: dict[str, tuple[str, ...]] = {
    "eventName": ("event_name",),
    "deviceCategory": ("device", "category"),
    "operatingSystem": ("device", "operating_system"),
    "operatingSystemVersion": ("device", "operating_system_version"),
    "browser": ("device", "web_info", "browser"),
    "mobileDeviceBranding": ("device", "mobile_brand_name"),
    "mobileDeviceModel": ("device", "mobile_model_name"),
    "language": ("device", "language"),
    "platform": ("platform",),
    "country": ("geo", "country"),
    "region": ("geo", "region"),
    "city": ("geo", "city"),
    "continent": ("geo", "continent"),
    "subContinent": ("geo", "sub_continent"),
    "firstUserSource": ("traffic_source", "source"),
    "firstUserMedium": ("traffic_source", "medium"),
    "firstUserCampaignName": ("traffic_source", "name"),
    # The export keeps only source, medium and campaign name of the first acquisition
    # (``traffic_source``): GA4's manual first-user fields read the same record.
    "firstUserManualSource": ("traffic_source", "source"),
    "firstUserManualMedium": ("traffic_source", "medium"),
    "firstUserManualCampaignName": ("traffic_source", "name"),
    "streamId": ("stream_id",),
}
#: Event dimensions read from a parameter (rule 3b).
PAGE_DIMENSION_PARAMETERS = {"pageLocation": "page_location", "pageTitle": "page_title"}
#: GA4's ``newVsReturning`` (rule 3b): ``new`` on the events of a user's first session
#: (``ga_session_number`` = 1: "0 previous sessions"), ``returning`` on those of later ones.
NEW_VS_RETURNING = "newVsReturning"
#: The traffic-source fields of a session (rule 8), each read from an event as the first of: the
#: ``session_traffic_source_last_click.manual_campaign`` field, the ``collected_traffic_source``
#: field (UTM parameters), the event parameter older exports carry (None: they carry none).
SESSION_SOURCE_FIELDS: dict[str, tuple[str, str, str | None]] = {
    "source": ("source", "manual_source", "source"),
    "medium": ("medium", "manual_medium", "medium"),
    "campaign": ("campaign_name", "manual_campaign_name", "campaign"),
    "campaign_id": ("campaign_id", "manual_campaign_id", None),
    "term": ("term", "manual_term", "term"),
    "content": ("content", "manual_content", "content"),
    "source_platform": ("source_platform", "manual_source_platform", None),
    "creative_format": ("creative_format", "manual_creative_format", None),
    "marketing_tactic": ("marketing_tactic", "manual_marketing_tactic", None),
}
#: Session dimensions (rules 3b and 8): the session source fields each shows (joined with
#: `` / ``, a missing one ``(not set)``) and the value of a session without any traffic source.
SESSION_DIMENSIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "sessionSource": (("source",), "(direct)"),
    "sessionMedium": (("medium",), "(none)"),
    "sessionCampaignName": (("campaign",), "(direct)"),
    "sessionSourceMedium": (("source", "medium"), "(direct) / (none)"),
    # GA4's manual campaign fields (utm_*): the export's manual_campaign record, so the manual
    # source, medium and campaign are those of the session (docs/sandbox.md, "Traffic source").
    "sessionManualSource": (("source",), "(direct)"),
    "sessionManualMedium": (("medium",), "(none)"),
    "sessionManualCampaignName": (("campaign",), "(direct)"),
    "sessionManualSourceMedium": (("source", "medium"), "(direct) / (none)"),
    "sessionManualCampaignId": (("campaign_id",), NOT_SET),
    "sessionManualTerm": (("term",), NOT_SET),
    "sessionManualAdContent": (("content",), NOT_SET),
    "sessionManualSourcePlatform": (("source_platform",), NOT_SET),
    "sessionManualCreativeFormat": (("creative_format",), NOT_SET),
    "sessionManualMarketingTactic": (("marketing_tactic",), NOT_SET),
    # The export records the campaign id and platform of manual campaigns only.
    "sessionCampaignId": (("campaign_id",), NOT_SET),
    "sessionSourcePlatform": (("source_platform",), NOT_SET),
}
#: Session dimensions and the value of a session without any traffic source.
SESSION_DIMENSION_DEFAULTS = {name: default for name, (_parts, default) in SESSION_DIMENSIONS.items()} | {
    "sessionDefaultChannelGroup": "Direct",
}
#: The user's first-visit channel: GA4's default channel group of ``traffic_source`` (rule 3b).
FIRST_USER_CHANNEL_DIMENSION = "firstUserDefaultChannelGroup"
#: The dimensions a funnel step may use (plus ``customEvent:<parameter>`` and ``customUser:<property>``).
STEP_DIMENSIONS: tuple[str, ...] = (
    tuple(EVENT_DIMENSION_FIELDS)
    + tuple(PAGE_DIMENSION_PARAMETERS)
    + (FIRST_USER_CHANNEL_DIMENSION, NEW_VS_RETURNING)
    + tuple(SESSION_DIMENSION_DEFAULTS)
)
#: Dimensions GA4 or ga-goals refuse in a funnel step, with the reason and what to use instead
#: (docs/ga4-api-facts.md, "Funnel step conditions").
REFUSED_STEP_DIMENSIONS = {
    "pagePath": "GA4 does not accept pagePath in a funnel step; use pageLocation (the full URL), "
    "e.g. {dimension: pageLocation, matches: 'https://[^/]+/'} for the home page",
    "pagePathPlusQueryString": "GA4 does not accept it in a funnel step; use pageLocation (the full URL)",
}

#: ``rank`` of rule 2: events GA4 derives from the page-view hit count as happening first.
EVENT_RANK = {"first_visit": 0, "session_start": 1}
DEFAULT_RANK = 2

#: A decimal number written as text (rule 3).
NUMBER_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")

Event = Mapping[str, Any]


class FunnelDefinitionError(GaGoalsError, ValueError):
    """A funnel that cannot be computed (no steps, an unknown filter operator, a bad value)."""


def within_micros(step: FunnelStep) -> int | None:
    """The step's time window in whole microseconds (rule 5), or None."""
    if step.within_seconds is None:
        return None
    return round(step.within_seconds * 1_000_000)


def step_dimension_problem(name: str, shown: Callable[[str], str] = repr) -> str | None:
    """Why a funnel step cannot use the dimension ``name`` (None when it can; rule 3b).

    ``shown``: how the message shows the name (plan checks cut and escape text from the file)."""
    if name in STEP_DIMENSIONS:
        return None
    for prefix in ("customEvent:", "customUser:"):
        if name.startswith(prefix) and len(name) > len(prefix):
            return None
    if name in REFUSED_STEP_DIMENSIONS:
        return REFUSED_STEP_DIMENSIONS[name]
    return (
        f"a funnel step cannot use the dimension {shown(name)}: use one of {', '.join(STEP_DIMENSIONS)}, "
        "customEvent:<parameter> or customUser:<property>"
    )


def validate(funnel: Funnel) -> None:
    """Raise :class:`FunnelDefinitionError` for a funnel no engine can compute."""
    if not funnel.steps:
        raise FunnelDefinitionError(f"funnel {funnel.name!r} has no steps")
    for number, step in enumerate(funnel.steps, start=1):
        where = f"funnel {funnel.name!r}, step {number}"
        if step.within_seconds is not None and step.within_seconds < 0:
            raise FunnelDefinitionError(f"{where}: 'within' must not be negative")
        _validate_condition(step.condition, where)


def _validate_condition(condition: StepCondition, where: str) -> None:
    if isinstance(condition, EventMatch):
        if not condition.event:
            raise FunnelDefinitionError(f"{where}: no event name")
        for f in condition.filters:
            _validate_comparison(f.op, f.value, OPS, f"{where}, parameter {f.parameter!r}")
    elif isinstance(condition, DimensionFilter):
        if problem := step_dimension_problem(condition.dimension):
            raise FunnelDefinitionError(f"{where}: {problem}")
        _validate_comparison(condition.op, condition.value, DIMENSION_OPS, f"{where}, dimension {condition.dimension!r}")
    elif isinstance(condition, (AllOf, AnyOf)):
        if not condition.parts:
            kind = "an 'any' (or) group" if isinstance(condition, AnyOf) else "an 'all' (and) group"
            raise FunnelDefinitionError(f"{where}: {kind} without conditions")
        for part in condition.parts:
            _validate_condition(part, where)
    elif isinstance(condition, Not):
        _validate_condition(condition.part, where)
    else:
        raise FunnelDefinitionError(f"{where}: not a step condition: {condition!r}")


def _validate_comparison(op: str, value: object, ops: frozenset[str], where: str) -> None:
    if op not in ops:
        raise FunnelDefinitionError(f"{where}: unknown filter operator {op!r} (one of {', '.join(sorted(ops))})")
    if op == "in" and not isinstance(value, (tuple, list)):
        raise FunnelDefinitionError(f"{where}: 'in' needs a list of values")
    if op in NUMERIC_OPS and not _is_number(value):
        raise FunnelDefinitionError(f"{where}: {op!r} needs a number, got {value!r}")
    if op == "between":
        if not (isinstance(value, (tuple, list)) and len(value) == 2 and all(_is_number(v) for v in value)):
            raise FunnelDefinitionError(f"{where}: 'between' needs two numbers [low, high], got {value!r}")
        if value[0] > value[1]:
            raise FunnelDefinitionError(f"{where}: 'between' needs low <= high, got {list(value)!r}")
    if op == "matches" and (problem := re2_problem(str(value))):
        raise FunnelDefinitionError(f"{where}: bad regular expression {value!r}: {problem}")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def filter_text(value: object) -> str:
    """A filter value used as text: numbers as written without a needless ``.0`` (``5``, ``2.5``)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---------------------------------------------------------------------------------------------
# Rule 2: the order of a user's events

#: The cap of rule 2's batch component (``batch_event_index + 1``).
BATCH_CAP = 511
#: How one moment is packed into one integer: ``event_timestamp * MOMENT_SCALE + batch * 4 + rank``.
MOMENT_SCALE = 2048


def moment(event: Event) -> int:
    """Rule 2's moment of an export-shaped event dict, packed as every engine packs it."""
    index = event.get("batch_event_index")
    batch = 0 if index is None else max(0, min(int(index) + 1, BATCH_CAP))
    rank = EVENT_RANK.get(event["event_name"], DEFAULT_RANK)
    return int(event["event_timestamp"]) * MOMENT_SCALE + batch * 4 + rank


def moment_timestamp(value: int) -> int:
    """The ``event_timestamp`` (µs) of a packed moment."""
    return value // MOMENT_SCALE


# ---------------------------------------------------------------------------------------------
# Rule 3: does an event satisfy a step?


def _param_value(event: Event, name: str) -> Mapping[str, Any] | None:
    for p in event.get("event_params") or ():
        if p.get("key") == name:
            return p.get("value") or {}
    return None


def double_text(x: float) -> str:
    """How DuckDB prints a DOUBLE as text (shortest round trip; ``5.0``, ``1e+20``, ``1.5e-07``)."""
    if math.isnan(x):
        return "nan"
    if x in (float("inf"), float("-inf")):
        return "inf" if x > 0 else "-inf"
    return repr(float(x))


def param_text(event: Event, name: str) -> str | None:
    """Rule 3's text value of a parameter (None when the event does not carry it)."""
    v = _param_value(event, name)
    if v is None:
        return None
    if v.get("string_value") is not None:
        return str(v["string_value"])
    if v.get("int_value") is not None:
        return str(int(v["int_value"]))
    for key in ("double_value", "float_value"):
        if v.get(key) is not None:
            return double_text(float(v[key]))
    return None


def param_number(event: Event, name: str) -> float | None:
    """Rule 3's numeric value of a parameter (None when missing or not a number)."""
    v = _param_value(event, name)
    if v is None:
        return None
    if v.get("int_value") is not None:
        return float(v["int_value"])
    for key in ("double_value", "float_value"):
        if v.get(key) is not None:
            return float(v[key])
    s = v.get("string_value")
    if s is not None and NUMBER_TEXT.fullmatch(s):
        return float(s)
    return None


def filter_holds(f: StepFilter, event: Event) -> bool:
    """Rule 3 for one filter (``negated`` included)."""
    positive = compare(f.op, f.value, f.case_sensitive, param_text(event, f.parameter), lambda: param_number(event, f.parameter))
    return positive != f.negated


def compare(
    op: str, target: Any, case_sensitive: bool, text: str | None, number: Callable[[], float | None]
) -> bool:
    """Rule 3's comparison ``op`` of a value (its ``text``, and its ``number`` read lazily) with ``target``.

    A missing value (``text`` None, or no number for a numeric comparison) is false.
    """
    if op in NUMERIC_OPS or op == "between" or (op == "equals" and _is_number(target)):
        x = number()
        if x is None:
            return False
        if op == "between":
            return float(target[0]) <= x <= float(target[1])
        value = float(target)
        if op == "equals":
            return x == value
        if op == "greater_than":
            return x > value
        if op == "greater_than_or_equal":
            return x >= value
        if op == "less_than":
            return x < value
        return x <= value
    if text is None:
        return False
    if op == "matches":
        flags = 0 if case_sensitive else re.IGNORECASE
        return re.fullmatch(str(target), text, flags) is not None
    fold = (lambda s: s) if case_sensitive else str.lower
    text = fold(text)
    if op == "in":
        return text in {fold(filter_text(v)) for v in target}
    value_text = fold(filter_text(target))
    if op == "equals":
        return text == value_text
    if op == "contains":
        return value_text in text
    if op == "starts_with":
        return text.startswith(value_text)
    if op == "ends_with":
        return text.endswith(value_text)
    raise FunnelDefinitionError(f"unknown filter operator {op!r}")


# ---------------------------------------------------------------------------------------------
# Rule 3b: dimension values

class SessionSource(NamedTuple):
    """A session's traffic source (rule 8): the fields of :data:`SESSION_SOURCE_FIELDS`, each possibly None."""

    source: Any
    medium: Any
    campaign: Any
    campaign_id: Any = None
    term: Any = None
    content: Any = None
    source_platform: Any = None
    creative_format: Any = None
    marketing_tactic: Any = None


def _path(row: Mapping[str, Any], path: Sequence[str]) -> Any:
    value: Any = row
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _event_source(event: Event) -> SessionSource:
    """Where an event's traffic source is (rule 8): last click, else collected, else parameters."""
    last = _path(event, ("session_traffic_source_last_click", "manual_campaign")) or {}
    collected = event.get("collected_traffic_source") or {}

    def first(last_field: str, collected_field: str, parameter: str | None) -> Any:
        values = (last.get(last_field), collected.get(collected_field), parameter and param_text(event, parameter))
        return next((v for v in values if v is not None), None)

    return SessionSource(*(first(*where) for where in SESSION_SOURCE_FIELDS.values()))


def session_id(event: Event) -> int | None:
    """The event's ``ga_session_id`` (its ``int_value``, as the export writes it), None when absent."""
    v = _param_value(event, "ga_session_id")
    if v is None or v.get("int_value") is None:
        return None
    return int(v["int_value"])


def source_order(src: SessionSource) -> tuple[tuple[bool, str], ...]:
    """Rule 8's order among a session's simultaneous first events with different sources: the
    smallest record, field by field in :data:`SESSION_SOURCE_FIELDS` order, a missing value first,
    text in code-point order (the SQL orders by the same keys: ``dimensions._session_sources_sql``)."""
    return tuple((v is not None, "" if v is None else str(v)) for v in src)


def session_sources(events: Iterable[Event]) -> dict[int, SessionSource]:
    """Rule 8's traffic source of each session of one user's events (sessions without one are absent):
    that of the session's earliest event (``event_timestamp``) that carries a source; among
    several at that time, the smallest (:func:`source_order`)."""
    best: dict[int, tuple[tuple[Any, ...], SessionSource]] = {}
    for e in events:
        sid = session_id(e)
        if sid is None:
            continue
        src = _event_source(e)
        if src[0] is None:
            continue
        key = (int(e["event_timestamp"]), source_order(src))
        if sid not in best or key < best[sid][0]:
            best[sid] = (key, src)
    return {sid: src for sid, (_key, src) in best.items()}


def _user_property_text(event: Event, name: str) -> str | None:
    for p in event.get("user_properties") or ():
        if p.get("key") == name:
            v = p.get("value") or {}
            if v.get("string_value") is not None:
                return str(v["string_value"])
            if v.get("int_value") is not None:
                return str(int(v["int_value"]))
            if v.get("double_value") is not None:
                return double_text(float(v["double_value"]))
            return None
    return None


def new_vs_returning(session_number: float | None) -> str | None:
    """``newVsReturning`` of an event whose ``ga_session_number`` is ``session_number`` (None: not set)."""
    if session_number is None or session_number < 1:
        return None
    return "new" if session_number == 1 else "returning"


def dimension_value(name: str, event: Event, sessions: Mapping[int, SessionSource]) -> str:
    """Rule 3b's value of the dimension ``name`` on ``event`` (``sessions``: :func:`session_sources`
    of the user's events); ``(not set)`` when missing."""
    value: Any
    if name in EVENT_DIMENSION_FIELDS:
        value = _path(event, EVENT_DIMENSION_FIELDS[name])
    elif name in PAGE_DIMENSION_PARAMETERS:
        value = param_text(event, PAGE_DIMENSION_PARAMETERS[name])
    elif name == NEW_VS_RETURNING:
        value = new_vs_returning(param_number(event, "ga_session_number"))
    elif name.startswith("customEvent:"):
        value = param_text(event, name.split(":", 1)[1])
    elif name.startswith("customUser:"):
        value = _user_property_text(event, name.split(":", 1)[1])
    elif name == FIRST_USER_CHANNEL_DIMENSION:
        first = event.get("traffic_source") or {}
        value = default_channel(first.get("source"), first.get("medium"), first.get("name"))
    elif name in SESSION_DIMENSION_DEFAULTS:
        sid = session_id(event)
        if sid is None:
            return NOT_SET
        if sid not in sessions:
            return SESSION_DIMENSION_DEFAULTS[name]
        src = sessions[sid]
        if name == "sessionDefaultChannelGroup":
            value = default_channel(src.source, NOT_SET if src.medium is None else src.medium, src.campaign)
        else:
            parts = (getattr(src, f) for f in SESSION_DIMENSIONS[name][0])
            value = " / ".join(NOT_SET if v is None else str(v) for v in parts)
    else:
        raise FunnelDefinitionError(step_dimension_problem(name) or f"unknown dimension {name!r}")
    return NOT_SET if value is None else str(value)


def dimension_filter_holds(f: DimensionFilter, event: Event, sessions: Mapping[int, SessionSource]) -> bool:
    """Rule 3b for one dimension condition (``negated`` included)."""
    text = dimension_value(f.dimension, event, sessions)
    positive = compare(f.op, f.value, f.case_sensitive, text, lambda: float(text) if NUMBER_TEXT.fullmatch(text) else None)
    return positive != f.negated


def condition_holds(condition: StepCondition, event: Event, sessions: Mapping[int, SessionSource]) -> bool:
    """Rule 3c: does ``event`` satisfy the step condition?"""
    if isinstance(condition, EventMatch):
        return event["event_name"] == condition.event and all(filter_holds(f, event) for f in condition.filters)
    if isinstance(condition, DimensionFilter):
        return dimension_filter_holds(condition, event, sessions)
    if isinstance(condition, AllOf):
        return all(condition_holds(p, event, sessions) for p in condition.parts)
    if isinstance(condition, AnyOf):
        return any(condition_holds(p, event, sessions) for p in condition.parts)
    return not condition_holds(condition.part, event, sessions)


def condition_dimensions(condition: StepCondition) -> set[str]:
    """The dimensions a condition reads."""
    if isinstance(condition, DimensionFilter):
        return {condition.dimension}
    if isinstance(condition, (AllOf, AnyOf)):
        return set().union(*(condition_dimensions(p) for p in condition.parts))
    if isinstance(condition, Not):
        return condition_dimensions(condition.part)
    return set()


def condition_event_names(condition: StepCondition) -> frozenset[str] | None:
    """The event names an event must have to satisfy the condition, None when any name may (rule 3c)."""
    if isinstance(condition, EventMatch):
        return frozenset({condition.event})
    if isinstance(condition, AllOf):
        known = [n for n in (condition_event_names(p) for p in condition.parts) if n is not None]
        return frozenset.intersection(*known) if known else None
    if isinstance(condition, AnyOf):
        names = [condition_event_names(p) for p in condition.parts]
        return None if any(n is None for n in names) else frozenset().union(*names)  # type: ignore[arg-type]
    return None


def step_matches(step: FunnelStep, event: Event, sessions: Mapping[int, SessionSource] | None = None) -> bool:
    """Rules 3 to 3c: the event satisfies the step's condition (``sessions``: needed by session dimensions)."""
    return condition_holds(step.condition, event, sessions or {})


# ---------------------------------------------------------------------------------------------
# Rules 4 to 6: the reference implementation (small data, tests)


@dataclass(frozen=True)
class UserProgress:
    """One user in one funnel: which steps they reached and from which they continued."""

    reached: tuple[bool, ...]
    continued: tuple[bool, ...]  # continued[k]: went on from step k to step k+1 (last is False)
    #: The events by which the user entered the funnel (rule 8): those of the entry moment that
    #: satisfy the entry condition (usually one). Empty when the user did not enter.
    entries: tuple[Event, ...]
    #: The earliest moment (rule 2) at which the user reached each step (rule 4; open funnels:
    #: the earliest event satisfying it), None where not reached (rule 10).
    reached_at: tuple[int | None, ...] = ()
    #: Every moment of the user's events, in order, with the event (rule 10's "next" event).
    timeline: tuple[tuple[int, Event], ...] = ()

    def entry_value(self, value: Callable[[Event], Any]) -> Any:
        """Rule 8's breakdown value: the smallest ``value(event)`` over the entry events (None if none)."""
        values = [value(e) for e in self.entries]
        return min(values) if values else None


def reads_sessions(*conditions: StepCondition | None) -> bool:
    """Does one of the conditions read a session dimension (rule 3b)?"""
    return any(c is not None and condition_dimensions(c) & set(SESSION_DIMENSION_DEFAULTS) for c in conditions)


def segment_events(
    events: Sequence[Event], segment: Segment, sessions: Mapping[int, SessionSource] | None = None
) -> list[Event]:
    """Rule 11: the events of one user (all their events of the date range) that ``segment`` keeps.

    ``sessions``: :func:`session_sources` of those events (computed when None and needed)."""
    if sessions is None:
        sessions = session_sources(events) if reads_sessions(segment.condition, segment.exclusion) else {}

    def holds(c: StepCondition | None, e: Event) -> bool:
        return c is not None and condition_holds(c, e, sessions)

    if segment.scope == "event":
        return [e for e in events if holds(segment.condition, e) and not holds(segment.exclusion, e)]
    if segment.scope == "user":
        if any(holds(segment.exclusion, e) for e in events):
            return []
        return list(events) if any(holds(segment.condition, e) for e in events) else []
    kept = {session_id(e) for e in events if holds(segment.condition, e)}
    kept -= {session_id(e) for e in events if holds(segment.exclusion, e)}
    kept.discard(None)
    return [e for e in events if session_id(e) in kept]


def validate_segment(segment: Segment) -> None:
    """Raise :class:`FunnelDefinitionError` for a segment no engine can compute."""
    if segment.scope not in ("user", "session", "event"):
        raise FunnelDefinitionError(f"segment {segment.name!r}: scope must be user, session or event, got {segment.scope!r}")
    _validate_condition(segment.condition, f"segment {segment.name!r}")
    if segment.exclusion is not None:
        _validate_condition(segment.exclusion, f"segment {segment.name!r}, exclusion")


def user_progress(
    events: Iterable[Event], funnel: Funnel, sessions: Mapping[int, SessionSource] | None = None
) -> UserProgress:
    """Rules 2 to 6 and 8 for one user's events (in any order).

    ``sessions``: the traffic sources of the user's sessions (:func:`session_sources`), when
    ``events`` are not all the user's events (rule 11); computed from ``events`` when None."""
    ordered = sorted(events, key=moment)
    moments = [moment(e) for e in ordered]
    # Rule 5: the moment right after each moment, among all the user's events.
    distinct = sorted(set(moments))
    after = {m: distinct[i + 1] if i + 1 < len(distinct) else None for i, m in enumerate(distinct)}
    steps = funnel.steps
    n = len(steps)
    if sessions is None:
        sessions = session_sources(ordered) if reads_sessions(*(s.condition for s in steps)) else {}
    matches = [[step_matches(step, e, sessions) for step in steps] for e in ordered]
    windows = [within_micros(step) for step in steps]

    def allowed(prior: int, this: int, k: int) -> bool:
        """May event ``this`` satisfy step k (0-based, k > 0) after event ``prior`` reached step k-1?"""
        if moments[this] <= moments[prior]:
            return False
        if steps[k].directly_followed and after[moments[prior]] != moments[this]:
            return False
        window = windows[k]
        return window is None or ordered[this]["event_timestamp"] - ordered[prior]["event_timestamp"] <= window

    if funnel.open:
        # Rule 6: every matching event is an entry; continuing is one valid transition.
        at = [[i for i, m in enumerate(matches) if m[k]] for k in range(n)]
        reached = tuple(bool(at[k]) for k in range(n))
        continued = tuple(k + 1 < n and any(allowed(p, t, k + 1) for t in at[k + 1] for p in at[k]) for k in range(n))
        entering = [i for i, m in enumerate(matches) if any(m)]
        by_step = at
    else:
        # Rule 4: the events by which the user reached each step, step by step.
        reached_by: list[list[int]] = [[i for i, m in enumerate(matches) if m[0]]]
        for k in range(1, n):
            prior = reached_by[-1]
            reached_by.append([t for t, m in enumerate(matches) if m[k] and any(allowed(p, t, k) for p in prior)])
        reached = tuple(bool(r) for r in reached_by)
        continued = tuple(k + 1 < n and reached[k + 1] for k in range(n))
        entering = reached_by[0]
        by_step = reached_by
    first = min((moments[i] for i in entering), default=None)
    entries = tuple(ordered[i] for i in entering if moments[i] == first)
    reached_at = tuple(min((moments[i] for i in events_k), default=None) for events_k in by_step)
    return UserProgress(
        reached=reached,
        continued=continued,
        entries=entries,
        reached_at=reached_at,
        timeline=tuple(zip(moments, ordered)),
    )


def reference_funnel(
    events_by_user: Mapping[str, Sequence[Event]], funnel: Funnel, segment: Segment | None = None
) -> list[int]:
    """Users per step (rules 1 to 6), in plain Python: the oracle the SQL engine is tested against.

    ``events_by_user`` maps ``user_pseudo_id`` to that user's export-shaped events (already
    limited to the report's dates).
    """
    return reference_detail(events_by_user, funnel, segment)[0]


def reference_detail(
    events_by_user: Mapping[str, Sequence[Event]], funnel: Funnel, segment: Segment | None = None
) -> tuple[list[int], list[int]]:
    """Users per step and users who continued from each step to the next (rules 4 to 7; rule 11
    with a ``segment``)."""
    validate(funnel)
    n = len(funnel.steps)
    users = [0] * n
    continued = [0] * n
    for events in events_by_user.values():
        progress = segmented_progress(events, funnel, segment)
        for k in range(n):
            users[k] += progress.reached[k]
            continued[k] += progress.continued[k]
    return users, continued


def trend_date(event: Event) -> str:
    """Rule 9's value of an entry event: its ``event_date`` (``YYYYMMDD``)."""
    return str(event["event_date"])


def reference_trend(events_by_user: Mapping[str, Sequence[Event]], funnel: Funnel) -> dict[str, tuple[list[int], list[int]]]:
    """Rule 9 in plain Python: per entry date, users per step and users who continued."""
    validate(funnel)
    n = len(funnel.steps)
    out: dict[str, tuple[list[int], list[int]]] = {}
    for events in events_by_user.values():
        progress = user_progress(events, funnel)
        day = progress.entry_value(trend_date)
        if day is None:
            continue
        users, continued = out.setdefault(day, ([0] * n, [0] * n))
        for k in range(n):
            users[k] += progress.reached[k]
            continued[k] += progress.continued[k]
    return out




def next_action_problem(dimension: str) -> str | None:
    """Why a next action cannot read ``dimension`` (None when it can; rule 10)."""
    if dimension in NEXT_ACTION_DIMENSIONS:
        return None
    return f"a next action cannot read {dimension!r}: use one of {', '.join(NEXT_ACTION_DIMENSIONS)}"


def next_action(progress: UserProgress, k: int, dimension: str) -> tuple[bool, str | None]:
    """Rule 10 for one user and step ``k`` (0-based): whether the user left the funnel after step k,
    and the dimension's value on their next event (None: no later event, or did not leave)."""
    if problem := next_action_problem(dimension):
        raise FunnelDefinitionError(problem)
    at = progress.reached_at[k]
    if at is None or progress.continued[k]:
        return False, None
    later = [(m, e) for m, e in progress.timeline if m > at]
    if not later:
        return True, None
    first = later[0][0]
    return True, min(dimension_value(dimension, e, {}) for m, e in later if m == first)


def reference_next_actions(
    events_by_user: Mapping[str, Sequence[Event]], funnel: Funnel, dimension: str
) -> dict[int, tuple[int, dict[str, int]]]:
    """Rule 10 in plain Python: per step number (1-based, not the last), the users who left after
    it and how many of them had each next value."""
    validate(funnel)
    n = len(funnel.steps)
    out: dict[int, tuple[int, dict[str, int]]] = {k: (0, {}) for k in range(1, n)}
    for events in events_by_user.values():
        progress = user_progress(events, funnel)
        for k in range(n - 1):
            left, value = next_action(progress, k, dimension)
            if not left:
                continue
            count, values = out[k + 1]
            if value is not None:
                values[value] = values.get(value, 0) + 1
            out[k + 1] = (count + 1, values)
    return out


def segmented_progress(events: Sequence[Event], funnel: Funnel, segment: Segment | None) -> UserProgress:
    """:func:`user_progress` of one user's events, restricted to ``segment`` (rule 11) when given."""
    if segment is None:
        return user_progress(events, funnel)
    validate_segment(segment)
    needed = reads_sessions(segment.condition, segment.exclusion, *(s.condition for s in funnel.steps))
    sessions = session_sources(events) if needed else {}
    return user_progress(segment_events(events, segment, sessions), funnel, sessions)
