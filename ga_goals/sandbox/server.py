"""The sandbox gRPC server: the Admin API (v1beta and v1alpha) and the Data API over the real protocol.

The clients' own proto-plus classes (de)serialise the messages; :class:`~ga_goals.sandbox.admin.AdminBackend`
does the work on plain dicts, so both API versions share one implementation and one state.

Usage::

    with SandboxServer(tmp_path) as server:
        server.store.ensure_property("123")
        channel = grpc.insecure_channel(server.address)
        client = AnalyticsAdminServiceClient(transport=AnalyticsAdminServiceGrpcTransport(channel=channel))

Every call goes through the same wrapper: it is counted in :attr:`SandboxServer.calls`, delayed by
the global latency and by matching faults, possibly failed by a fault (before the work, or after it
with ``apply_first``), and writes (Create*/Update*/Delete*/Archive*) are checked against a
per-property sliding-window write quota.
"""

from __future__ import annotations

import collections
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent import futures
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc
from google.analytics import admin_v1alpha, admin_v1beta
from google.protobuf import any_pb2, duration_pb2, empty_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from ga_goals.sandbox.admin import AdminBackend, SandboxError
from ga_goals.sandbox.faults import Fault, FaultSet
from ga_goals.sandbox.store import SandboxStore

if TYPE_CHECKING:
    from ga_goals.sandbox.data_api import DataApi

log = logging.getLogger(__name__)

ADMIN_SERVICE = "google.analytics.admin.{version}.AnalyticsAdminService"
WRITE_PREFIXES = ("Create", "Update", "Delete", "Archive")
_TIMESTAMP_FIELDS = frozenset({"create_time", "update_time", "delete_time", "expire_time"})
_PROPERTY_IN_NAME = re.compile(r"^properties/([0-9]+)(?:/|$)")

#: (method suffix, plural, state key, request field, response list field) per resource kind.
_RESOURCES = (
    ("KeyEvent", "KeyEvents", "key_events", "key_event", "key_events"),
    ("CustomDimension", "CustomDimensions", "custom_dimensions", "custom_dimension", "custom_dimensions"),
    ("CustomMetric", "CustomMetrics", "custom_metrics", "custom_metric", "custom_metrics"),
)


class CallCounter(collections.Counter[str]):
    """A :class:`collections.Counter` of calls (``"v1beta.ListKeyEvents"``) with locked updates."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def record(self, label: str) -> None:
        with self._lock:
            self[label] += 1

    def reset(self) -> None:
        with self._lock:
            self.clear()

    def snapshot(self) -> collections.Counter[str]:
        """A plain copy, taken under the lock."""
        with self._lock:
            return collections.Counter(dict(self))


class WriteQuota:
    """A sliding window of accepted writes per property: at most ``limit`` per ``window`` seconds."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("write_quota must be (a positive number of writes, a positive number of seconds)")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._writes: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)

    def take(self, property_id: str) -> None:
        """Account one write, or raise RESOURCE_EXHAUSTED (with ``retry_after`` seconds) when the window is full."""
        with self._lock:
            now = self._clock()
            writes = self._writes[property_id]
            while writes and writes[0] <= now - self.window:
                writes.popleft()
            if len(writes) >= self.limit:
                retry_after = max(0.0, writes[0] + self.window - now)
                error = SandboxError(
                    "RESOURCE_EXHAUSTED",
                    f"rateLimitExceeded: too many write requests for properties/{property_id}: at most "
                    f"{self.limit} writes per {self.window:g} s; retry in {retry_after:.1f} s",
                    retry_after=retry_after,
                )
                raise error
            writes.append(now)

    def reset(self) -> None:
        with self._lock:
            self._writes.clear()


# -- message conversion -------------------------------------------------------------------------


def _to_dict(message: Any) -> dict[str, Any]:
    return type(message).to_dict(message, use_integers_for_enums=False)


def _from_dict(cls: Any, data: dict[str, Any]) -> Any:
    """Build a proto-plus message from a stored dict (unknown and private keys are dropped)."""
    known = cls.meta.fields
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known or value is None:
            continue
        if key in _TIMESTAMP_FIELDS and isinstance(value, str):
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        kwargs[key] = value
    return cls(**kwargs)


def _field_or_none(request: Any, name: str) -> dict[str, Any] | None:
    return _to_dict(getattr(request, name)) if name in request else None


def _empty_serializer(message: empty_pb2.Empty) -> bytes:
    return message.SerializeToString()


def _property_of(request: Any, fields: Iterable[str]) -> str | None:
    """The property id a request addresses (for the write quota), if it names one."""
    for name in fields:
        value = request
        for part in name.split("."):
            value = getattr(value, part, "")
        match = _PROPERTY_IN_NAME.match(value or "") if isinstance(value, str) else None
        if match:
            return match.group(1)
    return None


# -- the server ---------------------------------------------------------------------------------


class SandboxServer:
    """A local GA4 Admin API server on ``host:port`` (0 = a free port), state in ``state_dir``.

    :param faults: faults armed from the start (more with :meth:`inject`).
    :param latency: seconds added to every call.
    :param write_quota: ``(writes, seconds)``: the sliding-window write quota per property, or
        None for no quota. GA4 allows 600 writes per minute per project.
    :param max_workers: threads serving calls.
    :param data_api: also serve the Data API (``ga_goals.sandbox.data_api``: reports and funnels
        over the events in ``state_dir/events``, opened on the first Data API call).
    :param data_quota: Data API token limits replacing GA4's, e.g. ``{"tokens_per_hour": 20}``
        (``ga_goals.sandbox.data_quota``); None reads ``$GA_GOALS_SANDBOX_DATA_QUOTA``.
    :param data_caveats: what Data API responses say about their data, e.g.
        ``"thresholded,sample_above=5000"`` (``ga_goals.sandbox.data_caveats``); None reads
        ``$GA_GOALS_SANDBOX_DATA_CAVEATS`` (unset: nothing, as the data is exact).
    """

    def __init__(
        self,
        state_dir: Path | str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: list[Fault] | None = None,
        latency: float = 0.0,
        write_quota: tuple[int, float] | None = (600, 60.0),
        max_workers: int = 8,
        data_api: bool = True,
        data_quota: Mapping[str, int] | None = None,
        data_caveats: str | None = None,
    ) -> None:
        self.store = SandboxStore(state_dir)
        self.backend = AdminBackend(self.store)
        self.host = host
        self.port = port
        self.latency = float(latency)
        self.max_workers = max_workers
        self.calls = CallCounter()
        self.quota = WriteQuota(*write_quota) if write_quota else None
        self._faults = FaultSet(faults)
        self._services: dict[str, dict[str, grpc.RpcMethodHandler]] = {}
        self._server: grpc.Server | None = None
        self._executor: futures.ThreadPoolExecutor | None = None
        self.address: str | None = None
        for version, module in (("v1beta", admin_v1beta), ("v1alpha", admin_v1alpha)):
            self._add_admin(version, module)
        #: The Data API (reports and funnels over the events in ``state_dir/events``), or None.
        self.data: DataApi | None = None
        if data_api:
            from ga_goals.sandbox.data_api import DataApi
            from ga_goals.sandbox.data_caveats import from_setting
            from ga_goals.sandbox.data_quota import DataQuota
            from ga_goals.sandbox.events import SandboxEvents

            self.data = DataApi(self.store, SandboxEvents(state_dir), DataQuota(data_quota), from_setting(data_caveats))
            self.data.register(self)

    def __repr__(self) -> str:
        return f"SandboxServer({str(self.store.state_dir)!r}, address={self.address!r})"

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> str:
        """Start serving; returns the address (``"127.0.0.1:PORT"``)."""
        if self._server is not None:
            raise RuntimeError("the sandbox server is already running")
        self._executor = futures.ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="sandbox")
        server = grpc.server(self._executor)
        server.add_generic_rpc_handlers(
            tuple(grpc.method_handlers_generic_handler(name, methods) for name, methods in self._services.items())
            + (_UnknownMethods(frozenset(self._services)),)
        )
        host = f"[{self.host}]" if ":" in self.host and not self.host.startswith("[") else self.host
        try:
            port = server.add_insecure_port(f"{host}:{self.port}")
        except RuntimeError as exc:
            self._executor.shutdown(wait=False)
            raise OSError(f"cannot listen on {host}:{self.port}: {exc}") from exc
        if not port:
            self._executor.shutdown(wait=False)
            raise OSError(f"cannot listen on {host}:{self.port} (address in use?)")
        server.start()
        self._server = server
        self.port = port
        self.address = f"{host}:{port}"
        log.debug("sandbox server listening on %s (state in %s)", self.address, self.store.state_dir)
        return self.address

    def stop(self, grace: float | None = None) -> None:
        """Stop serving (waiting up to ``grace`` seconds for calls in flight)."""
        server, self._server = self._server, None
        if server is not None:
            server.stop(grace).wait()
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        if self.data is not None:
            self.data.close()  # the events files (DuckDB lets one process open them)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the server stops; True if it did."""
        return self._server.wait_for_termination(timeout) if self._server else True

    def __enter__(self) -> SandboxServer:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- controls ------------------------------------------------------------------------------

    def inject(self, fault: Fault) -> None:
        """Arm a fault now (faults apply in the order injected)."""
        self._faults.add(fault)

    def clear_faults(self) -> None:
        self._faults.clear()

    @property
    def faults(self) -> list[Fault]:
        """The faults that may still apply."""
        return self._faults.active

    def reset_calls(self) -> None:
        self.calls.reset()

    # -- registration --------------------------------------------------------------------------

    def add_methods(
        self,
        service: str,
        label: str,
        methods: dict[str, tuple[Callable[[Any], Any], Callable[[bytes], Any], Callable[[Any], bytes], Iterable[str]]],
    ) -> None:
        """Serve more unary methods (e.g. the Data API) through the same wrapper. Call before :meth:`start`.

        :param service: the full service name, e.g. ``google.analytics.data.v1beta.BetaAnalyticsData``.
        :param label: the prefix of call labels, e.g. ``"data.v1beta"``.
        :param methods: method name → (handler(request) → response, request deserializer,
            response serializer, request fields naming the property, for the write quota (empty
            for reads)). Handlers raise :class:`SandboxError` to fail.
        """
        if self._server is not None:
            raise RuntimeError("add methods before starting the server")
        table = self._services.setdefault(service, {})
        for method, (fn, deserializer, serializer, quota_fields) in methods.items():
            table[method] = grpc.unary_unary_rpc_method_handler(
                self._wrap(label, method, fn, tuple(quota_fields)),
                request_deserializer=deserializer,
                response_serializer=serializer,
            )

    def _wrap(
        self, label: str, method: str, fn: Callable[[Any], Any], quota_fields: tuple[str, ...]
    ) -> Callable[[Any, grpc.ServicerContext], Any]:
        full = f"{label}.{method}"

        def handle(request: Any, context: grpc.ServicerContext) -> Any:
            self.calls.record(full)
            extra, fault = self._faults.trigger(method, full)
            delay = self.latency + extra
            if delay > 0:
                time.sleep(delay)
            if fault is not None and not fault.apply_first:
                _abort(context, fault.code, fault.error_message(full))
            error: SandboxError | None = None
            response = None
            try:
                if quota_fields and self.quota is not None:
                    pid = _property_of(request, quota_fields)
                    if pid is not None:
                        self.quota.take(pid)
                response = fn(request)
            except SandboxError as exc:
                error = exc
            except Exception as exc:  # a sandbox defect: say so (INTERNAL), never a bare UNKNOWN
                log.exception("sandbox %s failed", full)
                error = SandboxError("INTERNAL", f"The GA4 sandbox failed on {method}: {type(exc).__name__}: {exc}")
            if error is not None:
                _abort_error(context, error)
            if fault is not None:
                _abort(context, fault.code, fault.error_message(full))
            return response

        return handle

    def _add_admin(self, version: str, module: Any) -> None:
        backend = self.backend
        reads = ()
        methods: dict[str, tuple[Any, ...]] = {}

        def unary(name: str, fn: Callable[[Any], Any], response: Any, quota: Iterable[str] = reads) -> None:
            request_cls = getattr(module, f"{name}Request")
            serializer = _empty_serializer if response is None else response.serialize
            methods[name] = (fn, request_cls.deserialize, serializer, tuple(quota))

        unary("GetProperty", lambda r: _from_dict(module.Property, backend.get_property(r.name)), module.Property)

        def list_properties(r: Any) -> Any:
            items, token = backend.list_properties(r.filter, r.page_size, r.page_token)
            return module.ListPropertiesResponse(
                properties=[_from_dict(module.Property, i) for i in items], next_page_token=token
            )

        unary("ListProperties", list_properties, module.ListPropertiesResponse)

        kinds = list(_RESOURCES)
        if version == "v1alpha":
            kinds.append(("EventCreateRule", "EventCreateRules", "event_create_rules", "event_create_rule", "event_create_rules"))
            kinds.append(("EventEditRule", "EventEditRules", "event_edit_rules", "event_edit_rule", "event_edit_rules"))
            kinds.append(
                ("CalculatedMetric", "CalculatedMetrics", "calculated_metrics", "calculated_metric", "calculated_metrics")
            )
            kinds.append(("ChannelGroup", "ChannelGroups", "channel_groups", "channel_group", "channel_groups"))
            kinds.append(("Audience", "Audiences", "audiences", "audience", "audiences"))
        for singular, plural, key, field, list_field in kinds:
            cls = getattr(module, singular)
            self._add_crud(unary, module, backend, singular, plural, key, field, list_field, cls)

        if version == "v1alpha":

            def reorder_edit_rules(r: Any) -> Any:
                backend.reorder_event_edit_rules(r.parent, list(r.event_edit_rules))
                return empty_pb2.Empty()

            unary("ReorderEventEditRules", reorder_edit_rules, None, ("parent",))

        stream_cls = module.DataStream
        unary("GetDataStream", lambda r: _from_dict(stream_cls, backend.get("data_streams", r.name)), stream_cls)

        def list_streams(r: Any) -> Any:
            items, token = backend.list("data_streams", r.parent, r.page_size, r.page_token)
            return module.ListDataStreamsResponse(
                data_streams=[_from_dict(stream_cls, i) for i in items], next_page_token=token
            )

        unary("ListDataStreams", list_streams, module.ListDataStreamsResponse)
        if version == "v1alpha":
            self._add_enhanced_measurement(unary, module)
        self.add_methods(ADMIN_SERVICE.format(version=version), version, methods)

    def _add_enhanced_measurement(self, unary: Callable[..., None], module: Any) -> None:
        """Get/UpdateEnhancedMeasurementSettings (v1alpha only, as in GA4)."""
        from ga_goals.sandbox.admin_enhanced_measurement import EnhancedMeasurementBackend

        backend = EnhancedMeasurementBackend(self.backend)
        cls = module.EnhancedMeasurementSettings

        def update(r: Any) -> Any:
            paths = list(r.update_mask.paths) if "update_mask" in r else []
            return _from_dict(cls, backend.update(_field_or_none(r, "enhanced_measurement_settings"), paths))

        unary("GetEnhancedMeasurementSettings", lambda r: _from_dict(cls, backend.get(r.name)), cls)
        unary("UpdateEnhancedMeasurementSettings", update, cls, ("enhanced_measurement_settings.name",))

    @staticmethod
    def _add_crud(
        unary: Callable[..., None],
        module: Any,
        backend: AdminBackend,
        singular: str,
        plural: str,
        key: str,
        field: str,
        list_field: str,
        cls: Any,
    ) -> None:
        response_list = getattr(module, f"List{plural}Response")
        # Kinds whose id the caller chooses carry it in the Create request (calculated_metric_id).
        id_field = f"{field}_id"
        chosen_id = id_field in getattr(module, f"Create{singular}Request").meta.fields

        def create(r: Any) -> Any:
            resource_id = getattr(r, id_field) if chosen_id else ""
            return _from_dict(cls, backend.create(key, r.parent, _field_or_none(r, field), resource_id))

        def get(r: Any) -> Any:
            return _from_dict(cls, backend.get(key, r.name))

        def list_(r: Any) -> Any:
            items, token = backend.list(key, r.parent, r.page_size, r.page_token)
            return response_list(**{list_field: [_from_dict(cls, i) for i in items], "next_page_token": token})

        def update(r: Any) -> Any:
            paths = list(r.update_mask.paths) if "update_mask" in r else []
            return _from_dict(cls, backend.update(key, _field_or_none(r, field), paths))

        def delete(r: Any) -> Any:
            backend.delete(key, r.name)
            return empty_pb2.Empty()

        def archive(r: Any) -> Any:
            backend.archive(key, r.name)
            return empty_pb2.Empty()

        unary(f"Create{singular}", create, cls, ("parent",))
        unary(f"Get{singular}", get, cls)
        unary(f"List{plural}", list_, response_list)
        unary(f"Update{singular}", update, cls, (f"{field}.name",))
        if key in ("custom_dimensions", "custom_metrics", "audiences"):
            unary(f"Archive{singular}", archive, None, ("name",))
        else:
            unary(f"Delete{singular}", delete, None, ("name",))


class _UnknownMethods(grpc.GenericRpcHandler):
    """Methods of a served service that the sandbox does not have: UNIMPLEMENTED with a message
    naming them (gRPC's own answer is a bare "Method not found!")."""

    def __init__(self, services: frozenset[str]) -> None:
        self._services = services

    def service(self, handler_call_details: Any) -> grpc.RpcMethodHandler | None:
        path = str(handler_call_details.method or "")
        service, _, method = path.lstrip("/").rpartition("/")
        if service not in self._services:
            return None
        message = f"The GA4 sandbox does not implement {service.rsplit('.', 1)[-1]}.{method}."

        def refuse(request: bytes, context: grpc.ServicerContext) -> None:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, message)

        return grpc.unary_unary_rpc_method_handler(refuse)


def _abort(
    context: grpc.ServicerContext,
    code: str,
    message: str,
    retry_after: float | None = None,
    domain: str = "analyticsadmin.googleapis.com",
) -> None:
    """End the call with a status; RESOURCE_EXHAUSTED carries an ErrorInfo (reason ``rateLimitExceeded``,
    which api_core exposes as ``exc.reason``) and, when known, a RetryInfo with the wait."""
    if code != "RESOURCE_EXHAUSTED":
        context.abort(getattr(grpc.StatusCode, code), message)
    details = []
    info = any_pb2.Any()
    info.Pack(
        error_details_pb2.ErrorInfo(
            reason="rateLimitExceeded",
            domain=domain,
            metadata={"quota_limit": "WriteRequestsPerMinutePerProperty"} if retry_after is not None else {},
        )
    )
    details.append(info)
    if retry_after is not None:
        retry = any_pb2.Any()
        seconds = int(retry_after)
        retry.Pack(
            error_details_pb2.RetryInfo(
                retry_delay=duration_pb2.Duration(seconds=seconds, nanos=int((retry_after - seconds) * 1e9))
            )
        )
        details.append(retry)
    status = status_pb2.Status(code=code_pb2.RESOURCE_EXHAUSTED, message=message, details=details)
    context.abort_with_status(rpc_status.to_status(status))


def _abort_error(context: grpc.ServicerContext, error: SandboxError) -> None:
    _abort(context, error.code, error.message, error.retry_after, error.domain)


__all__ = ["SandboxServer", "CallCounter", "WriteQuota", "Fault"]
