"""Funnel semantics: the rules every funnel engine of ga-goals follows, and a reference implementation.

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
   carries one (``session_traffic_source_last_click``, else ``collected_traffic_source``, else
   the ``source``/``medium``/``campaign`` parameters); a session without any is direct. A
   missing value is ``(not set)``. So the breakdown rows add up to the
   totals, and each row is a funnel of its own (closed: never growing).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ga_goals.errors import GaGoalsError
from ga_goals.regex import re2_problem
from ga_goals.model.tracking_plan import Funnel, FunnelStep, StepFilter

#: Filter operators (``StepFilter.op``).
TEXT_OPS = frozenset({"contains", "starts_with", "ends_with", "matches", "in"})
NUMERIC_OPS = frozenset({"greater_than", "greater_than_or_equal", "less_than", "less_than_or_equal"})
OPS = TEXT_OPS | NUMERIC_OPS | {"equals"}

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


def validate(funnel: Funnel) -> None:
    """Raise :class:`FunnelDefinitionError` for a funnel no engine can compute."""
    if not funnel.steps:
        raise FunnelDefinitionError(f"funnel {funnel.name!r} has no steps")
    for number, step in enumerate(funnel.steps, start=1):
        if not step.event:
            raise FunnelDefinitionError(f"funnel {funnel.name!r}, step {number}: no event name")
        if step.within_seconds is not None and step.within_seconds < 0:
            raise FunnelDefinitionError(f"funnel {funnel.name!r}, step {number}: 'within' must not be negative")
        for f in step.filters:
            if f.op not in OPS:
                raise FunnelDefinitionError(
                    f"funnel {funnel.name!r}, step {number}: unknown filter operator {f.op!r} "
                    f"(one of {', '.join(sorted(OPS))})"
                )
            if f.op == "in" and not isinstance(f.value, (tuple, list)):
                raise FunnelDefinitionError(f"funnel {funnel.name!r}, step {number}: 'in' needs a list of values")
            if f.op in NUMERIC_OPS and not _is_number(f.value):
                raise FunnelDefinitionError(
                    f"funnel {funnel.name!r}, step {number}: {f.op!r} needs a number, got {f.value!r}"
                )
            if f.op == "matches" and (problem := re2_problem(str(f.value))):
                raise FunnelDefinitionError(
                    f"funnel {funnel.name!r}, step {number}: bad regular expression {f.value!r}: {problem}"
                )


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
    return _positive(f, event) != f.negated


def _positive(f: StepFilter, event: Event) -> bool:
    op = f.op
    if op in NUMERIC_OPS or (op == "equals" and _is_number(f.value)):
        number = param_number(event, f.parameter)
        if number is None:
            return False
        target = float(f.value)  # type: ignore[arg-type]
        if op == "equals":
            return number == target
        if op == "greater_than":
            return number > target
        if op == "greater_than_or_equal":
            return number >= target
        if op == "less_than":
            return number < target
        return number <= target
    text = param_text(event, f.parameter)
    if text is None:
        return False
    if op == "matches":
        flags = 0 if f.case_sensitive else re.IGNORECASE
        return re.fullmatch(str(f.value), text, flags) is not None
    fold = (lambda s: s) if f.case_sensitive else str.lower
    text = fold(text)
    if op == "in":
        return text in {fold(filter_text(v)) for v in f.value}  # type: ignore[union-attr]
    value = fold(filter_text(f.value))
    if op == "equals":
        return text == value
    if op == "contains":
        return value in text
    if op == "starts_with":
        return text.startswith(value)
    if op == "ends_with":
        return text.endswith(value)
    raise FunnelDefinitionError(f"unknown filter operator {op!r}")


def step_matches(step: FunnelStep, event: Event) -> bool:
    """Rule 3: the event's name is the step's event and every filter holds."""
    return event["event_name"] == step.event and all(filter_holds(f, event) for f in step.filters)


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

    def entry_value(self, value: Callable[[Event], Any]) -> Any:
        """Rule 8's breakdown value: the smallest ``value(event)`` over the entry events (None if none)."""
        values = [value(e) for e in self.entries]
        return min(values) if values else None


def user_progress(events: Iterable[Event], funnel: Funnel) -> UserProgress:
    """Rules 2 to 6 and 8 for one user's events (in any order)."""
    ordered = sorted(events, key=moment)
    moments = [moment(e) for e in ordered]
    # Rule 5: the moment right after each moment, among all the user's events.
    distinct = sorted(set(moments))
    after = {m: distinct[i + 1] if i + 1 < len(distinct) else None for i, m in enumerate(distinct)}
    steps = funnel.steps
    n = len(steps)
    matches = [[step_matches(step, e) for step in steps] for e in ordered]
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
    else:
        # Rule 4: the events by which the user reached each step, step by step.
        reached_by: list[list[int]] = [[i for i, m in enumerate(matches) if m[0]]]
        for k in range(1, n):
            prior = reached_by[-1]
            reached_by.append([t for t, m in enumerate(matches) if m[k] and any(allowed(p, t, k) for p in prior)])
        reached = tuple(bool(r) for r in reached_by)
        continued = tuple(k + 1 < n and reached[k + 1] for k in range(n))
        entering = reached_by[0]
    first = min((moments[i] for i in entering), default=None)
    entries = tuple(ordered[i] for i in entering if moments[i] == first)
    return UserProgress(reached=reached, continued=continued, entries=entries)


def reference_funnel(events_by_user: Mapping[str, Sequence[Event]], funnel: Funnel) -> list[int]:
    """Users per step (rules 1 to 6), in plain Python: the oracle the SQL engine is tested against.

    ``events_by_user`` maps ``user_pseudo_id`` to that user's export-shaped events (already
    limited to the report's dates).
    """
    return reference_detail(events_by_user, funnel)[0]


def reference_detail(events_by_user: Mapping[str, Sequence[Event]], funnel: Funnel) -> tuple[list[int], list[int]]:
    """Users per step and users who continued from each step to the next (rules 4 to 7)."""
    validate(funnel)
    n = len(funnel.steps)
    users = [0] * n
    continued = [0] * n
    for events in events_by_user.values():
        progress = user_progress(events, funnel)
        for k in range(n):
            users[k] += progress.reached[k]
            continued[k] += progress.continued[k]
    return users, continued
