"""The sandbox's EnhancedMeasurementSettings: Get and Update, as the Admin API v1alpha has them.

The settings are a singleton under each web data stream
(``properties/{p}/dataStreams/{s}/enhancedMeasurementSettings``): no create, no delete, no list.
A stream that never had its settings updated has GA4's defaults for a new web stream
(:data:`~ga_goals.model.enhanced_measurement.GA4_DEFAULTS`); an update stores them under the
stream's private ``_enhanced_measurement`` key (never shown by GetDataStream).

Rules (docs/sandbox.md, "Enhanced measurement"):

* the name must be ``properties/{id}/dataStreams/{id}/enhancedMeasurementSettings``
  (INVALID_ARGUMENT otherwise); an unknown property or stream is NOT_FOUND; an app stream has
  no such settings (INVALID_ARGUMENT naming its type);
* an update needs the settings and an update mask of snake_case proto field paths, or ``*``
  alone; ``name`` is output only, an unknown path is INVALID_ARGUMENT (with the snake_case
  spelling when a camelCase one was sent, else the closest field);
* after the update ``search_query_parameter`` must not be empty and both query parameter
  fields are at most 1,024 characters (the proto's documented limits).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ga_goals.model.enhanced_measurement import GA4_DEFAULTS, PROTO_FIELDS, QUERY_PARAMETER_MAX, EnhancedMeasurement
from ga_goals.sandbox.admin import AdminBackend, SandboxError, invalid, not_found
from ga_goals.suggestions import did_you_mean

#: The private key of a stream's stored settings.
STORED = "_enhanced_measurement"
#: The updatable proto fields, in the proto's order of the model's settings.
FIELDS: tuple[str, ...] = tuple(PROTO_FIELDS.values())
#: A new web stream's settings, as proto field -> value.
DEFAULTS: dict[str, Any] = {PROTO_FIELDS[k]: v for k, v in GA4_DEFAULTS.fields().items()}

_ID = r"([1-9][0-9]{0,17})"
_NAME = re.compile(rf"^properties/{_ID}/dataStreams/{_ID}/enhancedMeasurementSettings$")
_FORMAT = "properties/{property_id}/dataStreams/{stream_id}/enhancedMeasurementSettings"


def stream_settings(stream: dict[str, Any]) -> dict[str, Any]:
    """A stored web stream's settings (proto field -> value), its defaults until first updated."""
    return {**DEFAULTS, **copy.deepcopy(stream.get(STORED) or {})}


def property_stream_settings(state: dict[str, Any] | None) -> dict[str, Any]:
    """The settings of a property's first web stream (the one the shop's traffic comes in on);
    GA4's defaults when it has none."""
    for stream in (state or {}).get("data_streams", []):
        if stream.get("type_") == "WEB_DATA_STREAM":
            return stream_settings(stream)
    return dict(DEFAULTS)


def property_settings(state: dict[str, Any] | None) -> EnhancedMeasurement:
    """:func:`property_stream_settings` as the model's :class:`EnhancedMeasurement`."""
    values = property_stream_settings(state)
    return EnhancedMeasurement(**{setting: values[field] for setting, field in PROTO_FIELDS.items()})


class EnhancedMeasurementBackend:
    """Get/UpdateEnhancedMeasurementSettings over the store of an :class:`AdminBackend`."""

    def __init__(self, backend: AdminBackend) -> None:
        self.backend = backend

    def _ids(self, name: str, what: str) -> tuple[str, str]:
        match = _NAME.match(name or "")
        if not match:
            if not name:
                raise invalid(f"{what} is required: {_FORMAT}")
            raise invalid(f"{what} {name!r} is malformed: expected {_FORMAT}")
        pid = match.group(1)
        return pid, name.rsplit("/", 1)[0]

    @staticmethod
    def _web_stream(state: dict[str, Any], stream_name: str, name: str) -> dict[str, Any]:
        for stream in state["data_streams"]:
            if stream["name"] == stream_name:
                if stream.get("type_") != "WEB_DATA_STREAM":
                    raise invalid(
                        f"{name}: enhanced measurement settings exist only for web data streams; {stream_name} is "
                        f"of type {stream.get('type_')}"
                    )
                return stream
        raise not_found(name)

    def get(self, name: str) -> dict[str, Any]:
        pid, stream_name = self._ids(name, "name")
        state = self.backend._state(pid, self.backend.store.load(pid))
        stream = self._web_stream(state, stream_name, name)
        return {"name": name, **stream_settings(stream)}

    def update(self, body: dict[str, Any] | None, paths: list[str]) -> dict[str, Any]:
        if body is None:
            raise invalid("enhanced_measurement_settings is required")
        name = body.get("name", "")
        pid, stream_name = self._ids(name, "enhanced_measurement_settings.name")
        paths = _check_mask(paths)
        with self.backend.store.transaction(pid) as state:
            state = self.backend._state(pid, state)
            stream = self._web_stream(state, stream_name, name)
            updated = stream_settings(stream)
            for path in FIELDS if paths == ["*"] else paths:
                default = DEFAULTS[path]
                value = body.get(path, False if isinstance(default, bool) else "")
                updated[path] = bool(value) if isinstance(default, bool) else str(value or "")
            _validate(updated)
            stream[STORED] = updated
            return {"name": name, **copy.deepcopy(updated)}


def _check_mask(paths: list[str]) -> list[str]:
    paths = [p.strip() for p in paths or () if p.strip()]
    if not paths:
        raise invalid(
            "update_mask is required: list the snake_case fields to update (e.g. scrolls_enabled), or use '*' to "
            "replace every updatable field"
        )
    if "*" in paths:
        if len(paths) > 1:
            raise invalid("update_mask: '*' must be the only path")
        return ["*"]
    for path in paths:
        where = f"update_mask path {path!r}"
        if path == "name":
            raise invalid(f"{where}: field is output only and cannot be updated")
        if path not in FIELDS:
            snake = re.sub(r"(?<!^)([A-Z])", r"_\1", path).lower()
            if snake in FIELDS:
                hint = f" (field paths are snake_case: {snake!r})"
            else:
                close = did_you_mean(path, FIELDS)
                hint = f" (did you mean {close!r}?)" if close else ""
            raise invalid(
                f"{where}: unknown field of enhanced measurement settings{hint}; updatable fields: {', '.join(FIELDS)}"
            )
    return list(dict.fromkeys(paths))


def _validate(settings: dict[str, Any]) -> None:
    prefix = "enhanced_measurement_settings"
    if not settings["search_query_parameter"].strip():
        raise invalid(f"{prefix}.search_query_parameter is required: URL query parameters site search reads, e.g. q")
    for field in ("search_query_parameter", "uri_query_parameter"):
        if len(settings[field]) > QUERY_PARAMETER_MAX:
            raise invalid(
                f"{prefix}.{field} is {len(settings[field])} characters long; the maximum is {QUERY_PARAMETER_MAX}"
            )


__all__ = [
    "DEFAULTS",
    "EnhancedMeasurementBackend",
    "FIELDS",
    "SandboxError",
    "property_settings",
    "property_stream_settings",
    "stream_settings",
]
