"""GA4's own list of Data API dimensions and metrics (:mod:`ga_goals.model.ga4_schema`), and what to answer for a name.

The sandbox computes part of GA4's schema (:class:`ga_goals.sandbox.reporting.Catalogue`). For a
name it does not compute, this module decides the answer GA4 users expect:

* a field GA4 has (in ``ga4_schema.json``, or a custom-definition pattern registered in the
  property): ``UNIMPLEMENTED``, naming the field: the request is right, the sandbox is short;
* a former name (``conversions`` → ``keyEvents``): ``INVALID_ARGUMENT`` naming the new one;
* anything else: ``INVALID_ARGUMENT`` with a did-you-mean drawn from GA4's list (a real field,
  whether or not the sandbox computes it).

``ga_goals/model/ga4_schema.json`` records its source (the published API schema page) and the day it was read;
``tests/sandbox/test_ga4_schema.py`` compares it with the sandbox's ``GetMetadata`` so every gap
is known (listed in ``docs/sandbox.md``).
"""

from __future__ import annotations

import re

from ga_goals.model.ga4_schema import Field, Schema, ga4_schema
from ga_goals.suggestions import GA4_FIELD_CUTOFF, did_you_mean

#: Prefixes of custom definitions and per-event variants (``customEvent:form_id``, ``keyEvents:purchase``).
CUSTOM_DIMENSION_PREFIXES = ("customEvent:", "customUser:", "customItem:")
CUSTOM_METRIC_PREFIXES = ("customEvent:", "averageCustomEvent:", "countCustomEvent:")
PER_EVENT_METRIC_PREFIXES = ("keyEvents:", "sessionKeyEventRate:", "userKeyEventRate:")

_PREFIXED = re.compile(r"^([A-Za-z]+):(.+)$")


def is_ga4_dimension(name: str) -> bool:
    """True if GA4 has the dimension ``name`` for some property (custom ones when registered)."""
    return name in ga4_schema().dimensions


def is_ga4_metric(name: str) -> bool:
    """True if GA4 has the metric ``name`` (``keyEvents:<event>`` variants count when the base does)."""
    if name in ga4_schema().metrics:
        return True
    match = _PREFIXED.match(name)
    return match is not None and f"{match.group(1)}:" in PER_EVENT_METRIC_PREFIXES


def suggestion(name: str, kind: str, extra: tuple[str, ...] = ()) -> str | None:
    """The closest real GA4 field of ``kind`` (``dimension`` / ``metric``) to ``name``, if any is close.

    A former name gives its new name. ``extra`` adds the property's own fields (its custom
    definitions) to the candidates.
    """
    schema = ga4_schema()
    if name in schema.renamed:
        return schema.renamed[name]
    known = list(schema.dimensions if kind == "dimension" else schema.metrics) + list(extra)
    # GA4 has hundreds of similar names: only a close miss is worth suggesting.
    return did_you_mean(name, known, cutoff=GA4_FIELD_CUTOFF)


def custom_prefix(name: str) -> str | None:
    """``customEvent:`` for ``customEvent:form_id`` (any custom-definition prefix), else None."""
    match = _PREFIXED.match(name)
    if not match:
        return None
    prefix = f"{match.group(1)}:"
    return prefix if prefix in CUSTOM_DIMENSION_PREFIXES + CUSTOM_METRIC_PREFIXES else None


__all__ = [
    "CUSTOM_DIMENSION_PREFIXES",
    "CUSTOM_METRIC_PREFIXES",
    "PER_EVENT_METRIC_PREFIXES",
    "Field",
    "Schema",
    "custom_prefix",
    "ga4_schema",
    "is_ga4_dimension",
    "is_ga4_metric",
    "suggestion",
]
