"""Persistent state of sandbox properties: one JSON file per property, safe across threads and processes.

Layout::

    state_dir/properties/<id>.json    the property, its data streams, key events, custom
                                      definitions and event create rules (plain JSON)
    state_dir/properties/<id>.lock    flock(2) target around every read-modify-write

Writes go to a temporary file in the same folder and are moved into place with
:func:`os.replace`, so readers never see half a file. Read-modify-write cycles hold a
``threading.Lock`` (threads of one process) and an exclusive ``fcntl.flock`` on the lock file
(other processes and other store objects, e.g. ``ga-goals sandbox serve`` next to an in-process
server).

Resources are stored as the Admin API's proto-plus ``to_dict`` form (Python field names, enum
names as strings, timestamps as RFC 3339 strings) plus a few private keys starting with ``_``.
This module imports neither grpc nor the Google clients.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

#: The account every sandbox property belongs to.
ACCOUNT = "accounts/100000"
#: Version of the JSON layout, stored in each file.
FORMAT_VERSION = 1

SERVICE_LEVELS = {
    "standard": "GOOGLE_ANALYTICS_STANDARD",
    "360": "GOOGLE_ANALYTICS_360",
    "ga360": "GOOGLE_ANALYTICS_360",
    "google_analytics_standard": "GOOGLE_ANALYTICS_STANDARD",
    "google_analytics_360": "GOOGLE_ANALYTICS_360",
}
STREAM_TYPES = {
    "web": "WEB_DATA_STREAM",
    "android": "ANDROID_APP_DATA_STREAM",
    "ios": "IOS_APP_DATA_STREAM",
    "web_data_stream": "WEB_DATA_STREAM",
    "android_app_data_stream": "ANDROID_APP_DATA_STREAM",
    "ios_app_data_stream": "IOS_APP_DATA_STREAM",
}
_PROPERTY_ID = re.compile(r"^[1-9][0-9]{0,17}$")


def now_rfc3339() -> str:
    """The current UTC time as an RFC 3339 string with microseconds (``2025-01-31T12:00:00.123456Z``)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def service_level_name(level: str) -> str:
    """``"standard"``/``"360"`` (or the enum names) → the ``ServiceLevel`` enum name."""
    try:
        return SERVICE_LEVELS[str(level).strip().lower()]
    except KeyError:
        raise ValueError(f"service level {level!r} is not one of: standard, 360") from None


def check_property_id(property_id: str) -> str:
    property_id = str(property_id)
    if not _PROPERTY_ID.match(property_id):
        raise ValueError(f"property id {property_id!r} must be a positive number such as {123456789}")
    return property_id


def measurement_id(property_id: str, stream_id: str) -> str:
    """A stable ``G-XXXXXXXXXX`` measurement id for a web stream."""
    digest = hashlib.sha256(f"{property_id}/{stream_id}".encode()).digest()
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    number = int.from_bytes(digest[:10], "big")
    chars = []
    for _ in range(10):
        number, rem = divmod(number, len(alphabet))
        chars.append(alphabet[rem])
    return "G-" + "".join(chars)


class SandboxStore:
    """The sandbox's properties, kept in ``state_dir`` (created on first write).

    :param state_dir: the folder holding ``properties/<id>.json``.
    """

    def __init__(self, state_dir: Path | str) -> None:
        self.state_dir = Path(state_dir)
        self._dir = self.state_dir / "properties"
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"SandboxStore({str(self.state_dir)!r})"

    # -- paths and locking -------------------------------------------------------------------

    def _path(self, property_id: str) -> Path:
        return self._dir / f"{check_property_id(property_id)}.json"

    @contextlib.contextmanager
    def _locked(self, property_id: str) -> Iterator[None]:
        path = self._path(property_id)
        with self._lock:
            self._dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    def _read(self, property_id: str) -> dict[str, Any] | None:
        try:
            text = self._path(property_id).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        return json.loads(text)

    def _write(self, property_id: str, state: dict[str, Any]) -> None:
        path = self._path(property_id)
        fd, tmp = tempfile.mkstemp(dir=self._dir, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(state, fh, indent=1, sort_keys=False)
                fh.write("\n")
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    # -- public API --------------------------------------------------------------------------

    def properties(self) -> list[str]:
        """Ids of the stored properties, in numeric order."""
        if not self._dir.is_dir():
            return []
        ids = [p.stem for p in self._dir.glob("*.json") if _PROPERTY_ID.match(p.stem)]
        return sorted(ids, key=int)

    def exists(self, property_id: str) -> bool:
        return self._path(property_id).is_file()

    def load(self, property_id: str) -> dict[str, Any] | None:
        """A snapshot of a property's state (a private copy), or None if it does not exist."""
        return self._read(property_id)

    @contextlib.contextmanager
    def transaction(self, property_id: str) -> Iterator[dict[str, Any] | None]:
        """Read-modify-write a property under both locks.

        Yields the state dict (or None if the property does not exist); it is saved when the
        block exits normally, and discarded if it raises. Mutate the dict in place.
        """
        with self._locked(property_id):
            state = self._read(property_id)
            yield state
            if state is not None:
                self._write(property_id, state)

    def ensure_property(
        self,
        property_id: str,
        *,
        display_name: str = "Sandbox shop",
        service_level: str = "standard",
        time_zone: str = "UTC",
        currency_code: str = "USD",
    ) -> None:
        """Create the property, seeded (see :func:`seed_state`), unless it exists; an existing one is left alone."""
        level = service_level_name(service_level)
        with self._locked(property_id):
            if self._read(property_id) is None:
                self._write(
                    property_id,
                    seed_state(
                        property_id,
                        display_name=display_name,
                        service_level=level,
                        time_zone=time_zone,
                        currency_code=currency_code,
                    ),
                )

    def reset(self, property_id: str | None = None) -> list[str]:
        """Put one property (or every stored property) back in its freshly seeded state.

        The property's settings (display name, tier, time zone, currency) are kept; everything
        else (streams, key events, custom definitions, rules, id counter) starts over. A
        ``property_id`` that does not exist yet is created with the defaults. Returns the ids reset.
        """
        ids = [check_property_id(property_id)] if property_id is not None else self.properties()
        for pid in ids:
            with self._locked(pid):
                old = self._read(pid)
                settings: dict[str, Any] = {}
                if old is not None:
                    prop = old["property"]
                    settings = {k: prop[k] for k in ("display_name", "service_level", "time_zone", "currency_code")}
                self._write(pid, seed_state(pid, **settings))
        return ids

    def summary(self, property_id: str) -> dict[str, int]:
        """How many live resources of each kind a property holds (archived ones, and GA4's own
        system-defined channel group, not counted)."""
        state = self._read(property_id) or {}
        kinds = (
            "data_streams",
            "key_events",
            "custom_dimensions",
            "custom_metrics",
            "event_create_rules",
            "event_edit_rules",
            "calculated_metrics",
            "channel_groups",
            "audiences",
        )
        return {
            kind: sum(1 for item in state.get(kind, []) if not item.get("_archived") and not item.get("system_defined"))
            for kind in kinds
        }

    def delete_property(self, property_id: str) -> bool:
        """Remove a property entirely; True if it existed."""
        with self._locked(property_id):
            try:
                self._path(property_id).unlink()
            except FileNotFoundError:
                return False
            return True

    def update_property(self, property_id: str, **settings: str) -> None:
        """Change property settings: ``display_name``, ``service_level`` (standard/360), ``time_zone``, ``currency_code``."""
        allowed = {"display_name", "service_level", "time_zone", "currency_code"}
        unknown = set(settings) - allowed
        if unknown:
            raise ValueError(f"unknown property setting(s): {', '.join(sorted(unknown))}")
        if "service_level" in settings:
            settings["service_level"] = service_level_name(settings["service_level"])
        with self.transaction(property_id) as state:
            if state is None:
                raise KeyError(f"sandbox property {property_id} does not exist")
            state["property"].update(settings)
            state["property"]["update_time"] = now_rfc3339()

    def add_data_stream(
        self,
        property_id: str,
        *,
        type: str = "web",  # noqa: A002 - mirrors the API field
        display_name: str | None = None,
        default_uri: str = "https://shop.example.com",
        package_name: str = "com.example.shop",
        bundle_id: str = "com.example.shop",
    ) -> str:
        """Add a data stream (``type`` web, android or ios) and return its resource name."""
        try:
            stream_type = STREAM_TYPES[type.lower()]
        except KeyError:
            raise ValueError(f"data stream type {type!r} is not one of: web, android, ios") from None
        with self.transaction(property_id) as state:
            if state is None:
                raise KeyError(f"sandbox property {property_id} does not exist")
            stream = new_data_stream(state, stream_type, display_name, default_uri, package_name, bundle_id)
            return stream["name"]


def next_id(state: dict[str, Any]) -> str:
    """Allocate the next numeric resource id of a property (one counter for every kind)."""
    value = state["next_id"]
    state["next_id"] = value + 1
    return str(value)


def new_data_stream(
    state: dict[str, Any],
    stream_type: str,
    display_name: str | None,
    default_uri: str,
    package_name: str,
    bundle_id: str,
) -> dict[str, Any]:
    pid = state["property"]["name"].split("/")[1]
    sid = next_id(state)
    now = now_rfc3339()
    stream: dict[str, Any] = {
        "name": f"properties/{pid}/dataStreams/{sid}",
        "type_": stream_type,
        "create_time": now,
        "update_time": now,
    }
    # Firebase app ids look like 1:<project number>:<platform>:<hex>.
    app_id = f"1:{pid}:{{}}:{hashlib.sha256(f'{pid}/{sid}'.encode()).hexdigest()[:16]}"
    if stream_type == "WEB_DATA_STREAM":
        stream["display_name"] = display_name or "Web"
        stream["web_stream_data"] = {
            "measurement_id": measurement_id(pid, sid),
            "firebase_app_id": "",
            "default_uri": default_uri,
        }
    elif stream_type == "ANDROID_APP_DATA_STREAM":
        stream["display_name"] = display_name or "Android app"
        stream["android_app_stream_data"] = {"firebase_app_id": app_id.format("android"), "package_name": package_name}
    else:
        stream["display_name"] = display_name or "iOS app"
        stream["ios_app_stream_data"] = {"firebase_app_id": app_id.format("ios"), "bundle_id": bundle_id}
    state["data_streams"].append(stream)
    return stream


def seed_state(
    property_id: str,
    *,
    display_name: str = "Sandbox shop",
    service_level: str = "GOOGLE_ANALYTICS_STANDARD",
    time_zone: str = "UTC",
    currency_code: str = "USD",
) -> dict[str, Any]:
    """The state of a new property: one web data stream ("Web", https://shop.example.com) and the
    GA default ``purchase`` key event (custom=false, deletable=false, ONCE_PER_EVENT)."""
    pid = check_property_id(property_id)
    now = now_rfc3339()
    state: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "property": {
            "name": f"properties/{pid}",
            "property_type": "PROPERTY_TYPE_ORDINARY",
            "create_time": now,
            "update_time": now,
            "parent": ACCOUNT,
            "account": ACCOUNT,
            "display_name": display_name,
            "industry_category": "SHOPPING",
            "time_zone": time_zone,
            "currency_code": currency_code,
            "service_level": service_level_name(service_level),
        },
        "next_id": 1,
        "data_streams": [],
        "key_events": [],
        "custom_dimensions": [],
        "custom_metrics": [],
        "event_create_rules": [],
        "event_edit_rules": [],
        "audiences": [],
    }
    new_data_stream(state, "WEB_DATA_STREAM", "Web", "https://shop.example.com", "", "")
    state["key_events"].append(
        {
            "name": f"properties/{pid}/keyEvents/{next_id(state)}",
            "event_name": "purchase",
            "create_time": now,
            "deletable": False,
            "custom": False,
            "counting_method": "ONCE_PER_EVENT",
        }
    )
    return state


__all__ = ["SandboxStore", "seed_state", "measurement_id", "now_rfc3339"]
