"""The one "did you mean" of ga-goals: the closest known name to a mistyped one.

Every message that offers a fix for a misspelt name (a plan's event or field, a GA4 dimension
or metric, a report name, an update-mask path) asks :func:`did_you_mean`, so the same slip gets
the same suggestion everywhere. Lower layers (model, sandbox, reports) import it; it imports
nothing of ga-goals.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable

#: How alike a choice must be (difflib's ratio) to be offered. Long families of similar names
#: (GA4's hundreds of fields) pass a stricter cutoff, so a suggestion stays a real near miss.
DEFAULT_CUTOFF = 0.6
#: The cutoff for GA4's dimension and metric names.
GA4_FIELD_CUTOFF = 0.75


def did_you_mean(
    word: str, choices: Iterable[str], *, cutoff: float = DEFAULT_CUTOFF, valid: Callable[[str], bool] | None = None
) -> str | None:
    """The closest of ``choices`` to ``word``, if any is close enough.

    A choice that differs only in case, or only by two swapped neighbouring letters, wins; then
    the one choice ``word`` (3 characters or more) is the start of; then difflib's closest above
    ``cutoff``. ``valid``: only choices it accepts are suggested (a name the plan misspells
    itself, such as an event declared as 'add to cart', is never offered as the fix).
    """
    pool = list(dict.fromkeys(c for c in choices if isinstance(c, str) and (valid is None or valid(c))))
    lowered = {c.lower(): c for c in pool}
    if word.lower() in lowered and lowered[word.lower()] != word:
        return lowered[word.lower()]
    for i in range(len(word) - 1):
        swapped = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        if swapped != word and swapped in lowered.values():
            return swapped
    if len(word) >= 3:
        extended = [c for c in pool if c.startswith(word)]
        if len(extended) == 1:
            return extended[0]
    matches = difflib.get_close_matches(word, pool, n=1, cutoff=cutoff)
    return matches[0] if matches else None
