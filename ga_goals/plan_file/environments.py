"""Environments: one base plan, several properties.

``environments.NAME`` may set ``property``, ``tier`` and ``stream`` and hold ``overrides``, a
partial plan deep-merged over the base document:

* mappings merge key by key; any other value (a string, a number, a list) replaces the base
  value as a whole;
* ``null`` removes the key from the base;
* the environment's own ``property``/``tier``/``stream`` win over the base (and over
  ``overrides``, which cannot set ``property``).

The merged document keeps locations: what comes from ``overrides`` points into the overrides
block, the rest into the base document.
"""

from __future__ import annotations

import copy
from typing import Any

from ga_goals.plan_file.document import Document, Path
from ga_goals.plan_file.schema import OVERRIDABLE

#: Keys an environment sets directly (not through overrides).
ENVIRONMENT_FIELDS = ("property", "tier", "stream")


def environment_names(doc: Document) -> list[str]:
    envs = doc.data.get("environments") if isinstance(doc.data, dict) else None
    return [name for name, value in envs.items() if isinstance(value, dict)] if isinstance(envs, dict) else []


def base_document(doc: Document) -> Document:
    """``doc`` without its ``environments`` block (what every environment starts from)."""
    data = {k: copy.deepcopy(v) for k, v in doc.data.items() if k != "environments"}
    merged = Document(doc.file, data)
    _copy_locations(doc, merged, src=(), dst=(), skip=("environments",))
    return merged


def merge_environment(doc: Document, name: str) -> Document:
    """The document for environment ``name``: the base with the environment merged over it."""
    merged = base_document(doc)
    env = doc.data["environments"][name]
    env_path: Path = ("environments", name)
    overrides = env.get("overrides")
    if isinstance(overrides, dict):
        _merge(doc, merged, overrides, env_path + ("overrides",), ())
    for key in ENVIRONMENT_FIELDS:
        if key in env and env[key] is not None:
            _replace(doc, merged, env[key], env_path + (key,), (key,))
    return merged


def _merge(doc: Document, merged: Document, overrides: dict[str, Any], src: Path, dst: Path) -> None:
    target = merged.get(dst)
    assert isinstance(target, dict)
    for key, value in overrides.items():
        if not dst and key not in OVERRIDABLE:
            continue  # not allowed in overrides: the base document's check reports it
        if value is None:
            if key in target:
                del target[key]
                _drop_locations(merged, dst + (key,))
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(doc, merged, value, src + (key,), dst + (key,))
        else:
            _replace(doc, merged, value, src + (key,), dst + (key,))


def _replace(doc: Document, merged: Document, value: Any, src: Path, dst: Path) -> None:
    parent = merged.get(dst[:-1])
    assert isinstance(parent, dict)
    parent[dst[-1]] = copy.deepcopy(value)
    _drop_locations(merged, dst)
    _copy_locations(doc, merged, src=src, dst=dst)


def _drop_locations(doc: Document, prefix: Path) -> None:
    n = len(prefix)
    for table in (doc.values, doc.keys, doc.styles):
        for path in [p for p in table if p[:n] == prefix]:
            del table[path]
    doc.single_line -= {p for p in doc.single_line if p[:n] == prefix}


def _copy_locations(doc: Document, merged: Document, *, src: Path, dst: Path, skip: tuple[str, ...] = ()) -> None:
    n = len(src)
    for table_name in ("values", "keys", "styles"):
        source, target = getattr(doc, table_name), getattr(merged, table_name)
        for path, loc in source.items():
            if path[:n] == src and not (skip and len(path) > n and path[n] in skip):
                target[dst + path[n:]] = loc
    for path in doc.single_line:
        if path[:n] == src and not (skip and len(path) > n and path[n] in skip):
            merged.single_line.add(dst + path[n:])
