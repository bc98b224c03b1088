"""Read a GA4 property's state and apply a Plan to it, through the Admin API.

:class:`AdminGateway` is the only object the rest of ga-goals needs::

    with AdminGateway(Target("properties/123")) as ga:
        actual = ga.read_state()
        plan = compute_plan(desired, actual)
        report = ga.apply(plan, on_result=print_progress)
        print(report.summary())
        report.raise_for_error()

Reading is cheap and parallel: one GetProperty, one List per collection (200 per page), one
ListEventCreateRules, one ListEventEditRules and one GetEnhancedMeasurementSettings per web
stream (the v1alpha kinds, audiences among them, through the v1alpha client). Every RPC has a
timeout and retries UNAVAILABLE and DEADLINE_EXCEEDED with exponential backoff.

Applying is sequential, in the plan's order, paced under the Admin write quota, and stops at
the first failure. Every change gets a :class:`ChangeResult`; the :class:`ApplyReport` tells
exactly what was applied and what was not, so a re-run (with a freshly computed plan) finishes
the job. Writes are idempotent under lost responses: a create whose first attempt succeeded
but whose answer was lost comes back ALREADY_EXISTS on retry and is recognised as applied
(after comparing the resource GA4 has with the desired one); an archive/delete that comes back
NOT_FOUND counts as done. Event create rules and audiences have no unique key in GA4: before
re-sending their create, the gateway looks for the one the lost attempt may have made.
"""

from __future__ import annotations

import dataclasses

import builtins
import dataclasses
import json
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, get_args

from google.api_core import exceptions as gexc
from google.api_core import retry as retries
from google.protobuf import field_mask_pb2

from ga_goals.changes.event_edit_rules import number_rules as number_edit_rules
from ga_goals.changes.plan import Change, Plan
from ga_goals.errors import ApiError, GaGoalsError, PropertyMismatch, QuotaExhausted, UnconfirmedWrite
from ga_goals.model import (
    Audience,
    CalculatedMetric,
    ChannelGroup,
    CustomDimension,
    CustomMetric,
    DataStream,
    EnhancedMeasurement,
    EventCreateRule,
    EventEditRule,
    EventEditRuleOrder,
    KeyEvent,
    PropertyState,
    Resource,
)

from . import convert
from . import enhanced_measurement as em_convert
from .clients import AdminClients, build_admin_clients
from .errors import is_transient, is_unanswered, map_error, quota_error
from .pacing import WriteLimiter
from .target import Target

Status = Literal["applied", "already_applied", "failed", "not_attempted"]
STATUSES: tuple[Status, ...] = get_args(Status)

#: Largest page the Admin API returns (larger page sizes are coerced down to it).
PAGE_SIZE = 200
#: Longest backoff between two retries.
MAX_BACKOFF = 30.0


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ChangeResult:
    """What happened to one change of a plan.

    ``status``: ``applied`` (GA4 accepted the write), ``already_applied`` (GA4 already had the
    desired state: a retried write whose first attempt had succeeded, or a resource removed
    since the plan was made), ``failed`` (``message`` says why; applying stopped there), or
    ``not_attempted`` (after a failure).
    """

    index: int  # position in plan.changes
    change: Change
    status: Status
    message: str = ""
    #: The GA4 resource the change wrote (the new one for create/replace).
    resource_name: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status in ("applied", "already_applied")

    @property
    def error(self) -> str | None:
        """The failure message of a ``failed`` result, else None."""
        return self.message if self.status == "failed" else None

    def to_json(self) -> dict[str, Any]:
        data = {"index": self.index, "status": self.status, **self.change.to_json()}
        if self.message:
            data["message"] = self.message
        if self.resource_name:
            data["resource_name"] = self.resource_name
        data["seconds"] = round(self.seconds, 3)
        return data


@dataclass
class ApplyReport:
    """Every change of a plan with its status, and the error that stopped the apply (if any)."""

    property: str
    results: list[ChangeResult] = field(default_factory=list)
    #: The error that stopped applying (QuotaExhausted for quota), or None.
    error: GaGoalsError | None = None
    seconds: float = 0.0
    #: Seconds spent waiting for the write quota (pacing).
    paced_seconds: float = 0.0

    @builtins.property  # the field `property` hides the builtin in this class
    def complete(self) -> bool:
        """Every change is applied (or was already)."""
        return all(r.ok for r in self.results)

    def by_status(self, status: str) -> list[ChangeResult]:
        return [r for r in self.results if r.status == status]

    @builtins.property
    def done(self) -> list[ChangeResult]:
        """Applied and already-applied results."""
        return [r for r in self.results if r.ok]

    @builtins.property
    def failed(self) -> ChangeResult | None:
        found = self.by_status("failed")
        return found[0] if found else None

    def counts(self) -> dict[str, int]:
        c = Counter(r.status for r in self.results)
        return {s: c.get(s, 0) for s in STATUSES}

    def summary(self) -> str:
        """``"3 applied, 1 already applied, 1 failed, 2 not attempted"`` (zero counts omitted)."""
        if not self.results:
            return "no changes"
        parts = [f"{n} {s.replace('_', ' ')}" for s, n in self.counts().items() if n]
        return ", ".join(parts)

    def raise_for_error(self) -> None:
        """Raise the stopping error (with ``.report`` = self) if the apply is incomplete."""
        if self.error is not None:
            raise self.error

    def to_json(self) -> dict[str, Any]:
        return {
            "property": self.property,
            "complete": self.complete,
            "counts": self.counts(),
            "error": str(self.error) if self.error else None,
            "error_type": type(self.error).__name__ if self.error else None,
            "seconds": round(self.seconds, 3),
            "paced_seconds": round(self.paced_seconds, 3),
            "results": [r.to_json() for r in self.results],
        }

    def to_json_str(self) -> str:
        return json.dumps(self.to_json(), indent=2, default=str)


# --------------------------------------------------------------------------- per-kind API surface


@dataclass(frozen=True)
class _Ops:
    """The RPC names and request fields of one resource kind."""

    kind: str
    collection: str  # PropertyState attribute
    alpha: bool  # v1alpha only (event create rules)
    field: str  # request field holding the resource ("key_event")
    noun: str  # "keyEvents" etc. (for messages)
    remove_verb: Literal["delete", "archive"]
    #: What the resources hang under: the property, or each web data stream (event create rules).
    parent: Literal["property", "stream"] = "property"

    @property
    def create(self) -> str:
        return f"create_{self.field}"

    @property
    def update(self) -> str:
        return f"update_{self.field}"

    @property
    def remove(self) -> str:
        return f"{self.remove_verb}_{self.field}"

    @property
    def list(self) -> str:
        return f"list_{self.field}s"


_OPS: dict[str, _Ops] = {
    KeyEvent.KIND: _Ops(KeyEvent.KIND, "key_events", False, "key_event", "key events", "delete"),
    CustomDimension.KIND: _Ops(
        CustomDimension.KIND, "custom_dimensions", False, "custom_dimension", "custom dimensions", "archive"
    ),
    CustomMetric.KIND: _Ops(CustomMetric.KIND, "custom_metrics", False, "custom_metric", "custom metrics", "archive"),
    EventCreateRule.KIND: _Ops(
        EventCreateRule.KIND, "event_create_rules", True, "event_create_rule", "event create rules", "delete", "stream"
    ),
    EventEditRule.KIND: _Ops(
        EventEditRule.KIND, "event_edit_rules", True, "event_edit_rule", "event edit rules", "delete", "stream"
    ),
    CalculatedMetric.KIND: _Ops(
        CalculatedMetric.KIND, "calculated_metrics", True, "calculated_metric", "calculated metrics", "delete"
    ),
    ChannelGroup.KIND: _Ops(ChannelGroup.KIND, "channel_groups", True, "channel_group", "channel groups", "delete"),
    # A singleton per web stream: only ever updated (UpdateEnhancedMeasurementSettings), never
    # created or removed (the planner plans neither).
    EnhancedMeasurement.KIND: _Ops(
        EnhancedMeasurement.KIND,
        "enhanced_measurement",
        True,
        "enhanced_measurement_settings",
        "enhanced measurement settings",
        "delete",
        "stream",
    ),
    Audience.KIND: _Ops(Audience.KIND, "audiences", True, "audience", "audiences", "archive"),
}

class _ChangeFailed(Exception):
    """Internal: a change failed with ``error`` (a mapped GaGoalsError)."""

    def __init__(self, error: GaGoalsError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass
class _Attempts:
    n: int = 0


#: Retry UNAVAILABLE and DEADLINE_EXCEEDED only (shared with the Data API gateway).
_is_transient = is_transient


# --------------------------------------------------------------------------- the gateway


class AdminGateway:
    """Reads and writes one GA4 property through the Admin API (v1beta, v1alpha for rules).

    :param target: the property and connection settings.
    :param limiter: write pacing; default: ``target.writes_per_minute`` per ``target.write_window``.
    :param clients: prebuilt clients (default: built from ``target``; credentials are loaded now,
        so a :class:`~ga_goals.errors.CredentialsError` surfaces here).
    """

    def __init__(
        self,
        target: Target,
        *,
        limiter: WriteLimiter | None = None,
        clients: AdminClients | None = None,
    ) -> None:
        self.target = target
        self.limiter = limiter or WriteLimiter(target.writes_per_minute, target.write_window)
        self._clients = clients or build_admin_clients(target)
        # Web streams and event create rule names seen, for resolving a rule's stream and for
        # recognising a rule created by a lost attempt (create rules have no unique key in GA4).
        self._streams: list[DataStream] | None = None
        self._rule_names: dict[str, set[str]] = {}
        self._edit_rule_names: dict[str, set[str]] = {}
        self._audience_names: set[str] | None = None

    # -- lifecycle

    def __enter__(self) -> AdminGateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._clients.close()

    @property
    def calls(self) -> Counter[str]:
        """RPCs sent so far (client side, every attempt and page), by method name."""
        return self._clients.calls

    @property
    def call_count(self) -> int:
        return sum(self._clients.calls.values())

    # -- low level

    @property
    def property(self) -> str:
        return self.target.property

    def _retry(self, on_error: Callable[[Exception], None] | None = None) -> retries.Retry:
        return retries.Retry(
            predicate=_is_transient,
            initial=self.target.retry_initial,
            maximum=max(MAX_BACKOFF, self.target.retry_initial),
            multiplier=2.0,
            timeout=self.target.retry_deadline,
            on_error=on_error,
        )

    def _client(self, ops: _Ops) -> Any:
        return self._clients.alpha if ops.alpha else self._clients.beta

    def _module(self, ops: _Ops) -> Any:
        return convert.V1ALPHA if ops.alpha else convert.V1BETA

    def _read(self, fn: Callable[..., Any], **request: Any) -> Any:
        """One read RPC with retry and timeout; errors mapped (NOT_FOUND = the property)."""
        try:
            return fn(request=request, retry=self._retry(), timeout=self.target.timeout)
        except Exception as exc:
            raise self._map(exc, reading=True) from exc

    def _list(self, fn: Callable[..., Any], parent: str) -> list[Any]:
        """Every item of a List RPC (the pager follows page tokens; each page retried)."""
        try:
            pager = fn(
                request={"parent": parent, "page_size": PAGE_SIZE},
                retry=self._retry(),
                timeout=self.target.timeout,
            )
            return list(pager)
        except Exception as exc:
            raise self._map(exc, reading=True) from exc

    def _map(self, exc: BaseException, **kw: Any) -> GaGoalsError:
        return map_error(
            exc, prop=self.property, retry_deadline=self.target.retry_deadline, sandbox=self.target.is_sandbox, **kw
        )

    def _write(
        self,
        fn: Callable[..., Any],
        request: dict[str, Any],
        attempts: _Attempts,
        on_wait: Callable[[float], None] | None = None,
        before_retry: Callable[[], Any] | None = None,
    ) -> Any:
        """One write, paced, retried on transient errors (every attempt takes a quota slot).

        ``before_retry()`` runs before each re-send; if it returns something other than None,
        that is taken as the write's result (the lost attempt had landed) and nothing is sent.
        """

        def attempt() -> Any:
            if attempts.n and before_retry is not None:
                landed = before_retry()
                if landed is not None:
                    return landed
            attempts.n += 1
            with self.limiter.slot(on_wait):
                # Retry is applied around this function (not passed to the client) so that
                # each re-send is paced and counted.
                return fn(request=request, retry=None, timeout=self.target.timeout)

        return self._retry()(attempt)()

    # -- reading

    def read_state(self) -> PropertyState:
        """The property's display name, tier, key events, custom dimensions and metrics, calculated
        metrics, channel groups, audiences, data streams and (per web stream) event create and edit
        rules and enhanced measurement settings.

        Eleven RPCs for a property with one web stream and short lists; independent ones in
        parallel. Raises :class:`~ga_goals.errors.ApiError` (``property N not found (or no
        access)``, no access, timeout), :class:`~ga_goals.errors.QuotaExhausted`, or
        :class:`~ga_goals.errors.CredentialsError`.
        """
        beta, alpha = self._clients.beta, self._clients.alpha
        prop = self.property
        with ThreadPoolExecutor(max_workers=8, thread_name_prefix="ga4-read") as pool:
            f_prop = pool.submit(self._read, beta.get_property, name=prop)
            f_lists: dict[str, Future[list[Any]]] = {
                kind: pool.submit(self._list, getattr(self._client(ops), ops.list), prop)
                for kind, ops in _OPS.items()
                if ops.parent == "property"
            }
            f_streams = pool.submit(self._list, beta.list_data_streams, prop)
            f_rules: dict[str, Future[list[Any]]] = {}
            f_edits: dict[str, Future[list[Any]]] = {}
            f_settings: dict[str, Future[Any]] = {}
            streams: list[DataStream] = []
            try:
                streams = [convert.data_stream_from_proto(m) for m in f_streams.result()]
            except GaGoalsError:
                pass  # reported below, after the property's own error (more telling)
            for s in streams:
                if s.type == "web":
                    f_rules[s.resource_name] = pool.submit(self._list, alpha.list_event_create_rules, s.resource_name)
                    f_edits[s.resource_name] = pool.submit(self._list, alpha.list_event_edit_rules, s.resource_name)
                    f_settings[s.resource_name] = pool.submit(
                        self._read, alpha.get_enhanced_measurement_settings, name=em_convert.settings_name(s.resource_name)
                    )
            # Raise the most telling error first: the property itself, then the lists.
            prop_msg = f_prop.result()
            lists = {kind: f.result() for kind, f in f_lists.items()}
            f_streams.result()
            rules = {name: f.result() for name, f in f_rules.items()}
            edits = {name: f.result() for name, f in f_edits.items()}
            settings = {name: f.result() for name, f in f_settings.items()}

        state = PropertyState(
            property=prop,
            service_level=convert.service_level_from_proto(prop_msg.service_level),
            display_name=prop_msg.display_name,
            data_streams=streams,
        )
        for msgs in lists.values():
            for msg in msgs:
                resource = self._model(msg)
                if isinstance(resource, ChannelGroup) and resource.system_defined:
                    continue  # GA4's Default Channel Group: its rules are not the plan's to manage
                if isinstance(resource, Audience):
                    # GA4 does not make audience names unique: number the copies, so that each
                    # one stays visible (the plan matches the first; the others are drift).
                    copies = sum(1 for a in state.audiences.values() if a.display_name == resource.display_name)
                    resource = dataclasses.replace(resource, copy=copies)
                state.add(resource)
        for stream_name, msgs in rules.items():
            for rule in self._number_rules(msgs, stream_name):
                state.add(rule)
        for stream_name, msgs in edits.items():
            for edit in self._number_edit_rules(msgs, stream_name):
                state.add(edit)
        names = {s.resource_name: s.display_name for s in streams}
        for stream_name, msg in settings.items():
            state.add(dataclasses.replace(em_convert.from_proto(msg, stream_name=names[stream_name]), stream=stream_name))
        self._streams = streams
        self._rule_names = {name: {m.name for m in msgs} for name, msgs in rules.items()}
        self._edit_rule_names = {name: {m.name for m in msgs} for name, msgs in edits.items()}
        self._audience_names = {m.name for m in lists[Audience.KIND]}
        return state

    def _model(self, msg: Any) -> Any:
        """A listed message as a model resource; a shape the model cannot hold is an ApiError."""
        try:
            return convert.from_proto(msg)
        except convert.ConversionError as exc:
            raise ApiError(f"cannot read {getattr(msg, 'name', '') or type(msg).__name__} of {self.property}: {exc}") from None

    @staticmethod
    def _number_rules(msgs: list[Any], stream: str) -> list[EventCreateRule]:
        """Rules of one stream; ``index`` numbers rules creating the same event, in list order."""
        seen: Counter[str] = Counter()
        out = []
        for msg in msgs:
            out.append(convert.event_create_rule_from_proto(msg, index=seen[msg.destination_event], stream=stream))
            seen[msg.destination_event] += 1
        return out

    @staticmethod
    def _number_edit_rules(msgs: list[Any], stream: str) -> list[EventEditRule]:
        """Edit rules of one stream in processing order (GA4 lists them in an arbitrary order)."""
        return number_edit_rules([convert.event_edit_rule_from_proto(m, stream=stream) for m in msgs])

    def _read_collection(self, ops: _Ops, parent: str) -> list[Any]:
        """Re-read one collection (as model objects), e.g. after ALREADY_EXISTS."""
        msgs = self._list(getattr(self._client(ops), ops.list), parent)
        if ops.kind == EventEditRule.KIND:
            return self._number_edit_rules(msgs, parent)
        if ops.parent == "stream":
            return self._number_rules(msgs, parent)
        return [self._model(m) for m in msgs]

    def data_streams(self) -> list[DataStream]:
        """The property's data streams (cached after the first read)."""
        if self._streams is None:
            msgs = self._list(self._clients.beta.list_data_streams, self.property)
            self._streams = [convert.data_stream_from_proto(m) for m in msgs]
        return self._streams

    def resolve_stream(self, selector: str | None) -> str:
        """A plan's stream selector -> ``properties/P/dataStreams/S``.

        ``None``: the property's only web stream; a resource name; a stream id; or a display name.
        """
        if selector and selector.startswith("properties/"):
            if not selector.startswith(self.property + "/dataStreams/"):
                raise ApiError(f"data stream {selector} is not in {self.property}")
            return selector
        streams = self.data_streams()
        web = [s for s in streams if s.type == "web"]
        if selector is None:
            if len(web) == 1:
                return web[0].resource_name
            names = ", ".join(f"{s.display_name!r} ({s.stream_id})" for s in web) or "none"
            raise ApiError(
                f"event create rules need a web data stream: {self.property} has "
                f"{len(web)} ({names}); set `stream:` in the plan file to a stream id or name"
            )
        for s in streams:
            if selector in (s.stream_id, s.display_name):
                return s.resource_name
        names = ", ".join(f"{s.display_name!r} ({s.stream_id})" for s in streams) or "none"
        raise ApiError(f"no data stream {selector!r} in {self.property} (streams: {names})")

    # -- applying

    def apply(
        self,
        plan: Plan,
        *,
        on_result: Callable[[ChangeResult], None] | None = None,
        on_start: Callable[[int, Change], None] | None = None,
        on_wait: Callable[[float], None] | None = None,
    ) -> ApplyReport:
        """Apply ``plan``'s changes in order, stopping at the first failure.

        :param on_result: called with each :class:`ChangeResult` as soon as it is known
            (including the ``not_attempted`` ones after a failure), for progress output.
        :param on_start: called with ``(index, change)`` before each change is sent.
        :param on_wait: called with the seconds to wait when the write quota pacing waits.
        :returns: the :class:`ApplyReport`. It never raises for a failed change: the failure
            is in ``report.error`` (a QuotaExhausted when a quota ran out; its ``.report``
            attribute is the report) and ``report.raise_for_error()`` raises it.
        :raises PropertyMismatch: the plan was made for another property (nothing is sent).
        """
        if plan.property != self.property:
            raise PropertyMismatch(
                f"this plan was made for {plan.property}, not {self.property}: nothing was applied"
            )
        report = ApplyReport(property=self.property)
        started = time.monotonic()
        paced_before = self.limiter.waited

        def emit(result: ChangeResult) -> None:
            report.results.append(result)
            if on_result is not None:
                on_result(result)

        for index, change in enumerate(plan.changes):
            if report.error is not None:
                emit(ChangeResult(index, change, "not_attempted"))
                continue
            if on_start is not None:
                on_start(index, change)
            t0 = time.monotonic()
            try:
                status, name, message = self._apply_change(change, on_wait)
            except _ChangeFailed as failed:
                error = failed.error
                if isinstance(error, QuotaExhausted):
                    # Rebuild the message with the count of what went through.
                    error = quota_error(error.__cause__ or error, applied=len(report.done))
                    error.__cause__ = failed.error.__cause__
                report.error = error
                emit(ChangeResult(index, change, "failed", str(error), seconds=time.monotonic() - t0))
                continue
            emit(ChangeResult(index, change, status, message, name, seconds=time.monotonic() - t0))

        report.seconds = time.monotonic() - started
        report.paced_seconds = self.limiter.waited - paced_before
        if report.error is not None:
            report.error.report = report
        return report

    def _what(self, change: Change, verb: str | None = None) -> str:
        return f"{verb or change.action} {change.kind.replace('_', ' ')} {change.label}"

    def _apply_change(
        self, change: Change, on_wait: Callable[[float], None] | None
    ) -> tuple[Status, str | None, str]:
        ops = _OPS.get(change.kind)
        if ops is None:
            raise _ChangeFailed(ApiError(f"{self._what(change)}: unknown resource kind {change.kind!r}"))
        if change.action == "reorder":
            return self._reorder(change, on_wait)
        if change.action == "create":
            return self._create(ops, change, on_wait)
        if change.action == "update":
            return self._update(ops, change, on_wait)
        if change.action in ("archive", "delete"):
            return self._remove(ops, change, on_wait)
        if change.action == "replace":
            status, _, message = self._remove(ops, change, on_wait)
            try:
                created = self._create(ops, change, on_wait)
            except _ChangeFailed as failed:
                verb = "deleted" if ops.remove_verb == "delete" else "archived"
                err = type(failed.error)(
                    f"{failed.error} (the old {change.kind.replace('_', ' ')} was already {verb}: "
                    "re-run to create the new one)"
                )
                err.__cause__ = failed.error.__cause__
                raise _ChangeFailed(err) from None
            if status == "already_applied" and message:
                return created[0], created[1], "; ".join(m for m in (message, created[2]) if m)
            return created
        raise _ChangeFailed(ApiError(f"{self._what(change)}: unknown action {change.action!r}"))

    def _fail(self, exc: BaseException, what: str) -> _ChangeFailed:
        err = self._map(exc, what=what)
        if is_unanswered(exc):
            # The last attempt may have landed before the answer was lost: say so, not "failed".
            err = UnconfirmedWrite(f"{err}; it may have been applied, the next run checks", hint=err.hint)
        err.__cause__ = exc
        return _ChangeFailed(err)

    # create

    def _parent(self, ops: _Ops, resource: Resource) -> str:
        if isinstance(resource, (EventCreateRule, EventEditRule)):
            return self.resolve_stream(resource.stream)
        return self.property

    def _create(
        self, ops: _Ops, change: Change, on_wait: Callable[[float], None] | None
    ) -> tuple[Status, str | None, str]:
        desired = change.desired
        what = self._what(change, "create")
        if desired is None:
            raise _ChangeFailed(ApiError(f"{what}: the change has no desired resource"))
        try:
            parent = self._parent(ops, desired)
            message = convert.to_proto(desired, self._module(ops))
            message.name = ""  # output only: GA4 names the new resource
        except GaGoalsError as exc:
            raise _ChangeFailed(exc) from None
        except convert.ConversionError as exc:
            raise _ChangeFailed(ApiError(f"{what}: {exc}")) from None
        request = {"parent": parent, ops.field: message, **convert.create_request_fields(desired)}
        attempts = _Attempts()
        before_retry = None
        if isinstance(desired, (EventCreateRule, EventEditRule)):
            before_retry = self._rule_landed_check(ops, parent, desired)
        elif isinstance(desired, Audience):
            before_retry = self._audience_landed_check(desired)
        try:
            response = self._write(getattr(self._client(ops), ops.create), request, attempts, on_wait, before_retry)
        except gexc.AlreadyExists as exc:
            return self._already_exists(ops, change, parent, exc, attempts, what)
        except gexc.NotFound as exc:  # the parent: the property, or the rule's data stream
            err = ApiError(
                f"{what}: {parent} not found in GA4 ({exc.message}): check the property id, and that "
                f"the account ga-goals runs as has access to it"
            )
            err.__cause__ = exc
            raise _ChangeFailed(err) from exc
        except Exception as exc:
            raise self._fail(exc, what) from exc
        if isinstance(response, _Landed):
            return "already_applied", response.name, "already in GA4: a retried request had succeeded"
        if isinstance(desired, (EventCreateRule, EventEditRule)):
            self._names_of(ops).setdefault(parent, set()).add(response.name)
        return "applied", response.name, ""

    def _already_exists(
        self, ops: _Ops, change: Change, parent: str, exc: gexc.AlreadyExists, attempts: _Attempts, what: str
    ) -> tuple[Status, str | None, str]:
        """ALREADY_EXISTS on create: read the collection once; equal -> already applied."""
        desired = change.desired
        assert desired is not None
        try:
            existing = {r.key: r for r in self._read_collection(ops, parent)}
        except GaGoalsError as err:
            raise _ChangeFailed(err) from None
        key = desired.key
        if isinstance(desired, EventCreateRule):
            key = (parent, desired.destination_event, desired.index)
        elif isinstance(desired, EventEditRule):
            key = (parent, desired.display_name, desired.index)
        found = existing.get(key)
        if found is None:
            raise self._fail(exc, what)
        have, want = found.fields(), desired.fields()
        diff = [f for f in want if have.get(f) != want[f]]
        if diff:
            details = ", ".join(f"{f}: GA4 has {have.get(f)!r}, the plan wants {want[f]!r}" for f in diff)
            raise _ChangeFailed(
                ApiError(
                    f"{what}: GA4 already has it with different values ({details}). It was created "
                    "outside this run: run `ga-goals plan` again to update it."
                )
            )
        why = "a retried request had succeeded" if attempts.n > 1 else "created outside this run, with the same values"
        return "already_applied", found.resource_name, f"already in GA4: {why}"

    def _names_of(self, ops: _Ops) -> dict[str, set[str]]:
        """Rule names seen per stream, for create rules or edit rules."""
        return self._edit_rule_names if ops.kind == EventEditRule.KIND else self._rule_names

    def _rule_landed_check(
        self, ops: _Ops, parent: str, desired: EventCreateRule | EventEditRule
    ) -> Callable[[], Any]:
        """Before re-sending a rule create: did the lost attempt land? (A rule with the same
        content that was not there before.) GA4 has no unique key for create or edit rules, so
        a blind retry could duplicate the rule."""
        list_rules = getattr(self._clients.alpha, ops.list)
        names = self._names_of(ops)
        known = names.get(parent)
        if known is None:  # not read yet: snapshot now, before the first attempt
            known = {m.name for m in self._list(list_rules, parent)}
            names[parent] = known
        want = desired.fields()
        snapshot = set(known)

        def landed() -> Any:
            msgs = self._list(list_rules, parent)
            for msg in msgs:
                if msg.name in snapshot:
                    continue
                if convert.from_proto(msg).fields() == want:
                    known.add(msg.name)
                    return _Landed(msg.name)
            return None

        return landed

    def _audience_landed_check(self, desired: Audience) -> Callable[[], Any]:
        """Before re-sending an audience create: did the lost attempt land? GA4 gives audiences
        no unique key, so a blind retry could create a second one with the same name."""
        alpha = self._clients.alpha
        if self._audience_names is None:  # not read yet: snapshot now, before the first attempt
            self._audience_names = {m.name for m in self._list(alpha.list_audiences, self.property)}
        snapshot = set(self._audience_names)
        want = desired.fields()

        def landed() -> Any:
            for msg in self._list(alpha.list_audiences, self.property):
                if msg.name not in snapshot and self._model(msg).fields() == want:
                    return _Landed(msg.name)
            return None

        return landed

    # update

    def _update(
        self, ops: _Ops, change: Change, on_wait: Callable[[float], None] | None
    ) -> tuple[Status, str | None, str]:
        existing, desired = change.existing, change.desired
        what = self._what(change, "update")
        if existing is None or desired is None or not existing.resource_name:
            raise _ChangeFailed(ApiError(f"{what}: the change lacks the existing resource's name"))
        names = [f.field for f in change.fields]
        if not names:
            have, want = existing.fields(), desired.fields()
            names = [f for f in want if have.get(f) != want[f]]
        if not names:
            return "already_applied", existing.resource_name, "nothing to update"
        try:
            paths = convert.update_mask_paths(ops.kind, names)
            message = convert.to_proto(desired, self._module(ops), name=existing.resource_name)
        except convert.ConversionError as exc:
            raise _ChangeFailed(ApiError(f"{what}: {exc}")) from None
        request = {ops.field: message, "update_mask": field_mask_pb2.FieldMask(paths=paths)}
        try:
            response = self._write(getattr(self._client(ops), ops.update), request, _Attempts(), on_wait)
        except Exception as exc:
            raise self._fail(exc, what) from exc
        return "applied", response.name or existing.resource_name, ""

    # archive / delete

    def _remove(
        self, ops: _Ops, change: Change, on_wait: Callable[[float], None] | None
    ) -> tuple[Status, str | None, str]:
        existing = change.existing
        what = self._what(change, ops.remove_verb)
        if existing is None or not existing.resource_name:
            raise _ChangeFailed(ApiError(f"{what}: the change lacks the existing resource's name"))
        name = existing.resource_name
        attempts = _Attempts()
        try:
            self._write(getattr(self._client(ops), ops.remove), {"name": name}, attempts, on_wait)
        except gexc.NotFound:
            if attempts.n > 1:
                return "already_applied", name, "already done: a retried request had succeeded"
            return "already_applied", name, "already gone from GA4 (removed since the plan was made)"
        except Exception as exc:
            raise self._fail(exc, what) from exc
        if isinstance(existing, (EventCreateRule, EventEditRule)):
            for names in self._names_of(ops).values():
                names.discard(name)
        return "applied", name, ""

    # reorder

    def _reorder(self, change: Change, on_wait: Callable[[float], None] | None) -> tuple[Status, str | None, str]:
        """ReorderEventEditRules with the stream's rules as they are now, put in the plan's order.

        The plan names rules by label (new ones had no resource name yet); the stream is listed
        again here and each label mapped to its rule. If the stream's rules are not the ones
        the plan expected (changed in GA4 meanwhile), nothing is sent.
        """
        desired = change.desired
        what = self._what(change)
        if not isinstance(desired, EventEditRuleOrder):
            raise _ChangeFailed(ApiError(f"{what}: the change has no processing order"))
        stream = desired.stream
        current = self._number_edit_rules(self._list(self._clients.alpha.list_event_edit_rules, stream), stream)
        names = {r.label: r.resource_name for r in current}
        have, want = [r.label for r in current], list(desired.order)
        if sorted(have) != sorted(want):
            raise _ChangeFailed(
                ApiError(
                    f"{what}: the event edit rules of {stream} are not the ones the plan expected (GA4 has "
                    f"{', '.join(have) or 'none'}; the plan orders {', '.join(want)}): they changed since the plan "
                    "was made; run `ga-goals plan` again"
                )
            )
        if have == want:
            return "already_applied", stream, "already in the plan's order"
        request = {"parent": stream, "event_edit_rules": [names[label] for label in want]}
        try:
            self._write(self._clients.alpha.reorder_event_edit_rules, request, _Attempts(), on_wait)
        except Exception as exc:
            raise self._fail(exc, what) from exc
        return "applied", stream, ""


@dataclass(frozen=True)
class _Landed:
    """A write found to have landed by a lost attempt (no response to return)."""

    name: str


__all__ = ["AdminGateway", "ApplyReport", "ChangeResult", "STATUSES", "Status"]
