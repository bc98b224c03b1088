"""docs/parameter-checks.md and docs/commands.md say what the code does: every kind of finding, the
type rules, the Data API's words, the sandbox's known violations."""

from __future__ import annotations

import re

from ga_goals.checks.findings import KINDS
from ga_goals.events import generator
from ga_goals.ga4.schema_check import NOT_REGISTERED
from ga_goals.model.parameter_types import ACCEPTS, ANY, WHOLE
from tests.conftest import ROOT

PAGE = (ROOT / "docs" / "parameter-checks.md").read_text()
COMMANDS = (ROOT / "docs" / "commands.md").read_text()


def _table_rows(text: str, first: str) -> dict[str, str]:
    """The rows of the Markdown table whose header starts with ``first``: first cell -> second."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first} |"))
    rows = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0].strip("`")] = cells[1]
    return rows


def test_every_kind_of_finding_is_in_the_commands_table():
    assert set(_table_rows(COMMANDS, "Kind")) == set(KINDS)
    parameter_kinds = {k for k in KINDS if k.startswith("parameter_") and k != "parameter_never_arrives"}
    assert parameter_kinds | {"not_checked"} == set(_table_rows(PAGE, "Kind"))
    for kind in parameter_kinds:
        assert _table_rows(PAGE, "Kind")[kind] == KINDS[kind].severity


def test_the_type_table_is_the_code_s():
    rows = _table_rows(PAGE, "Type")
    assert set(rows) == set(ACCEPTS)
    for type_, fields in ACCEPTS.items():
        for name, rule in fields.items():
            assert f"`{name}`" in rows[type_], (type_, name)
            if rule == WHOLE:
                assert "whole number" in rows[type_]
            elif rule != ANY:
                assert all(str(v) in rows[type_] for v in rule)


def test_the_data_api_s_words_and_the_known_violations():
    assert NOT_REGISTERED.split(";")[0] in PAGE.replace("\n  ", " ")
    text = re.sub(r"\s+", " ", PAGE)
    assert f"{generator.BROKEN_RELEASE_DAYS} consecutive days" in text
    low, high = generator.BROKEN_RELEASE_END_BEFORE
    assert f"{low} to {high + generator.BROKEN_RELEASE_DAYS - 1} days before the end" in text
    for rate in (generator.BANK_TRANSFER_RATE, generator.VALUE_AS_TEXT_RATE, generator.EXPERIMENT_VARIANT_RATE):
        assert f"about {rate:.0%}".replace("%", " %") in text
    assert all(f"`{v}`" in text for v in generator.EXPERIMENT_VARIANTS)
