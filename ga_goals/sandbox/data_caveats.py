"""Caveats the sandbox's Data API can put on its responses: thresholding, sampling, "(other)" rows.

GA4 says in a response's metadata when its data is not the whole truth: ``ResponseMetaData``
of a report has ``subject_to_thresholding`` (rows with few users may be withheld),
``sampling_metadatas`` (one per date range: events read, events there were) and
``data_loss_from_other_row`` (dimension values rolled into "(other)"); the funnel table's
``FunnelResponseMetadata`` has ``sampling_metadatas`` only. The sandbox always answers from
every event, so by default it says none of this. For tests and demos of how a report shows
these caveats, a setting makes it say them, on the responses where GA4 would:

``thresholded``
    every RunReport (BatchRunReports: each report) that reports a user metric (``totalUsers``,
    ``activeUsers``...) says ``subject_to_thresholding: true``: thresholds are about user counts.
``other_row``
    every RunReport with at least one dimension says ``data_loss_from_other_row: true`` (a
    report without dimensions has one row, which no "(other)" row can hide).
``sample_above=N``
    a RunReport or RunFunnelReport whose date ranges hold, in some range, more than ``N`` events
    of the property (created events included) is "sampled": it carries one ``SamplingMetadata``
    per date range with ``sampling_space_size`` = the range's events and
    ``samples_read_count`` = ``min(N, that)``. The figures themselves stay exact.

Set it with ``SandboxServer(data_caveats="thresholded,sample_above=5000")`` or, for the sandbox
the CLI runs in-process, ``GA_GOALS_SANDBOX_DATA_CAVEATS`` (docs/sandbox.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ga_goals.errors import GaGoalsError

#: Environment variable of the in-process sandbox's setting: ``thresholded,other_row,sample_above=5000``.
CAVEATS_ENV = "GA_GOALS_SANDBOX_DATA_CAVEATS"


class CaveatsConfigError(GaGoalsError, ValueError):
    """A bad ``$GA_GOALS_SANDBOX_DATA_CAVEATS`` (or ``data_caveats=``)."""


@dataclass(frozen=True)
class ResponseCaveats:
    """What the sandbox's Data API says about its responses (module docstring)."""

    thresholded: bool = False
    other_row: bool = False
    #: Date ranges with more events than this are answered "from a sample" of this many.
    sample_above: int | None = None

    def thresholds(self, metrics: list[str]) -> bool:
        """Whether a report of these metrics says it is subject to thresholding."""
        return self.thresholded and any(m.endswith("Users") for m in metrics)

    def loses_other_row(self, dimensions: list[str]) -> bool:
        """Whether a report of these dimensions says some rows went into "(other)"."""
        return self.other_row and bool(dimensions)

    def sampling(self, events_per_range: list[int]) -> list[tuple[int, int]]:
        """``(samples read, sampling space)`` per date range, or ``[]`` when not sampled."""
        limit = self.sample_above
        if limit is None or not any(n > limit for n in events_per_range):
            return []
        return [(min(n, limit), n) for n in events_per_range]


NONE = ResponseCaveats()


def parse_caveats(text: str | None) -> ResponseCaveats:
    """``"thresholded,other_row,sample_above=5000"`` (any of the three; empty: none).

    :raises CaveatsConfigError: an unknown word or a bad number, saying what is accepted.
    """
    words = [w.strip() for w in (text or "").split(",") if w.strip()]
    thresholded = other_row = False
    sample_above: int | None = None
    accepted = "thresholded, other_row, sample_above=<events>"
    for word in words:
        name, _, value = word.partition("=")
        name = name.strip()
        if name == "thresholded" and not value:
            thresholded = True
        elif name == "other_row" and not value:
            other_row = True
        elif name == "sample_above":
            try:
                sample_above = int(value)
            except ValueError:
                sample_above = -1
            if sample_above < 0:
                raise CaveatsConfigError(f"{CAVEATS_ENV}: sample_above needs a number of events >= 0, got {value.strip()!r}")
        else:
            raise CaveatsConfigError(f"{CAVEATS_ENV}: unknown setting {word!r}; use a comma-separated list of: {accepted}")
    return ResponseCaveats(thresholded=thresholded, other_row=other_row, sample_above=sample_above)


def from_setting(value: str | ResponseCaveats | None) -> ResponseCaveats:
    """A server's ``data_caveats=`` (None: ``$GA_GOALS_SANDBOX_DATA_CAVEATS``, unset: none)."""
    if isinstance(value, ResponseCaveats):
        return value
    if value is None:
        value = os.environ.get(CAVEATS_ENV)
    return parse_caveats(value)


__all__ = ["CAVEATS_ENV", "NONE", "CaveatsConfigError", "ResponseCaveats", "from_setting", "parse_caveats"]
