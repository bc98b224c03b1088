"""A clone is complete: nothing points outside the repository, and every ``docs/*.md`` named exists.

The GA4 facts and funnel semantics the code relies on live in ``docs/`` (``ga4-api-facts.md``,
``funnel-semantics.md``); docstrings once pointed at the team's notes outside the repository
(the team's shared folder), which a clone does not have.
"""

from __future__ import annotations

import ast
import io
import re
import subprocess
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Spelled in pieces so that this file does not match itself.
OUTSIDE = ["../" + "shared", "GA4-API" + ".md", "FUNNELS" + ".md", "DESIGN" + ".md"]
DOCS_PATH = re.compile(r"\bdocs/[\w./-]+?\.md\b")


def _repository_files() -> list[Path]:
    """Every file of the checkout that git tracks or would track (new files included)."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    return [ROOT / line for line in out.splitlines() if (ROOT / line).is_file()]


def _texts() -> list[tuple[str, str]]:
    texts = []
    for path in _repository_files():
        try:
            texts.append((str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")))
        except UnicodeDecodeError:
            continue  # images and other binary files
    return texts


def test_the_scan_sees_the_code_and_the_docs():
    names = {name for name, _ in _texts()}
    assert "ga_goals/funnels/semantics.py" in names
    assert "docs/ga4-api-facts.md" in names
    assert "docs/funnel-semantics.md" in names


@pytest.mark.parametrize("needle", OUTSIDE)
def test_no_file_refers_outside_the_repository(needle):
    offenders = [
        f"{name}:{number}"
        for name, text in _texts()
        for number, line in enumerate(text.splitlines(), 1)
        if needle in line
    ]
    assert not offenders, f"{needle!r} is outside the repository; cite docs/ instead: {offenders}"


def _docstrings_and_comments(source: str) -> list[str]:
    """The docstrings (module, class, function) and ``#`` comments of Python source."""
    found = [
        doc
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and (doc := ast.get_docstring(node, clean=False))
    ]
    found += [tok.string for tok in tokenize.generate_tokens(io.StringIO(source).readline) if tok.type == tokenize.COMMENT]
    return found


def _names_a_document(line: str) -> bool:
    """False for a shell example in a help text (``ga-goals docs plan.yaml > docs/x.md``): an output path."""
    return "ga-goals " not in line


def _exists(path: str) -> bool:
    """A repository document, or a built-in template (``templates/docs/plan.md``)."""
    return (ROOT / path).is_file() or (ROOT / "templates" / path).is_file()


def test_every_docs_path_named_in_a_docstring_or_comment_exists():
    named = {
        (name, match.group(0))
        for name, text in _texts()
        if name.endswith(".py")
        for prose in _docstrings_and_comments(text)
        for line in prose.splitlines()
        if _names_a_document(line)
        for match in DOCS_PATH.finditer(line)
    }
    assert ("ga_goals/funnels/semantics.py", "docs/funnel-semantics.md") in named
    assert ("ga_goals/ga4/clients.py", "docs/ga4-api-facts.md") in named
    missing = sorted(f"{name}: {path}" for name, path in named if not _exists(path))
    assert not missing, f"docs named but missing: {missing}"


def test_a_missing_doc_named_in_a_comment_is_found():
    source = '"""See docs/nowhere.md."""\n# and docs/also-nowhere.md\nx = "docs/plan.md"  # output path, not prose\n'
    prose = " ".join(_docstrings_and_comments(source))
    assert DOCS_PATH.findall(prose) == ["docs/nowhere.md", "docs/also-nowhere.md"]
