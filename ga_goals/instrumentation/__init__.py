"""Instrumentation generated from a plan's event schemas (``ga-goals generate``).

Reads only ``TrackingPlan.event_schemas``. One module per output: :mod:`.json_schema` (a JSON
Schema per event), :mod:`.typescript` (typed functions for the web, Measurement Protocol
types), :mod:`.measurement_protocol` (the request body's JSON Schema); :mod:`.files` lays them
out, :mod:`.writer` writes them or tells whether a folder is up to date, and
:mod:`.source_text` is the one place plan text is escaped for generated source.
"""

from __future__ import annotations

from ga_goals.instrumentation.files import GeneratedFile, GenerateError, generated_files
from ga_goals.instrumentation.typescript import SENDS, Send
from ga_goals.instrumentation.writer import Differences, compare, write

__all__ = ["SENDS", "Differences", "GenerateError", "GeneratedFile", "Send", "compare", "generated_files", "write"]
