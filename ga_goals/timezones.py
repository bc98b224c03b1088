"""Time-zone names as GA4 writes them (IANA, ``Europe/Paris``): one lookup for plans, options and periods."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def find_zone(name: str) -> ZoneInfo | None:
    """The zone called ``name``, or None when there is none (also for names no file can have:
    too long, a path outside the database)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
