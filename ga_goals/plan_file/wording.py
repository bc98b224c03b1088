"""How problems talk about the file: naming a place by its path, showing values, did-you-mean.

Every piece of text that comes from the file (a value, a key, a name) reaches a message through
:func:`printable` (usually via :func:`quote` or :func:`show`): it escapes what a terminal would
act on (control characters, ANSI escape sequences, bidi overrides, line breaks) and cuts long
text, so that every message is one readable line whatever the file holds.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ga_goals.plan_file.document import Path

#: Most characters of a text from the file a message shows; longer text is cut.
MAX_SHOWN = 60

#: Unicode categories escaped in messages: controls, format characters (bidi overrides,
#: zero-width characters), line and paragraph separators, surrogates, private use, unassigned.
_ESCAPED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}

#: Names of the control characters messages name (``char_name``).
_CONTROL_NAMES = {0: "NUL", 7: "BEL", 8: "backspace", 9: "tab", 10: "line feed", 13: "carriage return",
                  27: "ESC", 127: "DEL"}


_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    if char == " " or unicodedata.category(char) not in _ESCAPED_CATEGORIES:
        return char
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _escaped(text: str) -> str:
    return "".join(_escape(c) for c in text)


def printable(text: str, limit: int = MAX_SHOWN) -> str:
    """``text`` made safe for a one-line message: escaped (``\\x1b``, ``\\u202e``, ``\\n``), and
    cut to ``limit`` characters, followed by ``...`` and the full length, when it is longer."""
    if len(text) > limit:
        return f"{_escaped(text[:limit])}... ({len(text):,} characters)"
    return _escaped(text)


def quote(text: Any, limit: int = MAX_SHOWN) -> str:
    """A name or text from the file in single quotes, made safe as by :func:`printable`
    (anything but a string is shown as by :func:`show`)."""
    if not isinstance(text, str):
        return show(text)
    if len(text) > limit:
        return f"'{_escaped(text[:limit])}...' ({len(text):,} characters)"
    return f"'{_escaped(text)}'"


def char_name(char: str) -> str:
    """``NUL``, ``ESC``, ``RIGHT-TO-LEFT OVERRIDE``: how a message names one character."""
    code = ord(char)
    if code in _CONTROL_NAMES:
        return _CONTROL_NAMES[code]
    return unicodedata.name(char, "a control character" if unicodedata.category(char) == "Cc" else "unnamed")

#: Mappings whose keys are names of things, and what one such thing is called.
COLLECTIONS: dict[tuple[str, ...], str] = {
    ("conversions", "macro"): "conversion",
    ("conversions", "micro"): "conversion",
    ("events",): "event",
    ("parameter_sets",): "parameter set",
    ("custom_dimensions",): "custom dimension",
    ("custom_metrics",): "custom metric",
    ("calculated_metrics",): "calculated metric",
    ("channel_groups",): "channel group",
    ("audiences",): "audience",
    ("segments",): "segment",
    ("funnels",): "funnel",
    ("reports",): "report",
    ("environments",): "environment",
}

#: What one item of a list under this key is called.
ITEM_NOUNS = {
    "steps": "step",
    "when": "condition",
    "set": "mutation",
    "created_from": "event create rule",
    "event_edit_rules": "event edit rule",
    "where": "filter",
    "alerts": "alert",
    "split_tests": "split test",
    "trends": "trend",
    "next_actions": "next action",
    "values": "value",
    "to": "address",
    "cc": "address",
    "stages": "stage",
    "protect": "entry",
    "funnels": "funnel",
    "key_events": "key event",
    "formats": "format",
    "in": "value",
    "channels": "channel",
    "include": "include clause",
    "exclude": "exclude clause",
    "sequence": "step",
}

#: Mappings inside a named thing whose keys are names, and what one such thing is called
#: (``parameters.payment_type`` -> ``parameter 'payment_type'``).
NAMED_CHILDREN = {"parameters": "parameter", "item_parameters": "item parameter"}

#: How a single mapping under this key is called (when it is not a list item).
SINGLE_NOUNS = {
    "created_from": "the event create rule",
    "email": "the e-mail settings",
    "breakdown": "the breakdown",
    "period": "the period",
    "value": "the value",
    "overrides": "the overrides",
}


def strip_environment(path: Path) -> Path:
    """A path inside ``environments.NAME.overrides`` seen from the plan's top."""
    if len(path) >= 3 and path[0] == "environments" and path[2] == "overrides":
        return path[3:]
    return path


def describe(path: Path) -> str:
    """A readable name for the thing at ``path``: ``step 3 of funnel 'checkout'``."""
    path = strip_environment(path)
    if not path:
        return "the top level"
    phrase = ""
    i = 0
    # a named thing in a collection
    for prefix, noun in COLLECTIONS.items():
        n = len(prefix)
        if len(path) > n and tuple(path[:n]) == prefix and isinstance(path[n], str):
            phrase = f"{noun} {quote(path[n])}"
            i = n + 1
            break
    while i < len(path):
        part = path[i]
        nxt = path[i + 1] if i + 1 < len(path) else None
        if phrase and part in NAMED_CHILDREN and isinstance(nxt, str):
            label = f"{NAMED_CHILDREN[part]} {quote(nxt)}"
            phrase = f"{label} of {phrase}"
            i += 2
            continue
        if isinstance(part, str) and isinstance(nxt, int):
            noun = ITEM_NOUNS.get(part, "")
            label = f"{noun} {nxt + 1}" if part in ITEM_NOUNS else f"item {nxt + 1} of {quote(part)}"
            phrase = f"{label} of {phrase}" if phrase else label
            i += 2
            continue
        if isinstance(part, str):
            label = SINGLE_NOUNS.get(part, quote(part)) if phrase else quote(part)
            phrase = f"{label} of {phrase}" if phrase else label
        else:
            phrase = f"item {part + 1} of {phrase}" if phrase else f"item {part + 1}"
        i += 1
    return phrase


def subject(path: Path) -> str:
    """How a message names the value at ``path``: ``'within'``, ``conversion 'purchase'``..."""
    stripped = strip_environment(path)
    if not stripped:
        return quote(path[-1]) if path else "the plan"  # an environment's 'overrides' itself
    last = stripped[-1]
    if isinstance(last, str) and tuple(stripped[:-1]) not in COLLECTIONS:
        return quote(last)
    if isinstance(last, int) and len(stripped) > 1 and isinstance(stripped[-2], str):
        if stripped[-2] not in ITEM_NOUNS:
            return f"item {last + 1} of {quote(stripped[-2])}"
    return describe(path)


def show(value: Any) -> str:
    """A value as it would be written in YAML, for messages."""
    if value is None:
        return "nothing (null)"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return quote(value) if value else "an empty string"
    if isinstance(value, int) and value.bit_length() > 200:
        return f"a number of {len(hex(value)) - 2:,} hexadecimal digits"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return repr(value)  # pragma: no cover


#: Most items of a list a message names; the rest are counted.
MAX_LISTED = 20


def listed(items: Iterable[Any]) -> str:
    """``a, b, c`` (the first ``MAX_LISTED`` items, then how many more)."""
    shown = [str(i) for i in items]
    if len(shown) > MAX_LISTED:
        return f"{', '.join(shown[:MAX_LISTED])} and {len(shown) - MAX_LISTED:,} more"
    return ", ".join(shown)


def one_of(choices: Iterable[Any], conjunction: str = "or") -> str:
    """``a, b or c`` (the first ``MAX_LISTED`` items, then how many more)."""
    items = [str(c) for c in choices]
    if len(items) > MAX_LISTED:
        return f"{', '.join(items[:MAX_LISTED])} {conjunction} {len(items) - MAX_LISTED:,} more"
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
