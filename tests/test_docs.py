"""The README and docs/ stay true: links resolve, examples validate, documented output is real.

The README is what a newcomer reads first and stays short; the reference lives in docs/*.md.
Each page's facts that can be checked mechanically are checked here (the plan file reference's
example is checked in tests/plan_file/test_schema_and_configs.py).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from ga_goals.cli import cli
from ga_goals.errors import ExitCode
from ga_goals.plan_file import validate_file
from tests.conftest import ROOT
from tests.reports import test_chromium

README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
#: Linked from the README and docs/README.md, written on another branch. Checked like any page
#: once it exists; the test below fails then, to have the name taken off this list.
NOT_YET_WRITTEN: set[Path] = set()

FENCE = re.compile(r"^(```|~~~)")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def prose(text: str) -> Iterator[str]:
    """The lines of a Markdown text outside fenced code blocks, inline code removed."""
    fenced = False
    for line in text.splitlines():
        if FENCE.match(line.lstrip()):
            fenced = not fenced
            continue
        if not fenced:
            yield re.sub(r"`[^`]*`", "", line)


def headings(text: str) -> list[str]:
    """The headings of a Markdown text, as written (outside code blocks)."""
    fenced = False
    found = []
    for line in text.splitlines():
        if FENCE.match(line.lstrip()):
            fenced = not fenced
        elif not fenced and (m := re.match(r"#{1,6} (.+)", line)):
            found.append(m.group(1).strip())
    return found


def anchors(text: str) -> set[str]:
    """The anchors GitHub gives the headings: lower-case, punctuation dropped, spaces to '-',
    a repeated anchor numbered (-1, -2...)."""
    seen: dict[str, int] = {}
    out = set()
    for heading in headings(text):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def links(page: Path) -> list[str]:
    return [m.group(1) for line in prose(page.read_text()) for m in LINK.finditer(line)]


def fenced_blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", text, re.S | re.M)


def section(text: str, heading: str) -> str:
    """From the heading line to the next heading of the same or a higher level."""
    start = text.index(heading + "\n")
    level = len(heading) - len(heading.lstrip("#"))
    rest = text[start + len(heading) + 1 :]
    end = re.search(rf"^#{{1,{level}}} ", rest, re.M)
    return rest[: end.start()] if end else rest


def test_the_readme_stays_short():
    lines = README.read_text().splitlines()
    assert len(lines) < 250, f"README.md has {len(lines)} lines: move details into docs/ and link them"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_points_at_a_file_and_heading_that_exist(page: Path):
    problems = []
    for link in links(page):
        if re.match(r"[a-z][a-z0-9+.-]*:", link):  # https:, mailto: ...
            continue
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        if target in NOT_YET_WRITTEN and not target.exists():
            continue
        if not target.exists():
            problems.append(f"{link}: no file {target.relative_to(ROOT)}")
        elif anchor and target.suffix == ".md" and anchor not in anchors(target.read_text()):
            problems.append(f"{link}: no heading with anchor #{anchor} in {target.relative_to(ROOT)}")
    assert problems == []


def test_pages_written_elsewhere_are_taken_off_the_list_once_they_exist():
    assert [p for p in NOT_YET_WRITTEN if p.exists()] == [], "checked like any page now: empty NOT_YET_WRITTEN"
    for page in NOT_YET_WRITTEN:
        assert any((p.parent / link.partition("#")[0]).resolve() == page for p in PAGES for link in links(p))


def test_every_docs_page_is_in_the_index_and_the_readme():
    index = {link.partition("#")[0] for link in links(DOCS / "README.md")}
    from_readme = {link.partition("#")[0] for link in links(README)}
    for page in [*sorted(DOCS.glob("*.md")), *NOT_YET_WRITTEN]:
        if page.name != "README.md":
            assert page.name in index, f"docs/README.md does not list {page.name}"
        assert f"docs/{page.name}" in from_readme, f"README.md does not link docs/{page.name}"


def test_the_anchor_rule_matches_githubs():
    text = "# `ga-goals report FILE [REPORT...]`\n## E-mail\n```sh\n# not a heading\n```\n## E-mail\n"
    assert anchors(text) == {"ga-goals-report-file-report", "e-mail", "e-mail-1"}


def readme_command(number: int) -> str:
    """Quick-start command NUMBER of the README (the one-line sh block after its bold title)."""
    text = README.read_text()
    start = text.index(f"**{number}. ")
    [command] = fenced_blocks(text[start:], "sh")[:1]
    assert command.count("\n") == 1
    return command.strip()


def test_ci_runs_exactly_the_readmes_test_command():
    script = (ROOT / ".ci" / "run").read_text().splitlines()
    last = [line for line in script if line.strip() and not line.startswith("#")][-1]
    assert last == readme_command(2)


def test_development_md_quotes_the_test_command_and_its_part_without_the_install():
    text = (DOCS / "development.md").read_text()
    command = readme_command(2)
    assert command in fenced_blocks(text, "sh")[0]
    install, rest = command.split(")) && ", 1)  # the install is the first, parenthesised step
    assert install.startswith("(command -v chromium") and "apt-get install" in install
    assert "chromium" not in rest and rest.startswith("python3 -m venv")
    assert rest in [block.strip() for block in fenced_blocks(text, "sh")]


def test_development_md_names_the_chromium_tests_and_their_failure():
    text = " ".join((DOCS / "development.md").read_text().split())
    tests = sorted(name for name in vars(test_chromium) if name.startswith("test_"))
    assert len(tests) == 3
    assert "Three tests, all in `tests/reports/test_chromium.py`" in text and "those three tests **fail**" in text
    for name in tests:
        assert f"`{name}`" in text
    assert f"`AssertionError: {test_chromium.NEEDS_CHROMIUM}`" in text


def test_the_short_plan_in_the_readme_is_valid(tmp_path: Path):
    text = README.read_text()
    [plan] = fenced_blocks(section(text, "## The tracking plan"), "yaml")
    path = tmp_path / "short.yaml"
    path.write_text(plan)
    assert validate_file(path, env={}) == []


def test_every_command_is_documented_and_listed_in_the_readme():
    commands_md = (DOCS / "commands.md").read_text()
    documented = [h.strip("`") for h in headings(commands_md) if h.startswith("`ga-goals ")]
    readme_rows = [line for line in README.read_text().splitlines() if line.startswith("| `ga-goals ")]
    for name, command in cli.commands.items():
        names = [name]
        if hasattr(command, "commands"):  # a group: each of its commands
            names = [f"{name} {sub}" for sub in command.commands]
        for full in names:
            words = full.split()
            in_heading = [h for h in documented if h.split()[1] == words[0] and all(w in h.split() for w in words)]
            in_readme = [r for r in readme_rows if f"`ga-goals {words[0]}" in r and all(w in r for w in words)]
            assert in_heading, f"docs/commands.md has no section for `ga-goals {full}`"
            assert in_readme, f"the README's command list has no row for `ga-goals {full}`"


def test_the_documented_exit_codes_are_the_real_ones():
    codes = {v for k, v in vars(ExitCode).items() if k.isupper()}
    for text in (section((DOCS / "commands.md").read_text(), "## Colour and exit codes"), README.read_text()):
        found = {int(c) for c in re.findall(r"\*\*(\d+)\*\*", text)}
        assert found == codes


#: The plan the validate example in docs/commands.md runs on: its output there is this file's.
BROKEN = """\
property: sandbox
currency: usd
conversions:
  macro:
    purchase:
      countng: once_per_event
      stage: checkout
  micro:
    add to cart: {stage: product}

events:
  view_item: {stage: product}

custom_dimensions:
  user_id: {scope: user, display_name: User ID}

custom_metrics:
  cart_value: {unit: currency, display_name: Cart value}
funnels:
  checkout:
    steps: [view_item, add_to_cart, {event: begin_checkot, within: 1 hour}]
"""


def console_runs(block: str) -> list[tuple[list[str], str]]:
    """`$ command` lines of a console block and the output shown after each."""
    runs: list[tuple[list[str], str]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            runs.append((shlex.split(line[2:]), ""))
        else:
            runs[-1] = (runs[-1][0], runs[-1][1] + line + "\n")
    return runs


def test_the_documented_validate_output_is_what_validate_prints(
    tmp_path: Path, sandbox_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    [block] = fenced_blocks(section((DOCS / "commands.md").read_text(), "## `ga-goals validate FILE...`"), "console")
    (tmp_path / "broken.yaml").write_text(BROKEN)
    (tmp_path / "configs").symlink_to(ROOT / "configs")
    monkeypatch.chdir(tmp_path)
    runs = console_runs(block)
    assert [args[:2] for args, _ in runs] == [["ga-goals", "validate"]] * 2
    for args, shown in runs:
        files = [str(p.relative_to(tmp_path)) for a in args[2:] for p in sorted(tmp_path.glob(a))]
        assert files
        result = CliRunner().invoke(cli, ["--no-color", *args[1:2], *files], catch_exceptions=False)
        assert result.output == shown, " ".join(args)


def test_the_layout_in_development_md_names_every_part_of_the_package():
    text = (DOCS / "development.md").read_text()
    [layout] = [block for block in fenced_blocks(text, "") if block.startswith("ga_goals/\n")]
    named = {line.split()[0].rstrip("/") for line in layout.splitlines()[1:] if line.startswith("  ") and line[2] != " "}
    parts = {p.name.removesuffix(".py") for p in (ROOT / "ga_goals").iterdir() if p.name != "__pycache__"}
    parts -= {"__init__", "__main__", "py.typed"}
    assert parts == {n.removesuffix(".py") for n in named}
