"""``ga-goals check``: a tracking plan against what its property actually receives.

:func:`~ga_goals.checks.run.run_check` reads the last N days through a report source and returns
a :class:`~ga_goals.checks.findings.CheckResult`: declared events that never fired, events no
plan declares, custom dimensions whose parameter never arrives, micro conversions that do not
lead to the macro conversion, funnels whose first step has no users
(:mod:`ga_goals.checks.rules`), and events against the plan's event schemas: parameters missing,
of the wrong type, outside their allowed values, undeclared (:mod:`ga_goals.checks.parameter_rules`);
:mod:`ga_goals.checks.render` shows it as text or JSON.
"""

from ga_goals.checks.findings import JSON_FORMAT, KINDS, CheckResult, Finding, register_kind
from ga_goals.checks.run import CheckError, run_check

__all__ = ["JSON_FORMAT", "KINDS", "CheckError", "CheckResult", "Finding", "register_kind", "run_check"]
