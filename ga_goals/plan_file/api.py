"""The plan-file pipeline: read -> substitute variables -> merge environments -> check -> build.

What is checked where:

* the YAML itself (syntax, duplicate keys, tags) and every ``${VAR}`` of the parts in use;
* the **structure** (the JSON Schema) of the base document and of every environment's merged
  document, whichever environment is loaded: a broken file fails every load;
* the **GA4 rules** of the documents being loaded (the base for ``environment=None``), and by
  ``validate_file`` of the base and of every environment;
* a missing ``${VAR}`` only matters where it is used: loading ``production`` does not need
  the variables of ``staging``'s block (``validate_file`` checks them all).

Each distinct top-level section is checked against the schema once per file, however many
environments share it. At most ``MAX_PROBLEMS`` problems are reported, the first ones by
location, followed by one that says how many more there are.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ga_goals.errors import Location, PlanFileError, Problem
from ga_goals.model import TrackingPlan
from ga_goals.plan_file.document import Document, YamlProblems, paused_gc, read_document
from ga_goals.plan_file.environments import base_document, environment_names, merge_environment
from ga_goals.plan_file.names import is_plan_name
from ga_goals.plan_file.variables import Substitution, substitute
from ga_goals.plan_file.wording import listed, printable, quote
from ga_goals.suggestions import did_you_mean

#: Most problems reported for one file; a closing problem says how many more there were.
MAX_PROBLEMS = 100


@dataclass
class _Parsed:
    file: str
    doc: Document
    yaml_problems: list[Problem]
    substitution: Substitution
    structure: Any = None  # the StructureCache of this file


def _sort(problems: list[Problem]) -> list[Problem]:
    """Problems once each, by location, at most ``MAX_PROBLEMS`` of them plus a closing one."""
    unique: dict[tuple[Location, str, str], Problem] = {}
    for p in problems:
        unique.setdefault((p.location, p.message, p.severity), p)
    ordered = sorted(unique.values(), key=lambda p: (p.location, p.message, p.severity))
    if len(ordered) <= MAX_PROBLEMS:
        return ordered
    rest = ordered[MAX_PROBLEMS:]
    errors = sum(p.severity == "error" for p in rest)
    warnings = len(rest) - errors
    counted = " and ".join(
        f"{n:,} more {word}{'s' if n != 1 else ''}" for n, word in ((errors, "error"), (warnings, "warning")) if n
    )
    closing = Problem(
        rest[0].location,
        f"{counted} from here on {'is' if len(rest) == 1 else 'are'} not shown ({len(ordered):,} problems in "
        "all); fix the ones above and "
        "check the file again",
        "error" if errors else "warning",
        stands_for=errors or warnings,
    )
    return ordered[:MAX_PROBLEMS] + [closing]


def _parse(path: Any, env: Mapping[str, str] | None) -> _Parsed:
    from ga_goals.plan_file.structure import StructureCache

    file = os.fspath(path)
    doc, yaml_problems = read_document(file)
    substitution = substitute(doc, os.environ if env is None else env)
    return _Parsed(file, doc, yaml_problems, substitution, StructureCache())


def _variable_problems(parsed: _Parsed, environments: set[str] | None) -> list[Problem]:
    """Substitution problems outside ``environments.*`` plus those of the named environments (None: all)."""
    out = []
    for path, problem in parsed.substitution.problems:
        if environments is not None and len(path) > 1 and path[0] == "environments" and path[1] not in environments:
            continue
        out.append(problem)
    return out


def _checked(parsed: _Parsed, doc: Document, *, rules: bool, tier: str | None) -> list[Problem]:
    """Structure (and GA4 rules) of one document, minus problems at values left unresolved."""
    from ga_goals.plan_file.rules import check_rules
    from ga_goals.plan_file.structure import check_structure

    problems = check_structure(doc, parsed.structure)
    if rules:
        problems += check_rules(doc, tier=tier)
    unresolved = parsed.substitution.unresolved
    return [p for p in problems if p.location not in unresolved]


def _unknown_environment(parsed: _Parsed, name: str) -> Problem:
    names = environment_names(parsed.doc)
    if not names:
        return Problem(
            parsed.doc.at(()),
            f"unknown environment {quote(name)}: this file defines no environments; add an 'environments:' block "
            "or load the plan without an environment",
        )
    close = did_you_mean(name, names, valid=is_plan_name)
    hint = f"did you mean {quote(close)}? " if close else ""
    return Problem(
        parsed.doc.key_at(("environments",)),
        f"unknown environment {quote(name)}; {hint}this file defines: {listed(printable(n) for n in names)}",
    )


def _load(
    path: Any,
    selected: list[str | None],
    *,
    env: Mapping[str, str] | None,
    tier: str | None,
) -> list[TrackingPlan]:
    try:
        parsed = _parse(path, env)
    except YamlProblems as exc:
        raise PlanFileError(exc.problems) from None
    names = environment_names(parsed.doc)
    wanted = {s for s in selected if s is not None}
    problems = list(parsed.yaml_problems) + _variable_problems(parsed, wanted)
    problems += [_unknown_environment(parsed, name) for name in sorted(wanted - set(names))]
    base_problems = _checked(parsed, parsed.doc, rules=None in selected, tier=tier)
    problems += base_problems
    per_environment: dict[str, list[Problem]] = {}
    merged: dict[str, Document] = {}
    for name in names:
        merged[name] = merge_environment(parsed.doc, name)
        per_environment[name] = _checked(parsed, merged[name], rules=name in wanted, tier=tier)
        problems += per_environment[name]
    problems = _sort(problems)
    if any(p.severity == "error" for p in problems):
        raise PlanFileError(problems)

    from ga_goals.plan_file.build import build_environments, build_plan

    environments = build_environments(parsed.doc)
    plans = []
    for environment in selected:
        doc = base_document(parsed.doc) if environment is None else merged[environment]
        own = base_problems if environment is None else base_problems + per_environment[environment]
        plan = build_plan(doc, source=parsed.file, environment=environment, tier=tier, environments=environments)
        plan.warnings = _sort([p for p in parsed.yaml_problems + own if p.severity == "warning"])
        plans.append(plan)
    return plans


def load_plan(
    path: Any,
    environment: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    tier: str | None = None,
) -> TrackingPlan:
    """Load, check and build the plan in ``path`` for ``environment`` (None: the base property).

    :param env: variables for ``${VAR}`` (default ``os.environ``).
    :param tier: ``"standard"`` or ``"360"``: the limits to check against, overriding the file's
        ``tier`` (plan and sync pass the real tier of the property).
    :returns: the plan; its ``warnings`` lists the warnings (sorted by location).
    :raises PlanFileError: with every problem (errors and warnings), if there is any error.
    """
    with paused_gc():
        return _load(path, [environment], env=env, tier=tier)[0]


def load_plans(
    path: Any,
    environments: Sequence[str] | None = None,
    *,
    all_environments: bool = False,
    env: Mapping[str, str] | None = None,
    tier: str | None = None,
) -> list[TrackingPlan]:
    """One plan per environment asked for, in that order.

    ``environments=None`` (and ``all_environments=False``) loads the base property only;
    ``all_environments=True`` loads every environment the file defines (the base property if
    it defines none). Every problem of every plan asked for is raised at once.
    """
    with paused_gc():
        return _load_plans(path, environments, all_environments=all_environments, env=env, tier=tier)


def _load_plans(
    path: Any,
    environments: Sequence[str] | None,
    *,
    all_environments: bool,
    env: Mapping[str, str] | None,
    tier: str | None,
) -> list[TrackingPlan]:
    selected: list[str | None]
    if all_environments:
        try:
            parsed = _parse(path, env)
        except YamlProblems as exc:
            raise PlanFileError(exc.problems) from None
        selected = list(environment_names(parsed.doc)) or [None]
    elif environments is None:
        selected = [None]
    else:
        selected = list(dict.fromkeys(environments))
    return _load(path, selected, env=env, tier=tier)


def validate_file(
    path: Any,
    *,
    env: Mapping[str, str] | None = None,
    tier: str | None = None,
) -> list[Problem]:
    """Every problem (errors and warnings) of the base document and of every environment.

    Problems that only an environment's merged document has end with ``(environment 'NAME')``;
    identical problems are listed once. Sorted by location; at most ``MAX_PROBLEMS``, then one
    problem saying how many more there are.
    """
    with paused_gc():
        return _validate_file(path, env=env, tier=tier)


def _validate_file(path: Any, *, env: Mapping[str, str] | None, tier: str | None) -> list[Problem]:
    try:
        parsed = _parse(path, env)
    except YamlProblems as exc:
        return _sort(exc.problems)
    problems = list(parsed.yaml_problems) + _variable_problems(parsed, None)
    base = _checked(parsed, parsed.doc, rules=True, tier=tier)
    seen = {(p.location, p.message, p.severity) for p in problems + base}
    problems += base
    only_in: dict[tuple[Location, str, str], list[str]] = {}
    for name in environment_names(parsed.doc):
        for p in _checked(parsed, merge_environment(parsed.doc, name), rules=True, tier=tier):
            key = (p.location, p.message, p.severity)
            if key not in seen:
                only_in.setdefault(key, []).append(name)
    for (location, message, severity), names in only_in.items():
        label = "environment" if len(names) == 1 else "environments"
        quoted = ", ".join(quote(n) for n in names)
        problems.append(Problem(location, f"{message} ({label} {quoted})", severity))
    return _sort(problems)
