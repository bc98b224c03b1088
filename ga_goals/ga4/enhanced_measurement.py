"""EnhancedMeasurementSettings (Admin API v1alpha) <-> :class:`~ga_goals.model.EnhancedMeasurement`.

The settings are a singleton under each web data stream, named
``properties/{p}/dataStreams/{s}/enhancedMeasurementSettings``: read with
``GetEnhancedMeasurementSettings``, changed with ``UpdateEnhancedMeasurementSettings`` and an
update mask naming the proto fields (``scrolls_enabled``...). There is no create and no delete.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from google.analytics import admin_v1alpha

from ga_goals.model.enhanced_measurement import PROTO_FIELDS, TEXT_SETTINGS, EnhancedMeasurement

#: The singleton's name under its stream.
SUFFIX = "/enhancedMeasurementSettings"


def settings_name(stream: str) -> str:
    """``properties/1/dataStreams/2`` -> ``properties/1/dataStreams/2/enhancedMeasurementSettings``."""
    return stream + SUFFIX


def to_proto(settings: EnhancedMeasurement, module: ModuleType = admin_v1alpha, *, name: str | None = None) -> Any:
    """The message with the managed settings set (the others at the proto default: an update mask
    naming only managed settings leaves them alone)."""
    kwargs: dict[str, Any] = {PROTO_FIELDS[k]: v for k, v in settings.fields().items()}
    resource_name = name or settings.resource_name or (settings_name(settings.stream) if settings.stream else "")
    if resource_name:
        kwargs["name"] = resource_name
    return module.EnhancedMeasurementSettings(**kwargs)


def from_proto(msg: Any, *, stream_name: str = "") -> EnhancedMeasurement:
    """Every setting of a message as GA4 returned it (``stream`` from its name)."""
    values: dict[str, Any] = {}
    for setting, proto_field in PROTO_FIELDS.items():
        value = getattr(msg, proto_field)
        values[setting] = str(value) if setting in TEXT_SETTINGS else bool(value)
    stream = msg.name.removesuffix(SUFFIX) if msg.name else None
    return EnhancedMeasurement(stream=stream, resource_name=msg.name or None, stream_name=stream_name, **values)


#: Model setting -> update mask path.
UPDATE_PATHS: dict[str, str] = dict(PROTO_FIELDS)


__all__ = ["SUFFIX", "UPDATE_PATHS", "from_proto", "settings_name", "to_proto"]
