"""Starter plans for ``ga-goals init``: the commented example plans, written where the user wants them.

The examples are the repository's ``configs/*.yaml``, shipped inside the wheel as the package
``ga_goals.examples`` (pyproject.toml maps the folder in; nothing is copied in the repository).

Public API::

    EXAMPLES                                   # ("shop", "leadgen")
    example_text(name, path=None) -> str
    write_starter(path, example="shop", *, force=False) -> Path   # path: as typed ("sub/" is a folder)
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

from ga_goals.errors import GaGoalsError

#: The package the top-level ``configs/`` folder is installed as.
EXAMPLES_PACKAGE = "ga_goals.examples"

#: Example plans ``init`` can start from (``configs/NAME.yaml``).
EXAMPLES: tuple[str, ...] = ("shop", "leadgen")

#: The file name ``init`` writes when given no path, or a folder.
DEFAULT_FILE = "ga-goals.yaml"

# The examples point editors at the schema inside the repository; a starter plan lives elsewhere.
_SCHEMA_MODELINE = re.compile(r"\A# yaml-language-server: \$schema=\S+\n")
_SCHEMA_HINT = (
    "# For completion and checks in your editor: `ga-goals schema -o plan.schema.json`, then\n"
    "# put a yaml-language-server modeline pointing at it on this file's first line.\n"
)


def example_text(name: str, path: Path | str | None = None) -> str:
    """The text of example plan ``name``, with its commands naming ``path`` when given."""
    if name not in EXAMPLES:
        raise GaGoalsError(f"no example plan {name!r}; choose one of: {', '.join(EXAMPLES)}")
    from importlib.resources import files

    text = (files(EXAMPLES_PACKAGE) / f"{name}.yaml").read_text(encoding="utf-8")
    text = _SCHEMA_MODELINE.sub(_SCHEMA_HINT, text)
    if path is not None:
        text = text.replace(f"configs/{name}.yaml", shlex.quote(str(path)))
    return text


def target_path(path: Path | str | None) -> Path:
    """Where ``init`` writes: ``path``, or ``ga-goals.yaml`` in it when it is a folder (or None).

    A folder is one that exists, or a path ending in ``/`` (``init sub/``: the folder is
    created). ``pathlib`` drops a trailing slash, so ``path`` is looked at as the user typed it.
    """
    if path is None:
        return Path(DEFAULT_FILE)
    typed = str(path)
    folder = Path(typed)
    if folder.is_dir() or typed.endswith(("/", os.sep)):
        if folder.exists() and not folder.is_dir():
            raise GaGoalsError(f"{typed} is a file, not a folder: give a folder, or the plan's file name without the trailing /")
        return folder / DEFAULT_FILE
    return folder


def write_starter(path: Path | str | None, example: str = "shop", *, force: bool = False) -> Path:
    """Write example plan ``example`` to ``path`` (see ``target_path``) and return where it went.

    :raises GaGoalsError: the file exists and ``force`` is false, or ``example`` is unknown.
    """
    target = target_path(path)
    text = example_text(example, target)
    if target.exists() and not force:
        raise GaGoalsError(f"{target} exists; pass --force to overwrite it")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target
