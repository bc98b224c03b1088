"""The exceptions ga-goals raises, and the exit codes the CLI maps them to.

Every error a *user* can cause (a bad plan file, a property that does not exist, missing
credentials, a quota) is a :class:`GaGoalsError`; the CLI prints its message without a
traceback. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ga_goals.ga4.admin import ApplyReport


class ExitCode:
    """Exit codes scripts can rely on (the table in docs/exit-codes.md; a test keeps them equal).

    No error shares a code with :attr:`CHANGES` or :attr:`FINDINGS`: a CI drift check (``plan
    --exit-code``) or data check (``check``) must never read a typo or a missing file as drift
    or as findings; and findings have a code of their own, so a CI step running both tells the
    property's drift from what its data shows.
    """

    OK = 0  # success; for `plan --exit-code`: no changes
    ERROR = 1  # invalid input, API error, refused operation
    CHANGES = 2  # `plan --exit-code` / `sync` without --apply: changes are pending; `generate --check`: files stale
    PARTIAL = 3  # `sync --apply` stopped part-way: some changes applied (or may have been), some not
    FINDINGS = 4  # `check` found something at or above --fail-on (a never-firing key event...)
    USAGE = 64  # the command line is wrong: unknown option, missing argument, no such file (EX_USAGE)
    INTERRUPTED = 130  # Ctrl-C or SIGTERM before anything was written (128 + SIGINT)


@dataclass(frozen=True, order=True)
class Location:
    """Where a value stands in a plan file (1-based line and column)."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a plan file: where, what, and how to fix it."""

    location: Location
    message: str
    severity: str = "error"  # "error" or "warning"
    #: How many problems this one stands for: 1, or for the closing line of a capped list, the
    #: number of problems of its severity it says are not shown.
    stands_for: int = 1

    def __str__(self) -> str:
        tag = "" if self.severity == "error" else f"{self.severity}: "
        return f"{self.location}: {tag}{self.message}"


def count_errors(problems: list[Problem]) -> int:
    """The errors among ``problems``, a capped list's closing line counting what it stands for."""
    return sum(p.stands_for for p in problems if p.severity == "error")


class GaGoalsError(Exception):
    """Base class of every error caused by input or by the remote property.

    ``str(error)`` is one line saying what happened; ``hint`` (optional, may span lines) says how
    to fix it, and the CLI prints it below the error. Every subclass pickles (errors cross
    process pools) and hashes (by identity, like any exception): ``args`` must be what the
    constructor takes back.
    """

    exit_code: int = ExitCode.ERROR
    #: The report of the apply this error stopped (set by ``ga_goals.ga4.admin``), else None.
    report: ApplyReport | None = None
    #: How to fix it, printed below the error (None: the message says it all).
    hint: str | None = None

    def __init__(self, *args: object, hint: str | None = None) -> None:
        super().__init__(*args)
        if hint is not None:
            self.hint = hint


class PlanFileError(GaGoalsError):
    """A plan file has problems; all of them are listed, each with its location."""

    def __init__(self, problems: list[Problem] | None = None) -> None:
        self.problems: list[Problem] = list(problems or [])
        super().__init__(self.problems)  # args = (problems,): what pickle passes back

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def __str__(self) -> str:
        return "\n".join(str(p) for p in sorted(self.problems, key=lambda p: p.location))


class ApiError(GaGoalsError):
    """A GA4 API call failed in a way the user must act on (permission, not found, invalid)."""


class UnconfirmedWrite(ApiError):
    """A write got no answer, even after retrying: GA4 may have applied it. The next run re-reads
    the property, so it neither repeats nor loses the change."""


class QuotaExhausted(ApiError):
    """A GA4 quota ran out; retrying now would not help."""


class PlanningError(GaGoalsError):
    """Desired and actual state cannot be compared: an event create rule's stream cannot be
    resolved, or ``safety.protect`` names an unknown kind. The message says how to fix the plan."""


class UnsafePlan(GaGoalsError):
    """The plan archives, deletes or replaces more than allowed, or touches protected names."""


class PropertyMismatch(GaGoalsError):
    """A saved plan was made for another property, or the property changed since it was reviewed."""


class CredentialsError(GaGoalsError):
    """No usable Google credentials were found."""
