"""Run the sandbox server in the foreground until SIGINT/SIGTERM (``ga-goals sandbox serve``)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from types import FrameType
from typing import Any

from ga_goals.sandbox import DEFAULT_HOST, DEFAULT_PORT, SANDBOX_PROPERTY_ID
from ga_goals.sandbox.faults import Fault


def serve(
    state_dir: Path | str,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    property_ids: Iterable[str] = (SANDBOX_PROPERTY_ID,),
    faults: list[Fault] | None = None,
    latency: float = 0.0,
    ready_callback: Callable[[str], None] | None = None,
    *,
    write_quota: tuple[int, float] | None = (600, 60.0),
    stop_event: threading.Event | None = None,
) -> None:
    """Ensure the properties exist, serve until SIGINT/SIGTERM (or ``stop_event``), then stop cleanly.

    :param ready_callback: called with the address (``"127.0.0.1:PORT"``) once the server listens.
    :param stop_event: an event that stops the server when set (for callers that are not the
        main thread, where signal handlers cannot be installed).
    """
    from ga_goals.sandbox.server import SandboxServer  # grpc is imported only when serving

    stop = stop_event or threading.Event()
    server = SandboxServer(state_dir, host=host, port=port, faults=faults, latency=latency, write_quota=write_quota)
    for property_id in property_ids:
        server.store.ensure_property(str(property_id))

    previous: dict[signal.Signals, Any] = {}

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, on_signal)
    try:
        address = server.start()
        try:
            if ready_callback is not None:
                ready_callback(address)
            while not stop.wait(0.5):
                pass
        finally:
            server.stop(grace=1.0)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
