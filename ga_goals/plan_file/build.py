"""Turning a checked plan document into the model's objects (``ga_goals.model``)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import PurePath

from ga_goals.units import parse_bytes

from typing import Any, Literal

from ga_goals.errors import Location
from ga_goals.model.tracking_plan import NEXT_ACTION_LIMIT_MAX
from ga_goals.model import (
    DataSource,
    DEFAULT_STAGES,
    SANDBOX,
    Alert,
    Segment,
    SplitTest,
    Trend,
    NextAction,
    Condition,
    Conversion,
    CustomDimension,
    CustomMetric,
    Email,
    Environment,
    EventCreateRule,
    Funnel,
    FunnelStep,
    AllOf,
    AnyOf,
    DimensionFilter,
    EventMatch,
    Not,
    StepCondition,
    Mutation,
    Period,
    Report,
    Safety,
    StepFilter,
    TrackedEvent,
    TrackingPlan,
)
from ga_goals.plan_file.document import Document, Path
from ga_goals.plan_file.parameters import Resolver, parameter_name
from ga_goals.plan_file.rules import create_rules, ga4_value, normalise_tier, parse_date, parse_duration
from ga_goals.plan_file.schema import FILTER_COMPARISONS, NUMERIC_COMPARISONS, RULE_COMPARISONS

#: Plan-file comparison -> (MatchingCondition comparison, its case-insensitive variant).
_COMPARISON = {
    "equals": ("equals", "equals_case_insensitive"),
    "contains": ("contains", "contains_case_insensitive"),
    "starts_with": ("starts_with", "starts_with_case_insensitive"),
    "ends_with": ("ends_with", "ends_with_case_insensitive"),
    "matches": ("regular_expression", "regular_expression_case_insensitive"),
    **{op: (op, op) for op in NUMERIC_COMPARISONS},
}


def normalise_property(value: Any) -> str:
    """``sandbox``, or the bare numeric id (``properties/123`` and ``123`` -> ``"123"``)."""
    text = str(value).strip()
    if text == SANDBOX:
        return SANDBOX
    return text.removeprefix("properties/")


def default_title(name: str) -> str:
    """``browse_to_buy`` -> ``Browse to buy``."""
    text = name.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


#: The keys of a funnel step that say what an event must satisfy (a segment's conditions use them).
_CONDITION_KEYS = ("event", "any", "where", "when")


class _Builder:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.data: dict[str, Any] = doc.data
        stream = self.data.get("stream")
        self.stream = None if stream is None else str(stream)
        self.currency = self.data.get("currency")
        self.segments: dict[str, Segment] = {}

    def key(self, path: Path) -> Location:
        return self.doc.key_at(path)

    def conversion(self, kind: Literal["macro", "micro"], name: str, spec: dict[str, Any]) -> Conversion:
        value = spec.get("value")
        default_value: float | None = None
        currency: str | None = None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            default_value, currency = float(value), self.currency
        elif isinstance(value, dict):
            default_value = float(value["default"])
            currency = value.get("currency", self.currency)
        rules = tuple(
            self.rule(name, index, rule) for index, (_, rule) in enumerate(create_rules(spec.get("created_from")))
        )
        return Conversion(
            event_name=name,
            kind=kind,
            stage=spec.get("stage"),
            counting=spec.get("counting", "once_per_event"),
            default_value=default_value,
            currency=currency,
            description=spec.get("description", ""),
            key_event=spec.get("key_event", True),
            created_from=rules,
            where=self.key(("conversions", kind, name)),
        )

    def rule(self, destination: str, index: int, rule: dict[str, Any]) -> EventCreateRule:
        conditions = tuple(self.condition(c) for c in rule.get("when", []))
        mutations = tuple(
            Mutation(m["parameter"], f"[[{m['copy_from']}]]" if "copy_from" in m else ga4_value(m["value"]))
            for m in rule.get("set", [])
        )
        stream = rule.get("stream")
        return EventCreateRule(
            destination_event=destination,
            conditions=conditions,
            copy_parameters=rule.get("copy_parameters", False),
            mutations=mutations,
            stream=self.stream if stream is None else str(stream),
            index=index,
        )

    @staticmethod
    def condition(spec: dict[str, Any]) -> Condition:
        insensitive = spec.get("case_sensitive", True) is False
        negated = spec.get("negate", False)
        if "event_name" in spec:
            field, op, value = "event_name", "equals", spec["event_name"]
        else:
            op = next(o for o in RULE_COMPARISONS if o in spec)
            field, value = spec["parameter"], spec[op]
        return Condition(field, _COMPARISON[op][1 if insensitive else 0], ga4_value(value), negated)

    def step(self, path: Path, spec: Any) -> FunnelStep:
        if isinstance(spec, str):
            return FunnelStep(name=spec, event=spec, where=self.doc.at(path))
        within = spec.get("within")
        parts: list[StepCondition] = []
        if "any" in spec:
            alternatives = tuple(self.alternative(a) for a in spec["any"])
            parts.append(alternatives[0] if len(alternatives) == 1 else AnyOf(alternatives))
            default_name = " or ".join(a if isinstance(a, str) else a["event"] for a in spec["any"])
        elif "event" in spec:
            parts.append(EventMatch(spec["event"], tuple(self.step_filter(f) for f in spec.get("where", []))))
            default_name = spec["event"]
        else:
            default_name = f"Step {path[-1] + 1}" if isinstance(path[-1], int) else "Step"
        parts += [self.step_condition(c) for c in spec.get("when", [])]
        return FunnelStep(
            name=spec.get("name", default_name),
            condition=parts[0] if len(parts) == 1 else AllOf(tuple(parts)),
            directly_followed=spec.get("directly_followed", False),
            within_seconds=None if within is None else float(parse_duration(within)),
            where=self.doc.at(path),
        )

    def alternative(self, spec: Any) -> StepCondition:
        """One of a step's ``any`` alternatives: an event name, or {event, where, when}."""
        if isinstance(spec, str):
            return EventMatch(spec)
        match = EventMatch(spec["event"], tuple(self.step_filter(f) for f in spec.get("where", [])))
        when = [self.step_condition(c) for c in spec.get("when", [])]
        return AllOf((match, *when)) if when else match

    @classmethod
    def step_condition(cls, spec: dict[str, Any]) -> StepCondition:
        """A ``when`` condition: {dimension, <comparison>}, {any: [...]}, {all: [...]} or {not: ...}."""
        if "any" in spec:
            return AnyOf(tuple(cls.step_condition(c) for c in spec["any"]))
        if "all" in spec:
            return AllOf(tuple(cls.step_condition(c) for c in spec["all"]))
        if "not" in spec:
            return Not(cls.step_condition(spec["not"]))
        if "between" in spec:
            low, high = spec["between"]
            return DimensionFilter(spec["dimension"], "between", (float(low), float(high)), negated=spec.get("negate", False))
        f = cls.step_filter({**spec, "parameter": spec["dimension"]})
        return DimensionFilter(spec["dimension"], f.op, f.value, f.case_sensitive, f.negated)

    @staticmethod
    def step_filter(spec: dict[str, Any]) -> StepFilter:
        op = next(o for o in FILTER_COMPARISONS if o in spec)
        raw = spec[op]
        value: str | float | tuple[str, ...]
        if op == "in":
            value = tuple(ga4_value(v) for v in raw)
        elif op in NUMERIC_COMPARISONS or (isinstance(raw, (int, float)) and not isinstance(raw, bool)):
            value = float(raw)
        else:
            value = ga4_value(raw)
        return StepFilter(
            parameter=spec["parameter"],
            op=op,
            value=value,
            case_sensitive=spec.get("case_sensitive", True),
            negated=spec.get("negate", False),
        )

    def segment(self, name: str, spec: dict[str, Any]) -> Segment:
        """A ``segments:`` entry: its conditions are a funnel step's (event / any, where, when)."""
        path: Path = ("segments", name)
        exclude = spec.get("exclude")
        return Segment(
            name=name,
            scope=spec["scope"],
            condition=self.step(path, {k: v for k, v in spec.items() if k in _CONDITION_KEYS}).condition,
            title=spec.get("title") or default_title(name),
            exclusion=None if exclude is None else self.step(path + ("exclude",), exclude).condition,
            where=self.key(path),
        )

    def segment_refs(self, spec: dict[str, Any]) -> tuple[Segment, ...]:
        """The segments a funnel or a report names in ``segment`` (a name or a list of names)."""
        names = spec.get("segment") or ()
        return tuple(self.segments[n] for n in ([names] if isinstance(names, str) else names))

    def funnel(self, name: str, spec: dict[str, Any]) -> Funnel:
        path: Path = ("funnels", name)
        breakdown = spec.get("breakdown")
        limit = 5
        if isinstance(breakdown, dict):
            breakdown, limit = breakdown["dimension"], breakdown.get("limit", 5)
        return Funnel(
            name=name,
            title=spec.get("title") or default_title(name),
            steps=tuple(self.step(path + ("steps", i), s) for i, s in enumerate(spec["steps"])),
            open=spec.get("open", False),
            breakdown=breakdown,
            breakdown_limit=limit,
            description=spec.get("description", ""),
            where=self.key(path),
            segments=self.segment_refs(spec),
        )

    def report(self, name: str, spec: dict[str, Any]) -> Report:
        path: Path = ("reports", name)
        period_spec = spec.get("period", "last_7_days")
        if isinstance(period_spec, dict):
            period = Period("custom", parse_date(period_spec["start"]), parse_date(period_spec["end"]))
        else:
            period = Period(period_spec)
        alerts = tuple(
            Alert(
                metric=a["metric"],
                funnel=a.get("funnel"),
                event=a.get("event"),
                below=None if a.get("below") is None else float(a["below"]),
                above=None if a.get("above") is None else float(a["above"]),
                significant=bool(a.get("significant", False)),
                confidence=float(a.get("confidence", 0.95)),
                min_count=None if a.get("min_count") is None else int(a["min_count"]),
                where=self.doc.at(path + ("alerts", i)),
            )
            for i, a in enumerate(spec.get("alerts", []))
        )
        split_tests = tuple(
            SplitTest(
                funnel=t["funnel"],
                by=t["by"],
                control=str(t["control"]),
                values=tuple(str(v) for v in t.get("values", ())),
                title=t.get("title", ""),
                confidence=float(t.get("confidence", 0.95)),
                where=self.doc.at(path + ("split_tests", i)),
            )
            for i, t in enumerate(spec.get("split_tests", []))
        )
        trends = tuple(
            Trend(funnel=t["funnel"], by=t.get("by", "day"), where=self.doc.at(path + ("trends", i)))
            for i, t in enumerate(spec.get("trends", []))
        )
        next_actions = tuple(
            NextAction(
                funnel=t["funnel"],
                dimension=t.get("dimension", "eventName"),
                limit=int(t.get("limit", NEXT_ACTION_LIMIT_MAX)),
                where=self.doc.at(path + ("next_actions", i)),
            )
            for i, t in enumerate(spec.get("next_actions", []))
        )
        email_spec = spec.get("email")
        email = None
        if isinstance(email_spec, dict):
            extra = {"subject": email_spec["subject"]} if "subject" in email_spec else {}
            email = Email(to=tuple(email_spec["to"]), cc=tuple(email_spec.get("cc", [])), **extra)
        extra_formats = {"formats": tuple(spec["formats"])} if "formats" in spec else {}
        return Report(
            name=name,
            title=spec.get("title") or default_title(name),
            period=period,
            compare=spec.get("compare", "previous_period"),
            funnels=tuple(spec.get("funnels", [])),
            key_events=tuple(spec.get("key_events", [])),
            macro=spec.get("macro"),
            alerts=alerts,
            email=email,
            split_tests=split_tests,
            trends=trends,
            next_actions=next_actions,
            where=self.key(path),
            segments=self.segment_refs(spec),
            **extra_formats,
        )

    def data_source(self, plan_file: str) -> DataSource:
        """The ``source:`` block (checked by the rules): paths made relative to the plan's folder."""
        spec = self.data.get("source") or {}
        events = spec.get("events") or ()
        if isinstance(events, str):
            events = (events,)
        folder = PurePath(plan_file).parent
        resolved = tuple(str(folder / e) if not PurePath(e).is_absolute() else e for e in events)
        cap = spec.get("max_bytes_billed")
        if isinstance(cap, str):
            try:
                cap = parse_bytes(cap)
            except ValueError:
                cap = None  # the rules reported it
        return DataSource(
            engine=str(spec.get("engine") or "data-api"),
            events=resolved,
            dataset=spec.get("dataset"),
            billing_project=spec.get("billing_project"),
            location=spec.get("location"),
            max_bytes_billed=cap if isinstance(cap, int) else None,
            time_zone=spec.get("time_zone"),
        )

    def plan(
        self,
        source: str,
        environment: str | None,
        tier: str | None,
        environments: dict[str, Environment],
    ) -> TrackingPlan:
        data = self.data
        conversions = data.get("conversions") or {}
        plan = TrackingPlan(
            source=source,
            property=normalise_property(data["property"]),
            environment=environment,
            tier=normalise_tier(tier if tier is not None else data.get("tier", "standard")),
            currency=self.currency,
            stream=self.stream,
            stages=tuple(s if isinstance(s, str) else s["name"] for s in data.get("stages", DEFAULT_STAGES)),
            stage_reached_by={
                s["name"]: replace(self.step(("stages", i, "reached_by"), s["reached_by"]), name=s["name"])
                for i, s in enumerate(data.get("stages", ()))
                if isinstance(s, dict) and "reached_by" in s
            },
            environments=environments,
            data_source=self.data_source(source),
        )
        kinds: tuple[Literal["macro", "micro"], ...] = ("macro", "micro")
        for kind in kinds:
            for name, spec in (conversions.get(kind) or {}).items():
                plan.conversions[name] = self.conversion(kind, name, spec)
        for name, spec in (data.get("events") or {}).items():
            plan.events[name] = TrackedEvent(
                name, spec.get("stage"), spec.get("description", ""), where=self.key(("events", name))
            )
        resolver = Resolver(self.doc)
        plan.parameter_sets = resolver.parameter_sets()
        plan.event_schemas = resolver.schemas()
        for key, spec in (data.get("custom_dimensions") or {}).items():
            plan.custom_dimensions[key] = CustomDimension(
                parameter_name=parameter_name(spec.get("parameter", key)),
                scope=spec["scope"],
                display_name=spec["display_name"],
                description=spec.get("description", ""),
                disallow_ads_personalization=spec.get("disallow_ads_personalization", False),
            )
        for key, spec in (data.get("custom_metrics") or {}).items():
            plan.custom_metrics[key] = CustomMetric(
                parameter_name=parameter_name(spec.get("parameter", key)),
                display_name=spec["display_name"],
                description=spec.get("description", ""),
                measurement_unit=spec.get("unit", "standard"),
                restricted_metric_type=tuple(sorted(f"{r}_data" for r in spec.get("restricted", []))),
            )
        for name, spec in (data.get("segments") or {}).items():
            plan.segments[name] = self.segments[name] = self.segment(name, spec)
        for name, spec in (data.get("funnels") or {}).items():
            plan.funnels[name] = self.funnel(name, spec)
        for name, spec in (data.get("reports") or {}).items():
            plan.reports[name] = self.report(name, spec)
        safety = data.get("safety") or {}
        plan.safety = Safety(
            protect=tuple(safety.get("protect", [])),
            max_destroy=safety.get("max_destroy", 5),
            unmanaged=safety.get("unmanaged", "ignore"),
        )
        return plan


def build_environments(doc: Document) -> dict[str, Environment]:
    """The ``environments`` block as model objects.

    Another environment's values may be left unresolved (a ``${VAR}`` only that environment
    needs): its property then stays as written, and a block that is not even a mapping is
    left out.
    """
    out: dict[str, Environment] = {}
    for name, spec in (doc.data.get("environments") or {}).items():
        if not isinstance(spec, dict) or not isinstance(spec.get("property"), (str, int)):
            continue
        tier = spec.get("tier")
        out[name] = Environment(
            name=name,
            property=normalise_property(spec["property"]),
            tier=None if tier is None else normalise_tier(tier),
        )
    return out


def build_plan(
    doc: Document,
    *,
    source: str,
    environment: str | None,
    tier: str | None,
    environments: dict[str, Environment],
) -> TrackingPlan:
    """The ``TrackingPlan`` of a document that has passed every check."""
    return _Builder(doc).plan(source, environment, tier, environments)
