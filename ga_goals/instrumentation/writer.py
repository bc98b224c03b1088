"""Writing generated files into a folder, and telling whether the folder is up to date.

The folder's generated files are the ones in it or in its ``schemas/`` whose first kilobyte
carries :data:`~ga_goals.instrumentation.files.MARK`; everything else there is the user's and is never
read past that, written or removed. :func:`compare` lists what :func:`write` would do (files
to change, to create, and generated files the plan no longer makes), and writes nothing: the
CI check. :func:`write` writes only files whose bytes change (each through a temporary file
and a rename, so a reader never sees half a file) and removes the generated files the plan no
longer makes.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ga_goals.instrumentation.files import MARK, SCHEMAS, GeneratedFile

#: Generated files are these kinds; others are not even opened.
SUFFIXES = (".ts", ".json")
HEAD_BYTES = 1024


@dataclass
class Differences:
    """How a folder differs from the files a plan generates (paths relative to the folder)."""

    changed: list[PurePosixPath] = field(default_factory=list)
    missing: list[PurePosixPath] = field(default_factory=list)
    extra: list[PurePosixPath] = field(default_factory=list)
    unchanged: list[PurePosixPath] = field(default_factory=list)

    @property
    def up_to_date(self) -> bool:
        return not (self.changed or self.missing or self.extra)

    def lines(self) -> list[str]:
        """``changed: path`` ... one line per file that is not as generated, sorted by path."""
        rows = [(p, "changed") for p in self.changed] + [(p, "missing") for p in self.missing]
        rows += [(p, "extra") for p in self.extra]
        return [f"{what}: {path}" for path, what in sorted(rows, key=lambda r: str(r[0]))]


def generated_in(folder: Path) -> set[PurePosixPath]:
    """The files ga-goals generated (carrying the mark) where it writes them: in ``folder`` and its
    ``schemas/`` (never deeper, so an OUT inside a site's sources costs no walk of the tree)."""
    if not folder.is_dir():
        return set()
    found = set()
    mark = MARK.encode()
    candidates = [*folder.iterdir(), *((folder / SCHEMAS).iterdir() if (folder / SCHEMAS).is_dir() else ())]
    for path in candidates:
        if path.suffix in SUFFIXES and path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                if mark in handle.read(HEAD_BYTES):
                    found.add(PurePosixPath(path.relative_to(folder).as_posix()))
    return found


def compare(files: Iterable[GeneratedFile], folder: Path) -> Differences:
    """What differs between ``folder`` and ``files``; reads only, writes nothing."""
    out = Differences()
    wanted = {f.path: f for f in files}
    for path in sorted(wanted, key=str):
        target = folder / path
        if not target.is_file():
            out.missing.append(path)
        elif target.read_bytes() != wanted[path].data:
            out.changed.append(path)
        else:
            out.unchanged.append(path)
    out.extra = sorted(generated_in(folder) - set(wanted), key=str)
    return out


def write(files: Iterable[GeneratedFile], folder: Path) -> Differences:
    """Make ``folder`` hold exactly ``files`` among its generated files; returns what was done."""
    files = list(files)
    done = compare(files, folder)
    by_path = {f.path: f for f in files}
    for path in [*done.missing, *done.changed]:
        _write_atomically(folder / path, by_path[path].data)
    for path in done.extra:
        (folder / path).unlink()
    return done


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
