"""Plan text made safe inside generated source: the one place that escapes for TypeScript and JSON.

Everything ``ga-goals generate`` writes from a plan's strings (event and parameter names,
allowed values, patterns, descriptions, the plan's file name) goes through these functions, so
that no plan can break the generated code: a description holding ``*/``, a backtick, ``${``, a
line or paragraph separator, or a quote stays text; a name that is not an identifier becomes a
quoted key, or an identifier made only of ASCII letters, digits and ``_``.

- :func:`ts_string` -- a TypeScript string literal (JSON's, ASCII only).
- :func:`ts_key` -- an object key or interface member name: bare when it is a plain identifier,
  else quoted.
- :func:`pascal_identifier` -- ``add_to_cart`` -> ``AddToCart``, ASCII only, for derived names.
- :func:`unique_identifiers` -- one distinct identifier base per event name, deterministic.
- :func:`doc_comment` -- a ``/** ... */`` block comment whose text cannot end the comment.
- :func:`json_text` -- canonical JSON: sorted keys, two-space indent, one trailing newline.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

#: An identifier TypeScript accepts bare as a property name, ASCII only (reserved words are
#: fine as property names, so they need no quotes).
_PLAIN_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
#: Every character JavaScript ends a line at (a ``//`` comment or a string would break), and the
#: other separators Python's ``splitlines`` knows, so no text spans lines unprefixed.
_LINE_BREAKS = re.compile(r"\r\n|[\n\r\u2028\u2029\x0b\x0c\x1c\x1d\x1e\x85]")
#: Control characters (other than the line breaks above) shown as their escape, not written raw.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f]")


def ts_string(value: str) -> str:
    """``value`` as a double-quoted TypeScript string literal.

    JSON's escaping with every non-ASCII character as ``\\uXXXX``: quotes, backslashes, control
    characters and U+2028/U+2029 are escaped; backticks and ``${`` mean nothing inside double
    quotes. ``</script`` is broken up so the text is also safe inlined in an HTML page.
    """
    return json.dumps(value, ensure_ascii=True).replace("</", "<\\/")


def ts_key(name: str) -> str:
    """``name`` as an object key or interface member: bare if it is a plain ASCII identifier."""
    return name if _PLAIN_KEY.match(name) else ts_string(name)


def ts_literal(value: str | int | bool) -> str:
    """An allowed value as a TypeScript literal type (``"paypal"``, ``3``, ``true``)."""
    if isinstance(value, bool):  # before int: bool is an int in Python
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return ts_string(value)


def pascal_identifier(name: str) -> str:
    """``add_to_cart`` -> ``AddToCart``: each ``_``-separated part with its first letter upper-cased.

    Only ASCII letters and digits survive as they are; any other character becomes ``_`` and its
    code point in hex (``café`` -> ``Caf_e9``), so the result is an identifier in every
    JavaScript engine and editor. A result starting with a digit gets a leading ``_``.
    """
    parts = []
    for part in name.split("_"):
        if not part:
            continue
        safe = "".join(c if c.isascii() and c.isalnum() else f"_{ord(c):x}" for c in part)
        parts.append(safe[0].upper() + safe[1:])
    ident = "".join(parts) or "_"
    return f"_{ident}" if ident[0].isdigit() else ident


def unique_identifiers(names: Iterable[str]) -> dict[str, str]:
    """A distinct :func:`pascal_identifier` per name, the same whatever the order of ``names``.

    Names that would share one (``add_to_cart`` and ``AddToCart``, GA4 event names being
    case-sensitive) are told apart in sorted order: the first keeps it, the next get ``_2``,
    ``_3``... appended.
    """
    out: dict[str, str] = {}
    taken: set[str] = set()
    for name in sorted(set(names)):
        base = ident = pascal_identifier(name)
        n = 1
        while ident.lower() in taken:  # case-insensitively: file systems and linters care
            n += 1
            ident = f"{base}_{n}"
        taken.add(ident.lower())
        out[name] = ident
    return out


def comment_text(text: str) -> list[str]:
    """``text`` as lines safe inside a block comment: ``*/`` cannot close it, no raw control
    characters, every JavaScript line break splits a line."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    text = text.replace("*/", "*\\/")
    return [line.rstrip() for line in _LINE_BREAKS.split(text)]


def doc_comment(*paragraphs: str, indent: str = "") -> str:
    """A ``/** ... */`` comment of the non-empty ``paragraphs`` (empty string if there are none),
    followed by a newline."""
    lines: list[str] = []
    for paragraph in paragraphs:
        if not paragraph.strip():
            continue
        if lines:
            lines.append("")
        lines.extend(comment_text(paragraph.strip()))
    if not lines:
        return ""
    if len(lines) == 1:
        return f"{indent}/** {lines[0]} */\n"
    body = "".join(f"{indent} *{' ' + line if line else ''}\n" for line in lines)
    return f"{indent}/**\n{body}{indent} */\n"


def json_text(value: Any) -> str:
    """Canonical JSON text: keys sorted, two-space indent, UTF-8 as is, one trailing newline."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
