"""What ``ga-goals check`` finds: :class:`Finding` (one thing wrong between a plan and its data),
the :data:`KINDS` of findings, and :class:`CheckResult` (every finding of one run, and its JSON).

A finding has a kind (what was checked), a severity (``error``: the plan's promise is broken, such
as a key event that never fires; ``warning``: worth a look, such as an undeclared event; ``info``:
something that could not be checked), a subject (the event, parameter or funnel), a one-line
message, the plan-file location of the declaration when there is one, and its figures (the
numbers behind it, for JSON). New kinds register with :func:`register_kind`; the JSON format
(``ga-goals-check/1``) stays the same when kinds are added.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from ga_goals.errors import Location

Severity = Literal["info", "warning", "error"]
#: Severities from the least to the most serious.
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "error")
#: The ``format`` key of a check's JSON; changes only when the format does, not when kinds are added.
JSON_FORMAT = "ga-goals-check/1"


@dataclass(frozen=True)
class Kind:
    """A kind of finding: its key in JSON, a title, its usual severity and what it means."""

    name: str
    title: str
    severity: Severity
    meaning: str


#: Every kind of finding, by name, in the order a check reports them.
KINDS: dict[str, Kind] = {}


def register_kind(name: str, title: str, severity: Severity, meaning: str) -> Kind:
    """Add a kind of finding (a new check); names are unique."""
    if name in KINDS:
        raise ValueError(f"finding kind {name!r} is already registered")
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}: use one of {', '.join(SEVERITIES)}")
    KINDS[name] = Kind(name, title, severity, meaning)
    return KINDS[name]


EVENT_NEVER_FIRED = register_kind(
    "event_never_fired",
    "Declared events that never fired",
    "error",
    "A conversion or event of the plan had no events in the period (an error for key events, "
    "a warning for the others).",
)
UNDECLARED_EVENT = register_kind(
    "undeclared_event",
    "Events no plan declares",
    "warning",
    "The property received an event the plan does not declare (GA4's automatically collected "
    "events aside): the top ones by count.",
)
PARAMETER_NEVER_ARRIVES = register_kind(
    "parameter_never_arrives",
    "Custom dimensions whose parameter never arrives",
    "error",
    "No event of the period carried the parameter (or user property, or item parameter) a custom "
    "dimension of the plan reads.",
)
MICRO_WITHOUT_LIFT = register_kind(
    "micro_without_lift",
    "Micro conversions that do not lead to the macro conversion",
    "warning",
    "Users who did the micro conversion did the macro conversion after it no more often than all "
    "users did, with enough users to tell: a candidate to drop, to keep the tracked set small.",
)
FUNNEL_EMPTY = register_kind(
    "funnel_first_step_empty",
    "Funnels whose first step has no users",
    "error",
    "Nobody reached the funnel's first step in the period.",
)
PARAMETER_MISSING = register_kind(
    "parameter_missing",
    "Required parameters missing",
    "error",
    "Events of a schema arrived without a parameter (or item parameter) the plan declares required: "
    "the events affected, their share, the first and last day seen.",
)
PARAMETER_WRONG_TYPE = register_kind(
    "parameter_wrong_type",
    "Parameters of the wrong type",
    "error",
    "A declared parameter arrived as another type than declared (a number sent as text is not summed "
    "into value metrics): the events affected, an example value.",
)
PARAMETER_NOT_ALLOWED = register_kind(
    "parameter_value_not_allowed",
    "Parameter values outside the allowed values or pattern",
    "warning",
    "A declared parameter arrived with a value outside its allowed values, or not matching its pattern.",
)
PARAMETER_UNDECLARED = register_kind(
    "parameter_undeclared",
    "Parameters the schema does not declare",
    "warning",
    "Events of a closed schema carried a parameter (or item parameter) it does not declare; GA4's "
    "automatically collected parameters and standard item parameters never count.",
)
DATA_CAVEAT = register_kind(
    "data_caveat",
    "What GA4 said about the data",
    "info",
    "The Data API answered part of the check thresholded (rows with few users may be withheld), "
    "sampled, or with rows grouped into (other): findings resting on it may be off for rare "
    "events. The export engines read every event.",
)
NOT_CHECKED = register_kind(
    "not_checked",
    "Not checked",
    "info",
    "Something the engine cannot see (the Data API sees only registered custom dimensions, and no "
    "item-scoped ones); the export engines can.",
)


@dataclass(frozen=True)
class Finding:
    """One thing a check found."""

    kind: str
    severity: Severity
    #: What it is about: an event name, ``customEvent:form_id``, a funnel name.
    subject: str
    #: One line saying what was found and what to do.
    message: str
    #: Where the plan declares the subject (None for what the plan does not declare).
    where: Location | None = None
    #: The numbers behind the finding (counts, rates), for JSON.
    figures: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown finding kind {self.kind!r}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "subject": self.subject,
            "message": self.message,
            "where": str(self.where) if self.where is not None else None,
            "figures": dict(self.figures),
        }


def at_least(severity: Severity, level: Severity) -> bool:
    """``severity`` is ``level`` or more serious."""
    return SEVERITIES.index(severity) >= SEVERITIES.index(level)


@dataclass
class CheckResult:
    """Every finding of one check of a plan against its property's data."""

    plan_source: str
    environment: str | None
    property: str
    engine: str
    #: The period read: the last ``days`` days ending yesterday in the property's time zone.
    start: date
    end: date
    time_zone: str
    findings: list[Finding]
    #: Per kind, findings left out of the list (undeclared events beyond ``--top``): count.
    omitted: dict[str, int] = field(default_factory=dict)
    #: Where the data came from, and what reading it cost (``SourceUsage.summary()``).
    usage: str = ""
    #: The source's usage as JSON (calls, quota tokens or bytes).
    usage_json: dict[str, Any] = field(default_factory=dict)
    generated_at: datetime | None = None
    #: What the parameter checks covered (``events``, ``event_names``, ``parameters``), empty
    #: when the plan has no event schemas.
    checked: dict[str, Any] = field(default_factory=dict)

    @builtins.property  # the field `property` hides the builtin in this class
    def days(self) -> int:
        return int((self.end - self.start).days) + 1

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def fails(self, level: Severity | None) -> bool:
        """Some finding is ``level`` or more serious (``level`` None: never)."""
        return level is not None and any(at_least(f.severity, level) for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": JSON_FORMAT,
            "plan": self.plan_source,
            "environment": self.environment,
            "property": self.property,
            "engine": self.engine,
            "period": {"start": self.start.isoformat(), "end": self.end.isoformat(), "days": self.days, "time_zone": self.time_zone},
            "generated_at": self.generated_at.isoformat() if self.generated_at else None,
            "summary": {s: self.count(s) for s in reversed(SEVERITIES)},
            "findings": [f.to_json() for f in self.findings],
            "omitted": dict(self.omitted),
            "source": {"summary": self.usage, **self.usage_json},
            "checked": dict(self.checked),
        }
