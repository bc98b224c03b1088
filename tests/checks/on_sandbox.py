"""A plan checked on a fresh sandbox: synced, checked through the Data API, its events exported.

The set-up every end-to-end check test needs (it was written three times)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ga_goals.checks import CheckResult, run_check
from ga_goals.manager import Connection, Manager
from ga_goals.model import TrackingPlan
from ga_goals.reports.periods import today_in
from ga_goals.sources.export import ExportSource, duckdb_files_engine

PROPERTY = "100000001"


@dataclass
class OnSandbox:
    today: date
    #: The daily export files of the sandbox property's events (UTC).
    export: Path
    data_api: CheckResult


def check_on_sandbox(plan: TrackingPlan, base: Path) -> OnSandbox:
    """Sync ``plan`` to a sandbox under ``base``, check it through the Data API, export its events."""
    with Manager(Connection(sandbox=True, sandbox_dir=base / "sandbox")) as manager:
        manager.sync(plan, apply=True)
        with manager.report_source(plan) as source:
            today = today_in(source.settings().time_zone)
            data_api = run_check(plan, source, today=today)
        server = manager._sandbox()
        server.data.events.export(PROPERTY, server.store.load(PROPERTY), base / "export", time_zone="UTC")
    return OnSandbox(today, base / "export", data_api)


def check_export(plan: TrackingPlan, export: Path, today: date, **kwargs: Any) -> CheckResult:
    """``plan`` checked from the export files through the DuckDB engine."""
    with ExportSource(duckdb_files_engine([str(export)]), property=f"properties/{PROPERTY}") as source:
        return run_check(plan, source, today=today, **kwargs)
