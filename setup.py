"""The one packaging detail pyproject.toml cannot say: which packages to ship.

Everything else is in pyproject.toml. The top-level ``templates/`` and ``configs/`` folders
ship inside the package as ``ga_goals.templates`` and ``ga_goals.examples``
(``[tool.setuptools] package-dir`` maps them), and setuptools' declarative discovery cannot
find packages under a mapped folder. So the package list is computed here: every package
under ``ga_goals/`` and every folder under ``templates/``, found when the wheel (or an
editable install) is built, so a new sub-package or template folder needs no list to edit.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import find_namespace_packages, setup

ROOT = Path(__file__).resolve().parent
_SKIP = ["*__pycache__*"]


def packages() -> list[str]:
    """``ga_goals`` and its sub-packages, the built-in templates and the example plans."""
    found = find_namespace_packages(where=str(ROOT), include=["ga_goals", "ga_goals.*"], exclude=_SKIP)
    found += ["ga_goals.templates"]
    found += [f"ga_goals.templates.{name}" for name in find_namespace_packages(where=str(ROOT / "templates"), exclude=_SKIP)]
    found += ["ga_goals.examples"]
    return sorted(found)


if __name__ == "__main__":
    setup(packages=packages())
