"""ga_goals.untrusted_text: the rules every output applies to text it did not write."""

from __future__ import annotations

import json
import unicodedata
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from ga_goals.untrusted_text import BIDI_CONTROLS, FSI, LRI, PDI, cut, html, isolate, json_text, no_raw_controls, plain, visible, width

#: Every kind of character that matters: controls, bidi controls and marks, right-to-left
#: letters and digits, wide and combining characters, spaces, line breaks, URL punctuation.
NASTY = (
    "\x00\x07\x08\x09\x0a\x0b\x0c\x0d\x1b\x1c\x7f\x85\x9b"
    "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    "\u05d0\u05d1\u0627\u0661\u0663"  # Hebrew, Arabic letters, Arabic-Indic digits
    "\u4e2d\u6587\u0301\u200d\u00a0\u2028\u2029 "
    "abc123%/?&=._-<>\"'\\[m"
)
texts = st.text(alphabet=st.sampled_from(NASTY) | st.characters(), max_size=300)
limits = st.none() | st.integers(min_value=2, max_value=120)


def raw_controls(text: str) -> set[str]:
    return {c for c in text if unicodedata.category(c) in ("Cc", "Zl", "Zp") or c in BIDI_CONTROLS}


def test_visible_escapes_controls_and_bidi_controls_and_makes_one_line():
    assert visible("a\x00b\x07c\x08d\x1b[31me\x7f\x9b") == "a\\x00b\\x07c\\x08d\\x1b[31me\\x7f\\x9b"
    assert visible("pay\u202eevil\u2069") == "pay\\u202eevil\\u2069"
    assert visible("  a\tb\r\nc\u2028d\u00a0 e  ") == "a b c d e"
    assert visible("\u200fשלום\u200e") == "\u200fשלום\u200e"  # bidi marks stay: they cannot leak


def test_cut_keeps_both_ends_and_never_splits_an_escape():
    url = "https://shop.example.com/" + "x" * 975
    short = cut(url, 40)
    assert width(short) == 40 and short.startswith("https://shop.example.com/") and short.endswith("xxx")
    assert "…" in short
    assert cut("abc", 40) == "abc" and cut(url, None) == url
    for limit in range(2, 12):
        assert "\\x1" not in cut("\x1b" * 10, limit).replace("\\x1b", "")  # whole escapes only


def test_isolate_only_text_that_can_reorder_its_surroundings():
    assert isolate("checkout") == "checkout"
    assert isolate("עגלה") == f"{FSI}עגלה{PDI}"
    assert isolate("١٢٣") == f"{FSI}١٢٣{PDI}"  # Arabic-Indic digits (class AN) too
    assert plain("x\u202e 100%") == "x\\u202e 100%"  # the override is escaped, nothing to isolate
    assert plain("עגלה: conversion rate is 3%", ltr=True) == f"{LRI}עגלה: conversion rate is 3%{PDI}"
    assert html("עגלה: 3%", ltr=True) == '<bdi dir="ltr">עגלה: 3%</bdi>'


def test_width_counts_columns():
    assert width("abc") == 3 and width("中文") == 4 and width("e\u0301") == 1 and width(f"{FSI}a{PDI}") == 1


def test_html_is_an_isolate_with_break_opportunities():
    assert html("<b>&") == "<bdi>&lt;b&gt;&amp;</bdi>"
    assert html("a" * 32) == f"<bdi>{'a' * 32}</bdi>"  # short enough: no <wbr>
    long = html("https://shop.example.com/" + "x" * 975, 100)
    assert long.startswith("<bdi>https:<wbr>/<wbr>/<wbr>shop.<wbr>example.<wbr>com/<wbr>xxx")
    assert len(long.replace("<wbr>", "").removeprefix("<bdi>").removesuffix("</bdi>")) == 100


def test_no_raw_controls_keeps_line_feeds_and_tabs():
    assert no_raw_controls("a\r\nb\tc\x1b[0m\x00\x85") == "a\nb\tc\\x1b[0m\\x00\\x85"


class _Fragment(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text = ""

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs

    def handle_endtag(self, tag):
        self.tags.append("/" + tag)

    def handle_data(self, data):
        self.text += data


@settings(max_examples=300, deadline=None)
@given(texts, limits)
def test_plain_text_is_one_safe_line_within_its_limit(value, limit):
    shown = plain(value, limit)
    assert not raw_controls(shown.removeprefix(FSI).removesuffix(PDI))
    assert "\n" not in shown and "\t" not in shown
    if limit is not None:
        assert width(shown) <= limit
    core = shown.removeprefix(FSI).removesuffix(PDI)
    assert (shown != core) == any(unicodedata.bidirectional(c) in ("R", "AL", "AN") for c in core)
    assert plain(value, limit) == shown  # deterministic
    assert visible(visible(value)) == visible(value)


@settings(max_examples=300, deadline=None)
@given(texts, limits)
def test_html_fragment_is_one_inert_isolate(value, limit):
    fragment = html(value, limit)
    parsed = _Fragment()
    parsed.feed(fragment)
    parsed.close()
    assert parsed.tags[0] == "bdi" and parsed.tags[-1] == "/bdi"
    assert set(parsed.tags[1:-1]) <= {"wbr"}  # no markup from the value
    assert parsed.text == cut(value, limit)  # exactly the cut visible text
    assert not raw_controls(fragment) and parsed.attrs == []


@settings(max_examples=300, deadline=None)
@given(st.recursive(texts | st.integers(), lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3), max_leaves=6))
def test_json_text_keeps_the_data_and_writes_no_raw_control(value):
    text = json_text(json.dumps(value, ensure_ascii=False))
    assert json.loads(text) == value
    assert not raw_controls(text.replace("\n", ""))
