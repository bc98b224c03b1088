"""GA4 rule checks on one (merged) plan document.

These run after, and independently of, the structural check: every check looks at the types it
needs and skips what has the wrong shape (the structural check reports that), so all problems
come out at once. Each message says what is wrong and how to fix it. Things that are legal but
probably not what the author meant are warnings.

Past 600 lines because it is one pass over one document: every check is a method of ``_Checker``,
which holds what the checks share (the document and its locations, the declared stages, events
and conversions, the tier's limits) and collects the problems in document order. The checks are
grouped by the plan's top-level keys; a group that grows its own state is the seam to move out.
"""

from __future__ import annotations


from ga_goals.model.ga4_facts import BIGQUERY_DATASET as DATASET
from ga_goals.timezones import find_zone
from ga_goals.units import parse_bytes

import re
from collections.abc import Iterable
from datetime import date
from typing import Any, Literal

from ga_goals.errors import Location, Problem
from ga_goals.model import ga4_facts as facts
from ga_goals.regex import re2_problem
from ga_goals.plan_file import calculated_metrics, channel_groups
from ga_goals.plan_file.audience_rules import check_audiences
from ga_goals.plan_file.document import Document, Path
from ga_goals.plan_file.event_edit_rules import check_event_edit_rules
from ga_goals.plan_file.parameter_rules import check_parameters
from ga_goals.plan_file.parameters import parameter_name
from ga_goals.plan_file.names import (
    description_problem,
    display_name_problem,
    event_name_problem,
    field_problem,
    is_event_name,
    is_plan_name,
    name_problem,
    parameter_problem,
)
from ga_goals.plan_file.schema import (
    DEFAULT_STAGES,
    EVENT_ALERT_METRICS,
    FILTER_COMPARISONS,
    FUNNEL_ALERT_METRICS,
    NUMERIC_COMPARISONS,
    PROTECT_KINDS,
    RULE_COMPARISONS,
)
from ga_goals.plan_file.wording import describe, listed, one_of, plural, printable, quote, show
from ga_goals.suggestions import did_you_mean

_DURATION = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_LOOSE_DURATION = re.compile(r"^([0-9]+[wdhms])+$")
_UNIT_SECONDS = (7 * 86400, 86400, 3600, 60, 1)
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^[^@\s,;<>()\[\]]+@{_LABEL}(?:\.{_LABEL})*\.[A-Za-z]{{2,}}$")
_DIMENSION = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(:[A-Za-z0-9_]+)?$")
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def parse_duration(text: str) -> int:
    """Seconds in a duration like ``1h30m``; ValueError (with the fix) if it is not one."""
    match = _DURATION.match(text) if text else None
    if not match:
        raise ValueError(
            f"must be a duration with its units from largest to smallest, each at most once "
            f"(w, d, h, m, s), like 30s, 5m, 1h30m; got {quote(text)}"
        )
    seconds = sum(int(n) * unit for n, unit in zip(match.groups(), _UNIT_SECONDS, strict=True) if n)
    if seconds <= 0:
        raise ValueError(f"must be a positive duration, like 30s, 5m, 1h30m; got {quote(text)}")
    return seconds


def normalise_tier(value: Any) -> Literal["standard", "360"]:
    return "360" if str(value) == "360" else "standard"


def parse_date(text: str) -> date:
    """A YYYY-MM-DD date; ValueError with the reason otherwise."""
    if not _DATE.match(text):
        raise ValueError("must be a date written YYYY-MM-DD")
    return date.fromisoformat(text)


class _Checker:
    def __init__(self, doc: Document, tier: str | None) -> None:
        self.doc = doc
        self.data: dict[str, Any] = doc.data if isinstance(doc.data, dict) else {}
        self.tier = normalise_tier(tier if tier is not None else self.data.get("tier", "standard"))
        self.problems: list[Problem] = []
        stages = self.data.get("stages")
        self.stages = [_stage_name(s) for s in stages] if isinstance(stages, list) else DEFAULT_STAGES
        conversions = _dict(self.data.get("conversions"))
        self.macro = _dict(conversions.get("macro"))
        self.micro = _dict(conversions.get("micro"))
        self.events = _dict(self.data.get("events"))
        self.funnels = _dict(self.data.get("funnels"))
        self.segments = _dict(self.data.get("segments"))
        self.declared = set(self.macro) | set(self.micro) | set(self.events)

    # ------------------------------------------------------------------ helpers

    def error(self, where: Location, message: str) -> None:
        self.problems.append(Problem(where, message))

    def warning(self, where: Location, message: str) -> None:
        self.problems.append(Problem(where, message, "warning"))

    def at(self, path: Path) -> Location:
        return self.doc.at(path)

    def key(self, path: Path) -> Location:
        return self.doc.key_at(path)

    def check_name(self, path: Path, problem: str | None, *, at_key: bool = False) -> bool:
        if problem:
            self.error(self.key(path) if at_key else self.at(path), problem)
            return False
        return True

    def too_many(self, path: Path, items: list[Any], maximum: int, counted: str, fix: str) -> None:
        """An error on the first item past ``maximum``: "<counted>; GA4 allows at most <maximum>; <fix>"."""
        if len(items) > maximum:
            self.error(self.at(path + (maximum,)), f"{counted}; GA4 allows at most {maximum}; {fix}")

    def limit(self, what: str, kind: str, paths: list[Path], fix: str) -> None:
        allowed = facts.LIMITS[kind][self.tier]
        if len(paths) <= allowed:
            return
        other = "360" if self.tier == "standard" else "standard"
        other_limit = facts.LIMITS[kind][other]
        tier_note = f" ({other}: {other_limit})" if other_limit != allowed else ""
        hint = ""
        if self.tier == "standard" and other_limit > allowed:
            hint = ' or set tier: "360" if the property is GA4 360'

        self.error(
            self.key(paths[allowed]),
            f"too many {what}: {len(paths)}; a {self.tier} property allows {allowed}{tier_note}; {fix}{hint}",
        )

    # ------------------------------------------------------------------ top level

    def run(self) -> list[Problem]:
        self.check_currency(("currency",))
        self.check_conversions()
        self.check_events()
        self.check_dimensions()
        self.check_metrics()
        check_event_edit_rules(self)
        calculated_metrics.check(self)
        channel_groups.check(self)
        check_audiences(self)
        self.check_segments()
        self.check_funnels()
        self.check_stages()
        self.check_reports()
        self.check_safety()
        self.check_environments()
        self.check_source(("source",))
        self.problems += check_parameters(self.doc, self.tier)
        return self.problems

    def check_source(self, path: Path) -> None:
        """The report source: a dataset BigQuery can name, a size, a time zone, what the engine needs."""
        spec = self.doc.get(path)
        if not isinstance(spec, dict):
            return
        engine = spec.get("engine") or "data-api"
        dataset = spec.get("dataset")
        if isinstance(dataset, str) and not DATASET.fullmatch(dataset):
            self.error(
                self.at(path + ("dataset",)),
                f"{quote(dataset)} is not a BigQuery dataset: write PROJECT.DATASET, e.g. my-project.analytics_123456789",
            )
        cap = spec.get("max_bytes_billed")
        if isinstance(cap, str):
            try:
                parse_bytes(cap)
            except ValueError:
                self.error(self.at(path + ("max_bytes_billed",)), f"{quote(cap)} is not a size such as 10GiB, 500MiB or 2TiB")
        elif isinstance(cap, int) and cap < 0:
            self.error(self.at(path + ("max_bytes_billed",)), "a size cannot be negative (0 means no cap)")
        zone = spec.get("time_zone")
        if isinstance(zone, str):
            if find_zone(zone) is None:
                self.error(self.at(path + ("time_zone",)), f"unknown time zone {quote(zone)}: use an IANA name such as Europe/Berlin")
        if engine == "bigquery" and not dataset:
            self.error(self.at(path + ("engine",)), "engine: bigquery needs the export dataset: add dataset: PROJECT.analytics_NNN")
        if engine == "duckdb" and not spec.get("events"):
            self.error(self.at(path + ("engine",)), "engine: duckdb reads export files: add events: [PATH] (files, folders or globs)")

    def check_currency(self, path: Path) -> bool:
        code = self.doc.get(path)
        if not isinstance(code, str):
            return False
        if code in facts.CURRENCIES:
            return True
        if code.upper() in facts.CURRENCIES:
            self.error(
                self.at(path), f"currency codes are upper-case: write {quote(code.upper())} instead of {quote(code)}"
            )
            return False
        close = did_you_mean(code.upper(), sorted(facts.CURRENCIES), cutoff=0.66)
        hint = f"; did you mean {quote(close)}?" if close else ""
        self.error(
            self.at(path),
            f"unknown currency {quote(code)}; use an ISO 4217 code such as USD, EUR or GBP{hint}",
        )
        return False

    def check_stage(self, path: Path) -> None:
        stage = self.doc.get(path)
        if not isinstance(stage, str) or stage in self.stages:
            return
        close = did_you_mean(stage, self.stages)
        hint = f"did you mean {quote(close)}? Otherwise " if close else ""
        self.error(
            self.at(path),
            f"stage {quote(stage)} is not one of the plan's stages "
            f"({listed(printable(s) for s in dict.fromkeys(self.stages))}); "
            f"{hint}add it to 'stages' or fix the name",
        )

    # ------------------------------------------------------------------ conversions and events

    def check_conversions(self) -> None:
        first_seen: dict[str, str] = {}
        key_events: list[Path] = []
        created: list[Path] = []
        for kind, table in (("macro", self.macro), ("micro", self.micro)):
            for name, conversion in table.items():
                path: Path = ("conversions", kind, name)
                if name in first_seen:
                    line = self.key(("conversions", first_seen[name], name)).line
                    self.error(
                        self.key(path),
                        f"event {quote(name)} is declared twice: as a {first_seen[name]} conversion (line {line}) "
                        f"and as a {kind} conversion; keep one",
                    )
                    continue
                first_seen[name] = kind
                if not isinstance(conversion, dict):
                    continue
                rules = create_rules(conversion.get("created_from"))
                self.check_name(path, event_name_problem(name, created=bool(rules)), at_key=True)
                self.check_stage(path + ("stage",))
                self.check_value(path, conversion)
                key_event = conversion.get("key_event", True)
                if key_event is False:
                    if kind == "macro":
                        self.warning(
                            self.at(path + ("key_event",)),
                            f"macro conversion {quote(name)} has key_event: false, so GA4 will not count it as a key "
                            "event; remove 'key_event: false' unless that is intended",
                        )
                    for extra in ("counting", "value"):
                        if extra in conversion:
                            self.warning(
                                self.key(path + (extra,)),
                                f"{quote(extra)} only applies to key events, and conversion {quote(name)} has "
                                "key_event: "
                                f"false; remove {quote(extra)} or the key_event: false",
                            )
                else:
                    key_events.append(path)
                for rule_path, rule in rules:
                    created.append(path + rule_path)
                    self.check_rule(path + rule_path, rule, name)
        self.limit(
            "key events",
            "key_events",
            key_events,
            "set key_event: false on the least important conversions",
        )
        self.limit("created events", "created_events", created, "remove some event create rules")

    def check_value(self, path: Path, conversion: dict[str, Any]) -> None:
        value = conversion.get("value")
        if value is None or isinstance(value, bool):
            return
        top = self.data.get("currency")
        if isinstance(value, (int, float)):
            if not isinstance(top, str):
                self.error(
                    self.at(path + ("value",)),
                    f"conversion {quote(path[-1])} has a value but no currency; add 'currency: USD' (your ISO 4217 "
                    f"code) at the top level, or write value: {{default: {value}, currency: USD}}",
                )
        elif isinstance(value, dict):
            if "currency" in value:
                self.check_currency(path + ("value", "currency"))
            elif not isinstance(top, str) and isinstance(value.get("default"), (int, float)):
                self.error(
                    self.at(path + ("value",)),
                    f"conversion {quote(path[-1])} has a value but no currency; add 'currency: USD' to its value "
                    "or at the top level",
                )

    def check_rule(self, path: Path, rule: dict[str, Any], destination: str) -> None:
        where = describe(path)
        when = rule.get("when")
        sources: list[str] = []
        if isinstance(when, list):
            if not when:
                self.error(
                    self.at(path + ("when",)),
                    f"{where} has no conditions; add at least one, e.g. {{event_name: form_submit}}",
                )
            else:
                self.too_many(
                    path + ("when",),
                    when,
                    facts.CONDITIONS_MAX,
                    f"{where} has {len(when)} conditions",
                    "remove some, or split the rule into several rules for the same event",
                )
            for i, condition in enumerate(when):
                if isinstance(condition, dict):
                    event = self.check_condition(path + ("when", i), condition)
                    if event is not None:
                        sources.append(event)
            if when and not sources:
                self.warning(
                    self.key(path + ("when",)),
                    f"{where} has no event_name condition, so it creates {quote(destination)} from every event "
                    "that matches; add a condition such as {event_name: form_submit} unless that is intended",
                )
            if destination in sources:
                self.warning(
                    self.key(path + ("when",)),
                    f"{where} creates {quote(destination)} from events named {quote(destination)}; GA4 never applies "
                    "create rules to events they created, so this only copies events the site sends itself; "
                    "use a different source event",
                )
        mutations = rule.get("set")
        if isinstance(mutations, list):
            self.too_many(
                path + ("set",),
                mutations,
                facts.MUTATIONS_MAX,
                f"{where} has {len(mutations)} parameter mutations",
                "remove some",
            )
            seen: dict[str, int] = {}
            for i, mutation in enumerate(mutations):
                if isinstance(mutation, dict):
                    self.check_mutation(path + ("set", i), mutation, seen)

    def check_condition(self, path: Path, condition: dict[str, Any]) -> str | None:
        """Check one condition; return the event name it selects, if it tests event_name."""
        ops = [op for op in RULE_COMPARISONS if op in condition]
        where = describe(path)
        if "event_name" in condition:
            if "parameter" in condition or ops:
                self.error(
                    self.at(path),
                    f"{where} mixes the shorthand 'event_name' with 'parameter' or a comparison; write either "
                    "{event_name: form_submit} or {parameter: form_id, equals: contact}",
                )
                return None
            event = condition["event_name"]
            if isinstance(event, str):
                self.check_name(path + ("event_name",), event_name_problem(event))
                return event
            return None
        parameter = condition.get("parameter")
        if parameter is None:
            self.error(
                self.at(path),
                f"{where} needs 'parameter' (event_name or an event parameter) and a comparison, "
                "e.g. {parameter: form_id, equals: contact}",
            )
            return None
        if isinstance(parameter, str) and parameter != "event_name":
            self.check_name(path + ("parameter",), field_problem(parameter))
        if not ops:
            self.error(
                self.at(path),
                f"{where} needs a comparison: one of {one_of(RULE_COMPARISONS)}",
            )
            return None
        if len(ops) > 1:
            self.error(
                self.key(path + (ops[1],)),
                f"{where} has both {quote(ops[0])} and {quote(ops[1])}; a condition takes one comparison "
                "(add another condition to require both)",
            )
        op = ops[0]
        self.check_comparison(path, condition, op)
        if parameter == "event_name" and op == "equals" and isinstance(condition[op], str):
            return condition[op]
        if parameter == "event_name":
            return ""  # some other test on the event name: still selects by name
        return None

    def check_comparison(self, path: Path, condition: dict[str, Any], op: str) -> None:
        if op in NUMERIC_COMPARISONS and "case_sensitive" in condition:
            self.error(
                self.key(path + ("case_sensitive",)),
                f"'case_sensitive' applies to text comparisons only, not {quote(op)}; remove it",
            )
        if op == "matches" and isinstance(condition.get(op), str):
            self.check_regex(path + (op,), condition[op])

    def check_regex(self, path: Path, pattern: str) -> None:
        if problem := re2_problem(pattern):
            # RE2's reason quotes the pattern: it is text from the file like any other
            self.error(
                self.at(path),
                f"{show(pattern)} is not a regular expression GA4 accepts (RE2): {printable(problem, 200)}",
            )

    def check_mutation(self, path: Path, mutation: dict[str, Any], seen: dict[str, int], *, renames: bool = False) -> None:
        """One mutation; ``renames``: of an event edit rule, which may set ``event_name`` (to an event name)."""
        where = describe(path)
        parameter = mutation.get("parameter")
        if isinstance(parameter, str):
            if parameter == "event_name" and renames:
                if parameter in seen:
                    self.error(self.at(path + ("parameter",)), f"{where} renames the event a second time (first in mutation {seen[parameter] + 1}); keep one")
                else:
                    index = path[-1]
                    assert isinstance(index, int)
                    seen[parameter] = index
                if isinstance(mutation.get("value"), str):
                    self.check_name(path + ("value",), event_name_problem(mutation["value"]))
            elif parameter == "event_name":
                self.error(
                    self.at(path + ("parameter",)),
                    f"{where} sets event_name; an event create rule cannot rename the event (the created "
                    "event's name is the conversion's key); remove this mutation",
                )
            elif self.check_name(
                path + ("parameter",),
                name_problem(
                    parameter,
                    what="parameter name",
                    max_length=facts.MUTATION_PARAMETER_MAX,
                    length_why=f"a mutation parameter must be shorter than {facts.MUTATION_PARAMETER_MAX + 1}",
                ),
            ):
                if parameter in seen:
                    self.error(
                        self.at(path + ("parameter",)),
                        f"parameter {quote(parameter)} is set twice in the same rule (first in mutation "
                        f"{seen[parameter] + 1}); GA4 needs each mutation's parameter to be unique: keep one",
                    )
                else:
                    index = path[-1]
                    assert isinstance(index, int)
                    seen[parameter] = index
        has_value, has_copy = "value" in mutation, "copy_from" in mutation
        if has_value == has_copy:
            self.error(
                self.at(path),
                f"{where} needs exactly one of 'value' (a constant) and 'copy_from' (another parameter)"
                + ("; remove one" if has_value else ""),
            )
        written: str | None = None
        if has_value and isinstance(mutation["value"], (str, int, float)):
            written = ga4_value(mutation["value"])
        elif has_copy and isinstance(mutation["copy_from"], str):
            if self.check_name(path + ("copy_from",), field_problem(mutation["copy_from"])):
                written = f"[[{mutation['copy_from']}]]"
        if written is not None and len(written) > facts.MUTATION_VALUE_MAX:
            key = "value" if has_value else "copy_from"
            self.error(
                self.at(path + (key,)),
                f"the value of {where} has {len(written)} characters; GA4 wants fewer than "
                f"{facts.MUTATION_VALUE_MAX + 1}; shorten it",
            )

    def check_events(self) -> None:
        for name, event in self.events.items():
            path: Path = ("events", name)
            for kind, table in (("macro", self.macro), ("micro", self.micro)):
                if name in table:
                    line = self.key(("conversions", kind, name)).line
                    self.error(
                        self.key(path),
                        f"event {quote(name)} is already a {kind} conversion (line {line}); remove it from 'events'",
                    )
                    break
            else:
                self.check_name(path, event_name_problem(name), at_key=True)
                if isinstance(event, dict):
                    self.check_stage(path + ("stage",))

    # ------------------------------------------------------------------ custom definitions

    def check_definition_texts(self, path: Path, definition: dict[str, Any]) -> None:
        name = definition.get("display_name")
        if isinstance(name, str):
            self.check_name(path + ("display_name",), display_name_problem(name))
        text = definition.get("description")
        if isinstance(text, str):
            self.check_name(path + ("description",), description_problem(text))

    def check_dimensions(self) -> None:
        seen: dict[tuple[str, str], str] = {}
        by_scope: dict[str, list[Path]] = {"event": [], "user": [], "item": []}
        for key, dimension in _dict(self.data.get("custom_dimensions")).items():
            path: Path = ("custom_dimensions", key)
            if not isinstance(dimension, dict):
                continue
            scope = dimension.get("scope")
            scope = scope if isinstance(scope, str) and scope in by_scope else None
            parameter = dimension.get("parameter", key)
            if isinstance(parameter, str):
                parameter = parameter_name(parameter)  # EVENT.NAME names a declared parameter
            self.check_definition_texts(path, dimension)
            if dimension.get("disallow_ads_personalization") is True and scope in ("event", "item"):
                self.error(
                    self.key(path + ("disallow_ads_personalization",)),
                    "disallow_ads_personalization applies to user-scoped dimensions only; remove it or set "
                    "scope: user",
                )
            if not isinstance(parameter, str) or scope is None:
                continue
            param_path = path + ("parameter",) if "parameter" in dimension else path
            if not self.check_name(
                param_path, parameter_problem(parameter, scope=scope), at_key="parameter" not in dimension
            ):
                continue
            by_scope[scope].append(path)
            if (scope, parameter) in seen:
                other = seen[(scope, parameter)]
                line = self.key(("custom_dimensions", other)).line
                self.error(
                    self.key(path),
                    f"custom dimension {quote(key)} registers the same {scope}-scoped parameter {quote(parameter)} as "
                    f"custom dimension {quote(other)} (line {line}); keep one",
                )
            else:
                seen[(scope, parameter)] = key
        fix = "remove the ones you report on least"
        self.limit("event-scoped custom dimensions", "event", by_scope["event"], fix)
        self.limit("user-scoped custom dimensions", "user", by_scope["user"], fix)
        self.limit("item-scoped custom dimensions", "item", by_scope["item"], fix)

    def check_metrics(self) -> None:
        metrics: list[Path] = []
        seen: dict[str, str] = {}
        for key, metric in _dict(self.data.get("custom_metrics")).items():
            path: Path = ("custom_metrics", key)
            if not isinstance(metric, dict):
                continue
            parameter = metric.get("parameter")
            if isinstance(parameter, str):
                # the key names the metric; `parameter` (a name, or EVENT.NAME) is what GA4 registers
                name = parameter_name(parameter)
                self.check_name(path, field_problem(key), at_key=True)
                valid = self.check_name(path + ("parameter",), parameter_problem(name))
            else:
                name = key
                valid = self.check_name(path, parameter_problem(key), at_key=True)
            if valid:
                metrics.append(path)
                if name in seen:
                    line = self.key(("custom_metrics", seen[name])).line
                    self.error(
                        self.key(path),
                        f"custom metric {quote(key)} registers the same parameter {quote(name)} as custom metric "
                        f"{quote(seen[name])} (line {line}); keep one",
                    )
                else:
                    seen[name] = key
            self.check_definition_texts(path, metric)
            unit = metric.get("unit", "standard")
            restricted = metric.get("restricted")
            if unit == "currency" and not restricted:
                where = self.key(path + ("restricted",)) if "restricted" in metric else self.at(path + ("unit",))
                self.error(
                    where,
                    f"custom metric {quote(key)} has unit: currency, so GA4 requires 'restricted': add "
                    "restricted: [revenue] (or [cost], or both)",
                )
            elif unit != "currency" and restricted:
                self.error(
                    self.key(path + ("restricted",)),
                    f"'restricted' applies only to unit: currency, and custom metric {quote(key)} has unit: "
                    f"{printable(str(unit))}; "
                    "remove 'restricted' or set unit: currency",
                )
        self.limit("custom metrics", "custom_metrics", metrics, "remove the ones you report on least")

    # ------------------------------------------------------------------ funnels

    def check_segments(self) -> None:
        """``segments:``: each says what an event must satisfy (as a funnel step does), and so does
        its ``exclude``."""
        for name, segment in self.segments.items():
            path: Path = ("segments", name)
            if not isinstance(segment, dict):
                continue
            self.check_segment_conditions(path, segment, f"segment {quote(name)}")
            exclude = segment.get("exclude")
            if isinstance(exclude, dict):
                self.check_segment_conditions(path + ("exclude",), exclude, f"the exclusion of segment {quote(name)}")

    def check_segment_conditions(self, path: Path, spec: dict[str, Any], what: str) -> None:
        if not any(k in spec for k in ("event", "any", "when")):
            self.error(
                self.key(path),
                f"{what} has no conditions; add 'event: NAME', 'any: [EVENT, ...]' "
                "and/or 'when:' dimension conditions (e.g. {dimension: deviceCategory, equals: mobile})",
            )
            return
        # The same language as a funnel step (index 1: no first-step warnings).
        self.check_step(path, spec, 1)

    def check_segment_refs(self, path: Path, names: Any, whose: str) -> None:
        """A funnel's or a report's ``segment``: known names, at most GA4's per-request number."""
        if isinstance(names, str):
            names, paths = [names], [path]
        elif isinstance(names, list):
            paths = [path + (i,) for i in range(len(names))]
        else:
            return
        from ga_goals.plan_file.build import default_title  # lazily: build imports this module

        titles: dict[str, str] = {}
        for item_path, name in zip(paths, names):
            if not self.check_reference(item_path, name, self.segments, "segment", "segments"):
                continue
            spec = _dict(self.segments[name])
            given = spec.get("title")
            title: str = given if isinstance(given, str) and given else default_title(name)
            if title in titles and titles[title] != name:
                # The Data API names each segment's rows by its name: two equal ones cannot be told apart.
                self.error(
                    self.at(item_path),
                    f"segments {quote(titles[title])} and {quote(name)} of {whose} have the same title {quote(title)}; "
                    "give one of them another 'title'",
                )
            titles.setdefault(title, name)
        if len(names) > facts.FUNNEL_SEGMENTS_MAX:
            self.error(
                self.key(path),
                f"{whose} names {len(names)} segments; GA4 takes at most {facts.FUNNEL_SEGMENTS_MAX} in one funnel "
                "request: keep the ones that matter, or show the funnel twice (a copy of it with the others)",
            )

    def check_funnels(self) -> None:
        for name, funnel in self.funnels.items():
            path: Path = ("funnels", name)
            if not isinstance(funnel, dict):
                continue
            self.check_segment_refs(path + ("segment",), funnel.get("segment"), f"funnel {quote(name)}")
            steps = funnel.get("steps")
            if isinstance(steps, list):
                if len(steps) < facts.FUNNEL_STEPS_MIN:
                    self.error(
                        self.key(path + ("steps",)),
                        f"funnel {quote(name)} has {plural(len(steps), 'step')}; a funnel needs "
                        f"{facts.FUNNEL_STEPS_MIN} to {facts.FUNNEL_STEPS_MAX} steps; add steps",
                    )
                else:
                    self.too_many(
                        path + ("steps",),
                        steps,
                        facts.FUNNEL_STEPS_MAX,
                        f"funnel {quote(name)} has {len(steps)} steps",
                        "remove some or split the funnel in two",
                    )
                for i, step in enumerate(steps):
                    self.check_step(path + ("steps", i), step, i)
            breakdown = funnel.get("breakdown")
            dim_path = path + ("breakdown",)
            if isinstance(breakdown, dict):
                breakdown, dim_path = breakdown.get("dimension"), dim_path + ("dimension",)
            if isinstance(breakdown, str) and not _DIMENSION.match(breakdown):
                self.error(
                    self.at(dim_path),
                    f"{show(breakdown)} is not a Data API dimension name; use one such as deviceCategory, "
                    "country or customEvent:form_id",
                )

    def check_stages(self) -> None:
        """``stages: [{name, reached_by}]``: each ``reached_by`` is a funnel step (the journey map)."""
        stages = self.data.get("stages")
        if not isinstance(stages, list):
            return
        for i, stage in enumerate(stages):
            if isinstance(stage, dict) and "reached_by" in stage:
                # index 1: a stage's step follows the prior stage (within / directly_followed are not refused)
                self.check_step(("stages", i, "reached_by"), stage["reached_by"], 1)

    def check_step(self, path: Path, step: Any, index: int) -> None:
        event: Any
        if isinstance(step, str):
            event, event_path = step, path
        elif isinstance(step, dict):
            event, event_path = step.get("event"), path + ("event",)
        else:
            return
        if isinstance(event, str):
            self.check_step_event(event_path, event, path)
        if not isinstance(step, dict):
            return
        where_ = describe(path)
        if "event" in step and "any" in step:
            self.error(
                self.key(path + ("any",)),
                f"{where_} has both 'event' and 'any'; a step is one event or alternatives: move the event into 'any'",
            )
        if not any(k in step for k in ("event", "any", "when")):
            self.error(
                self.at(path),
                f"{where_} says nothing about the event that reaches it: add 'event: NAME', 'any: [EVENT, ...]' "
                "(alternatives) or 'when:' dimension conditions",
            )
        if "where" in step and "event" not in step:
            self.error(
                self.key(path + ("where",)),
                f"'where' filters the parameters of the step's event, and {where_} has no 'event'; "
                "put the filters in the alternative they belong to ({event: NAME, where: [...]})",
            )
        within = step.get("within")
        if isinstance(within, str) and _LOOSE_DURATION.match(within):
            try:
                parse_duration(within)
            except ValueError as exc:
                self.error(self.at(path + ("within",)), f"'within' {exc}")
        if index == 0:
            for option in ("within", "directly_followed"):
                if option in step and step[option] not in (None, False):
                    self.warning(
                        self.key(path + (option,)),
                        f"{quote(option)} is about the prior step, and step 1 has none, so GA4 ignores it; remove it",
                    )
        self.check_where(path, step.get("where"))
        alternatives = step.get("any")
        if isinstance(alternatives, list):
            if not alternatives:
                self.error(self.key(path + ("any",)), f"{where_} has an empty 'any'; list the events that reach it")
            for i, alternative in enumerate(alternatives):
                alt_path = path + ("any", i)
                if isinstance(alternative, str):
                    self.check_step_event(alt_path, alternative, path)
                elif isinstance(alternative, dict):
                    if isinstance(alternative.get("event"), str):
                        self.check_step_event(alt_path + ("event",), alternative["event"], path)
                    self.check_where(alt_path, alternative.get("where"))
                    self.check_conditions(alt_path, alternative.get("when"))
        self.check_conditions(path, step.get("when"))

    def check_where(self, path: Path, where: Any) -> None:
        if isinstance(where, list):
            for i, condition in enumerate(where):
                if isinstance(condition, dict):
                    self.check_filter(path + ("where", i), condition)

    def check_conditions(self, path: Path, when: Any) -> None:
        """A step's (or an alternative's) ``when`` dimension conditions."""
        if not isinstance(when, list):
            return
        if not when:
            self.error(self.key(path + ("when",)), f"{describe(path)} has an empty 'when'; add conditions or remove it")
        for i, condition in enumerate(when):
            self.check_step_condition(path + ("when", i), condition, 1)

    def check_step_condition(self, path: Path, condition: Any, depth: int) -> None:
        """One dimension condition or group (rule 3b and 3c of ga_goals.funnels.semantics)."""
        if not isinstance(condition, dict):
            return
        where_ = describe(path)
        groups = [k for k in ("any", "all", "not") if k in condition]
        kinds = groups + (["dimension"] if "dimension" in condition else [])
        if len(kinds) != 1:
            found = f"it has {' and '.join(quote(k) for k in kinds)}" if kinds else "it has none of them"
            self.error(
                self.at(path),
                f"{where_} must be one of {{dimension: NAME, <comparison>: VALUE}}, {{any: [...]}}, {{all: [...]}} "
                f"or {{not: CONDITION}}; {found}",
            )
            return
        kind = kinds[0]
        if kind != "dimension":
            extra = [k for k in condition if k != kind]
            if extra:
                self.error(
                    self.key(path + (extra[0],)),
                    f"{where_} is a {quote(kind)} group, which takes no {quote(extra[0])}; put it on a condition inside",
                )
            if depth > facts.FUNNEL_CONDITION_DEPTH:
                self.error(
                    self.key(path + (kind,)),
                    f"{where_} nests groups more than {facts.FUNNEL_CONDITION_DEPTH} deep; ga-goals accepts "
                    f"{facts.FUNNEL_CONDITION_DEPTH} levels of any/all/not: flatten the conditions",
                )
                return
            inner = condition[kind]
            if kind == "not":
                self.check_step_condition(path + ("not",), inner, depth + 1)
            elif isinstance(inner, list):
                if not inner:
                    self.error(
                        self.key(path + (kind,)), f"{where_} is an empty {quote(kind)} group; add conditions or remove it"
                    )
                for i, part in enumerate(inner):
                    self.check_step_condition(path + (kind, i), part, depth + 1)
            return
        from ga_goals.funnels.semantics import step_dimension_problem  # lazily: the plan reader stays light

        dimension = condition["dimension"]
        if isinstance(dimension, str) and (problem := step_dimension_problem(dimension, quote)):
            self.error(self.at(path + ("dimension",)), f"{where_}: {problem}")
        ops = [op for op in FILTER_COMPARISONS + ("between",) if op in condition]
        if not ops:
            self.error(self.at(path), f"{where_} needs a comparison: one of {one_of(FILTER_COMPARISONS + ('between',))}")
            return
        if len(ops) > 1:
            self.error(
                self.key(path + (ops[1],)),
                f"{where_} has both {quote(ops[0])} and {quote(ops[1])}; a condition takes one comparison "
                "(put both in an 'all' group to require both)",
            )
        op = ops[0]
        if op == "between":
            bounds = condition["between"]
            if isinstance(bounds, list) and len(bounds) == 2 and all(isinstance(b, (int, float)) for b in bounds):
                if bounds[0] > bounds[1]:
                    self.error(
                        self.at(path + ("between",)),
                        f"{where_}: 'between' needs [low, high] with low <= high, got [{bounds[0]}, {bounds[1]}]",
                    )
            if "case_sensitive" in condition:
                self.error(
                    self.key(path + ("case_sensitive",)),
                    "'case_sensitive' applies to text comparisons only, not 'between'; remove it",
                )
            return
        self.check_comparison(path, condition, op)

    def check_step_event(self, path: Path, event: str, step_path: Path) -> None:
        if event in facts.KNOWN_EVENTS:
            return
        if not self.check_name(path, event_name_problem(event)):
            return
        if event in self.declared:
            return
        close = did_you_mean(event, sorted(self.declared | facts.KNOWN_EVENTS), cutoff=0.75, valid=is_event_name)
        hint = f"did you mean {quote(close)}? Otherwise " if close else ""
        self.error(
            self.at(path),
            f"{describe(step_path)} uses event {quote(event)}, which this plan does not declare and GA4 does "
            f"not collect automatically or recommend; {hint}declare it under 'events' (or as a conversion) "
            "if the site sends it",
        )

    def check_filter(self, path: Path, condition: dict[str, Any]) -> None:
        ops = [op for op in FILTER_COMPARISONS if op in condition]
        where = describe(path)
        parameter = condition.get("parameter")
        if isinstance(parameter, str):
            self.check_name(path + ("parameter",), field_problem(parameter))
        if not ops:
            self.error(self.at(path), f"{where} needs a comparison: one of {one_of(FILTER_COMPARISONS)}")
            return
        if len(ops) > 1:
            self.error(
                self.key(path + (ops[1],)),
                f"{where} has both {quote(ops[0])} and {quote(ops[1])}; a filter takes one comparison "
                "(add another filter to require both)",
            )
        self.check_comparison(path, condition, ops[0])

    # ------------------------------------------------------------------ reports

    def check_reports(self) -> None:
        conversions = set(self.macro) | set(self.micro)
        for name, report in _dict(self.data.get("reports")).items():
            path: Path = ("reports", name)
            if not isinstance(report, dict):
                continue
            funnels = report.get("funnels")
            self.check_segment_refs(path + ("segment",), report.get("segment"), f"report {quote(name)}")
            for i, funnel in _items(funnels):
                self.check_reference(path + ("funnels", i), funnel, self.funnels, "funnel", "funnels")
            for i, event in _items(report.get("key_events")):
                self.check_reference(path + ("key_events", i), event, conversions, "conversion", "conversions")
            macro = report.get("macro")
            if isinstance(macro, str):
                if macro in self.micro:
                    self.error(
                        self.at(path + ("macro",)),
                        f"{quote(macro)} is a micro conversion; 'macro' must name a macro conversion"
                        + (f" ({one_of(printable(m) for m in self.macro)})" if self.macro else ""),
                    )
                else:
                    self.check_reference(path + ("macro",), macro, self.macro, "macro conversion", "conversions.macro")
            self.check_period(path + ("period",), report.get("period"))
            compare = report.get("compare", "previous_period")
            for i, alert in _items(report.get("alerts")):
                if isinstance(alert, dict):
                    self.check_alert(path + ("alerts", i), alert, compare, funnels)
                    self.check_alert_segments(path + ("alerts", i), alert, report)
            for i, test in _items(report.get("split_tests")):
                if isinstance(test, dict):
                    self.check_split_test(path + ("split_tests", i), test)
            for key in ("trends", "next_actions"):
                for i, entry in _items(report.get(key)):
                    funnel = _dict(entry).get("funnel")
                    if isinstance(funnel, str):
                        self.check_reference(path + (key, i, "funnel"), funnel, self.funnels, "funnel", "funnels")
            email = report.get("email")
            if isinstance(email, dict):
                for field in ("to", "cc"):
                    for i, address in _items(email.get(field)):
                        if isinstance(address, str) and not _EMAIL.match(address.strip()):
                            self.error(
                                self.at(path + ("email", field, i)),
                                f"{show(address)} is not a plausible e-mail address; write it as "
                                "name@example.com",
                            )

    def check_alert_segments(self, path: Path, alert: dict[str, Any], report: dict[str, Any]) -> None:
        """An alert watches one number: not a funnel the report shows once per segment."""
        name = alert.get("funnel")
        funnel = self.funnels.get(name) if isinstance(name, str) else None
        if not isinstance(funnel, dict):
            return
        shown = report.get("funnels")
        if isinstance(shown, list) and name not in shown:
            return  # not shown: the alert watches the whole funnel
        if funnel.get("segment") or report.get("segment"):
            self.error(
                self.at(path + ("funnel",)),
                f"the report shows funnel {quote(name)} once per segment, so an alert on it would not say which; "
                "alert on a copy of the funnel without 'segment', or remove the segments",
            )

    def check_reference(self, path: Path, name: Any, known: Iterable[str], what: str, section: str) -> bool:
        if not isinstance(name, str):
            return False
        known = list(known)
        if name in known:
            return True
        close = did_you_mean(name, known, valid=is_plan_name if what in ("funnel", "segment") else is_event_name)
        hint = f"did you mean {quote(close)}? Otherwise " if close else ""
        self.error(
            self.at(path),
            f"{quote(name)} is not a {what} of this plan; {hint}define it under {quote(section)} or fix the name",
        )
        return False

    def check_period(self, path: Path, period: Any) -> None:
        if not isinstance(period, dict):
            return
        dates: dict[str, date] = {}
        for end in ("start", "end"):
            text = period.get(end)
            if not isinstance(text, str) or not _DATE.match(text):
                continue
            try:
                dates[end] = parse_date(text)
            except ValueError as exc:
                self.error(
                    self.at(path + (end,)), f"{quote(end)} is not a real date: {printable(text)} ({exc}); fix it"
                )
        if len(dates) == 2 and dates["start"] > dates["end"]:
            self.error(
                self.at(path + ("end",)),
                f"the period ends ({dates['end']}) before it starts ({dates['start']}); swap 'start' and 'end'",
            )

    def check_alert(self, path: Path, alert: dict[str, Any], compare: Any, funnels: Any) -> None:
        where = describe(path)
        has_funnel, has_event = "funnel" in alert, "event" in alert
        if has_funnel and has_event:
            self.error(self.at(path), f"{where} names both a funnel and an event; an alert watches one: keep "
                       "'funnel' or 'event'")
        elif not has_funnel and not has_event:
            self.error(self.at(path), f"{where} must name what it watches: add 'funnel: NAME' or 'event: NAME'")
        has_below, has_above = "below" in alert, "above" in alert
        if has_below and has_above:
            self.error(self.at(path), f"{where} has both 'below' and 'above'; use one (add a second alert for "
                       "the other bound)")
        elif not has_below and not has_above:
            self.error(self.at(path), f"{where} needs a threshold: 'below: N' or 'above: N'")
        metric = alert.get("metric")
        allowed: tuple[str, ...]
        if has_funnel and not has_event:
            funnel = alert["funnel"]
            if self.check_reference(path + ("funnel",), funnel, self.funnels, "funnel", "funnels"):
                if isinstance(funnels, list) and funnel not in funnels:
                    self.warning(
                        self.at(path + ("funnel",)),
                        f"{where} watches funnel {quote(funnel)}, which this report's 'funnels' leaves out; add it "
                        "there or remove the alert",
                    )
            allowed = FUNNEL_ALERT_METRICS
        elif has_event and not has_funnel:
            self.check_reference(path + ("event",), alert["event"], self.declared, "declared event", "events")
            allowed = EVENT_ALERT_METRICS
        else:
            allowed = ()
        known_metric = metric in FUNNEL_ALERT_METRICS or metric in EVENT_ALERT_METRICS
        if isinstance(metric, str) and known_metric and allowed and metric not in allowed:
            kind = "a funnel" if has_funnel else "an event"
            self.error(
                self.at(path + ("metric",)),
                f"{quote(metric)} is not a metric of {kind}; use {one_of(allowed)}",
            )
        elif isinstance(metric, str) and metric.endswith("_change") and compare == "none":
            self.error(
                self.at(path + ("metric",)),
                f"{quote(metric)} compares against the previous period, but the report has compare: none; use a "
                "metric without _change or set compare: previous_period",
            )
        self.check_alert_noise(path, alert, metric)

    def check_alert_noise(self, path: Path, alert: dict[str, Any], metric: Any) -> None:
        """``significant`` only on a change a test applies to; ``confidence`` only with it."""
        where = describe(path)
        if alert.get("significant") is True and isinstance(metric, str):
            if not metric.endswith("_change"):
                self.error(
                    self.at(path + ("significant",)),
                    f"{where}: 'significant' applies to a change (a *_change metric), not to {quote(metric)}, "
                    f"which has no previous value to be noise against; use {quote(metric + '_change')} or remove "
                    "'significant'",
                )
            elif metric == "value_change":
                self.error(
                    self.at(path + ("significant",)),
                    f"{where}: 'value_change' has no significance test (a sum of values has no count to test); "
                    "watch 'count_change' with 'significant', or remove 'significant'",
                )
        if "confidence" in alert and alert.get("significant") is not True:
            self.error(
                self.at(path + ("confidence",)),
                f"{where}: 'confidence' applies with 'significant: true'; add it or remove 'confidence'",
            )

    def check_split_test(self, path: Path, test: dict[str, Any]) -> None:
        where = describe(path)
        funnel = test.get("funnel")
        if isinstance(funnel, str) and self.check_reference(path + ("funnel",), funnel, self.funnels, "funnel", "funnels"):
            if _dict(self.funnels.get(funnel)).get("open"):
                self.error(
                    self.at(path + ("funnel",)),
                    f"{where} compares funnel {quote(funnel)}, which is open: users may enter it at any step, so "
                    "its completion is no share of the users who entered; compare a closed funnel (open: false)",
                )
        by = test.get("by")
        if isinstance(by, str):
            self.check_split_dimension(path + ("by",), by, where)
        control, values = test.get("control"), test.get("values")
        if isinstance(values, list) and control is not None and str(control) in [str(v) for v in values]:
            i = [str(v) for v in values].index(str(control))
            self.error(
                self.at(path + ("values", i)),
                f"{where} lists its control {show(str(control))} among the values tested against it; remove it "
                "from 'values'",
            )

    def check_split_dimension(self, path: Path, by: str, where: str) -> None:
        # The engine's list (imported here: it pulls in DuckDB, which plain validation does not need).
        from ga_goals.funnels.dimensions import BREAKDOWN_DIMENSIONS, TREND_DIMENSION

        if by == TREND_DIMENSION:
            # Days are no groups of users to compare: a split test by date would test each day
            # against one control day. Completion over time is what a trend shows.
            self.error(
                self.at(path),
                f"{where} splits by {quote(by)}: days are not groups to test against a control; to see "
                "completion day by day, add the funnel under the report's 'trends' instead",
            )
            return
        kind, sep, name = by.partition(":")
        if sep and kind in ("customEvent", "customUser") and _IDENTIFIER.match(name):
            scope = "event" if kind == "customEvent" else "user"
            declared = _dict(_dict(self.data.get("custom_dimensions")).get(name))
            if declared.get("scope", "event") != scope or name not in _dict(self.data.get("custom_dimensions")):
                self.warning(
                    self.at(path),
                    f"{where} splits by {quote(by)}, but this plan registers no {scope}-scoped custom dimension "
                    f"{quote(name)}; the Data API only reports registered ones: add it under 'custom_dimensions' "
                    f"with scope: {scope} (unless it is registered outside this plan)",
                )
            return
        if by in BREAKDOWN_DIMENSIONS:
            return
        known = list(BREAKDOWN_DIMENSIONS) + ["customEvent:", "customUser:"]
        close = did_you_mean(by, known, cutoff=0.8)
        hint = f"did you mean {quote(close)}? Otherwise " if close else ""
        self.error(
            self.at(path),
            f"{where} splits by {show(by)}, which is not a dimension a funnel can be broken down by; {hint}use one "
            f"of {one_of(BREAKDOWN_DIMENSIONS)}, customEvent:<parameter> or customUser:<property>",
        )

    # ------------------------------------------------------------------ safety, environments

    def check_safety(self) -> None:
        safety = _dict(self.data.get("safety"))
        for i, entry in _items(safety.get("protect")):
            if not isinstance(entry, str):
                continue
            path: Path = ("safety", "protect", i)
            kind, sep, name = entry.partition(":")
            if not sep:
                kind, name = "", entry
            if sep and kind not in PROTECT_KINDS:
                close = did_you_mean(kind, PROTECT_KINDS, cutoff=0.5)
                hint = f"; did you mean {quote(close + ':' + name)}?" if close else ""
                self.error(
                    self.at(path),
                    f"unknown kind {quote(kind)} in protect entry {quote(entry)}; use a name, or kind:name with kind "
                    f"{one_of(PROTECT_KINDS)}{hint}",
                )
            elif kind in ("channel_group", "audience") and name.strip():
                continue  # channel groups and audiences are named by their display names (spaces and all)
            elif not _IDENTIFIER.match(name):
                self.error(
                    self.at(path),
                    f"protect entry {quote(entry)} must be a name (letters, digits, _; starting with a letter) or "
                    "kind:name, e.g. purchase or custom_dimension:form_id",
                )

    def check_environments(self) -> None:
        by_property: dict[str, str] = {}
        for name, env in _dict(self.data.get("environments")).items():
            if not isinstance(env, dict):
                continue
            prop = env.get("property")
            if not isinstance(prop, (str, int)) or isinstance(prop, bool) or "${" in str(prop):
                continue
            normal = str(prop).removeprefix("properties/")
            if normal in by_property:
                self.warning(
                    self.at(("environments", name, "property")),
                    f"environments {quote(by_property[normal])} and {quote(name)} use the same property "
                    f"{printable(normal)}; "
                    "give each environment its own property",
                )
            else:
                by_property[normal] = name


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _items(value: Any) -> list[tuple[int, Any]]:
    return list(enumerate(value)) if isinstance(value, list) else []


def create_rules(created_from: Any) -> list[tuple[Path, dict[str, Any]]]:
    """The event create rules of a conversion, with their paths relative to the conversion."""
    if isinstance(created_from, dict):
        return [(("created_from",), created_from)]
    if isinstance(created_from, list):
        return [(("created_from", i), r) for i, r in enumerate(created_from) if isinstance(r, dict)]
    return []


def ga4_value(value: Any) -> str:
    """A YAML scalar as the string GA4 stores (numbers and booleans as written in JSON)."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def check_rules(doc: Document, *, tier: str | None = None) -> list[Problem]:
    """Every GA4 rule problem of ``doc`` (a base or merged plan document)."""
    from ga_goals.plan_file import enhanced_measurement

    return _Checker(doc, tier).run() + enhanced_measurement.check(doc)


def _stage_name(stage: Any) -> str:
    """A ``stages`` item's name: the item itself, or ``name`` of ``{name, reached_by}`` ("" when neither)."""
    if isinstance(stage, str):
        return stage
    name = stage.get("name") if isinstance(stage, dict) else None
    return name if isinstance(name, str) else ""
