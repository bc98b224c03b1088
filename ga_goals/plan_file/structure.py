"""Structural validation: the document against the JSON Schema, with friendly messages.

``jsonschema`` is imported here, lazily, so that ``import ga_goals.plan_file`` stays cheap.
Its errors are rewritten:

* unknown keys -> ``unknown key 'countng' in conversion 'purchase'; did you mean 'counting'?``
  at the key;
* wrong types -> ``'within' must be a duration like 30s, 5m, 1h30m, got 12``;
* enums -> the allowed values, and the closest one;
* ``anyOf`` shorthands (a funnel step is an event name or a mapping) -> the branch that has the
  instance's type, or the list of accepted shapes when none has it;
* constraints marked with ``schema.RULES_COMMENT`` are left to ``rules.py``.
"""

from __future__ import annotations

from typing import Any

from ga_goals.errors import Problem
from ga_goals.plan_file.document import Document, Path
from ga_goals.plan_file.schema import RULES_COMMENT, plan_schema
from ga_goals.plan_file.wording import (
    COLLECTIONS,
    describe,
    one_of,
    quote,
    show,
    strip_environment,
    subject,
)
from ga_goals.suggestions import did_you_mean

_TOP: Any = None
_SECTIONS: dict[str, Any] = {}
_TOP_PROPERTIES: dict[str, Any] = {}
_DEFS: dict[str, Any] = {}

#: jsonschema keywords whose failures rules.py reports instead, when the schema is marked.
_LEFT_TO_RULES = {"pattern", "maxLength", "minLength", "minItems", "maxItems", "enum"}

_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "nothing (null)",
}


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    """``schema`` with every ``$ref`` to ``$defs`` replaced by its target (the plan schema has no
    recursive definitions): following references costs jsonschema more than checking the values."""
    if isinstance(schema, list):
        return [_inline(s, defs) for s in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        target = defs[schema["$ref"].rsplit("/", 1)[-1]]
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        return _inline(schema, defs)
    return {k: (v if k in ("enum", "const", "examples", "default") else _inline(v, defs)) for k, v in schema.items()}


def _validators() -> tuple[Any, dict[str, Any]]:
    """One validator for the top level's own keywords, and one per top-level section."""
    global _TOP
    if _TOP is None:
        from jsonschema import Draft202012Validator

        schema = plan_schema(variables=False)
        _DEFS.update(schema["$defs"])
        sections = schema["properties"]
        _TOP_PROPERTIES.update(sections)
        top = {k: v for k, v in schema.items() if k not in ("$defs", "properties")}
        _TOP = Draft202012Validator({**top, "properties": {k: True for k in sections}})
        for key, section in sections.items():
            _SECTIONS[key] = Draft202012Validator(_inline(section, _DEFS))
    return _TOP, _SECTIONS


class StructureCache:
    """The schema errors of each top-level section already checked, by section and content.

    The documents of a file's environments share most sections with the base document: each
    distinct section is checked once, however many environments the file has.
    """

    def __init__(self) -> None:
        self._errors: dict[tuple[str, str], list[Any]] = {}
        self.checks = 0  # sections actually validated (for tests)

    def errors(self, key: str, value: Any, validator: Any) -> list[Any]:
        import json

        try:
            content = json.dumps(value, allow_nan=True)  # exact: true, 1 and 1.0 differ
        except (TypeError, ValueError):  # pragma: no cover - YAML data is always JSON-like
            content = None
        if content is not None and (key, content) in self._errors:
            return self._errors[(key, content)]
        self.checks += 1
        found = list(validator.iter_errors(value))
        if content is not None:
            self._errors[(key, content)] = found
        return found


def check_structure(doc: Document, cache: StructureCache | None = None) -> list[Problem]:
    """Every structural problem of ``doc``, at the key or value it concerns."""
    top, sections = _validators()
    cache = cache if cache is not None else StructureCache()
    problems: list[Problem] = []
    for error in top.iter_errors(doc.data):
        problems.extend(_convert(error, doc, ()))
    if isinstance(doc.data, dict):
        for key, value in doc.data.items():
            if key in sections:
                for error in cache.errors(key, value, sections[key]):
                    problems.extend(_convert(error, doc, (key,)))
    return _unique(problems)


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[Any, str, str]] = set()
    out = []
    for p in problems:
        key = (p.location, p.message, p.severity)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


# --------------------------------------------------------------------------- conversion


def _convert(error: Any, doc: Document, prefix: Path) -> list[Problem]:
    """Problems for one jsonschema ``error`` found in the section of ``doc`` at ``prefix``."""
    path: Path = prefix + tuple(error.absolute_path)
    kind = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}
    in_property_names = "propertyNames" in error.relative_schema_path
    if kind in _LEFT_TO_RULES and RULES_COMMENT in str(schema.get("$comment", "")):
        return []
    if in_property_names:
        return _invalid_key(error, doc, path)
    if kind == "additionalProperties":
        return _unknown_keys(error, doc, path)
    if kind == "required":
        return _missing(error, doc, path)
    if kind in ("anyOf", "oneOf"):
        return _alternatives(error, doc, path, prefix)
    if kind == "type":
        # a named thing (conversion 'x') is already called what it is: say only which shape
        named = tuple(strip_environment(path)[:-1]) in COLLECTIONS
        expected = _expected({k: v for k, v in schema.items() if k not in ("title", "examples")} if named else schema)
        return [Problem(_where(doc, path), f"{subject(path)} must be {expected}, got {_got(error.instance)}")]
    if kind == "enum":
        return [Problem(_where(doc, path), _enum_message(path, error.validator_value, error.instance))]
    if kind == "const":
        return [Problem(_where(doc, path), f"{subject(path)} must be {show(error.validator_value)}, got "
                        f"{show(error.instance)}")]
    if kind == "pattern":
        return [Problem(_where(doc, path), f"{subject(path)} must be {_expected(schema)}, got {show(error.instance)}")]
    if kind in ("minimum", "exclusiveMinimum"):
        word = "at least" if kind == "minimum" else "more than"
        return [Problem(_where(doc, path), f"{subject(path)} must be {word} {error.validator_value}, got "
                        f"{show(error.instance)}")]
    if kind in ("maximum", "exclusiveMaximum"):
        word = "at most" if kind == "maximum" else "less than"
        return [Problem(_where(doc, path), f"{subject(path)} must be {word} {error.validator_value}, got "
                        f"{show(error.instance)}")]
    if kind == "minItems":
        if error.validator_value == 1:
            return [Problem(_where(doc, path), f"{subject(path)} is empty; give at least one item or remove it")]
        return [Problem(_where(doc, path), f"{subject(path)} needs at least {error.validator_value} items, "
                        f"got {len(error.instance)}")]
    if kind == "maxItems":
        return [Problem(_where(doc, path), f"{subject(path)} allows at most {error.validator_value} items, "
                        f"got {len(error.instance)}; remove some")]
    if kind == "uniqueItems":
        return _duplicates(error, doc, path)
    if kind in ("minLength", "maxLength"):
        word = "at least" if kind == "minLength" else "at most"
        return [Problem(_where(doc, path), f"{subject(path)} must have {word} {error.validator_value} characters, "
                        f"got {len(error.instance)}")]
    return [Problem(_where(doc, path), f"{subject(path)}: {error.message}")]  # pragma: no cover - safety net


def _where(doc: Document, path: Path) -> Any:
    """Values are pointed at where they start; a whole named thing at its key."""
    stripped = strip_environment(path)
    if isinstance(doc.get(path), (dict, list)) and stripped and isinstance(stripped[-1], str):
        return doc.key_at(path)
    return doc.at(path)


def _got(value: Any) -> str:
    if value is None:
        return "nothing (write {} for an empty mapping)"
    return show(value)


def _resolve(schema: Any) -> dict[str, Any]:
    """``schema`` with its ``$ref`` (to our own ``$defs``) followed."""
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 20:
        target = _DEFS[schema["$ref"].rsplit("/", 1)[-1]]
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        seen += 1
    return schema if isinstance(schema, dict) else {}


def _types(schema: dict[str, Any]) -> set[str]:
    schema = _resolve(schema)
    if "type" in schema:
        t = schema["type"]
        return set(t) if isinstance(t, list) else {t}
    values = schema.get("enum", []) + ([schema["const"]] if "const" in schema else [])
    if values:
        return {_json_type(v) for v in values}
    types: set[str] = set()
    for branch in schema.get("anyOf", []) + schema.get("oneOf", []):
        types |= _types(branch)
    return types


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _matches_type(value: Any, types: set[str]) -> bool:
    t = _json_type(value)
    return t in types or (t == "integer" and "number" in types) or (
        t == "number" and "integer" in types and float(value).is_integer()
    )


def _expected(schema: dict[str, Any]) -> str:
    """What a value must be, in words: ``a duration like 30s, 5m, 1h30m``."""
    schema = _resolve(schema)
    if "enum" in schema:
        return one_of([show(v) if not isinstance(v, str) else v for v in _dedupe(schema["enum"])])
    if "anyOf" in schema or "oneOf" in schema:
        return one_of([_expected(b) for b in schema.get("anyOf", []) + schema.get("oneOf", [])])
    types = schema.get("type", [])
    types = types if isinstance(types, list) else [types]
    title = schema.get("title")
    examples = schema.get("examples") or []
    if "string" in types and title and examples and all(isinstance(e, (str, int)) for e in examples):
        noun = title[0].lower() + title[1:] if not title[:2].isupper() else title
        return f"{_article(noun)} {noun} like {', '.join(str(e) for e in examples)}"
    if types == ["object"]:
        # what the mapping looks like, never its title ("an other events", "a safety")
        return f"a mapping like {_flow(examples[0])}" if examples else "a mapping"
    if types == ["array"]:
        items = _resolve(schema.get("items", {}))
        if items.get("title") and items.get("type") == "object":
            return f"a list of {items['title'].lower()}s"
    words = [_TYPE_WORDS[t] for t in types if t in _TYPE_WORDS]
    if "integer" in types and "number" in types:
        words.remove(_TYPE_WORDS["integer"])
    return one_of(words) or "something else"


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"


def _flow(value: Any) -> str:
    """A value in YAML flow style: ``{default: 0, currency: USD}``."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if value is None:
        return "null"
    return show(value) if not isinstance(value, str) else value


def _dedupe(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if str(v) not in [str(o) for o in out]:
            out.append(v)
    return out


def _enum_message(path: Path, allowed: list[Any], value: Any) -> str:
    choices = _dedupe(allowed)
    message = f"{subject(path)} must be {one_of(choices)}, got {show(value)}"
    if isinstance(value, str):
        close = did_you_mean(value, [str(c) for c in choices])
        if close:
            message += f"; did you mean {quote(close)}?"
    return message


def _unknown_keys(error: Any, doc: Document, path: Path) -> list[Problem]:
    schema = _resolve(error.schema)
    allowed = list(schema.get("properties", {}))
    problems = []
    in_overrides = len(path) == 3 and path[0] == "environments" and path[2] == "overrides"
    if in_overrides:
        where = f"in the overrides of environment {quote(path[1])}"
    elif not strip_environment(path):
        where = "at the top level"
    else:
        where = f"in {describe(path)}"
    for key in error.instance:
        if key in allowed:
            continue
        message = f"unknown key {quote(key)} {where}"
        close = did_you_mean(key, allowed + (["property", "environments"] if in_overrides else []))
        if close in ("property", "environments"):
            message += (
                f"; did you mean {quote(close)}? It cannot be overridden: "
                + ("set it on the environment itself, next to 'overrides'" if close == "property"
                   else "environments do not nest")
            )
        elif close:
            message += f"; did you mean {quote(close)}?"
        else:
            message += f"; allowed keys: {', '.join(allowed)}"
        problems.append(Problem(doc.key_at(path + (key,)), message))
    return problems


def _invalid_key(error: Any, doc: Document, path: Path) -> list[Problem]:
    key = error.instance
    target = _resolve(error.schema)
    rule = f" ({target['description']})" if "description" in target else ""
    return [
        Problem(
            doc.key_at(path + (key,)),
            f"{quote(key)} is not a valid key in {describe(path)}: it must be {_expected(target)}{rule}; rename it",
        )
    ]


def _missing(error: Any, doc: Document, path: Path) -> list[Problem]:
    schema = _resolve(error.schema)
    problems = []
    for name in error.validator_value:
        if name in error.instance:
            continue
        spec = schema.get("properties", {}).get(name, {})
        hint = _expected(_TOP_PROPERTIES[name] if spec is True else spec)
        target = "the plan" if not strip_environment(path) else describe(path)
        problems.append(
            Problem(_where(doc, path) if strip_environment(path) else doc.at(()),
                    f"{target} needs {quote(name)} ({hint})")
        )
    return problems


def _canonical(value: Any) -> Any:
    """A hashable form of a JSON value under JSON Schema equality (1 == 1.0, true != 1)."""
    if isinstance(value, bool) or value is None:
        return ("literal", value)
    if isinstance(value, (int, float)):
        return ("number", value)
    if isinstance(value, list):
        return ("list", tuple(_canonical(v) for v in value))
    if isinstance(value, dict):
        return ("mapping", frozenset((k, _canonical(v)) for k, v in value.items()))
    return ("string", value)


def _duplicates(error: Any, doc: Document, path: Path) -> list[Problem]:
    """Each repeated item, at the repetition, naming where it first stands."""
    first: dict[Any, int] = {}
    problems = []
    for i, item in enumerate(error.instance):
        key = _canonical(item)
        if key not in first:
            first[key] = i
            continue
        at = doc.at(path + (first[key],))
        where = f"line {at.line}, column {at.column}"
        if isinstance(item, (dict, list)):
            message = f"{describe(path + (i,))} repeats {describe(path + (first[key],))} ({where}); remove one"
        else:
            message = f"{show(item)} is listed twice in {subject(path)} (first at {where}); remove the repetition"
        problems.append(Problem(doc.at(path + (i,)), message))
    return problems


def _alternatives(error: Any, doc: Document, path: Path, prefix: Path) -> list[Problem]:
    """An ``anyOf`` shorthand: report the branch that matches the instance's type."""
    branches = error.validator_value
    for index, branch in enumerate(branches):
        if _matches_type(error.instance, _types(branch)):
            sub = [e for e in error.context if e.relative_schema_path and e.relative_schema_path[0] == index]
            problems: list[Problem] = []
            for e in sub:
                problems.extend(_convert(e, doc, prefix))
            if problems or not sub:
                return problems
            return []  # the branch's own problems are all left to rules.py
    expected = one_of([_expected(b) for b in branches])
    return [Problem(_where(doc, path), f"{subject(path)} must be {expected}, got {_got(error.instance)}")]
