"""The notes a report shows beside its numbers, worded once for every format.

* :func:`data_caveats`: what GA4 said about the data behind a table (a source's
  :class:`~ga_goals.sources.results.Caveats`) as a report's
  :class:`~ga_goals.reports.model.DataCaveats`: its flags, and the sentences HTML, e-mail and
  text print beside the figures (JSON carries both). A table from an export engine has no
  caveat: no note, every flag false.
* :data:`MICRO_BEFORE_MACRO`: the one line under the micro vs macro table that says which
  micro conversions count.

Templates only print ``notes``; they never word a caveat themselves.
"""

from __future__ import annotations

from ga_goals.reports.model import DataCaveats, SampledRange
from ga_goals.reports.periods import CURRENT
from ga_goals.sources.results import Caveats
from ga_goals.templating import percent

THRESHOLDED = "thresholded: GA4 may have withheld rows with few users"
OTHER_ROW = "some rows were grouped into (other)"

#: The rule of the micro vs macro table (``ga_goals.sources.base.micro_funnel``), in one line.
MICRO_BEFORE_MACRO = "A micro conversion counts only when it came before the macro conversion (a micro -> macro sequence)."


def _share(value: float | None) -> str:
    return "part of the events" if value is None else f"{percent(value)} of events"


def sampled_note(sampling: tuple[SampledRange, ...]) -> str | None:
    """``sampled: based on 12% of events``, with the previous period's share when it differs;
    None when no range was read in part (GA4 may list a range it read whole)."""
    partial = [s for s in sampling if s.share is None or s.share < 1.0]
    if not partial:
        return None
    current = next((s for s in partial if s.date_range == CURRENT), None)
    other = next((s for s in partial if s.date_range != CURRENT), None)
    if current is None:
        assert other is not None
        return f"sampled: the previous period is based on {_share(other.share)}"
    text = f"sampled: based on {_share(current.share)}"
    if other is not None and other.share != current.share:
        text += f" (previous period: {_share(other.share)})"
    return text


def data_caveats(caveats: Caveats) -> DataCaveats:
    """A table's caveats as the report shows them (no caveat: the empty :class:`DataCaveats`)."""
    if not caveats:
        return DataCaveats()
    sampling = tuple(
        SampledRange(s.date_range, s.samples_read, s.sampling_space, s.share) for s in caveats.sampling
    )
    sampled = sampled_note(sampling)
    notes = [THRESHOLDED] if caveats.thresholded else []
    notes += [sampled] if sampled else []
    notes += [OTHER_ROW] if caveats.other_row else []
    return DataCaveats(
        thresholded=caveats.thresholded,
        sampled=sampled is not None,
        sampling=sampling,
        other_row=caveats.other_row,
        notes=tuple(notes),
    )


__all__ = ["MICRO_BEFORE_MACRO", "OTHER_ROW", "THRESHOLDED", "data_caveats", "sampled_note"]
