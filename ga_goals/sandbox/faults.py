"""Fault injection for the sandbox server: errors, lost responses and latency on chosen calls.

A :class:`Fault` names the calls it applies to and what happens to them::

    Fault("CreateKeyEvent", code="UNAVAILABLE", times=2)     # the next 2 creates fail
    Fault("Create*", apply_first=True)                      # the create happens, the answer is lost
    Fault("v1alpha.*", code="OK", latency=0.5, times=0)     # every v1alpha call takes 0.5 s longer
    Fault("ListKeyEvents", after=3, code="DEADLINE_EXCEEDED")  # the 4th list fails

This module imports no grpc: the CLI parses ``--fault`` JSON with it cheaply.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, fields
from fnmatch import fnmatchcase

#: ``grpc.StatusCode`` names (kept here so that this module does not import grpc). ``OK`` makes a
#: fault that only adds latency.
STATUS_CODES: tuple[str, ...] = (
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
)


@dataclass(frozen=True)
class Fault:
    """What goes wrong, on which calls.

    :param method: the short method name (``"CreateKeyEvent"``), the versioned one
        (``"v1beta.CreateKeyEvent"``), or an :func:`fnmatch` glob over either (``"Create*"``, ``"*"``).
    :param code: a ``grpc.StatusCode`` name; ``"OK"`` fails nothing (use it with ``latency``).
    :param times: how many matching calls the fault applies to; ``0`` means forever.
    :param after: let this many matching calls through untouched first.
    :param apply_first: do the work, then answer with the error: the response of a successful
        write is lost, as with a network failure after the server committed.
    :param latency: seconds added to each call the fault applies to.
    :param message: the error message; a default names the fault.
    """

    method: str
    code: str = "UNAVAILABLE"
    times: int = 1
    after: int = 0
    apply_first: bool = False
    latency: float = 0.0
    message: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.method, str) or not self.method:
            raise ValueError("fault method must be a non-empty string (a method name or a glob such as 'Create*')")
        code = self.code.upper() if isinstance(self.code, str) else self.code
        if code not in STATUS_CODES:
            raise ValueError(f"fault code {self.code!r} is not a gRPC status code; use one of: {', '.join(STATUS_CODES)}")
        object.__setattr__(self, "code", code)
        for name in ("times", "after"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"fault {name} must be an integer >= 0, got {value!r}")
        if isinstance(self.latency, bool) or not isinstance(self.latency, (int, float)) or self.latency < 0:
            raise ValueError(f"fault latency must be a number of seconds >= 0, got {self.latency!r}")
        if not isinstance(self.apply_first, bool):
            raise ValueError(f"fault apply_first must be true or false, got {self.apply_first!r}")
        if not isinstance(self.message, str):
            raise ValueError(f"fault message must be a string, got {self.message!r}")

    def matches(self, method: str, label: str) -> bool:
        """Whether a call to ``method`` (``"CreateKeyEvent"``), labelled ``label`` (``"v1beta.CreateKeyEvent"``), matches."""
        return fnmatchcase(method, self.method) or fnmatchcase(label, self.method)

    def error_message(self, label: str) -> str:
        if self.message:
            return self.message
        # A quota fault reads like the real quota error, so that callers detect it the same way.
        prefix = "rateLimitExceeded: " if self.code == "RESOURCE_EXHAUSTED" else ""
        if self.apply_first:
            return f"{prefix}sandbox fault: {self.code} on {label} (the request was applied; the response was lost)"
        return f"{prefix}sandbox fault: {self.code} on {label}"


def faults_from_json(text: str) -> list[Fault]:
    """Parse a JSON list of fault objects (the keys of :class:`Fault`), e.g.
    ``[{"method": "CreateKeyEvent", "code": "UNAVAILABLE", "times": 2}]``.

    :raises ValueError: on invalid JSON, unknown keys or invalid values, saying which entry is wrong.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"faults: invalid JSON: {exc}") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ValueError("faults: expected a JSON list of objects such as [{\"method\": \"CreateKeyEvent\", \"times\": 2}]")
    known = {f.name for f in fields(Fault)}
    result: list[Fault] = []
    for index, entry in enumerate(data):
        where = f"faults[{index}]"
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: expected an object, got {json.dumps(entry)}")
        unknown = sorted(set(entry) - known)
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}; known keys: {', '.join(sorted(known))}")
        if "method" not in entry:
            raise ValueError(f"{where}: 'method' is required (a method name such as 'CreateKeyEvent' or a glob such as '*')")
        try:
            result.append(Fault(**entry))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}: {exc}") from None
    return result


class _Armed:
    __slots__ = ("fault", "seen", "fired")

    def __init__(self, fault: Fault) -> None:
        self.fault = fault
        self.seen = 0
        self.fired = 0

    @property
    def spent(self) -> bool:
        return self.fault.times != 0 and self.fired >= self.fault.times


class FaultSet:
    """The faults armed on a server, with their counters (thread-safe).

    Every fault counts each matching call it sees. When several faults apply to one call their
    latencies add up and the first one with an error code decides the status.
    """

    def __init__(self, faults: list[Fault] | None = None) -> None:
        self._lock = threading.Lock()
        self._armed: list[_Armed] = [_Armed(f) for f in faults or ()]

    def add(self, fault: Fault) -> None:
        if not isinstance(fault, Fault):
            raise TypeError(f"expected a Fault, got {fault!r}")
        with self._lock:
            self._armed.append(_Armed(fault))

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()

    @property
    def active(self) -> list[Fault]:
        """Faults that may still apply to a call."""
        with self._lock:
            return [a.fault for a in self._armed if not a.spent]

    def trigger(self, method: str, label: str) -> tuple[float, Fault | None]:
        """Account for one call; return the latency to add and the fault that fails it (or None)."""
        latency = 0.0
        failing: Fault | None = None
        with self._lock:
            for armed in self._armed:
                fault = armed.fault
                if armed.spent or not fault.matches(method, label):
                    continue
                armed.seen += 1
                if armed.seen <= fault.after:
                    continue
                armed.fired += 1
                latency += fault.latency
                if failing is None and fault.code != "OK":
                    failing = fault
        return latency, failing


__all__ = ["Fault", "FaultSet", "STATUS_CODES", "faults_from_json"]
