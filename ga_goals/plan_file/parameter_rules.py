"""GA4's rules for the event parameters of a plan document, each problem at its line.

Run by ``ga_goals.plan_file.rules.check_rules`` on every (base or merged) document; they look at
the shapes they need and leave the rest to the structural check. What is checked (docs/plan-rules.md,
"Event parameters"): each declaration by itself (names, types GA4 can carry, ``required`` on an
event GA4 collects by itself, patterns RE2 accepts); each declaration's fields against the type
the parameter ends up with (``values`` and ``pattern`` on the right types, value lengths,
``item_parameters`` on items only); the sets an event names; each resolved event (parameters
per event counting Google's, custom item parameters); custom dimensions and metrics that point at
a declared parameter, and the types of every parameter they register; and, as warnings, filters
and create-rule conditions on a parameter their event's declared schema lacks. The facts and
their sources: docs/ga4-api-facts.md §2.5.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ga_goals.errors import Location, Problem
from ga_goals.model import ga4_facts as facts
from ga_goals.model.event_schemas import PARAMETER_TYPES, EventSchema, ParameterSpec
from ga_goals.model.recommended_events import ITEM_PARAMETER_NAMES, ITEM_PARAMETERS, recommended_parameters
from ga_goals.plan_file.document import Document, Path
from ga_goals.plan_file.names import name_problem
from ga_goals.plan_file.parameters import Layer, Reference, Resolver, listed_sets, parse_reference
from ga_goals.plan_file.wording import describe, listed, one_of, printable, quote, show
from ga_goals.regex import re2_problem
from ga_goals.suggestions import did_you_mean

#: Types the plan may not use, with what to write instead.
_TYPE_HINTS: dict[str, str] = {
    **dict.fromkeys(
        ("array", "list", "array<string>", "string[]", "tuple", "set"),
        "GA4 has no list parameters but items (its array of item objects): use items for products, or send "
        "the list as one string (comma-separated)",
    ),
    **dict.fromkeys(
        ("object", "map", "dict", "mapping", "struct", "record", "json"),
        "GA4 parameters are flat: declare each field as a parameter of its own",
    ),
    **dict.fromkeys(
        ("date", "datetime", "timestamp", "time", "duration"),
        "GA4 has no date parameters: send a string (e.g. 2026-01-31) or an integer (e.g. seconds since 1970)",
    ),
    **dict.fromkeys(("float", "double", "decimal", "real", "money", "currency"), "write number"),
    **dict.fromkeys(("int", "long", "int64", "bigint", "count"), "write integer"),
    **dict.fromkeys(("bool", "flag"), "write boolean"),
    **dict.fromkeys(("str", "text", "enum", "url", "email", "uuid", "id"), "write string"),
    "null": "every parameter may be left out unless it is required: give its type",
}

#: Types ``values`` may be given for; ``pattern`` only tests strings.
_VALUED_TYPES = ("string", "integer")
#: Parameter types a custom metric can register (GA4 sums numbers).
_NUMERIC = ("integer", "number")


def _a(type_: str) -> str:
    """``a string``, ``an integer``, ``an items array``: a type as a message names a value of it."""
    if type_ == "items":
        return "an items array"
    return f"{'an' if type_[0] in 'aeiou' else 'a'} {type_}"


def _origin_label(spec: ParameterSpec) -> str:
    if spec.origin == "recommended":
        return "Google's"
    return f"from set {quote(spec.origin_name)}" if spec.origin == "set" else "declared on the event"


def _kind(type_: str) -> str:
    """What a custom dimension sees of a type: text, a number, true/false, items."""
    return "number" if type_ in _NUMERIC else type_


class _Checker:
    def __init__(self, doc: Document, tier: str) -> None:
        self.doc = doc
        self.tier = tier
        self.problems: list[Problem] = []
        self.resolver = Resolver(doc)

    def error(self, where: Location, message: str) -> None:
        self.problems.append(Problem(where, message))

    def run(self) -> list[Problem]:
        for name in self.resolver.set_specs:
            self.check_declarations(("parameter_sets", name, "parameters"), f"set {quote(name)}", None, {})
        for name, (path, spec) in self.resolver.events.items():
            automatic = name if name in facts.AUTOMATIC_EVENTS else None
            self.check_set_references(name, path, spec, automatic)
            if isinstance(spec.get("parameters"), dict):
                *sets, _ = self.resolver.layers(name)
                base = self._by_name(sets, name, path)  # what Google's and the sets make each parameter
                self.check_declarations(path + ("parameters",), self.noun(name), automatic, base)
        schemas = self.resolver.schemas()
        for schema in schemas.values():
            self.check_counts(schema)
        self.check_definitions(schemas)
        self.check_filters(schemas)
        return self.problems

    def noun(self, event: str) -> str:
        """``conversion 'purchase'`` or ``event 'view_item'``, as the structure's messages name them."""
        path, _ = self.resolver.events[event]
        return f"{'conversion' if path[0] == 'conversions' else 'event'} {quote(event)}"

    def _by_name(self, layers: list[Layer], event: str, path: Path) -> dict[str, ParameterSpec]:
        resolved = self.resolver.resolve(layers, recommended_parameters(event), event, None)
        return {p.name: p for p in resolved}

    # -- one declaration site

    def check_declarations(self, path: Path, owner: str, automatic: str | None,
                           base: dict[str, ParameterSpec]) -> None:
        """The parameters declared at ``path``; ``base``: what earlier layers made each (its type
        is the parameter's when the declaration writes none)."""
        raw = self.doc.get(path)
        if not isinstance(raw, dict):
            return
        for name, spec in raw.items():
            if isinstance(name, str):
                what = f"parameter {quote(name)} of {owner}"
                self.check_spec(path + (name,), name, spec, what, automatic, True)
                self.check_typed(path + (name,), name, spec, what, base.get(name))

    def check_spec(self, path: Path, name: str, spec: Any, what: str, automatic: str | None, top: bool) -> None:
        """What a declaration says by itself: its name, its type, required, a pattern RE2 refuses."""
        self.check_parameter_name(path, name, top)
        if isinstance(spec, str):
            self.check_type(path, spec, what, top)
            return
        if not isinstance(spec, dict):
            return
        if "type" in spec:
            self.check_type(path + ("type",), spec["type"], what, top)
        if spec.get("required") is True and automatic is not None:
            self.error(
                self.doc.at(path + ("required",)),
                f"{what} is required, but GA4 collects {quote(automatic)} by itself and the site does not send "
                "it, so nothing can make it carry the parameter; remove 'required: true'",
            )
        pattern = spec.get("pattern")
        if isinstance(pattern, str) and (problem := re2_problem(pattern)):
            self.error(
                self.doc.at(path + ("pattern",)),
                f"the pattern of {what}, {show(pattern)}, is not a regular expression GA4 accepts (RE2): "
                f"{printable(problem, 200)}",
            )
        items = spec.get("item_parameters")
        if isinstance(items, dict):
            for item, item_spec in items.items():
                if isinstance(item, str):
                    self.check_spec(path + ("item_parameters", item), item, item_spec,
                                    f"item parameter {quote(item)} of {what}", automatic, False)

    @staticmethod
    def _type(spec: Any, base: ParameterSpec | None) -> str | None:
        """The type a declaration gives its parameter: the one it writes, else the earlier layers'
        (a new parameter: string); None when what it writes is no type."""
        written = spec if isinstance(spec, str) else spec.get("type") if isinstance(spec, dict) else None
        if written is None:
            return base.type if base is not None else "string"
        return written if isinstance(written, str) and written in PARAMETER_TYPES else None

    def check_typed(self, path: Path, name: str, spec: Any, what: str, base: ParameterSpec | None) -> None:
        """What a declaration's fields must suit its parameter's type (``base``: the earlier layers')."""
        known = self._type(spec, base)
        if not isinstance(spec, dict) or known is None:
            return
        inherited = "" if "type" in spec or base is None or base.type == "string" else f" ({_origin_label(base)})"
        if "item_parameters" in spec and known != "items":
            self.error(
                self.doc.key_at(path + ("item_parameters",)),
                f"{what} is {_a(known)}{inherited}, and only an items parameter has item parameters; set type: "
                "items or remove 'item_parameters'",
            )
        values = spec.get("values")
        if isinstance(values, list):
            self.check_values(path, spec, values, known, name, what, inherited)
        if isinstance(spec.get("pattern"), str) and known != "string":
            self.error(
                self.doc.key_at(path + ("pattern",)),
                f"{what} is {_a(known)}{inherited}, and 'pattern' tests text: use it on a string parameter, or "
                "remove it",
            )
        items = spec.get("item_parameters")
        if isinstance(items, dict) and known == "items":
            # Google's item parameters are the base of every items parameter (price is a number...)
            earlier = {i.name: i for i in (base.items if base is not None and base.items else ITEM_PARAMETERS)}
            for item, item_spec in items.items():
                if isinstance(item, str):
                    self.check_typed(path + ("item_parameters", item), item, item_spec,
                                     f"item parameter {quote(item)} of {what}", earlier.get(item))

    def check_parameter_name(self, path: Path, name: str, top: bool) -> None:
        what = "parameter name" if top else "item parameter name"
        prefixes = facts.RESERVED_PARAMETER_PREFIXES
        prefix = next((p for p in prefixes if name.startswith(p)), None)
        if prefix is not None:
            problem: str | None = (
                f"{what} {quote(name)} starts with {quote(prefix)}, a prefix GA4 reserves ({one_of(prefixes)}); "
                "rename it"
            )
        else:
            problem = name_problem(name, what=what, max_length=facts.PARAMETER_MAX, ascii_only=True)
        if problem:
            self.error(self.doc.key_at(path), problem)

    def check_type(self, path: Path, type_: Any, what: str, top: bool) -> None:
        allowed = PARAMETER_TYPES if top else tuple(t for t in PARAMETER_TYPES if t != "items")
        if type_ in allowed:
            return
        if not isinstance(type_, str):
            self.error(self.doc.at(path), f"the type of {what} must be {one_of(allowed)}, got {show(type_)}")
            return
        if type_ == "items":
            self.error(
                self.doc.at(path),
                f"{what} has type items, which GA4 does not nest: an item parameter is "
                f"{one_of(allowed)}",
            )
            return
        hint = _TYPE_HINTS.get(type_.lower())
        close = did_you_mean(type_, allowed)
        fix = hint or (f"did you mean {quote(close)}?" if close else f"use {one_of(allowed)}")
        self.error(
            self.doc.at(path),
            f"{what} has type {quote(type_)}, which GA4 cannot carry: an event parameter is {one_of(allowed)} "
            f"(GA4's array of item objects); {fix}"
            if top
            else f"{what} has type {quote(type_)}, which GA4 cannot carry: an item parameter is {one_of(allowed)}; "
            f"{fix}",
        )

    def check_values(self, path: Path, spec: dict[str, Any], values: list[Any], type_: str, name: str,
                     what: str, inherited: str = "") -> None:
        if type_ not in _VALUED_TYPES:
            self.error(
                self.doc.key_at(path + ("values",)),
                f"{what} is {_a(type_)}{inherited}, and allowed values are for strings and integers; remove "
                "'values'" + (" (a number's range cannot be listed)" if type_ == "number" else ""),
            )
            return
        limit = facts.PARAMETER_VALUE_MAX_EXCEPTIONS.get(name, facts.PARAMETER_VALUE_MAX[self.tier])
        pattern = spec.get("pattern")
        compiled = None
        if isinstance(pattern, str) and type_ == "string" and re2_problem(pattern) is None:
            import re2

            compiled = re2.compile(pattern)
        for i, value in enumerate(values):
            at = self.doc.at(path + ("values", i))
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                continue  # the structure check reports it
            if type_ == "integer" and isinstance(value, str):
                self.error(at, f"{show(value)} is not an integer, and {what} is an integer; write a whole number")
                continue
            text = str(value)
            if len(text) > limit:
                self.error(
                    at,
                    f"allowed value {show(text)} of {what} has {len(text):,} characters; GA4 keeps at most "
                    f"{limit} of a parameter value{self._value_note(name)}; shorten it",
                )
            if compiled is not None and not compiled.fullmatch(text):
                self.error(at, f"allowed value {show(text)} of {what} does not match its pattern {show(pattern)}")

    def _value_note(self, name: str) -> str:
        if name in facts.PARAMETER_VALUE_MAX_EXCEPTIONS:
            return ""
        other = "360" if self.tier == "standard" else "standard"
        return f" on a {self.tier} property ({other}: {facts.PARAMETER_VALUE_MAX[other]})"

    # -- an event's sets

    def check_set_references(self, event: str, path: Path, spec: dict[str, Any], automatic: str | None) -> None:
        earlier: list[Layer] = []
        for i, set_name in listed_sets(spec):
            at = self.doc.at(path + ("parameter_sets", i))
            if set_name not in self.resolver.set_specs:
                known = list(self.resolver.set_specs)
                close = did_you_mean(set_name, known)
                hint = f"did you mean {quote(close)}? Otherwise " if close else ""
                defined = f" (this plan defines {listed(quote(n) for n in known)})" if known else ""
                self.error(
                    at,
                    f"{self.noun(event)} uses parameter set {quote(set_name)}, which does not exist{defined}; "
                    f"{hint}define it under 'parameter_sets' or fix the name",
                )
                continue
            self.check_set_on_event(event, path, set_name, earlier)
            earlier.append(Layer("set", set_name, self.resolver.set_parameters[set_name]))
            if automatic is not None:
                for declared in self.resolver.set_parameters[set_name].values():
                    required = [declared] if declared.fields.get("required") else []
                    required += [d for d in (declared.items or {}).values() if d.fields.get("required")]
                    for d in required:
                        self.error(
                            at,
                            f"set {quote(set_name)} makes parameter {quote(d.name)} required, but GA4 collects "
                            f"{quote(event)} by itself and the site does not send it; use a set without required "
                            "parameters here",
                        )

    def check_set_on_event(self, event: str, path: Path, set_name: str, earlier: list[Layer]) -> None:
        """A set's parameter that writes no type takes the one Google or an earlier set gives it on
        ``event``: its fields must suit that type too (the set alone made it a string)."""
        base = self._by_name(earlier, event, path)
        raw = self.doc.get(("parameter_sets", set_name, "parameters"))
        for name, spec in (raw.items() if isinstance(raw, dict) else ()):
            written = spec if isinstance(spec, str) else spec.get("type") if isinstance(spec, dict) else None
            if written is None and name in base and base[name].type != "string":
                self.check_typed(("parameter_sets", set_name, "parameters", name), name, spec,
                                 f"parameter {quote(name)} of set {quote(set_name)} (on event {quote(event)})",
                                 base[name])

    # -- a resolved event

    def check_counts(self, schema: EventSchema) -> None:
        sent = [p for p in schema.parameters if p.type != "items"
                and p.name not in facts.automatic_parameters(schema.event_name)]
        limit = facts.PARAMETERS_PER_EVENT[self.tier]
        if len(sent) > limit:
            origins: dict[str, int] = {}
            for p in sent:
                label = {"recommended": "of Google's", "set": f"from set {quote(p.origin_name)}",
                         "plan": "of its own"}[p.origin]
                origins[label] = origins.get(label, 0) + 1
            parts = ", ".join(f"{n} {label}" for label, n in origins.items())
            other = "360" if self.tier == "standard" else "standard"
            self.error(
                schema.where or self.doc.at(()),
                f"{self.noun(schema.event_name)} carries {len(sent)} parameters ({parts}); GA4 keeps at most "
                f"{limit} per event on a {self.tier} property ({other}: {facts.PARAMETERS_PER_EVENT[other]}) and "
                "drops the rest; remove some, or send them on another event",
            )
        for p in schema.parameters:
            custom = [i for i in p.items if i.name not in ITEM_PARAMETER_NAMES]
            if len(custom) > facts.CUSTOM_ITEM_PARAMETERS_MAX:
                where = custom[facts.CUSTOM_ITEM_PARAMETERS_MAX].where or p.where or schema.where
                self.error(
                    where or self.doc.at(()),
                    f"each item of {quote(p.name)} of {self.noun(schema.event_name)} carries "
                    f"{len(custom)} custom item parameters; GA4 keeps at most {facts.CUSTOM_ITEM_PARAMETERS_MAX} "
                    "besides its own item parameters; remove some",
                )

    # -- filters and conditions on declared parameters

    def check_filters(self, schemas: dict[str, EventSchema]) -> None:
        """A warning for a filter on a parameter an event the plan declares parameters for does not
        declare: a typo, or a parameter missing from the declaration."""
        for event, path, parameter in plan_filters(self.doc):
            schema = schemas.get(event)
            if schema is None or not schema.closed:
                continue
            _, spec = self.resolver.events[event]
            if "parameters" not in spec and "parameter_sets" not in spec:
                continue  # only Google's: the plan has not described the event
            if schema.parameter(parameter) or parameter in facts.automatic_parameters(event):
                continue
            known = [p.name for p in schema.parameters] + sorted(facts.automatic_parameters(event))
            close = did_you_mean(parameter, known)
            hint = f"did you mean {quote(close)}? Otherwise " if close else ""
            self.problems.append(Problem(
                self.doc.at(path),
                f"{describe(path[:-1])} tests parameter {quote(parameter)} of {self.noun(event)}, which does not "
                "declare it; "
                f"{hint}declare it on the event (or in one of its sets)",
                "warning",
            ))

    # -- custom dimensions and metrics

    def check_definitions(self, schemas: dict[str, EventSchema]) -> None:
        checked: set[tuple[bool, str, str]] = set()
        for section in ("custom_dimensions", "custom_metrics"):
            table = self.doc.get((section,))
            if not isinstance(table, dict):
                continue
            for key, definition in table.items():
                if not isinstance(definition, dict) or not isinstance(key, str):
                    continue
                path: Path = (section, key)
                scope = definition.get("scope", "event") if section == "custom_dimensions" else "event"
                if scope not in ("event", "user", "item"):
                    continue
                text = definition.get("parameter", key)
                if not isinstance(text, str):
                    continue
                what = f"{'custom dimension' if section == 'custom_dimensions' else 'custom metric'} {quote(key)}"
                reference = parse_reference(text)
                if reference is not None:
                    if not self.check_reference(path + ("parameter",), reference, scope, what, schemas):
                        continue
                    name = reference.name
                else:
                    name = text
                metric = section == "custom_metrics"
                if scope == "user" or (metric, scope, name) in checked:
                    continue  # one definition per parameter: a repeated one is reported by the rules
                checked.add((metric, scope, name))
                self.check_registered_types(path, name, scope, metric, what, schemas)

    def check_reference(self, path: Path, ref: Reference, scope: str, what: str,
                        schemas: dict[str, EventSchema]) -> bool:
        """Whether ``ref`` names a declared parameter the definition can register (else an error)."""
        at = self.doc.at(path)
        written = printable(f"{ref.owner}.{'items.' if ref.in_items else ''}{ref.name}")
        if scope == "user":
            self.error(
                at,
                f"{what} is user-scoped: it registers a user property, not an event parameter; write the user "
                f"property's name instead of {quote(written)}",
            )
            return False
        if scope == "item" and not ref.in_items:
            self.error(
                at,
                f"{what} is item-scoped, so it registers an item parameter: write "
                f"{quote(ref.owner + '.items.' + ref.name)}",
            )
            return False
        if scope == "event" and ref.in_items:
            self.error(
                at,
                f"{what} is event-scoped, and {quote(written)} is an item parameter: set scope: item, or name an "
                "event parameter",
            )
            return False
        parameters: tuple[ParameterSpec, ...] | None
        if ref.owner in schemas:
            parameters, owner = schemas[ref.owner].parameters, f"event {quote(ref.owner)}"
        elif ref.owner in self.resolver.set_specs:
            parameters = self.resolver.parameter_sets()[ref.owner].parameters
            owner = f"set {quote(ref.owner)}"
        else:
            known = sorted(schemas) + sorted(self.resolver.set_specs)
            close = did_you_mean(ref.owner, known)
            hint = f"; did you mean {quote(close)}?" if close else ""
            self.error(
                at,
                f"{what} names {quote(ref.owner)}, which is no event with parameters and no parameter set of this "
                f"plan{hint}",
            )
            return False
        if ref.in_items:
            items = next((p for p in parameters if p.type == "items"), None)
            if items is None:
                self.error(at, f"{what} names the items of {owner}, which has no items parameter")
                return False
            parameters, owner = items.items, f"the items of {owner}"
        spec = next((p for p in parameters if p.name == ref.name), None)
        if spec is None:
            close = did_you_mean(ref.name, [p.name for p in parameters])
            hint = f"did you mean {quote(close)}? Otherwise " if close else ""
            self.error(
                at,
                f"{what} names parameter {quote(ref.name)} of {owner}, which does not declare it; {hint}declare it "
                "there or fix the name",
            )
        elif spec.type == "items":
            self.error(
                at,
                f"{what} names {quote(ref.name)}, an items array, which no custom definition can register; name "
                f"one of its item parameters with scope: item ({printable(ref.owner)}.items.NAME)",
            )
        else:
            return True
        return False

    def check_registered_types(self, path: Path, name: str, scope: str, metric: bool, what: str,
                               schemas: dict[str, EventSchema]) -> None:
        """Every declaration of the parameter a definition registers suits it, and they agree."""
        declarations: list[tuple[str, ParameterSpec]] = []
        for event, schema in schemas.items():
            if scope == "item":
                declarations += [(event, i) for p in schema.parameters if p.type == "items" for i in p.items
                                 if i.name == name]
            else:
                declarations += [(event, p) for p in schema.parameters if p.name == name]
        first: tuple[str, ParameterSpec] | None = None
        for event, spec in declarations:
            where = spec.where or self.doc.key_at(path)
            if metric and spec.type not in _NUMERIC:
                self.error(
                    where,
                    f"{what} registers {quote(name)}, which event {quote(event)} declares as {_a(spec.type)}; a "
                    "custom metric sums numbers: declare it integer or number there",
                )
            elif not metric and spec.type == "items":
                self.error(
                    where,
                    f"{what} registers {quote(name)}, which event {quote(event)} declares as an items array; a "
                    "custom dimension registers a single value: rename one of them",
                )
            elif first is None:
                first = (event, spec)
            elif _kind(spec.type) != _kind(first[1].type):
                self.error(
                    where,
                    f"{what} registers {quote(name)} for every event, and event {quote(event)} declares it as "
                    f"{spec.type} while event {quote(first[0])} declares it as {first[1].type}; GA4 keeps one "
                    "definition per parameter: give it one type",
                )


def _step_filters(step: Any, path: Path) -> Iterator[tuple[str, Path, Any]]:
    """(event, path of the filter's parameter, parameter) of a funnel step or segment's ``where``s."""
    if not isinstance(step, dict):
        return
    alternatives = [(step, path)]
    alternatives += [(a, path + ("any", i)) for i, a in enumerate(step.get("any") or ()) if isinstance(a, dict)]
    for spec, at in alternatives:
        event, where = spec.get("event"), spec.get("where")
        if isinstance(event, str) and isinstance(where, list):
            for i, f in enumerate(where):
                if isinstance(f, dict) and isinstance(f.get("parameter"), str):
                    yield event, at + ("where", i, "parameter"), f["parameter"]


def plan_filters(doc: Document) -> Iterator[tuple[str, Path, str]]:
    """Every parameter the plan tests on a named event: funnel steps', segments' and stages'
    ``where`` filters, and event create rules' conditions (on the rule's source event)."""
    for name, funnel in _mapping(doc.get(("funnels",))).items():
        for i, step in enumerate(_mapping(funnel).get("steps") or ()):
            yield from _step_filters(step, ("funnels", name, "steps", i))
    for name, segment in _mapping(doc.get(("segments",))).items():
        yield from _step_filters(segment, ("segments", name))
        yield from _step_filters(_mapping(segment).get("exclude"), ("segments", name, "exclude"))
    for i, stage in enumerate(doc.get(("stages",)) or ()):
        if isinstance(stage, dict):
            yield from _step_filters(stage.get("reached_by"), ("stages", i, "reached_by"))
    from ga_goals.plan_file.rules import create_rules  # lazily: rules imports this module

    for kind in ("macro", "micro"):
        for name, conversion in _mapping(doc.get(("conversions", kind))).items():
            for rule_path, rule in create_rules(_mapping(conversion).get("created_from")):
                when = [(i, c) for i, c in enumerate(rule.get("when") or ()) if isinstance(c, dict)]
                sources = [c.get("event_name", c.get("equals") if c.get("parameter") == "event_name" else None)
                           for _, c in when]
                for i, c in when:
                    parameter = c.get("parameter")
                    if not isinstance(parameter, str) or parameter == "event_name":
                        continue
                    at: Path = ("conversions", kind, name, *rule_path, "when", i, "parameter")
                    for source in sources:
                        if isinstance(source, str):
                            yield source, at, parameter


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def check_parameters(doc: Document, tier: str) -> list[Problem]:
    """Every problem of the document's parameter declarations (``tier``: standard or 360)."""
    return _Checker(doc, tier).run()


__all__ = ["check_parameters", "plan_filters"]
