"""Orchestration: tracking plan -> target property -> Plan -> applied changes.

The CLI calls this module and nothing deeper. It decides where a plan goes (the embedded
sandbox or Google), owns the in-process sandbox server for the length of a command, and keeps
the Google client imports lazy so that commands which do not talk to GA4 stay fast.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ga_goals.errors import GaGoalsError, PropertyMismatch
from ga_goals.model import SANDBOX, TrackingPlan
from ga_goals.sandbox import SANDBOX_PROPERTY_ID, default_state_dir

if TYPE_CHECKING:  # the Google clients load only when a command talks to GA4
    from ga_goals.changes.plan import Change, Plan
    from ga_goals.ga4.admin import AdminGateway, ApplyReport, ChangeResult
    from ga_goals.ga4.data import DataGateway
    from ga_goals.ga4.target import Target
    from ga_goals.reports.periods import ReportPeriod
    from ga_goals.model import Period, PropertyState
    from ga_goals.reports.model import ReportData
    from ga_goals.sandbox.server import SandboxServer
    from ga_goals.sources.base import EngineOptions, ReportSource


@dataclass(frozen=True)
class Connection:
    """How to reach GA4 for one command (from CLI options and the environment)."""

    #: Run every property of the plan against the sandbox, whatever its ``property`` says.
    sandbox: bool = False
    sandbox_dir: Path = field(default_factory=default_state_dir)
    #: A ``ga-goals sandbox serve`` already running (host:port); otherwise one runs in-process.
    sandbox_address: str | None = None
    #: Test hooks for the in-process sandbox: a JSON list of faults, added latency in seconds.
    sandbox_faults: str | None = None
    sandbox_latency: float = 0.0
    credentials_file: str | None = None
    timeout: float = 30.0
    writes_per_minute: int = 180

    @classmethod
    def from_env(cls, **options: Any) -> Connection:
        """Options given on the command line win over the environment."""
        values: dict[str, Any] = {
            "sandbox_address": os.environ.get("GA_GOALS_SANDBOX_ADDRESS") or None,
            "sandbox_faults": os.environ.get("GA_GOALS_SANDBOX_FAULTS") or None,
            "sandbox_latency": _seconds("GA_GOALS_SANDBOX_LATENCY"),
        }
        values.update({k: v for k, v in options.items() if v is not None})
        return cls(**values)


def _seconds(variable: str) -> float:
    text = os.environ.get(variable) or "0"
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value < 0:
        raise GaGoalsError(f"{variable}={text!r}: give a number of seconds, e.g. {variable}=0.05")
    return value


def property_name(property_ref: str) -> str:
    """``sandbox`` / ``123`` / ``properties/123`` -> ``properties/{id}``."""
    if property_ref == SANDBOX:
        return f"properties/{SANDBOX_PROPERTY_ID}"
    return property_ref if property_ref.startswith("properties/") else f"properties/{property_ref}"


class Manager:
    """One command's access to GA4 properties. Use as a context manager."""

    def __init__(self, connection: Connection | None = None) -> None:
        self.connection = connection or Connection.from_env()
        self._server: SandboxServer | None = None

    def __enter__(self) -> Manager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    # -- where a property lives ---------------------------------------------------------------

    def uses_sandbox(self, property_ref: str) -> bool:
        """Whether ``property_ref`` goes to a sandbox: ``sandbox``, or any property with --sandbox.

        A sandbox address alone (``--sandbox-address``, or ``GA_GOALS_SANDBOX_ADDRESS`` left in
        the environment) never redirects a real property: that is refused, so a plan naming a
        production property is never silently planned or synced against a sandbox.
        """
        if property_ref == SANDBOX or self.connection.sandbox:
            return True
        if self.connection.sandbox_address:
            pid = property_name(property_ref).split("/", 1)[1]
            raise GaGoalsError(
                f"property {pid} is a real GA4 property, but a sandbox server address is set "
                f"({self.connection.sandbox_address}, from --sandbox-address or GA_GOALS_SANDBOX_ADDRESS): "
                "refusing to send it to the sandbox. Pass --sandbox to run it against the sandbox "
                "server, or unset GA_GOALS_SANDBOX_ADDRESS to reach Google."
            )
        return False

    def target(self, property_ref: str) -> Target:
        """The Target for a plan's ``property`` value, starting the sandbox if it needs one."""
        from ga_goals.ga4.target import Target

        name = property_name(property_ref)
        timeout, writes_per_minute = self.connection.timeout, self.connection.writes_per_minute
        if not self.uses_sandbox(property_ref):
            return Target(
                property=name,
                credentials_file=self.connection.credentials_file,
                timeout=timeout,
                writes_per_minute=writes_per_minute,
            )
        address = self.connection.sandbox_address
        if address is None:
            server = self._sandbox()
            # A local sandbox holds whatever property a plan names: it stands in for that property.
            server.store.ensure_property(name.split("/", 1)[1])
            address = server.address
        # A local server answers in milliseconds: retry fast and give up soon if it is not there.
        return Target(
            property=name,
            sandbox_address=address,
            retry_initial=0.05,
            retry_deadline=10.0,
            timeout=timeout,
            writes_per_minute=writes_per_minute,
        )

    def _sandbox(self) -> SandboxServer:
        if self._server is None:
            from ga_goals.sandbox.faults import faults_from_json
            from ga_goals.sandbox.server import SandboxServer

            try:
                faults = faults_from_json(self.connection.sandbox_faults) if self.connection.sandbox_faults else []
            except ValueError as error:
                raise GaGoalsError(f"GA_GOALS_SANDBOX_FAULTS: {error}") from None
            self.connection.sandbox_dir.mkdir(parents=True, exist_ok=True)
            self._server = SandboxServer(
                self.connection.sandbox_dir, faults=faults, latency=self.connection.sandbox_latency
            )
            self._server.start()
        return self._server

    @contextmanager
    def gateway(self, property_ref: str) -> Iterator[AdminGateway]:
        from ga_goals.ga4.admin import AdminGateway

        with AdminGateway(self.target(property_ref)) as gateway:
            yield gateway

    @contextmanager
    def data_gateway(self, property_ref: str) -> Iterator[DataGateway]:
        """The Data API gateway (reports) of a plan's property."""
        from ga_goals.ga4.data import DataGateway

        with DataGateway(self.target(property_ref)) as gateway:
            yield gateway

    @contextmanager
    def report_source(
        self,
        tracking_plan: TrackingPlan,
        engine: EngineOptions | None = None,
        *,
        on_estimate: Callable[[list[int], int | None], None] | None = None,
    ) -> Iterator[ReportSource]:
        """The source a plan's reports read: the Data API of its property (default), or the GA4
        BigQuery export through DuckDB (export files) or BigQuery (``engine``)."""
        if engine is None or engine.engine == "data-api":
            from ga_goals.sources.data_api import DataApiSource

            with self.data_gateway(tracking_plan.property) as gateway:
                yield DataApiSource(gateway)
            return
        from ga_goals.sources.export import open_export_source

        with open_export_source(engine, tracking_plan, on_estimate=on_estimate) as source:
            yield source

    # -- the jobs ---------------------------------------------------------------------------

    def reports(
        self,
        tracking_plan: TrackingPlan,
        names: list[str],
        *,
        period: Period | None = None,
        compare: str | None = None,
        today: Any = None,
        skip: Callable[[str, ReportPeriod], bool] | None = None,
        engine: EngineOptions | None = None,
        on_estimate: Callable[[list[int], int | None], None] | None = None,
    ) -> list[ReportData | ReportPeriod]:
        """Build the named reports of the plan (all checked before the first call), over one
        connection. A Data API error stops everything: no report is returned half-built.

        ``skip(name, period)`` True leaves a report out before any Data API call (cron re-runs of
        a report already e-mailed for this period spend no quota); its period is returned in its
        place. Knowing the period takes the property's time zone: one Admin GetProperty.

        ``engine`` chooses the source (default: the Data API); ``on_estimate(bytes per query, cap)``
        hears BigQuery's dry runs before anything is billed.
        """
        from ga_goals.reports.build import build_report, check_report, select_report
        from ga_goals.reports.periods import resolve_period, today_in

        for name in names:
            check_report(tracking_plan, select_report(tracking_plan, name), compare)
        results: list[ReportData | ReportPeriod] = []
        with self.report_source(tracking_plan, engine, on_estimate=on_estimate) as source:
            for name in names:
                if skip is not None:
                    report = tracking_plan.reports[name]
                    time_zone = source.settings().time_zone
                    when = resolve_period(
                        period or report.period,
                        compare or report.compare,
                        today or today_in(time_zone),
                        time_zone=time_zone,
                    )
                    if skip(name, when):
                        results.append(when)
                        continue
                results.append(build_report(tracking_plan, name, source, today, period=period, compare=compare))
        return results

    def plan(self, tracking_plan: TrackingPlan) -> Plan:
        """Read the plan's property and compare it with the plan."""
        with self.gateway(tracking_plan.property) as gateway:
            return self._plan(tracking_plan, gateway)

    def sync(
        self,
        tracking_plan: TrackingPlan,
        *,
        apply: bool,
        allow_destroy: bool = False,
        max_destroy: int | None = None,
        checksum: str | None = None,
        on_plan: Callable[[Plan], None] | None = None,
        on_result: Callable[[ChangeResult], None] | None = None,
        on_start: Callable[[int, Change], None] | None = None,
        on_wait: Callable[[float], None] | None = None,
    ) -> tuple[Plan, ApplyReport | None]:
        """Plan, check safety and, only when ``apply`` is true, apply.

        ``checksum`` (from a reviewed plan) refuses to apply a plan that differs from the one
        reviewed. The plan is read and applied over one connection.
        """
        with self.gateway(tracking_plan.property) as gateway:
            plan = self._plan(tracking_plan, gateway)
            if on_plan is not None:
                on_plan(plan)
            if checksum is not None and checksum != plan.checksum:
                raise PropertyMismatch(
                    f"{plan.property} changed since the plan was reviewed: the reviewed checksum is "
                    f"{checksum}, the plan now is {plan.checksum}. Run `ga-goals plan` again and review it."
                )
            if not apply or not plan.has_changes:
                return plan, None
            plan.check_safety(allow_destroy=allow_destroy, max_destroy=max_destroy)
            return plan, gateway.apply(plan, on_result=on_result, on_start=on_start, on_wait=on_wait)

    def read(self, property_ref: str) -> PropertyState:
        with self.gateway(property_ref) as gateway:
            return gateway.read_state()

    @staticmethod
    def _plan(tracking_plan: TrackingPlan, gateway: AdminGateway) -> Plan:
        from ga_goals.changes import compute_plan

        actual = gateway.read_state()
        desired = tracking_plan.desired_state(actual.property)
        return compute_plan(
            desired,
            actual,
            safety=tracking_plan.safety,
            environment=tracking_plan.environment,
            source=tracking_plan.source,
        )


def saved_plan_checksum(path: Path, property_name_: str) -> str:
    """The checksum of a plan saved with ``plan --json``, refusing one made for another property."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise GaGoalsError(f"{path}: cannot read a saved plan ({error}); save one with `ga-goals plan --json`") from None
    plans = data.get("plans", [data]) if isinstance(data, dict) else []
    for saved in plans:
        if isinstance(saved, dict) and saved.get("property") == property_name_:
            return str(saved.get("checksum", ""))
    found = ", ".join(str(p.get("property")) for p in plans if isinstance(p, dict)) or "none"
    raise PropertyMismatch(
        f"{path} was made for {found}, not {property_name_}: refusing to apply it to another property"
    )
