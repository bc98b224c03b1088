"""Desired vs actual GA4 state -> a reviewed, checksummed Plan of changes.

``compute_plan`` (``diff``) builds the :class:`Plan` (``plan``); ``render`` shows it as text,
JSON or Markdown; ``serialize`` reads and writes ``PropertyState`` as plain JSON data.
"""

from ga_goals.changes.diff import compute_plan
from ga_goals.changes.plan import DESTRUCTIVE, Action, Change, FieldChange, Note, Plan
from ga_goals.changes.render import render_json, render_markdown, render_text
from ga_goals.changes.serialize import state_from_json, state_to_json

__all__ = [
    "DESTRUCTIVE",
    "Action",
    "Change",
    "FieldChange",
    "Note",
    "Plan",
    "compute_plan",
    "render_json",
    "render_markdown",
    "render_text",
    "state_from_json",
    "state_to_json",
]
