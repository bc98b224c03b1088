"""``${VAR}`` and ``${VAR:-default}`` in plan-file strings.

* ``${VAR}`` is replaced by the variable's value; if it is unset (or empty) that is a problem
  that names the variable and says how to set it.
* ``${VAR:-default}`` uses ``default`` when the variable is unset or empty (as in a shell).
* ``$${`` writes a literal ``${``. A ``$`` not followed by ``{`` is left alone.
* An unquoted value that is exactly one reference (``tier: ${TIER:-360}``) takes the type the
  substituted text has in YAML (a number, true/false, or null when empty); a quoted one
  (``property: "${ID}"``) stays a string.

Only values are substituted, never keys.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ga_goals.errors import Location, Problem
from ga_goals.plan_file.document import Document, Path, resolve_plain
from ga_goals.plan_file.wording import printable

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class Substitution:
    """The result of substituting a document's variables.

    ``problems`` are (path, problem) pairs so a caller can ignore the ones in parts of the file
    it does not use (another environment's block). ``unresolved`` holds the locations of values
    left as written because of a problem: checks of those values are pointless.
    """

    problems: list[tuple[Path, Problem]] = field(default_factory=list)
    unresolved: set[Location] = field(default_factory=set)


def substitute(doc: Document, env: Mapping[str, str]) -> Substitution:
    """Replace variable references in every string value of ``doc`` in place."""
    result = Substitution()
    doc.data = _walk(doc, doc.data, (), env, result)
    return result


def _walk(doc: Document, value: Any, path: Path, env: Mapping[str, str], result: Substitution) -> Any:
    if isinstance(value, dict):
        return {k: _walk(doc, v, path + (k,), env, result) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(doc, v, path + (i,), env, result) for i, v in enumerate(value)]
    if isinstance(value, str) and "$" in value:
        return _substitute_string(doc, value, path, env, result)
    return value


def _substitute_string(doc: Document, text: str, path: Path, env: Mapping[str, str], result: Substitution) -> Any:
    out: list[str] = []
    ok = True
    whole_reference = False
    i = 0
    while i < len(text):
        if text.startswith("$${", i):
            out.append("${")
            i += 3
            continue
        if not text.startswith("${", i):
            out.append(text[i])
            i += 1
            continue
        end = text.find("}", i + 2)
        if end < 0:
            result.problems.append(
                (path, Problem(_column(doc, path, i), "'${' is never closed; write ${NAME} or "
                               "${NAME:-default}, or $${ for a literal '${'"))
            )
            ok = False
            break
        body = text[i + 2 : end]
        name, sep, default = body.partition(":-")
        if not _NAME.match(name):
            result.problems.append(
                (
                    path,
                    Problem(
                        _column(doc, path, i),
                        f"'${{{printable(body)}}}' is not a valid variable reference; write ${{NAME}} or "
                        "${NAME:-default} with NAME made of letters, digits and _ (or $${ for a literal '${')",
                    ),
                )
            )
            ok = False
        else:
            value = env.get(name)
            if value:
                out.append(value)
            elif sep:
                out.append(default)
            else:
                state = "is empty" if value == "" else "is not set"
                result.problems.append(
                    (
                        path,
                        Problem(
                            _column(doc, path, i),
                            f"environment variable {printable(name)} {state}; set it (export {printable(name)}=...) "
                            f"or give a default: ${{{printable(name)}:-value}}",
                        ),
                    )
                )
                ok = False
        if i == 0 and end == len(text) - 1:
            whole_reference = True
        i = end + 1
    if not ok:
        result.unresolved.add(doc.at(path))
        return text
    substituted = "".join(out)
    if whole_reference and doc.styles.get(path) == "":
        return resolve_plain(substituted)
    return substituted


def _column(doc: Document, path: Path, index: int) -> Location:
    """The location of character ``index`` of the string at ``path``, when it can be known."""
    start = doc.at(path)
    style = doc.styles.get(path)
    if path not in doc.single_line or style is None:
        return start
    if style not in ("", "'", '"'):  # block scalars: the column of a character is not known
        return start
    # A plain scalar starts at its first character; a quoted one after the opening quote
    # (escapes before ``index`` would shift it further).
    text_offset = index + (1 if style else 0)
    return Location(start.file, start.line, start.column + text_offset)
