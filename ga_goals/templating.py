"""The jinja2 environment every rendered output uses (plan documentation, reports, e-mails).

Templates are looked up, in order:

1. in the user's template folder, when one is given (``--templates DIR``): a file there with
   the name of a built-in template replaces it;
2. in the built-in templates: the repository's top-level ``templates/`` folder, shipped inside
   the wheel as the package ``ga_goals.templates``;
3. under the ``default:`` prefix, always the built-in template, so a user template can extend
   the one it replaces: ``{% extends "default:docs/plan.html" %}``.

HTML and XML templates (``.html``, ``.htm``, ``.xml``, also with a ``.j2`` suffix after it)
escape every value; anything else (Markdown, text) does not, and uses the ``md`` and ``code``
filters instead. An undefined variable is an error, never an empty string.

Text the program did not write (GA4 data, plan strings) goes through the ``untrusted`` filter
(:mod:`ga_goals.untrusted_text` owns the rules): in HTML it becomes ``<bdi>`` with control
characters escaped, cut to a length and with break opportunities; in plain text the same
without tags, in FSI ... PDI when it holds right-to-left text. ``text_table`` applies it to
every cell itself. Under every ``{{ value }}`` of every template, a safety net escapes control
characters (but line feed and tab) and bidi controls, so no template writes a raw ESC, NUL,
BEL or right-to-left override.

Public API::

    environment(user_dir=None) -> jinja2.Environment
    render(name, context, *, user_dir=None) -> str     # errors as TemplateError
    render_text(source, context) -> str                 # a template string, never escaped (e-mail subjects)
    packaged_templates() -> Path

Importing this module does not import jinja2 (the CLI starts without it).
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ga_goals import untrusted_text
from ga_goals.errors import GaGoalsError

if TYPE_CHECKING:
    import jinja2

#: The package the top-level ``templates/`` folder is installed as.
TEMPLATES_PACKAGE = "ga_goals.templates"

#: Template names (after an optional ``.j2``) whose values are HTML-escaped.
AUTOESCAPE_EXTENSIONS = ("html", "htm", "xml")

#: Default cut of the ``untrusted`` filter, in characters: HTML (a page wraps long text, so it
#: shows the longest value GA4 keeps, a 1,000-character page_location, whole; an e-mail passes
#: its own, shorter cuts) and plain text (a line stays readable in a terminal).
HTML_LIMIT = 1000
TEXT_LIMIT = 60
#: Default cut of a ``text_table`` cell.
CELL_LIMIT = 40


class TemplateError(GaGoalsError):
    """A template is missing, does not parse, or uses a variable the context does not have."""


def packaged_templates() -> Path:
    """The folder of the built-in templates (``templates/`` in a checkout or editable install)."""
    from importlib.resources import files

    return Path(str(files(TEMPLATES_PACKAGE)))


def environment(user_dir: Path | None = None) -> jinja2.Environment:
    """The jinja2 environment: ``user_dir`` first, then the built-in templates, plus ``default:``.

    :param user_dir: a folder of templates that override the built-in ones by name; it may
        extend or include a built-in template as ``default:NAME``.
    """
    import jinja2

    packaged = jinja2.PackageLoader(TEMPLATES_PACKAGE, "")
    loaders: list[jinja2.BaseLoader] = []
    if user_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(user_dir)))
    loaders += [packaged, jinja2.PrefixLoader({"default": packaged}, delimiter=":")]
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=_autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_no_raw_controls,
    )
    env.filters.update(
        untrusted=jinja2.pass_eval_context(untrusted),
        untrusted_plain=untrusted_plain,
        width=untrusted_text.width,
        duration=duration,
        number=number,
        percent=percent,
        signed=signed_number,
        change_text=change_text,
        change_mark=change_mark,
        change_title=change_title,
        change_legend=change_legend,
        p_value=p_value_text,
        text_table=text_table,
        md=markdown_text,
        code=markdown_code,
    )
    return env


def render(name: str, context: Mapping[str, Any], *, user_dir: Path | None = None) -> str:
    """Render template ``name``; a template problem is a ``TemplateError`` naming file and line."""
    import jinja2

    env = _shared_environment(user_dir)
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateNotFound as error:
        where = f" (looked in {user_dir} and the built-in templates)" if user_dir else ""
        raise TemplateError(f"template {error.name!r} not found{where}") from None
    except jinja2.TemplateSyntaxError as error:
        where = error.filename or error.name or name
        raise TemplateError(f"{where}:{error.lineno}: {error.message}") from None
    except jinja2.UndefinedError as error:
        raise TemplateError(f"{_template_line(error) or name}: {error.message}") from None


def render_text(source: str, context: Mapping[str, Any]) -> str:
    """Render a template *string* as plain text (no escaping), e.g. a plan's e-mail subject.

    The same filters and strictness as :func:`environment`; no file can be included.
    """
    import jinja2

    env = _text_environment()
    try:
        return env.from_string(source).render(context)
    except jinja2.TemplateSyntaxError as error:
        raise TemplateError(f"template {source!r}: {error.message}") from None
    except jinja2.UndefinedError as error:
        raise TemplateError(f"template {source!r}: {error.message}") from None


@lru_cache(maxsize=1)
def _text_environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, loader=None, finalize=_no_raw_controls)
    env.filters.update(environment().filters)
    return env


@lru_cache(maxsize=8)
def _shared_environment(user_dir: Path | None) -> jinja2.Environment:
    """One environment per template folder, so that compiled templates are reused (jinja2
    still reloads a template whose file changed)."""
    return environment(user_dir)


def _template_line(error: BaseException) -> str | None:
    """``file:line`` of the innermost template frame (jinja2 rewrites tracebacks to them)."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if not f.filename.endswith(".py")]
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else None


def _autoescape(name: str | None) -> bool:
    if name is None:  # a template from a string: escape, to be safe
        return True
    name = name.lower().removesuffix(".j2")
    return name.rsplit(".", 1)[-1] in AUTOESCAPE_EXTENSIONS


def _no_raw_controls(value: Any) -> Any:
    """The safety net under every ``{{ value }}``: no raw control character (but LF, tab), and
    no raw bidi control in a plain string (text from ``untrusted`` and ``text_table`` keeps its
    isolates; markup built by a template or filter keeps them too)."""
    if isinstance(value, untrusted_text.SafeText) or not isinstance(value, str):
        return value
    if hasattr(value, "__html__"):  # a Markup stays Markup
        return type(value)(untrusted_text.no_raw_controls(value, bidi=False))
    return untrusted_text.no_raw_controls(value)


# Filters -------------------------------------------------------------------------------------


def untrusted(eval_ctx: Any, value: Any, limit: int | None = -1, ltr: bool = False) -> Any:
    """Text the program did not write, shown safely (see :mod:`ga_goals.untrusted_text`).

    In an HTML template: ``<bdi>`` markup, escaped, cut to ``limit`` characters
    (default ``HTML_LIMIT``); in plain text: cut to ``limit`` columns (default ``TEXT_LIMIT``),
    in FSI ... PDI when it holds right-to-left text. ``limit=None``: never cut. ``ltr``: the
    text is a sentence of the report's own with values in it (an alert message): isolated
    left to right. Isolate a value alone, not "2. " before it (that would take the value's
    direction).
    """
    if value is None:
        return untrusted_text.SafeText()
    if eval_ctx.autoescape:
        from markupsafe import Markup

        return Markup(untrusted_text.html(value, HTML_LIMIT if limit == -1 else limit, ltr=ltr))
    return untrusted_text.plain(value, TEXT_LIMIT if limit == -1 else limit, ltr=ltr)


def untrusted_plain(value: Any, limit: int | None = TEXT_LIMIT, ltr: bool = False) -> untrusted_text.SafeText:
    """Like ``untrusted`` in plain text, also in an HTML template: for a ``<title>``, an
    attribute or SVG text (the template escapes the result)."""
    return untrusted_text.SafeText() if value is None else untrusted_text.plain(value, limit, ltr=ltr)


_UNITS = (("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def duration(seconds: float | None) -> str:
    """Seconds as the largest units first: ``5400`` -> ``1h 30m``, ``604800`` -> ``1w``."""
    if seconds is None:
        return ""
    left = round(seconds)
    parts = []
    for unit, size in _UNITS:
        count, left = divmod(left, size)
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts) or "0s"


def number(value: float | None) -> str:
    """A number without a pointless ``.0``, with thousands separators: ``1500.0`` -> ``1,500``."""
    if value is None:
        return ""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def percent(value: float | None, signed: bool = False) -> str:
    """A ratio as a percentage: ``0.02`` -> ``2%``; ``signed``: ``-0.2`` -> ``-20%``, ``0.1`` -> ``+10%``."""
    if value is None:
        return ""
    text = f"{value * 100:.2f}".rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    return f"+{text}%" if signed and value > 0 else f"{text}%"


def signed_number(value: float | None) -> str:
    """A number with its sign: ``12`` -> ``+12``, ``-3.5`` -> ``-3.5``, ``0`` -> ``0``."""
    if value is None:
        return ""
    text = number(value)
    return f"+{text}" if value > 0 else text


def p_value_text(p: float | None) -> str:
    """A p-value as people read it: ``p = 0.43``, ``p = 0.004``, ``p < 0.001``; empty for None."""
    if p is None:
        return ""
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


#: The marks a change may carry, and what each means (the legend under a report's figures).
#: A change that is significant or untested (an event's value) carries none. A change of 0 is
#: tested like any other: it is within noise (``57 -> 57``), or too little to tell (``0 -> 0``),
#: never unmarked, because no mark means "distinguishable from noise".
CHANGE_MARKS = {
    "≈": "within noise: a change this size is likely chance (p ≥ 0.05)",
    "?": "too few users to tell a change from noise",
}
#: What a change without a mark is, said when others carry one.
NO_MARK_MEANING = "no mark: distinguishable from noise"
#: Said of the unmarked changes no test applies to (an event's value).
UNTESTED_MEANING = "value changes are not tested"
#: What ``new`` means in a report.
NEW_MEANING = "none in the previous period"


def change_mark(change: Any) -> str:
    """The mark of a :class:`~ga_goals.reports.model.Change` (a key of :data:`CHANGE_MARKS`,
    or empty): ``≈`` not significant, ``?`` a test applies but there is too little data."""
    if change is None or change.test is None:
        return ""
    if change.p_value is None:
        return "?"
    return "" if change.significant else "≈"


def change_title(change: Any) -> str:
    """One line on a change's test, for a tooltip: ``within noise (p = 0.43)``."""
    mark = change_mark(change)
    if change is not None and change.new:
        prefix = f"new: {NEW_MEANING}"
    else:
        prefix = ""
    if mark == "?":
        words = CHANGE_MARKS["?"]
    elif change is not None and change.p_value is not None and change.absolute:
        words = f"{'significant' if change.significant else 'within noise'} ({p_value_text(change.p_value)})"
    else:
        words = ""
    return "; ".join(w for w in (prefix, words) if w)


def change_legend(changes: Any) -> list[str]:
    """The legend lines for the marks these changes carry (``≈ within noise ...``), ``new``
    first, then what no mark means; empty when no change carries a mark."""
    changes = [c for c in changes if c is not None]
    marks = {change_mark(c) for c in changes}
    lines = [f"new: {NEW_MEANING}"] if any(c.new for c in changes) else []
    lines += [f"{mark} {meaning}" for mark, meaning in CHANGE_MARKS.items() if mark in marks]
    if lines:
        untested = any(c.test is None and c.absolute for c in changes)
        lines.append(NO_MARK_MEANING + (f" ({UNTESTED_MEANING})" if untested else ""))
    return lines


def change_text(change: Any) -> str:
    """A :class:`~ga_goals.reports.model.Change` in one word: relative, with its sign (``+12%``);
    ``new`` when the previous value was 0 and this one is not; ``0%`` from 0 to 0; ``–``
    without a comparison. Never an absolute number beside percentages."""
    if change is None:
        return "–"
    if change.relative is not None:
        return percent(change.relative, signed=True)
    return "new" if change.absolute else "0%"


def text_table(rows: Any, align: str = "", gap: int = 2, indent: int = 0, limit: int | None = CELL_LIMIT) -> str:
    """Rows of cells as aligned plain-text columns (one line per row, no trailing spaces).

    ``align`` has one letter per column, ``l`` (default) or ``r``. Every cell is shown as
    untrusted text (:func:`ga_goals.untrusted_text.plain`: one line, control characters
    escaped, right-to-left text isolated) and cut to ``limit`` columns; columns are aligned by
    display width (wide characters count 2, FSI/PDI 0).
    """
    table = [[untrusted_text.plain(cell, limit) for cell in row] for row in rows]
    if not table:
        return ""
    count = max(len(row) for row in table)
    widths = [max((untrusted_text.width(row[i]) for row in table if i < len(row)), default=0) for i in range(count)]
    lines = []
    for row in table:
        cells = []
        for i, cell in enumerate(row):
            pad = " " * (widths[i] - untrusted_text.width(cell))
            right = i < len(align) and align[i] == "r"
            cells.append(pad + cell if right else cell + pad)
        lines.append((" " * indent + (" " * gap).join(cells)).rstrip())
    return untrusted_text.SafeText("\n".join(lines))


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def markdown_text(value: Any) -> str:
    """Plain text made inert in Markdown, also inside a table cell.

    HTML is escaped (Markdown renderers pass raw HTML through), Markdown punctuation is
    backslash-escaped (no emphasis, links, code or table cells from the text), and line
    breaks become spaces.
    """
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    text = re.sub(r"^(\s*)([-+=#])", r"\1\\\2", text)  # a list item, a heading or its underline
    text = re.sub(r"^(\s*\d+)([.)])", r"\1\\\2", text)  # a numbered list item
    return " ".join(text.split())


def markdown_code(value: Any, in_table: bool = True) -> str:
    """An inline code span showing ``value`` literally (backticks inside are fenced around).

    Use it for names (events, parameters) and literal values. ``|`` is escaped so that the span
    is safe inside a table cell (GitHub-flavoured Markdown removes the backslash there); outside
    a table, pass ``in_table=False`` or the backslash shows.
    """
    text = " ".join(str(value).split())
    if in_table:
        text = text.replace("|", "\\|")
    runs = [len(run) for run in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    if text.startswith("`") or text.endswith("`") or (text.startswith(" ") and text.strip()):
        text = f" {text} "
    return f"{fence}{text}{fence}"
