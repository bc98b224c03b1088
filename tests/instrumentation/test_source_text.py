"""The one place plan text is escaped for generated source: properties over any text."""

from __future__ import annotations

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from ga_goals.instrumentation.source_text import (
    doc_comment,
    json_text,
    pascal_identifier,
    ts_key,
    ts_literal,
    ts_string,
    unique_identifiers,
)

#: Every character JavaScript ends a line at.
JS_LINE_TERMINATORS = "\n\r\u2028\u2029"
ASCII_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
#: Any text, biased towards what breaks comments, strings and template literals.
text = st.lists(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=5)
    | st.sampled_from(["*/", "/*", "`", "${", "\u2028", "\u2029", "\r", "\\", '"', "</script>", "\x00"])
).map("".join)


@given(text)
def test_a_string_literal_is_json_ascii_and_reads_back(value: str):
    literal = ts_string(value)
    assert json.loads(literal) == value
    assert literal.isascii() and not any(c in literal for c in JS_LINE_TERMINATORS)
    assert "</" not in literal


@given(text)
def test_a_key_is_bare_only_when_it_is_a_plain_identifier(name: str):
    key = ts_key(name)
    assert key == name if ASCII_IDENTIFIER.match(name) else json.loads(key) == name


def test_literals_of_allowed_values():
    assert [ts_literal(v) for v in ("paypal", 3, True, 'a"b')] == ['"paypal"', "3", "true", '"a\\"b"']


@given(text, text)
def test_a_doc_comment_opens_and_closes_once_and_every_line_is_inside(first: str, second: str):
    comment = doc_comment(first, second, indent="  ")
    if not (first.strip() or second.strip()):
        assert comment == ""
        return
    assert comment.startswith("  /**") and comment.endswith("*/\n")
    body = comment[len("  /**") : -len("*/\n")]
    assert "*/" not in body
    for terminator in JS_LINE_TERMINATORS[1:]:  # only \n ends a line of the comment
        assert terminator not in comment
    lines = comment.rstrip("\n").split("\n")
    assert len(lines) == 1 or (lines[0] == "  /**" and all(line.startswith("   *") for line in lines[1:]))
    assert not re.search(r"[\x00-\x08\x0e-\x1f\x7f]", comment.replace("\n", ""))


@given(st.text(min_size=1))
def test_identifiers_are_ascii_identifiers(name: str):
    assert ASCII_IDENTIFIER.match(pascal_identifier(name))


def test_identifiers_read_like_the_event_name():
    assert pascal_identifier("add_to_cart") == "AddToCart"
    assert pascal_identifier("view_item_list") == "ViewItemList"
    assert pascal_identifier("café") == "Caf_e9"
    assert pascal_identifier("2fa") == "_2fa"


@given(st.lists(st.text(min_size=1, max_size=8, alphabet="aAbB_1é"), unique=True), st.randoms())
def test_unique_identifiers_are_distinct_whatever_the_order(names: list[str], rng):
    ids = unique_identifiers(names)
    assert len({i.lower() for i in ids.values()}) == len(names)
    shuffled = list(names)
    rng.shuffle(shuffled)
    assert unique_identifiers(shuffled) == ids


def test_json_text_is_canonical():
    assert json_text({"b": 1, "a": ["é"]}) == '{\n  "a": [\n    "é"\n  ],\n  "b": 1\n}\n'
