"""Reading a plan file: YAML -> plain data plus the location of every key and value.

The YAML is composed into nodes with PyYAML (the C parser when it is available) and turned
into plain Python data by hand, so that

* every key and every value keeps its ``Location`` (1-based line and column), indexed by its
  *path*: the tuple of mapping keys and list indices that leads to it from the top;
* duplicate keys are reported (PyYAML silently keeps the last one);
* scalars follow the YAML 1.2 core schema: only ``true``/``false`` are booleans (``yes``,
  ``no``, ``on``, ``off`` stay strings), ``2026-01-31`` stays a string, ``1:30`` stays a
  string. Quoted scalars are always strings;
* syntax errors become a :class:`Problem` at the parser's line and column, never a traceback.
"""

from __future__ import annotations

import gc
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import yaml

from ga_goals.errors import Location, Problem
from ga_goals.plan_file.wording import char_name, printable, quote, show

#: A path from the document's top to a value: mapping keys (str) and list indices (int).
Path = tuple[str | int, ...]

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: libyaml's parser class, when PyYAML has it (its reader positions count bytes, not characters).
_CParser: Any = getattr(getattr(yaml, "cyaml", None), "CParser", None)

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null")}
_MERGE_TAG = _TAG + "merge"

#: Most values aliases may add to a document (a guard against alias bombs). A file without
#: aliases never reaches it, however big: its size is bounded by the file's own.
MAX_ALIAS_VALUES = 200_000

#: Deepest nesting of mappings and lists a plan may use. The deepest real plan path
#: (``environments.NAME.overrides.conversions.macro.EVENT.created_from[0].when[0].equals``) is
#: 10 levels; the limit keeps every recursive step of the loader far from Python's stack limit.
MAX_DEPTH = 64


@dataclass
class Document:
    """A plan document: plain data plus where each part of it stands in the file.

    ``values[path]`` is where the value at ``path`` starts; ``keys[path]`` is where the mapping
    key that holds it starts (absent for list items and for the top). ``styles[path]`` is the
    YAML scalar style of string values (``""`` plain, ``"'"``, ``'"'``, ``"|"``, ``">"``) and
    ``single_line`` the paths of scalars written on one line; both let variable substitution
    point at the exact column.
    """

    file: str
    data: Any
    values: dict[Path, Location] = field(default_factory=dict)
    keys: dict[Path, Location] = field(default_factory=dict)
    styles: dict[Path, str] = field(default_factory=dict)
    single_line: set[Path] = field(default_factory=set)

    def at(self, path: Path) -> Location:
        """Where the value at ``path`` starts (or its closest ancestor that has a location)."""
        for n in range(len(path), -1, -1):
            loc = self.values.get(path[:n])
            if loc is not None:
                return loc
        return Location(self.file, 1, 1)

    def key_at(self, path: Path) -> Location:
        """Where the key holding ``path`` starts; the value's location for list items."""
        loc = self.keys.get(path)
        return loc if loc is not None else self.at(path)

    def get(self, path: Path, default: Any = None) -> Any:
        """The value at ``path``, or ``default`` if the path does not lead anywhere."""
        value = self.data
        for part in path:
            in_mapping = isinstance(part, str) and isinstance(value, dict) and part in value
            in_list = isinstance(part, int) and isinstance(value, list) and 0 <= part < len(value)
            if in_mapping or in_list:
                value = value[part]
            else:
                return default
        return value


class YamlProblems(Exception):
    """The file cannot be read as a plan document at all (no data to check further)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def read_document(path: str) -> tuple[Document, list[Problem]]:
    """Read and parse ``path``; see :func:`parse_document`."""
    try:
        with open(path, "rb") as stream:
            raw = stream.read()
    except FileNotFoundError:
        raise YamlProblems([Problem(Location(path), "file not found; check the path")]) from None
    except OSError as exc:
        reason = printable(str(exc.strerror or exc))
        raise YamlProblems([Problem(Location(path), f"cannot read the file: {reason}")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlProblems(
            [Problem(Location(path, line, column), "the file is not UTF-8 text; save it with UTF-8 encoding")]
        ) from None
    return parse_document(text, path)


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside: reading and checking a big plan creates millions of
    objects and no cycles, and CPython's collector, run again and again as they pile up, made
    that ten times slower (a 5 MB plan). Collection resumes, as it was, on the way out."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse_document(text: str, file: str) -> tuple[Document, list[Problem]]:
    """Parse YAML ``text`` (named ``file`` in locations) into a :class:`Document`.

    Returns the document and the problems that still let the rest be checked (duplicate keys,
    unsupported tags). Raises :class:`YamlProblems` when there is nothing to check: a syntax
    error, an empty file, or a top level that is not a mapping.
    """
    with paused_gc():
        return _parse_document(text, file)


def _parse_document(text: str, file: str) -> tuple[Document, list[Problem]]:
    loader: Any = None
    try:
        loader = _Loader(text)  # the pure-Python loader checks the characters here already
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise YamlProblems([_syntax_problem(exc, text, file)]) from None
    except yaml.reader.ReaderError as exc:
        raise YamlProblems([_reader_problem(exc, text, file)]) from None
    except RecursionError:
        # Only the pure-Python composer recurses in Python (libyaml stops at 1,000 levels).
        mark = loader.get_mark() if loader is not None and hasattr(loader, "get_mark") else None
        where = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file, 1, 1)
        raise YamlProblems([Problem(where, _too_deep_message())]) from None
    except yaml.YAMLError as exc:  # pragma: no cover - PyYAML always marks its errors
        raise YamlProblems([Problem(Location(file, 1, 1), f"invalid YAML: {quote(str(exc))}")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        raise YamlProblems(
            [
                Problem(
                    Location(file, 1, 1),
                    "the file is empty; a plan needs at least 'property:' "
                    "(e.g. 'property: sandbox'), see docs/plan-file.md in the ga-goals repository",
                )
            ]
        )
    builder = _Builder(file, loader)
    try:
        doc = builder.build(node)
    except _TooDeep as exc:
        raise YamlProblems([Problem(exc.location, _too_deep_message())]) from None
    if not isinstance(doc.data, dict):
        raise YamlProblems(
            [
                Problem(
                    doc.at(()),
                    f"the top level of a plan must be a mapping of keys such as 'property:' and "
                    f"'conversions:', got {_kind(doc.data)}",
                )
            ]
        )
    return doc, builder.problems


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"the single value {show(value)}"


# --------------------------------------------------------------------------- scalars

_INT = re.compile(r"[-+]?[0-9]+$")
_OCT = re.compile(r"0o[0-7]+$")
_HEX = re.compile(r"0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)$")
_NAN = re.compile(r"\.(nan|NaN|NAN)$")


#: Longest number literal read as a number; a longer one stays a string (Python refuses to
#: convert integers of thousands of digits to and from text, and no plan needs one).
MAX_NUMBER_LENGTH = 100


def resolve_plain(text: str) -> Any:
    """The value of an unquoted scalar under the YAML 1.2 core schema."""
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if len(text) > MAX_NUMBER_LENGTH:
        return text
    if _INT.match(text):
        return int(text)
    if _OCT.match(text):
        return int(text[2:], 8)
    if _HEX.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text):
        return float(text)
    if _INF.match(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.match(text):
        return math.nan
    return text


#: The Python types a scalar with an explicit standard tag may resolve to.
_TAGGED_TYPES: dict[str, type | tuple[type, ...]] = {"int": int, "float": (int, float), "bool": bool, "null": type(None)}


def _convert_tagged(tag: str, text: str) -> Any:
    """The value of a scalar with an explicit standard tag (``!!str 12``)."""
    if tag == _TAG + "str":
        return text
    value = resolve_plain(text)
    kind = tag[len(_TAG) :]
    bool_as_number = isinstance(value, bool) and kind in ("int", "float")
    matches = isinstance(value, _TAGGED_TYPES[kind]) and not bool_as_number
    if not matches:
        raise ValueError
    return float(value) if kind == "float" else value


# --------------------------------------------------------------------------- nodes


def _too_deep_message() -> str:
    return (
        f"values are nested more than {MAX_DEPTH} levels deep here; a plan needs about 10 at most: "
        "check the brackets and the indentation"
    )


class _TooDeep(Exception):
    def __init__(self, location: Location) -> None:
        super().__init__(str(location))
        self.location = location


class _Builder:
    def __init__(self, file: str, loader: Any) -> None:
        self.file = file
        self.loader = loader
        self.problems: list[Problem] = []
        self.doc = Document(file, None)
        self._active: set[int] = set()
        self._built: set[int] = set()
        self._expanded = 0
        self._too_big = False

    def loc(self, node: yaml.Node) -> Location:
        mark = node.start_mark
        return Location(self.file, mark.line + 1, mark.column + 1)

    def build(self, node: yaml.Node) -> Document:
        self.doc.data = self.node(node, ())
        return self.doc

    def node(self, node: yaml.Node, path: Path) -> Any:
        if len(path) > MAX_DEPTH:
            raise _TooDeep(self.loc(node))
        if id(node) in self._built:  # reached again through an alias
            self._expanded += 1
            if self._expanded > MAX_ALIAS_VALUES:
                if not self._too_big:
                    self._too_big = True
                    self.problems.append(
                        Problem(self.loc(node), f"aliases expand the document by more than {MAX_ALIAS_VALUES:,} "
                                "values (an alias repeated too often); simplify it")
                    )
                return None
        else:
            self._built.add(id(node))
        self.doc.values[path] = self.loc(node)
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        if id(node) in self._active:
            self.problems.append(
                Problem(self.loc(node), "recursive alias: this value contains itself; remove the alias")
            )
            return None
        self._active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                self.check_collection_tag(node, "seq")
                return [self.node(item, path + (i,)) for i, item in enumerate(node.value)]
            assert isinstance(node, yaml.MappingNode)  # YAML has scalars, sequences and mappings only
            self.check_collection_tag(node, "map")
            return self.mapping(node, path)
        finally:
            self._active.discard(id(node))

    def check_collection_tag(self, node: yaml.Node, kind: str) -> None:
        if node.tag != _TAG + kind:
            self.problems.append(
                Problem(self.loc(node), f"unsupported YAML tag {quote(node.tag)}; remove the tag")
            )

    def scalar(self, node: yaml.ScalarNode, path: Path) -> Any:
        style = node.style or ""
        if style:
            if node.tag != _TAG + "str" and node.tag in _SCALAR_TAGS:
                try:
                    return _convert_tagged(node.tag, node.value)
                except ValueError:
                    self.problems.append(
                        Problem(self.loc(node), f"{quote(node.value)} is not a valid {node.tag[len(_TAG):]}; fix "
                                "the value or remove the tag")
                    )
                    return node.value
            self.remember_style(node, path, style)
            if node.tag != _TAG + "str":
                self.problems.append(Problem(self.loc(node), f"unsupported YAML tag {quote(node.tag)}; remove the tag"))
            return node.value
        implicit = self.loader.resolve(yaml.ScalarNode, node.value, (True, False))
        if node.tag == implicit:  # no explicit tag: resolve by YAML 1.2 core rules
            value = resolve_plain(node.value)
        elif node.tag in _SCALAR_TAGS:
            try:
                value = _convert_tagged(node.tag, node.value)
            except ValueError:
                self.problems.append(
                    Problem(self.loc(node), f"{quote(node.value)} is not a valid {node.tag[len(_TAG):]}; fix the "
                            "value or remove the tag")
                )
                value = node.value
        else:
            self.problems.append(Problem(self.loc(node), f"unsupported YAML tag {quote(node.tag)}; remove the tag"))
            value = node.value
        if isinstance(value, str):
            self.remember_style(node, path, "")
        return value

    def remember_style(self, node: yaml.ScalarNode, path: Path, style: str) -> None:
        self.doc.styles[path] = style
        if node.start_mark.line == node.end_mark.line:
            self.doc.single_line.add(path)

    def mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first: dict[str, yaml.Node] = {}
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merges.append(value_node)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(
                    Problem(self.loc(key_node), "a key must be a plain name, not a list or a mapping")
                )
                continue
            key = key_node.value
            if key in first:
                where = self.loc(first[key])
                self.problems.append(
                    Problem(
                        self.loc(key_node),
                        f"duplicate key {quote(key)} (first defined at line {where.line}); "
                        "remove one of them or merge their contents",
                    )
                )
                continue
            first[key] = key_node
            self.doc.keys[path + (key,)] = self.loc(key_node)
            result[key] = self.node(value_node, path + (key,))
        for merge in merges:
            sources = merge.value if isinstance(merge, yaml.SequenceNode) else [merge]
            for source in sources:
                if not isinstance(source, yaml.MappingNode):
                    self.problems.append(
                        Problem(self.loc(source), "'<<' must refer to a mapping (or a list of mappings)")
                    )
                    continue
                for key_node, value_node in source.value:
                    if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE_TAG:
                        continue
                    key = key_node.value
                    if key in result:
                        continue  # explicit keys, and earlier merges, win
                    self.doc.keys[path + (key,)] = self.loc(key_node)
                    result[key] = self.node(value_node, path + (key,))
        return result


# --------------------------------------------------------------------------- syntax errors


def _reader_problem(exc: yaml.reader.ReaderError, text: str, file: str) -> Problem:
    """A character YAML does not allow, at the position the parser gives.

    libyaml counts that position in bytes of the UTF-8 text, the pure-Python reader in characters.
    """
    position = exc.position
    if _CParser is not None and issubclass(_Loader, _CParser):
        position = len(text.encode("utf-8")[:position].decode("utf-8", "ignore"))
    line_start = text.rfind("\n", 0, position) + 1
    location = Location(file, text.count("\n", 0, position) + 1, position - line_start + 1)
    code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
    return Problem(
        location,
        f"the character U+{code:04X} ({char_name(chr(code))}) is not allowed in a YAML file; remove it "
        f"(inside double quotes it can be written as \\u{code:04X})",
    )


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, file: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 1
    column = mark.column + 1 if mark else 1
    problem = (exc.problem or "").strip()
    context = (exc.context or "").strip()
    char = _char_at(text, mark.line, mark.column) if mark else ""
    if problem.startswith("exceeded maximum nesting depth"):
        message = _too_deep_message()
    elif "tab" in problem or char == "\t":
        message = "tab character: YAML indentation must use spaces, not tabs; replace the tab with spaces"
    elif problem.startswith("found character that cannot start any token"):
        message = (
            f"a value cannot start with {quote(char)}; put the value in quotes"
            if char
            else "unexpected character; put the value in quotes"
        )
    elif problem.startswith("mapping values are not allowed"):
        message = (
            "unexpected ':' here; a value containing ': ' must be quoted, "
            "or check the indentation of this line"
        )
    elif problem.startswith("did not find expected key") or problem.startswith("did not find expected '-'"):
        message = (
            "bad indentation: this line does not line up with the other keys or items of its block; "
            "check the number of spaces"
        )
    elif problem.startswith("could not find expected ':'"):
        message = "expected 'key: value' here; a ':' is missing, or a multi-line value needs quotes"
    elif "another document" in problem:
        message = "a plan file holds a single YAML document; remove the '---' separator and what follows it"
    elif problem.startswith("found undefined alias"):
        message = "undefined alias: '*name' must refer to an anchor '&name' defined earlier in the file"
    elif "end of stream" in problem and "quoted" in context:
        message = "a quoted value is never closed; add the closing quote"
    elif problem.startswith("did not find expected ',' or"):
        closing = "]" if "sequence" in context else "}"
        message = f"a flow collection is not closed: expected ',' or '{closing}'"
    else:
        message = f"invalid YAML: {printable(problem, 200)}" + (f" ({printable(context, 200)})" if context else "")
    lines = {m.line for m in (exc.problem_mark, exc.context_mark) if m is not None}
    if any("${" in _line(text, n) for n in lines):
        message += "; inside [...] or {...}, put a value that uses ${VAR} in quotes: '${VAR}'"
    return Problem(Location(file, line, column), message)


def _line(text: str, line: int) -> str:
    lines = text.split("\n")
    return lines[line] if 0 <= line < len(lines) else ""


def _char_at(text: str, line: int, column: int) -> str:
    lines = text.split("\n")
    if 0 <= line < len(lines) and 0 <= column < len(lines[line]):
        return lines[line][column]
    return ""
