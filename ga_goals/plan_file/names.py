"""GA4's naming rules, each failure explained with its fix."""

from __future__ import annotations

import re
from collections.abc import Collection

from ga_goals.model import ga4_facts as facts
from ga_goals.plan_file.wording import one_of, quote


def _suggestion(name: str) -> str:
    fixed = re.sub(r"[^\w]+", "_", name).strip("_")
    fixed = re.sub(r"^[\d_]+", "", fixed)
    return f" (e.g. {quote(fixed)})" if fixed and fixed != name else ""


def _show_chars(chars: list[str]) -> str:
    named = {" ": "spaces", "-": "'-'", ".": "'.'", "\t": "tabs"}
    return one_of([named.get(c, quote(c)) for c in chars], "and")


def name_problem(
    name: str,
    *,
    what: str,
    max_length: int,
    prefixes: tuple[str, ...] = (),
    reserved: Collection[str] = (),
    reserved_why: str = "a name GA4 reserves",
    length_why: str = "",
    ascii_only: bool = False,
) -> str | None:
    """Why ``name`` breaks GA4's rules for a ``what`` (``event name``...), with the fix; or None.

    ``ascii_only``: parameter names (unlike event names) take only A-Z, a-z, 0-9 and _.
    """
    if not name:
        return f"{what} is empty; give a name that starts with a letter"
    if ascii_only and not name.isascii():
        foreign = sorted({c for c in name if not c.isascii()}, key=name.index)
        return (
            f"{what} {quote(name)} contains {_show_chars(foreign)}; GA4 {what}s use only the letters "
            "A-Z and a-z, digits and _ (no accented or non-Latin letters)"
        )
    bad = sorted({c for c in name if not (c.isalnum() or c == "_")}, key=name.index)
    if bad:
        return (
            f"{what} {quote(name)} contains {_show_chars(bad)}; use only letters, digits and _"
            f"{_suggestion(name)}"
        )
    if not name[0].isalpha():
        for prefix in prefixes:
            if name.startswith(prefix):
                return (
                    f"{what} {quote(name)} starts with {quote(prefix)}, a prefix GA4 reserves "
                    f"({one_of(prefixes)}); rename it{_suggestion(name)}"
                )
        return f"{what} {quote(name)} must start with a letter; rename it"
    for prefix in prefixes:
        if name.startswith(prefix):
            return (
                f"{what} {quote(name)} starts with {quote(prefix)}, a prefix GA4 reserves ({one_of(prefixes)}); "
                "rename it"
            )
    if len(name) > max_length:
        why = f" ({length_why})" if length_why else ""
        return (
            f"{what} {quote(name)} has {len(name)} characters; GA4 allows at most {max_length}{why}; shorten it"
        )
    if name in reserved:
        return f"{quote(name)} is {reserved_why}; choose another name"
    return None


_PLAN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def is_plan_name(name: str) -> bool:
    """A valid name of a funnel, report or environment (what the schema's ``name`` allows)."""
    return bool(_PLAN_NAME.fullmatch(name))


def is_event_name(name: str) -> bool:
    """A valid GA4 event name."""
    return event_name_problem(name) is None


def event_name_problem(name: str, *, created: bool = False) -> str | None:
    """Rules for an event name; ``created`` ones (event create rule destinations) are stricter."""
    if created:
        return name_problem(
            name,
            what="created event name",
            max_length=facts.CREATED_EVENT_MAX,
            prefixes=facts.RESERVED_EVENT_PREFIXES,
            reserved=facts.RESERVED_EVENT_NAMES,
            reserved_why="an event name GA4 reserves for its own events, so a rule cannot create it",
            length_why=f"a created event name must be shorter than {facts.CREATED_EVENT_MAX + 1}",
        )
    return name_problem(
        name,
        what="event name",
        max_length=facts.EVENT_NAME_MAX,
        prefixes=facts.RESERVED_EVENT_PREFIXES,
    )


#: Per custom-definition scope: (what, longest name, reserved prefixes, reserved names, why reserved).
_PARAMETER_RULES: dict[str, tuple[str, int, tuple[str, ...], frozenset[str], str]] = {
    "user": (
        "user property name",
        facts.USER_PROPERTY_MAX,
        facts.RESERVED_USER_PROPERTY_PREFIXES,
        facts.RESERVED_USER_PROPERTIES,
        "a user property name GA4 reserves, so it cannot be a custom dimension",
    ),
    "item": (
        "item parameter name",
        facts.PARAMETER_MAX,
        facts.RESERVED_PARAMETER_PREFIXES,
        facts.RESERVED_ITEM_PARAMETERS | facts.RESERVED_PARAMETERS,
        "an item parameter GA4 already reports as a built-in dimension (or reserves), "
        "so it cannot be a custom dimension",
    ),
    "event": (
        "parameter name",
        facts.PARAMETER_MAX,
        facts.RESERVED_PARAMETER_PREFIXES,
        facts.RESERVED_PARAMETERS,
        "a parameter name GA4 reserves, so it cannot be a custom definition",
    ),
}


def parameter_problem(name: str, *, scope: str = "event", max_length: int | None = None) -> str | None:
    """Rules for a custom definition's parameter (``scope`` user: a user property name)."""
    what, longest, prefixes, reserved, why = _PARAMETER_RULES.get(scope, _PARAMETER_RULES["event"])
    return name_problem(
        name,
        what=what,
        max_length=max_length or longest,
        prefixes=prefixes,
        reserved=reserved,
        reserved_why=why,
        ascii_only=True,
    )


def field_problem(name: str, *, max_length: int = facts.PARAMETER_MAX, what: str = "parameter name") -> str | None:
    """Rules for a parameter a condition or filter tests (no reserved names: GA4's own are fine)."""
    return name_problem(name, what=what, max_length=max_length, ascii_only=True)


def display_name_problem(name: str) -> str | None:
    if not name.strip():
        return "display name is empty; give a short readable name, e.g. 'Form ID'"
    bad = sorted({c for c in name if not ((c.isascii() and c.isalnum()) or c in " _")}, key=name.index)
    if bad:
        hint = "; GA4 never accepts square brackets" if "[" in bad or "]" in bad else ""
        return (
            f"display name {quote(name)} contains {_show_chars(bad)}; use only the letters A-Z and a-z, digits, "
            f"spaces and _{hint}"
        )
    if not name[0].isalpha():
        return f"display name {quote(name)} must start with a letter"
    if len(name) > facts.DISPLAY_NAME_MAX:
        return f"display name has {len(name)} characters; GA4 allows at most {facts.DISPLAY_NAME_MAX}; shorten it"
    return None


def description_problem(text: str) -> str | None:
    if len(text) > facts.DESCRIPTION_MAX:
        return (
            f"description has {len(text)} characters; GA4 allows at most {facts.DESCRIPTION_MAX}; shorten it"
        )
    return None
