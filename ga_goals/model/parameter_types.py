"""What a declared parameter type accepts in GA4's data: the one definition ``ga-goals check`` uses.

GA4's BigQuery export keeps each event parameter (and custom item parameter) value in a record
of four fields, of which the tag's value fills one: ``string_value``, ``int_value``,
``float_value`` or ``double_value`` (gtag sends a JavaScript number as a number, and GA4 keeps
whole numbers in ``int_value``, others in ``double_value``; a number written as text, ``"54.99"``,
stays in ``string_value``). A value of a declared type is **accepted** when:

=========  ==================================================================================
string     ``string_value`` is set
integer    ``int_value`` is set, or ``double_value`` / ``float_value`` holds a whole number
number     ``int_value``, ``double_value`` or ``float_value`` is set (text is not a number,
           even ``"54.99"``: GA4 does not sum it into revenue or value metrics)
boolean    ``int_value`` is 0 or 1, or ``string_value`` is ``"true"`` or ``"false"``
=========  ==================================================================================

A parameter is **present** when the event has its key with a value: some field set, and
``string_value`` not empty (what the Data API shows as anything but ``(not set)``).

GA4's standard item parameters (``item_id``, ``price``, ``quantity``... ``index``) are columns
of the export's ``items`` with a type of their own (:data:`ga_goals.events.schema.ITEM_PARAMETER_COLUMNS`):
GA4 converts what the site sent, so only what the column holds can be checked. A numeric column
holds a value as the fields above do (``price`` as ``double_value``, ``quantity`` as
``int_value``); a text column (:data:`TEXT_FORMS`) must read as the declared type, and is
missing when empty or ``(not set)`` (what real exports write for a field the site did not send).

Allowed values (``values``) and patterns (``pattern``, a regular expression the whole value
matches) are checked only on accepted values of type ``string`` or ``integer``: a value of the
wrong type is a wrong type, not also a value outside the list. Integers compare as numbers,
patterns read integers in decimal.

:func:`accepts` and :func:`present` state the same rules in Python (the tests hold the SQL of
:mod:`ga_goals.sources.parameter_sql` to them).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ga_goals.model.event_schemas import ParameterType

#: The value record's fields.
FIELDS = ("string_value", "int_value", "float_value", "double_value")

#: ``ANY``: the field may hold any value; ``WHOLE``: only a whole number; a tuple: only these values.
ANY, WHOLE = "any", "whole"

#: Per type, the fields that may hold its values and what they may hold (the table above).
ACCEPTS: dict[str, dict[str, Any]] = {
    "string": {"string_value": ANY},
    "integer": {"int_value": ANY, "double_value": WHOLE, "float_value": WHOLE},
    "number": {"int_value": ANY, "double_value": ANY, "float_value": ANY},
    "boolean": {"int_value": (0, 1), "string_value": ("true", "false")},
}

#: A text column of the export (a standard item parameter such as ``item_list_index``): the
#: regular expression its whole text must match per declared type (None: any text).
TEXT_FORMS: dict[str, str | None] = {
    "string": None,
    "integer": r"-?[0-9]+",
    "number": r"-?[0-9]+(\.[0-9]+)?",
    "boolean": r"true|false",
}

#: What a text column holds for a field the site did not send.
TEXT_MISSING = ("", "(not set)")

#: Types whose ``values`` and ``pattern`` a check applies.
VALUE_CHECKED: tuple[ParameterType, ...] = ("string", "integer")


def present(value: Mapping[str, Any] | None) -> bool:
    """The parameter has a value (``value`` is its record, None when the event lacks the key)."""
    if value is None:
        return False
    if value.get("string_value") not in (None, ""):
        return True
    return any(value.get(f) is not None for f in ("int_value", "float_value", "double_value"))


def _whole(x: Any) -> bool:
    return isinstance(x, (int, float)) and float(x).is_integer()


def accepts(type_: ParameterType, value: Mapping[str, Any]) -> bool:
    """A present value is of ``type_`` (the table of the module docstring)."""
    for name, rule in ACCEPTS[type_].items():
        x = value.get(name)
        if x is None:
            continue
        if rule == ANY or (rule == WHOLE and _whole(x)) or (isinstance(rule, tuple) and x in rule):
            return True
    return False


def text_accepts(type_: ParameterType, text: str) -> bool:
    """A text column's present value reads as ``type_``."""
    form = TEXT_FORMS[type_]
    return form is None or re.fullmatch(form, text) is not None


__all__ = ["ACCEPTS", "ANY", "FIELDS", "TEXT_FORMS", "TEXT_MISSING", "VALUE_CHECKED", "WHOLE", "accepts", "present", "text_accepts"]
