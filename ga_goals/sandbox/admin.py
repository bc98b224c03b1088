"""The sandbox's Admin API behaviour, on plain dicts, shared by every API version.

:class:`AdminBackend` implements GA4's rules for properties, data streams, key events, custom
dimensions, custom metrics, event create rules and audiences (their filter rules:
``admin_audiences``): validation, immutable and output-only fields,
archive instead of delete, burned parameter names, per-tier limits and pagination. It takes and
returns dicts shaped like the proto-plus ``to_dict`` output (Python field names, enum names as
strings, timestamps as RFC 3339 strings) and signals failures with :class:`SandboxError`
carrying a gRPC status code name. The gRPC layer (``server.py``) only converts messages.
"""

from __future__ import annotations

import base64
import binascii
import builtins
import copy
import hashlib
import hmac
import json
import math
import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from ga_goals.model import ga4_facts as facts
from ga_goals.regex import re2_problem
from ga_goals.sandbox import admin_audiences, rules
from ga_goals.sandbox import admin_calculated_metrics as calculated
from ga_goals.sandbox import admin_channel_groups as channel_groups
from ga_goals.sandbox import admin_event_edit_rules as edit_rules
from ga_goals.sandbox.store import ACCOUNT, SandboxStore, next_id, now_rfc3339

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class SandboxError(Exception):
    """A request the sandbox refuses, with the gRPC status code name to answer with."""

    def __init__(
        self, code: str, message: str, *, retry_after: float | None = None, domain: str = "analyticsadmin.googleapis.com"
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        #: For RESOURCE_EXHAUSTED: seconds until a retry may succeed (sent as RetryInfo).
        self.retry_after = retry_after
        #: For RESOURCE_EXHAUSTED: the API the ErrorInfo names.
        self.domain = domain

    def __repr__(self) -> str:
        return f"SandboxError({self.code!r}, {self.message!r})"


def invalid(message: str) -> SandboxError:
    return SandboxError("INVALID_ARGUMENT", message)


def not_found(name: str, extra: str = "") -> SandboxError:
    return SandboxError("NOT_FOUND", f"Requested entity was not found: {name}{extra}")


@dataclass(frozen=True)
class Kind:
    """A collection of resources and its field rules."""

    key: str  # key in the property state, e.g. "key_events"
    collection: str  # URL segment, e.g. "keyEvents"
    field: str  # request field, e.g. "key_event"
    label: str  # for messages, e.g. "key event"
    fields: dict[str, Any]  # settable fields and their defaults
    output_only: frozenset[str] = frozenset({"name"})
    immutable: frozenset[str] = frozenset()
    parent: str = "property"  # or "stream"
    archivable: bool = False
    nested: dict[str, frozenset[str]] = dataclass_field(default_factory=dict)  # updatable sub-fields
    #: The last segment of a resource name: a numeric id GA4 assigns, or one the caller chose.
    id_pattern: str = r"([1-9][0-9]{0,17})"

    @property
    def mutable(self) -> list[str]:
        return [f for f in self.fields if f not in self.immutable]


KEY_EVENTS = Kind(
    key="key_events",
    collection="keyEvents",
    field="key_event",
    label="key event",
    fields={"event_name": "", "counting_method": "COUNTING_METHOD_UNSPECIFIED", "default_value": None},
    output_only=frozenset({"name", "create_time", "deletable", "custom"}),
    immutable=frozenset({"event_name"}),
    nested={"default_value": frozenset({"numeric_value", "currency_code"})},
)
CUSTOM_DIMENSIONS = Kind(
    key="custom_dimensions",
    collection="customDimensions",
    field="custom_dimension",
    label="custom dimension",
    fields={
        "parameter_name": "",
        "display_name": "",
        "description": "",
        "scope": "DIMENSION_SCOPE_UNSPECIFIED",
        "disallow_ads_personalization": False,
    },
    immutable=frozenset({"parameter_name", "scope"}),
    archivable=True,
)
CUSTOM_METRICS = Kind(
    key="custom_metrics",
    collection="customMetrics",
    field="custom_metric",
    label="custom metric",
    fields={
        "parameter_name": "",
        "display_name": "",
        "description": "",
        "measurement_unit": "MEASUREMENT_UNIT_UNSPECIFIED",
        "scope": "METRIC_SCOPE_UNSPECIFIED",
        "restricted_metric_type": [],
    },
    immutable=frozenset({"parameter_name", "scope"}),
    archivable=True,
)
DATA_STREAMS = Kind(
    key="data_streams",
    collection="dataStreams",
    field="data_stream",
    label="data stream",
    fields={},
)
EVENT_CREATE_RULES = Kind(
    key="event_create_rules",
    collection="eventCreateRules",
    field="event_create_rule",
    label="event create rule",
    fields={"destination_event": "", "event_conditions": [], "source_copy_parameters": False, "parameter_mutations": []},
    parent="stream",
)
EVENT_EDIT_RULES = Kind(
    key="event_edit_rules",
    collection="eventEditRules",
    field="event_edit_rule",
    label="event edit rule",
    fields={"display_name": "", "event_conditions": [], "parameter_mutations": []},
    output_only=frozenset({"name", "processing_order"}),
    parent="stream",
)
AUDIENCES = Kind(
    key="audiences",
    collection="audiences",
    field="audience",
    label="audience",
    fields={
        "display_name": "",
        "description": "",
        "membership_duration_days": 0,
        "event_trigger": None,
        "exclusion_duration_mode": "AUDIENCE_EXCLUSION_DURATION_MODE_UNSPECIFIED",
        "filter_clauses": [],
    },
    output_only=frozenset({"name", "create_time", "ads_personalization_enabled"}),
    immutable=frozenset({"membership_duration_days", "exclusion_duration_mode", "filter_clauses"}),
    archivable=True,
)
CALCULATED_METRICS = Kind(
    key="calculated_metrics",
    collection="calculatedMetrics",
    field="calculated_metric",
    label="calculated metric",
    fields={"display_name": "", "description": "", "metric_unit": "METRIC_UNIT_UNSPECIFIED", "formula": ""},
    output_only=frozenset({"name", "calculated_metric_id", "restricted_metric_type", "invalid_metric_reference"}),
    id_pattern=r"[A-Za-z0-9_]{1,80}",
)
CHANNEL_GROUPS = Kind(
    key="channel_groups",
    collection="channelGroups",
    field="channel_group",
    label="channel group",
    fields={"display_name": "", "description": "", "grouping_rule": [], "primary": False},
    output_only=frozenset({"name", "system_defined"}),
)
KINDS = {
    k.key: k
    for k in (
        KEY_EVENTS,
        CUSTOM_DIMENSIONS,
        CUSTOM_METRICS,
        DATA_STREAMS,
        EVENT_CREATE_RULES,
        EVENT_EDIT_RULES,
        CALCULATED_METRICS,
        CHANNEL_GROUPS,
        AUDIENCES,
    )
}

COUNTING_METHODS = ("ONCE_PER_EVENT", "ONCE_PER_SESSION")
DIMENSION_SCOPES = ("EVENT", "USER", "ITEM")
MEASUREMENT_UNITS = (
    "STANDARD",
    "CURRENCY",
    "FEET",
    "METERS",
    "KILOMETERS",
    "MILES",
    "MILLISECONDS",
    "SECONDS",
    "MINUTES",
    "HOURS",
)
RESTRICTED_METRIC_TYPES = ("COST_DATA", "REVENUE_DATA")
COMPARISON_TYPES = (
    "EQUALS",
    "EQUALS_CASE_INSENSITIVE",
    "CONTAINS",
    "CONTAINS_CASE_INSENSITIVE",
    "STARTS_WITH",
    "STARTS_WITH_CASE_INSENSITIVE",
    "ENDS_WITH",
    "ENDS_WITH_CASE_INSENSITIVE",
    "GREATER_THAN",
    "GREATER_THAN_OR_EQUAL",
    "LESS_THAN",
    "LESS_THAN_OR_EQUAL",
    "REGULAR_EXPRESSION",
    "REGULAR_EXPRESSION_CASE_INSENSITIVE",
)

_ID = r"([1-9][0-9]{0,17})"
_PROPERTY_NAME = re.compile(rf"^properties/{_ID}$")
_STREAM_NAME = re.compile(rf"^properties/{_ID}/dataStreams/{_ID}$")
_TOKEN_KEY = b"ga-goals sandbox page tokens"


# -- small helpers ------------------------------------------------------------------------------


def _public(resource: dict[str, Any]) -> dict[str, Any]:
    """A copy without the private ``_`` keys."""
    return {k: copy.deepcopy(v) for k, v in resource.items() if not k.startswith("_")}


def _numeric_id(resource: dict[str, Any]) -> int:
    """The resource's place in creation order: its numeric id, or ``_seq`` when the caller chose the id."""
    if "_seq" in resource:
        return int(resource["_seq"])
    return int(resource["name"].rsplit("/", 1)[1])


def _enum(value: Any, allowed: tuple[str, ...], where: str, *, required: bool = True) -> str:
    """Check an enum value (a name string; unknown numbers arrive as ints)."""
    if isinstance(value, str) and value in allowed:
        return value
    if required and (value in (None, "", 0) or (isinstance(value, str) and value.endswith("_UNSPECIFIED"))):
        raise invalid(f"{where} is required; use one of: {', '.join(allowed)}")
    raise invalid(f"{where} has an invalid value {value!r}; use one of: {', '.join(allowed)}")


def _check(where: str, value: str, problem: str | None) -> None:
    if problem:
        raise invalid(f"{where} {value!r} {problem}")


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _encode_token(collection: str, parent: str, after: int) -> str:
    payload = json.dumps([collection, parent, after], separators=(",", ":")).encode()
    body = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
    signature = hmac.new(_TOKEN_KEY, body.encode(), hashlib.sha256).hexdigest()[:16]
    return f"{body}.{signature}"


def _decode_token(token: str, collection: str, parent: str) -> int:
    body, _, signature = token.partition(".")
    expected = hmac.new(_TOKEN_KEY, body.encode(), hashlib.sha256).hexdigest()[:16]
    try:
        if not hmac.compare_digest(signature, expected):
            raise ValueError
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        token_collection, token_parent, after = data
        after = int(after)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise invalid(
            f"page_token {token!r} is invalid: pass the next_page_token of the previous page unchanged"
        ) from None
    if (token_collection, token_parent) != (collection, parent):
        raise invalid(
            f"page_token is invalid for this request: it was issued for listing {token_collection} of "
            f"{token_parent}, not {collection} of {parent}; all other parameters must match the call "
            "that returned the token"
        )
    return after


def paginate(
    items: list[dict[str, Any]], collection: str, parent: str, page_size: int, page_token: str, key: Any = None
) -> tuple[list[dict[str, Any]], str]:
    """One page of ``items`` (ordered by numeric id) and the next page token ('' on the last page)."""
    key = key or _numeric_id
    if page_size < 0:
        raise invalid(f"page_size must not be negative (got {page_size}); omit it for {DEFAULT_PAGE_SIZE}")
    size = DEFAULT_PAGE_SIZE if page_size == 0 else min(page_size, MAX_PAGE_SIZE)
    after = _decode_token(page_token, collection, parent) if page_token else 0
    remaining = sorted((i for i in items if key(i) > after), key=key)
    page = remaining[:size]
    token = _encode_token(collection, parent, key(page[-1])) if len(remaining) > size else ""
    return page, token


# -- the backend --------------------------------------------------------------------------------


class AdminBackend:
    """GA4 Admin API semantics over a :class:`SandboxStore`."""

    def __init__(self, store: SandboxStore) -> None:
        self.store = store

    # names ---------------------------------------------------------------------------------

    @staticmethod
    def property_id(name: str, what: str = "name") -> str:
        match = _PROPERTY_NAME.match(name or "")
        if not match:
            if not name:
                raise invalid(f"{what} is required: properties/{{property_id}}")
            raise invalid(f"{what} {name!r} is malformed: expected properties/{{property_id}}, e.g. properties/123")
        return match.group(1)

    @staticmethod
    def stream_ids(name: str, what: str = "parent") -> tuple[str, str]:
        match = _STREAM_NAME.match(name or "")
        if not match:
            if not name:
                raise invalid(f"{what} is required: properties/{{property_id}}/dataStreams/{{stream_id}}")
            raise invalid(
                f"{what} {name!r} is malformed: expected properties/{{property_id}}/dataStreams/{{stream_id}} "
                "(event create rules belong to a data stream)"
            )
        return match.group(1), match.group(2)

    def _parent_ids(self, kind: Kind, parent: str) -> tuple[str, str | None]:
        if kind.parent == "stream":
            return self.stream_ids(parent)
        return self.property_id(parent, "parent"), None

    def _resource_ids(self, kind: Kind, name: str, what: str = "name") -> tuple[str, str, str | None]:
        """(property id, parent name, stream id) of a resource name, checking its shape."""
        parent, _, rest = (name or "").rpartition(f"/{kind.collection}/")
        ok = bool(parent) and re.fullmatch(kind.id_pattern, rest) is not None
        if ok:
            try:
                pid, sid = self._parent_ids(kind, parent)
            except SandboxError:
                ok = False
        if not ok:
            base = "properties/{property_id}" + ("/dataStreams/{stream_id}" if kind.parent == "stream" else "")
            if not name:
                raise invalid(f"{what} is required: {base}/{kind.collection}/{{id}}")
            raise invalid(f"{what} {name!r} is malformed: expected {base}/{kind.collection}/{{id}}")
        return pid, parent, sid

    def _state(self, pid: str, state: dict[str, Any] | None) -> dict[str, Any]:
        if state is None:
            known = self.store.properties()
            hint = f" (the sandbox has: {', '.join(known[:5])}{', ...' if len(known) > 5 else ''})" if known else ""
            raise not_found(f"properties/{pid}", hint)
        channel_groups.ensure_default(state, pid)  # every GA4 property has the Default Channel Group
        for kind in KINDS.values():  # a state saved before a kind existed has no list for it
            state.setdefault(kind.key, [])
        return state

    @staticmethod
    def _out(kind: Kind, resource: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        """What a read returns: the public fields, with the output-only ones GA4 derives now."""
        if kind is CALCULATED_METRICS:
            calculated.derive(resource, state)
        return _public(resource)

    @staticmethod
    def _stream(state: dict[str, Any], name: str) -> dict[str, Any]:
        for stream in state["data_streams"]:
            if stream["name"] == name:
                return stream
        raise not_found(name)

    @staticmethod
    def _find(state: dict[str, Any], kind: Kind, name: str) -> dict[str, Any]:
        for resource in state[kind.key]:
            if resource["name"] == name:
                if resource.get("_archived"):
                    raise not_found(name, f" (the {kind.label} is archived)")
                return resource
        raise not_found(name)

    @staticmethod
    def _active(state: dict[str, Any], kind: Kind) -> list[dict[str, Any]]:
        return [r for r in state[kind.key] if not r.get("_archived")]

    # properties ------------------------------------------------------------------------------

    def get_property(self, name: str) -> dict[str, Any]:
        pid = self.property_id(name)
        return _public(self._state(pid, self.store.load(pid))["property"])

    def list_properties(self, filter: str, page_size: int = 0, page_token: str = "") -> tuple[builtins.list[dict[str, Any]], str]:  # noqa: A002
        text = (filter or "").strip()
        match = re.fullmatch(r"(parent|ancestor|firebase_project)\s*:\s*(\S+)", text)
        if not match:
            if not text:
                raise invalid(f"filter is required, e.g. parent:{ACCOUNT}")
            raise invalid(
                f"filter {filter!r} is invalid: use parent:accounts/{{id}}, ancestor:accounts/{{id}}, "
                "parent:properties/{id} or firebase_project:{id}"
            )
        field_name, value = match.groups()
        if field_name != "firebase_project" and not re.fullmatch(r"(accounts|properties)/[0-9]+", value):
            raise invalid(f"filter {filter!r} is invalid: {value!r} is not an account or property name")
        items: list[dict[str, Any]] = []
        if value == ACCOUNT:
            for pid in self.store.properties():
                state = self.store.load(pid)
                if state is not None:
                    items.append(_public(state["property"]))
        return paginate(items, "properties", text, page_size, page_token)

    # generic operations ----------------------------------------------------------------------

    def get(self, kind_key: str, name: str) -> dict[str, Any]:
        kind = KINDS[kind_key]
        pid, _, _ = self._resource_ids(kind, name)
        state = self._state(pid, self.store.load(pid))
        return self._out(kind, self._find(state, kind, name), state)

    def list(self, kind_key: str, parent: str, page_size: int = 0, page_token: str = "") -> tuple[builtins.list[dict[str, Any]], str]:
        kind = KINDS[kind_key]
        pid, sid = self._parent_ids(kind, parent)
        state = self._state(pid, self.store.load(pid))
        items = self._active(state, kind)
        if kind.parent == "stream":
            self._stream(state, parent)
            items = [r for r in items if r["name"].startswith(parent + "/")]
        page, token = paginate(items, kind.collection, parent, page_size, page_token)
        return [self._out(kind, r, state) for r in page], token

    def create(
        self, kind_key: str, parent: str, body: dict[str, Any] | None, resource_id: str = ""
    ) -> dict[str, Any]:
        """Create a resource under ``parent``; ``resource_id`` is the id the request chose, for the
        kinds that take one (``calculated_metric_id``)."""
        kind = KINDS[kind_key]
        pid, sid = self._parent_ids(kind, parent)
        if kind is CALCULATED_METRICS and (problem := calculated.id_problem(resource_id)):
            raise invalid(problem)
        if body is None:
            raise invalid(f"{kind.field} is required")
        resource = self._normalize(kind, body)
        with self.store.transaction(pid) as state:
            state = self._state(pid, state)
            stream = self._stream(state, parent) if kind.parent == "stream" else None
            if kind is CALCULATED_METRICS and (problem := calculated.conflict(resource, resource_id, state)):
                raise SandboxError("ALREADY_EXISTS", problem)
            self._validate(kind, resource, kind.field, stream, state)
            self._check_conflicts(kind, resource, state)
            self._check_limits(kind, resource, state)
            if kind is CALCULATED_METRICS:
                resource = {
                    "name": f"{parent}/{kind.collection}/{resource_id}",
                    "calculated_metric_id": resource_id,
                    "_seq": int(next_id(state)),
                    **resource,
                }
                calculated.derive(resource, state)
            else:
                resource = {"name": f"{parent}/{kind.collection}/{next_id(state)}", **resource}
            if kind is CHANNEL_GROUPS:
                if problem := channel_groups.conflict(resource, state):
                    raise SandboxError("ALREADY_EXISTS", problem)
                resource["system_defined"] = False
            if kind is KEY_EVENTS:
                resource["create_time"] = now_rfc3339()
                resource["deletable"] = True
                resource["custom"] = resource["event_name"] not in rules.DEFAULT_KEY_EVENTS
            if kind is EVENT_EDIT_RULES:
                resource["processing_order"] = edit_rules.next_order(state[kind.key], parent)
            if kind is AUDIENCES:
                resource["create_time"] = now_rfc3339()
                resource["ads_personalization_enabled"] = True
            state[kind.key].append(resource)
            if kind is CHANNEL_GROUPS:
                channel_groups.settle_primary(state, resource)
            return _public(resource)

    def update(self, kind_key: str, body: dict[str, Any] | None, paths: builtins.list[str]) -> dict[str, Any]:
        kind = KINDS[kind_key]
        body = body or {}
        name = body.get("name", "")
        pid, parent, _ = self._resource_ids(kind, name, f"{kind.field}.name")
        paths = self._check_mask(kind, paths)
        incoming = self._normalize(kind, body)
        with self.store.transaction(pid) as state:
            state = self._state(pid, state)
            existing = self._find(state, kind, name)
            updated = copy.deepcopy(existing)
            if paths == ["*"]:
                for f in kind.immutable:
                    if incoming[f] not in (kind.fields[f], existing[f]):
                        raise invalid(
                            f"{kind.field}.{f}: field is immutable (it is {existing[f]!r}, the request has "
                            f"{incoming[f]!r}); {self._replace_hint(kind)}"
                        )
                for f in kind.mutable:
                    updated[f] = copy.deepcopy(incoming[f])
            else:
                for path in paths:
                    top, _, sub = path.partition(".")
                    if not sub:
                        updated[top] = copy.deepcopy(incoming[top])
                    else:
                        target = updated.get(top) or {}
                        target[sub] = (incoming[top] or {}).get(sub, 0.0 if sub == "numeric_value" else "")
                        updated[top] = target
            if kind is KEY_EVENTS and updated.get("default_value") is not None:
                updated["default_value"] = self._default_value(updated["default_value"])
            stream = self._stream(state, parent) if kind.parent == "stream" else None
            self._validate(kind, updated, kind.field, stream, state)
            if kind is CALCULATED_METRICS:
                if problem := calculated.conflict(updated, "", state):
                    raise SandboxError("ALREADY_EXISTS", problem)
                calculated.derive(updated, state)
            if kind is CHANNEL_GROUPS:
                if problem := channel_groups.system_change(existing, updated):
                    raise SandboxError("FAILED_PRECONDITION", problem)
                if problem := channel_groups.conflict(updated, state, name):
                    raise SandboxError("ALREADY_EXISTS", problem)
            if kind is AUDIENCES and updated.get("event_trigger") and not existing.get("event_trigger"):
                self._check_triggers(state, besides=name)
            existing.clear()
            existing.update(updated)
            if kind is CHANNEL_GROUPS:
                channel_groups.settle_primary(state, existing)
            return self._out(kind, existing, state)

    def delete(self, kind_key: str, name: str) -> None:
        kind = KINDS[kind_key]
        if kind.archivable or kind is DATA_STREAMS:
            raise SandboxError("UNIMPLEMENTED", f"{kind.label}s cannot be deleted")
        pid, _, _ = self._resource_ids(kind, name)
        with self.store.transaction(pid) as state:
            state = self._state(pid, state)
            resource = self._find(state, kind, name)
            if kind is KEY_EVENTS and not resource.get("deletable", True):
                raise SandboxError(
                    "FAILED_PRECONDITION",
                    f"Key event {resource['event_name']!r} ({name}) cannot be deleted: it is a default GA4 key "
                    "event (deletable is false)",
                )
            if kind is CHANNEL_GROUPS and resource.get("system_defined"):
                raise SandboxError(
                    "FAILED_PRECONDITION", f"{name} is the system-defined Default Channel Group: it cannot be deleted"
                )
            state[kind.key].remove(resource)
            if kind is CHANNEL_GROUPS:
                channel_groups.settle_primary(state, {})

    def reorder_event_edit_rules(self, parent: str, names: builtins.list[str]) -> None:
        """ReorderEventEditRules: ``names`` must list every edit rule of the stream exactly once."""
        pid, _ = self.stream_ids(parent)
        with self.store.transaction(pid) as state:
            state = self._state(pid, state)
            self._stream(state, parent)
            stream_rules = [r for r in state[EVENT_EDIT_RULES.key] if r["name"].startswith(parent + "/")]
            if problem := edit_rules.reorder_problem([r["name"] for r in stream_rules], list(names), parent):
                raise invalid(problem)
            edit_rules.reorder(stream_rules, list(names))

    def archive(self, kind_key: str, name: str) -> None:
        kind = KINDS[kind_key]
        if not kind.archivable:
            raise SandboxError("UNIMPLEMENTED", f"{kind.label}s cannot be archived")
        pid, _, _ = self._resource_ids(kind, name)
        with self.store.transaction(pid) as state:
            state = self._state(pid, state)
            resource = self._find(state, kind, name)
            resource["_archived"] = True
            resource["_archive_time"] = now_rfc3339()

    # field handling --------------------------------------------------------------------------

    @staticmethod
    def _replace_hint(kind: Kind) -> str:
        if kind is AUDIENCES:
            return "archive the audience and create a new one"
        if kind.archivable:
            return f"archive the {kind.label} and create a new one (with another parameter name)"
        return f"delete the {kind.label} and create a new one"

    def _check_mask(self, kind: Kind, paths: builtins.list[str]) -> builtins.list[str]:
        paths = [p.strip() for p in paths or () if p.strip()]
        if not paths:
            raise invalid(
                "update_mask is required: list the snake_case fields to update "
                f"(e.g. {kind.mutable[0]}), or use '*' to replace every updatable field"
            )
        if "*" in paths:
            if len(paths) > 1:
                raise invalid("update_mask: '*' must be the only path")
            return ["*"]
        for path in paths:
            top, _, sub = path.partition(".")
            where = f"update_mask path {path!r}"
            if top in kind.output_only:
                raise invalid(f"{where}: field is output only and cannot be updated")
            if top in kind.immutable:
                raise invalid(f"{where}: field is immutable; {self._replace_hint(kind)}")
            if top not in kind.fields or (sub and sub not in kind.nested.get(top, ())):
                snake = re.sub(r"(?<!^)([A-Z])", r"_\1", path).lower()
                hint = f" (field paths are snake_case: {snake!r})" if snake != path and snake in kind.fields else ""
                raise invalid(
                    f"{where}: unknown field of {kind.label}{hint}; updatable fields: {', '.join(kind.mutable)}"
                )
        return paths

    @staticmethod
    def _default_value(value: dict[str, Any]) -> dict[str, Any]:
        return {"numeric_value": float(value.get("numeric_value") or 0.0), "currency_code": value.get("currency_code", "")}

    def _normalize(self, kind: Kind, body: dict[str, Any]) -> dict[str, Any]:
        """The settable fields of a request body, with defaults filled in."""
        result: dict[str, Any] = {}
        for name, default in kind.fields.items():
            value = body.get(name, default)
            result[name] = copy.deepcopy(default if value is None and default is not None else value)
        if kind is KEY_EVENTS and result["default_value"] is not None:
            result["default_value"] = self._default_value(result["default_value"])
        if kind in (EVENT_CREATE_RULES, EVENT_EDIT_RULES):
            result["event_conditions"] = [
                {
                    "field": c.get("field", ""),
                    "comparison_type": c.get("comparison_type", "COMPARISON_TYPE_UNSPECIFIED"),
                    "value": c.get("value", ""),
                    "negated": bool(c.get("negated", False)),
                }
                for c in result["event_conditions"] or ()
            ]
            result["parameter_mutations"] = [
                {"parameter": m.get("parameter", ""), "parameter_value": m.get("parameter_value", "")}
                for m in result["parameter_mutations"] or ()
            ]
        if kind is CUSTOM_METRICS:
            result["restricted_metric_type"] = list(result["restricted_metric_type"] or ())
        return result

    # validation ------------------------------------------------------------------------------

    def _validate(
        self, kind: Kind, r: dict[str, Any], prefix: str, stream: dict[str, Any] | None, state: dict[str, Any]
    ) -> None:
        if kind is CALCULATED_METRICS:
            if problem := calculated.validate(r, prefix, state):
                raise invalid(problem)
        elif kind is CHANNEL_GROUPS:
            if problem := channel_groups.validate(r, prefix):
                raise invalid(problem)
        elif kind is KEY_EVENTS:
            self._validate_key_event(r, prefix)
        elif kind is CUSTOM_DIMENSIONS:
            self._validate_dimension(r, prefix)
        elif kind is CUSTOM_METRICS:
            self._validate_metric(r, prefix)
        elif kind is EVENT_CREATE_RULES:
            assert stream is not None
            self._validate_rule(r, prefix, stream)
        elif kind is EVENT_EDIT_RULES:
            assert stream is not None
            self._validate_edit_rule(r, prefix, stream)
        elif kind is AUDIENCES:
            try:
                admin_audiences.validate_audience(r, prefix)
            except admin_audiences.AudienceInvalid as exc:
                raise invalid(str(exc)) from None

    @staticmethod
    def _validate_key_event(r: dict[str, Any], p: str) -> None:
        if not r["event_name"]:
            raise invalid(f"{p}.event_name is required")
        _check(f"{p}.event_name", r["event_name"], rules.event_name_problem(r["event_name"]))
        _enum(r["counting_method"], COUNTING_METHODS, f"{p}.counting_method")
        value = r["default_value"]
        if value is not None:
            if not math.isfinite(value["numeric_value"]):
                raise invalid(f"{p}.default_value.numeric_value must be a finite number")
            if not value["currency_code"]:
                raise invalid(f"{p}.default_value.currency_code is required when default_value is set")
            _check(
                f"{p}.default_value.currency_code", value["currency_code"], rules.currency_problem(value["currency_code"])
            )

    @staticmethod
    def _check_display(r: dict[str, Any], p: str) -> None:
        if not r["display_name"]:
            raise invalid(f"{p}.display_name is required")
        _check(f"{p}.display_name", r["display_name"], rules.display_name_problem(r["display_name"]))
        _check(f"{p}.description", r["description"], rules.description_problem(r["description"]))

    def _validate_dimension(self, r: dict[str, Any], p: str) -> None:
        scope = _enum(r["scope"], DIMENSION_SCOPES, f"{p}.scope")
        if not r["parameter_name"]:
            raise invalid(f"{p}.parameter_name is required")
        if scope == "USER":
            problem = rules.parameter_name_problem(
                r["parameter_name"],
                facts.USER_PROPERTY_MAX,
                facts.RESERVED_USER_PROPERTIES,
                facts.RESERVED_USER_PROPERTY_PREFIXES,
            )
        elif scope == "ITEM":
            problem = rules.parameter_name_problem(
                r["parameter_name"], facts.PARAMETER_MAX, facts.RESERVED_PARAMETERS | facts.RESERVED_ITEM_PARAMETERS
            )
        else:
            problem = rules.parameter_name_problem(r["parameter_name"], facts.PARAMETER_MAX)
        _check(f"{p}.parameter_name", r["parameter_name"], problem and f"({scope} scope) {problem}")
        self._check_display(r, p)
        if r["disallow_ads_personalization"] and scope != "USER":
            raise invalid(f"{p}.disallow_ads_personalization is only supported for USER-scoped custom dimensions")

    def _validate_metric(self, r: dict[str, Any], p: str) -> None:
        scope = r["scope"]
        if scope != "EVENT":
            _enum(scope, ("EVENT",), f"{p}.scope")
        if not r["parameter_name"]:
            raise invalid(f"{p}.parameter_name is required")
        _check(
            f"{p}.parameter_name", r["parameter_name"], rules.parameter_name_problem(r["parameter_name"], facts.PARAMETER_MAX)
        )
        self._check_display(r, p)
        unit = _enum(r["measurement_unit"], MEASUREMENT_UNITS, f"{p}.measurement_unit")
        types = r["restricted_metric_type"]
        for i, t in enumerate(types):
            _enum(t, RESTRICTED_METRIC_TYPES, f"{p}.restricted_metric_type[{i}]", required=False)
        if len(set(types)) != len(types):
            raise invalid(f"{p}.restricted_metric_type must not repeat a value")
        if unit == "CURRENCY" and not types:
            raise invalid(
                f"{p}.restricted_metric_type is required for CURRENCY metrics: COST_DATA and/or REVENUE_DATA"
            )
        if unit != "CURRENCY" and types:
            raise invalid(f"{p}.restricted_metric_type must be empty unless measurement_unit is CURRENCY (it is {unit})")

    def _validate_rule(self, r: dict[str, Any], p: str, stream: dict[str, Any]) -> None:
        destination = r["destination_event"]
        if not destination:
            raise invalid(f"{p}.destination_event is required")
        _check(
            f"{p}.destination_event", destination, rules.event_name_problem(destination, facts.CREATED_EVENT_MAX)
        )
        self._validate_conditions(r["event_conditions"], p, stream)
        self._validate_mutations(r["parameter_mutations"], p, renames=False)

    def _validate_edit_rule(self, r: dict[str, Any], p: str, stream: dict[str, Any]) -> None:
        """GA4's EventEditRule: a display name, conditions as create rules, at least one mutation,
        and ``event_name`` may be mutated (renamed, to a valid event name)."""
        if not r["display_name"]:
            raise invalid(f"{p}.display_name is required")
        if len(r["display_name"]) > facts.EDIT_RULE_DISPLAY_NAME_MAX:
            raise invalid(
                f"{p}.display_name is {len(r['display_name'])} characters long; the maximum is "
                f"{facts.EDIT_RULE_DISPLAY_NAME_MAX}"
            )
        self._validate_conditions(r["event_conditions"], p, stream)
        if not r["parameter_mutations"]:
            raise invalid(
                f"{p}.parameter_mutations is required: between {facts.EDIT_RULE_MUTATIONS_MIN} and "
                f"{facts.MUTATIONS_MAX} mutations"
            )
        self._validate_mutations(r["parameter_mutations"], p, renames=True)

    @staticmethod
    def _validate_conditions(conditions: builtins.list[dict[str, Any]], p: str, stream: dict[str, Any]) -> None:
        """MatchingConditions of an event create or edit rule."""
        if not conditions:
            raise invalid(f"{p}.event_conditions is required: between 1 and {facts.CONDITIONS_MAX} conditions")
        if len(conditions) > facts.CONDITIONS_MAX:
            raise invalid(f"{p}.event_conditions has {len(conditions)} conditions; the maximum is {facts.CONDITIONS_MAX}")
        web = stream.get("type_") == "WEB_DATA_STREAM"
        for i, c in enumerate(conditions):
            w = f"{p}.event_conditions[{i}]"
            if not c["field"]:
                raise invalid(f"{w}.field is required (event_name or a parameter name)")
            if re.search(r"\s", c["field"]):
                raise invalid(f"{w}.field {c['field']!r} must not contain spaces")
            comparison = _enum(c["comparison_type"], COMPARISON_TYPES, f"{w}.comparison_type")
            if not c["value"]:
                raise invalid(f"{w}.value is required")
            if comparison in rules.NUMERIC_COMPARISONS and not _is_number(c["value"]):
                raise invalid(f"{w}.value {c['value']!r} must be a number for {comparison}")
            if comparison in rules.REGEX_COMPARISONS:
                if not web:
                    raise invalid(
                        f"{w}.comparison_type {comparison} is only supported on web data streams; "
                        f"{stream['name']} is of type {stream.get('type_')}"
                    )
                if problem := re2_problem(c["value"]):
                    raise invalid(f"{w}.value {c['value']!r} is not a valid regular expression: {problem}")

    @staticmethod
    def _validate_mutations(mutations: builtins.list[dict[str, Any]], p: str, *, renames: bool) -> None:
        """ParameterMutations; ``renames``: an edit rule, which may set ``event_name``."""
        if len(mutations) > facts.MUTATIONS_MAX:
            raise invalid(f"{p}.parameter_mutations has {len(mutations)} mutations; the maximum is {facts.MUTATIONS_MAX}")
        seen: set[str] = set()
        for i, m in enumerate(mutations):
            w = f"{p}.parameter_mutations[{i}]"
            parameter = m["parameter"]
            if not parameter:
                raise invalid(f"{w}.parameter is required")
            if parameter == "event_name" and not renames:
                raise invalid(f"{w}.parameter: event_name cannot be mutated by a create rule; set destination_event")
            if parameter != "event_name":
                _check(
                    f"{w}.parameter",
                    parameter,
                    rules.parameter_name_problem(parameter, facts.MUTATION_PARAMETER_MAX, frozenset()),
                )
            if parameter in seen:
                raise invalid(f"{w}.parameter {parameter!r} is mutated more than once; parameters must be unique")
            seen.add(parameter)
            value = m["parameter_value"]
            if not value:
                raise invalid(f"{w}.parameter_value is required")
            if len(value) > facts.MUTATION_VALUE_MAX:
                raise invalid(f"{w}.parameter_value is {len(value)} characters long; the maximum is {facts.MUTATION_VALUE_MAX}")
            if (value.startswith("[[") or value.endswith("]]")) and not re.fullmatch(r"\[\[[A-Za-z][A-Za-z0-9_]*\]\]", value):
                raise invalid(f"{w}.parameter_value {value!r} must be a constant or [[parameter_name]] to copy a parameter")
            if parameter == "event_name" and not value.startswith("[["):
                _check(f"{w}.parameter_value", value, rules.event_name_problem(value))

    def _check_conflicts(self, kind: Kind, r: dict[str, Any], state: dict[str, Any]) -> None:
        if kind is KEY_EVENTS:
            for other in state["key_events"]:
                if other["event_name"] == r["event_name"]:
                    raise SandboxError(
                        "ALREADY_EXISTS",
                        f"A key event for event {r['event_name']!r} already exists: {other['name']}",
                    )
            return
        if kind is CUSTOM_DIMENSIONS:
            same = [o for o in state[kind.key] if (o["scope"], o["parameter_name"]) == (r["scope"], r["parameter_name"])]
            what = f"parameter name {r['parameter_name']!r} ({r['scope']} scope)"
        elif kind is CUSTOM_METRICS:
            same = [o for o in state[kind.key] if o["parameter_name"] == r["parameter_name"]]
            what = f"parameter name {r['parameter_name']!r}"
        else:
            return
        for other in same:
            if not other.get("_archived"):
                raise SandboxError(
                    "ALREADY_EXISTS", f"A {kind.label} with {what} already exists: {other['name']}"
                )
        if same:
            raise SandboxError(
                "FAILED_PRECONDITION",
                f"The {what} belongs to an archived {kind.label} ({same[-1]['name']}); GA4 burns the parameter "
                f"name of an archived {kind.label}, so it cannot be used again: choose another parameter name",
            )

    def _check_triggers(self, state: dict[str, Any], *, besides: str = "") -> None:
        """GA4 allows 20 audience triggers per property (answer/10447093)."""
        count = admin_audiences.trigger_count(self._active(state, AUDIENCES), besides=besides)
        if count >= admin_audiences.TRIGGER_LIMIT:
            raise SandboxError(
                "FAILED_PRECONDITION",
                f"Limit reached: property {state['property']['name']} already has {count} audiences with an event "
                f"trigger, the maximum ({admin_audiences.TRIGGER_LIMIT} audience triggers per property).",
            )

    def _check_limits(self, kind: Kind, r: dict[str, Any], state: dict[str, Any]) -> None:
        level = state["property"]["service_level"]
        tier = "GA4 360" if level == "GOOGLE_ANALYTICS_360" else "standard"
        if kind is KEY_EVENTS:
            if not r["event_name"] or r["event_name"] in rules.DEFAULT_KEY_EVENTS:
                return
            key, count, what = "key_events", sum(1 for k in state["key_events"] if k.get("custom")), "custom key events"
        elif kind is CUSTOM_DIMENSIONS:
            key = r["scope"].lower()
            count = sum(1 for d in self._active(state, kind) if d["scope"] == r["scope"])
            what = f"{r['scope'].lower()}-scoped custom dimensions"
        elif kind is CUSTOM_METRICS:
            key, count, what = "custom_metrics", len(self._active(state, kind)), "custom metrics"
        elif kind is EVENT_EDIT_RULES:
            key, count, what = "modified_events", len(state[kind.key]), "event edit rules"
        elif kind is CALCULATED_METRICS:
            key, count, what = "calculated_metrics", len(state[kind.key]), "calculated metrics"
        elif kind is CHANNEL_GROUPS:
            count = sum(1 for g in state[kind.key] if not g.get("system_defined"))
            key, what = "channel_groups", "custom channel groups"
        elif kind is AUDIENCES:
            if r.get("event_trigger"):
                self._check_triggers(state)
            key, count, what = admin_audiences.LIMIT_KEY, len(self._active(state, kind)), "audiences"
        else:
            key, count, what = "created_events", len(state["event_create_rules"]), "event create rules"
        maximum = rules.limit(key, level)
        if count >= maximum:
            other = facts.LIMITS[key]["standard" if level == "GOOGLE_ANALYTICS_360" else "360"]
            free = " Archive one to free a slot." if kind.archivable else ""
            raise SandboxError(
                "FAILED_PRECONDITION",
                f"Limit reached: property {state['property']['name']} ({tier}) already has {count} {what}, "
                f"the maximum for its tier (the other tier allows {other}).{free}",
            )


__all__ = ["AdminBackend", "SandboxError", "KINDS", "paginate", "DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE"]
