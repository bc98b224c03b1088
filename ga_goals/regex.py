"""The one check of a regular expression against GA4's engine, RE2.

GA4 evaluates every regular expression of a tracking plan (event create rule conditions, funnel
step filters, report filters) with RE2, which refuses constructs Python's ``re`` accepts:
lookahead and lookbehind, back-references, atomic groups, possessive quantifiers, ``\\Z``.
A pattern that passed a check made with ``re`` could therefore fail only once GA4 (or the
sandbox's DuckDB, which also uses RE2) saw it. Every layer asks :func:`re2_problem` instead:
the plan-file checks, :func:`ga_goals.funnels.semantics.validate`, and the sandbox's Admin and
Data APIs, each wording the answer in its own error.
"""

from __future__ import annotations

import functools

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would otherwise log every refused pattern on stderr

# RE2's words for the Perl constructs it leaves out on purpose, and what to tell the user.
_UNSUPPORTED_HINT = (
    "RE2 has no lookahead, lookbehind, back-references, atomic groups or possessive quantifiers; "
    "rewrite the pattern without them"
)
_UNSUPPORTED_MARKERS = ("invalid perl operator", "bad repetition operator") + tuple(
    f"invalid escape sequence: \\{digit}" for digit in "123456789"
)


@functools.lru_cache(maxsize=1024)
def re2_problem(pattern: str) -> str | None:
    """None if RE2 (GA4's regular-expression engine) accepts ``pattern``, else why it does not."""
    try:
        re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else str(exc)
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        if any(marker in reason for marker in _UNSUPPORTED_MARKERS):
            return f"{reason}; {_UNSUPPORTED_HINT}"
        return f"{reason}; fix the pattern"
    return None
