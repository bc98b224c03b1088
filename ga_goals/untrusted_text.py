"""Text the program did not write (GA4 data, plan strings) made safe to show: the one place that
escapes, isolates and cuts it.

Anyone can send events to a GA4 property, so a breakdown value, a page location or an event
name can hold anything: terminal escapes (``ESC[31m``), NUL, BEL, a right-to-left override
(U+202E) that reverses the report's own text after it ("100%" shown as "%001"), or a
1,000-character URL that widens a table or an e-mail far beyond the window. Every output
format shows such text through this module:

* :func:`visible`: control characters (C0, DEL, C1) and the explicit bidi embeddings,
  overrides and isolates (U+202A-U+202E, U+2066-U+2069) become visible escapes (``\\x1b``,
  ``\\u202e``); line breaks, tabs and other spaces become one space. The bidi controls are
  escaped rather than kept because a stray PDI (U+2069) in a value would close the isolate
  around it early, and nothing in GA4 data needs them; the bidi *marks* (LRM, RLM, ALM) stay,
  as they cannot reach outside an isolate.
* :func:`isolate`: wraps text holding right-to-left or Arabic-number characters in FSI ... PDI
  (U+2068, U+2069), so that it cannot reorder the text around it (plain text); left-to-right
  text is left as is, as it cannot reorder anything once every right-to-left value is isolated
  (and plain text stays greppable). HTML uses ``<bdi>`` for every value instead (:func:`html`).
  A sentence of the report's own with a value in it (an alert message) is isolated left to
  right (LRI ... PDI, ``<bdi dir="ltr">``), so that a right-to-left value at its start does
  not turn the whole sentence around.
* :func:`cut`: at most ``limit`` display columns, cutting out the middle
  (``https://shop.example.com/pro…/checkout``) so that both ends of a URL stay.
* :func:`plain` (all three, for plain text), :func:`html` (``<bdi>``, escaped, cut, with
  ``<wbr>`` break opportunities so that a long value wraps, even in mail clients) and
  :func:`json_text` (JSON with no raw control or bidi characters, the data unchanged).
* :func:`no_raw_controls`: the safety net under every template value (``ga_goals.templating``),
  for text no template passed through ``untrusted``.

Display width (:func:`width`) counts East Asian wide characters as 2 columns and combining
marks and format characters as 0, for aligned plain-text tables.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

#: First Strong Isolate, Left-to-Right Isolate and Pop Directional Isolate: plain-text isolates.
FSI, LRI, PDI = "\u2068", "\u2066", "\u2069"
#: The explicit bidi embeddings, overrides and isolates (escaped; see the module docstring).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: Bidi classes that can reorder the text around them.
_RTL_CLASSES = frozenset({"R", "AL", "AN"})
#: Where a long HTML value may wrap (after these), besides spaces.
_BREAK_AFTER = frozenset("/?&=.,;:-_+#~@|")
#: A run of this many characters without a break opportunity gets one.
_BREAK_EVERY = 16
#: Values up to this many columns get no ``<wbr>``: they fit any table cell as they are.
_BREAK_FROM = 32
#: The mark of a cut.
ELLIPSIS = "…"


class SafeText(str):
    """Text this module has made safe (:func:`plain`): the template safety net
    (:func:`no_raw_controls`) leaves its FSI ... PDI alone."""

    __slots__ = ()


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _is_space(char: str) -> bool:
    return char in "\t\n\v\f\r" or unicodedata.category(char) in ("Zs", "Zl", "Zp")


def _must_escape(char: str) -> bool:
    return unicodedata.category(char) == "Cc" or char in BIDI_CONTROLS


def _tokens(value: object) -> list[str]:
    """``value`` as display units: a character (with the combining marks after it) or an escape."""
    tokens: list[str] = []
    space = False
    for char in str(value):
        if _is_space(char):
            space = bool(tokens)
            continue
        if space:
            tokens.append(" ")
            space = False
        if _must_escape(char):
            tokens.append(_escape(char))
        elif tokens and _width_of(char) == 0 and not tokens[-1].startswith("\\"):
            tokens[-1] += char  # a combining mark stays with its base character
        else:
            tokens.append(char)
    return tokens


def visible(value: object) -> str:
    """One line with no control or bidi-control character: those become ``\\x1b``/``\\u202e``,
    runs of spaces, tabs and line breaks one space (none at either end)."""
    return "".join(_tokens(value))


def _width_of(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def width(text: str) -> int:
    """Columns ``text`` takes in a monospaced font (wide characters 2, marks and FSI/PDI 0)."""
    return sum(_width_of(char) for char in text)


def _cut_tokens(tokens: list[str], limit: int | None) -> tuple[list[str], bool]:
    if limit is None or sum(width(t) for t in tokens) <= limit:
        return tokens, False
    room = max(limit - 1, 1)
    head_room = (room * 2 + 2) // 3  # two thirds from the start, one third from the end
    tail_room = room - head_room
    head: list[str] = []
    used = 0
    for token in tokens:
        if used + width(token) > head_room:
            break
        head.append(token)
        used += width(token)
    tail: list[str] = []
    used = 0
    for token in reversed(tokens[len(head) :]):
        if used + width(token) > tail_room:
            break
        tail.append(token)
        used += width(token)
    tail.reverse()
    return [*head, ELLIPSIS, *tail], True


def cut(value: object, limit: int | None) -> str:
    """:func:`visible` ``value`` in at most ``limit`` columns, its middle replaced by ``…`` when
    longer; never splits an escape or a character from its combining marks."""
    return "".join(_cut_tokens(_tokens(value), limit)[0])


def needs_isolation(text: str) -> bool:
    """Whether ``text`` has a character that could reorder the text around it."""
    return any(unicodedata.bidirectional(char) in _RTL_CLASSES for char in text)


def isolate(text: str, *, ltr: bool = False) -> str:
    """``text`` in FSI ... PDI when it holds right-to-left characters (see the module docstring).

    ``ltr``: in LRI ... PDI instead, for a sentence of the report's own with values in it (an
    alert message): its direction is the report's, whatever the value at its start.
    """
    return f"{LRI if ltr else FSI}{text}{PDI}" if needs_isolation(text) else text


def plain(value: object, limit: int | None = None, *, ltr: bool = False) -> SafeText:
    """Untrusted ``value`` for plain text: :func:`visible`, :func:`cut` to ``limit`` columns, :func:`isolate`."""
    return SafeText(isolate(cut(value, limit), ltr=ltr))


def _html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;").replace("'", "&#39;")


def _with_breaks(tokens: list[str]) -> Iterator[str]:
    if sum(width(t) for t in tokens) <= _BREAK_FROM:
        yield from map(_html_escape, tokens)
        return
    run = 0
    for token in tokens:
        yield _html_escape(token)
        run = 0 if token == " " else run + 1
        if token in _BREAK_AFTER or run >= _BREAK_EVERY:
            yield "<wbr>"
            run = 0


def html(value: object, limit: int | None = None, *, ltr: bool = False) -> str:
    """Untrusted ``value`` as an HTML fragment: ``<bdi>`` (an isolate with its own direction;
    ``ltr``: left to right, as :func:`isolate`), :func:`visible`, escaped, cut to ``limit``
    characters, with ``<wbr>`` break opportunities after URL punctuation and within long runs
    (in values longer than 32 characters)."""
    shown, _ = _cut_tokens(_tokens(value), limit)
    start = '<bdi dir="ltr">' if ltr else "<bdi>"
    return f"{start}{''.join(_with_breaks(shown))}</bdi>"


#: Characters JSON may carry raw but that must not reach a file or terminal raw.
_JSON_ESCAPES = {code: f"\\u{code:04x}" for code in [*range(0x7F, 0xA0), *map(ord, BIDI_CONTROLS), 0x2028, 0x2029]}


#: Control characters a template may not write raw (line breaks and tabs are layout).
_RAW_CONTROLS = {code: _escape(chr(code)) for code in [*range(0x00, 0x20), *range(0x7F, 0xA0)] if chr(code) not in "\n\t"}
_RAW_BIDI = {**_RAW_CONTROLS, **{ord(c): _escape(c) for c in BIDI_CONTROLS}}


def no_raw_controls(text: str, *, bidi: bool = True) -> str:
    """``text`` with every control character but line feed and tab escaped (``\x1b``), and
    with ``bidi`` the bidi controls too; CR LF becomes LF. The safety net under every template
    value (``ga_goals.templating``): :class:`SafeText` is returned as it is."""
    if isinstance(text, SafeText):
        return text
    return text.replace("\r\n", "\n").translate(_RAW_BIDI if bidi else _RAW_CONTROLS)


def json_text(text: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``, which escapes C0 controls
    already) with DEL, C1 controls, bidi controls and line/paragraph separators as ``\\uXXXX``
    escapes: the same data, nothing raw in the file. Only valid on JSON text (these
    characters only occur inside JSON strings)."""
    return text.translate(_JSON_ESCAPES)
