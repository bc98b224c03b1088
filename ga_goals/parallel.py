"""Independent calls run a few at a time (Data API requests, BigQuery jobs)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def run_parallel(jobs: Sequence[Callable[[], T]], max_parallel: int, *, name: str = "ga-goals") -> list[T]:
    """The results of ``jobs`` in order, ``max_parallel`` at a time; the first error (in job
    order) is raised and the jobs not started yet are cancelled."""
    if len(jobs) <= 1 or max_parallel <= 1:
        return [job() for job in jobs]
    with ThreadPoolExecutor(max_workers=min(max_parallel, len(jobs)), thread_name_prefix=name) as pool:
        futures = [pool.submit(job) for job in jobs]
        try:
            return [f.result() for f in futures]
        except BaseException:
            for f in futures:
                f.cancel()
            raise
