"""Environments: one base plan, several properties.

``environments.NAME`` may set ``property``, ``tier``, ``stream`` and ``source`` and hold ``overrides``, a
partial plan deep-merged over the base document:

* mappings merge key by key; any other value (a string, a number, a list) replaces the base
  value as a whole;
* ``null`` removes the key from the base;
* the environment's own ``property``/``tier``/``stream``/``source`` win over the base (and over
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
ENVIRONMENT_FIELDS = ("property", "tier", "stream", "source")


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
    """The document for environment ``name``: the base with the environment merged over it.

    Locations are moved in one pass over the tables at the end (not one per overridden value),
    so merging stays linear in the size of the file however many values are overridden.
    """
    merged = base_document(doc)
    env = doc.data["environments"][name]
    env_path: Path = ("environments", name)
    moves = _Moves()
    overrides = env.get("overrides")
    if isinstance(overrides, dict):
        _merge(merged, overrides, env_path + ("overrides",), (), moves)
    for key in ENVIRONMENT_FIELDS:
        if key in env and env[key] is not None:
            _replace(merged, env[key], env_path + (key,), (key,), moves)
    moves.apply(doc, merged, env_path)
    return merged


class _Moves:
    """Where locations go: paths whose locations are dropped, and sources copied to targets."""

    def __init__(self) -> None:
        self.dropped: set[Path] = set()
        self.copied: dict[Path, Path] = {}

    def apply(self, doc: Document, merged: Document, under: Path) -> None:
        lengths = sorted({len(p) for p in self.dropped})

        def is_dropped(path: Path) -> bool:
            return any(path[:i] in self.dropped for i in lengths if i <= len(path))

        if self.dropped:
            for table in (merged.values, merged.keys, merged.styles):
                for path in [p for p in table if is_dropped(p)]:
                    del table[path]
            merged.single_line -= {p for p in merged.single_line if is_dropped(p)}
        if not self.copied:
            return
        n = len(under)

        def target(path: Path) -> Path | None:
            if path[:n] != under:
                return None
            for i in range(n + 1, len(path) + 1):
                dst = self.copied.get(path[:i])
                if dst is not None:
                    return dst + path[i:]
            return None

        for table_name in ("values", "keys", "styles"):
            source, into = getattr(doc, table_name), getattr(merged, table_name)
            for path, loc in source.items():
                dst = target(path)
                if dst is not None:
                    into[dst] = loc
        for path in doc.single_line:
            dst = target(path)
            if dst is not None:
                merged.single_line.add(dst)


def _merge(merged: Document, overrides: dict[str, Any], src: Path, dst: Path, moves: _Moves) -> None:
    target = merged.get(dst)
    assert isinstance(target, dict)
    for key, value in overrides.items():
        if not dst and key not in OVERRIDABLE:
            continue  # not allowed in overrides: the base document's check reports it
        if value is None:
            if key in target:
                del target[key]
                moves.dropped.add(dst + (key,))
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(merged, value, src + (key,), dst + (key,), moves)
        else:
            _replace(merged, value, src + (key,), dst + (key,), moves)


def _replace(merged: Document, value: Any, src: Path, dst: Path, moves: _Moves) -> None:
    parent = merged.get(dst[:-1])
    assert isinstance(parent, dict)
    parent[dst[-1]] = copy.deepcopy(value)
    moves.dropped.add(dst)
    moves.copied[src] = dst


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
