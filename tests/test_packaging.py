"""The wheel ships every package, template and example plan.

The top-level templates/ and configs/ folders are mapped into the package (as
``ga_goals.templates`` and ``ga_goals.examples``, pyproject.toml); setup.py finds the packages.
A folder or file left out here would be missing from the wheel without any error, while the
tests (on the editable install) still pass. Building and installing a real wheel is slower and
is done by hand when packaging changes.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@pytest.fixture(scope="module")
def setuptools_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def _folders_with_files(root: Path) -> list[Path]:
    folders = {root}
    for path in root.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            folders.add(path.parent)
    return sorted(folders)


def test_every_package_and_template_folder_ships(setuptools_config: dict):
    assert "packages" not in setuptools_config, "setup.py finds the packages; a static list would replace it"
    assert setuptools_config["package-dir"] == {"ga_goals.templates": "templates", "ga_goals.examples": "configs"}
    packages = set(runpy.run_path(str(ROOT / "setup.py"), run_name="setup_for_tests")["packages"]())
    expected = {".".join(p.relative_to(ROOT).parts) for p in _folders_with_files(ROOT / "ga_goals")}
    expected |= {
        ".".join(("ga_goals", "templates", *p.relative_to(ROOT / "templates").parts))
        for p in _folders_with_files(ROOT / "templates")
    }
    expected.add("ga_goals.examples")
    assert packages == expected


def _matched(root: Path, patterns: list[str]) -> set[Path]:
    return {path for pattern in patterns for path in root.glob(pattern) if path.is_file()}


def test_every_template_and_example_is_package_data(setuptools_config: dict):
    data = setuptools_config["package-data"]
    templates = ROOT / "templates"
    files = {
        p for p in templates.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".py", ".pyc")
    }
    assert (templates / "docs" / "plan.html") in files and (templates / "docs" / "plan.md") in files
    left_out = sorted(str(p.relative_to(ROOT)) for p in files - _matched(templates, data["ga_goals.templates"]))
    assert not left_out, f"add their suffix to package-data 'ga_goals.templates': {left_out}"
    examples = set((ROOT / "configs").glob("*.yaml"))
    assert examples and examples <= _matched(ROOT / "configs", data["ga_goals.examples"])
    assert "schema/*.json" in data["ga_goals"]
