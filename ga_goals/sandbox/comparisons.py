"""RunReport ``comparisons`` on the sandbox (v1beta ``Comparison``) and the ``comparison`` dimension.

GA4 (docs/ga4-api-facts.md, "Derived metrics, calculated metrics and comparisons in reports"):
"Each comparison produces separate rows in the response. In the response, this comparison is
identified by this name"; a comparison is a ``dimensionFilter`` (a basic comparison) or a saved
comparison (``comparisons/1234``, listed by GetMetadata); RunReport "only requires a comparisons
field in order to receive a comparison column in the response".

The sandbox computes basic comparisons: each one is the report restricted to the events its
filter keeps (and the request's own ``dimensionFilter``), its rows carrying the comparison's name
in the ``comparison`` column (where the request names the dimension, else last). It has no saved
comparisons (GetMetadata lists none), so naming one is INVALID_ARGUMENT; comparisons in pivot
reports, and metric aggregations together with comparisons, are UNIMPLEMENTED.
"""

from __future__ import annotations

from typing import Any

from google.analytics import data_v1beta as beta

from ga_goals.sandbox.admin import invalid
from ga_goals.sandbox.reporting import Catalogue, Dimension, filter_fields

COMPARISON = "comparison"
#: The ``comparison`` dimension: the name of the comparison a row belongs to.
COMPARISON_DIMENSION = Dimension(
    COMPARISON, "Comparison", "General", "The name of the comparison a row belongs to.", COMPARISON
)


def comparisons_of(request: Any, catalogue: Catalogue, where: str = "") -> list[tuple[str, Any]]:
    """The request's comparisons as (name, filter expression), checked (INVALID_ARGUMENT)."""
    out: list[tuple[str, Any]] = []
    for i, c in enumerate(request.comparisons):
        at = f"{where}comparisons[{i}]"
        if "comparison" in c:
            raise invalid(
                f"{at}.comparison: {c.comparison!r} is not a saved comparison of this property (GetMetadata lists "
                "a property's saved comparisons; the sandbox has none); give the comparison a dimensionFilter"
            )
        if "dimension_filter" not in c:
            raise invalid(f"{at}: a comparison needs a dimensionFilter (or a saved comparison)")
        if not c.name:
            raise invalid(f"{at}.name is required: the rows of a comparison carry its name in the comparison column")
        if c.name in (name for name, _f in out):
            raise invalid(f"{at}.name: duplicate comparison name {c.name!r}")
        for name in filter_fields(c.dimension_filter):
            if name in catalogue.metrics and name not in catalogue.dimensions:
                raise invalid(f"{at}.dimensionFilter: field {name} is a metric; a comparison filters dimensions")
            catalogue.dimension(name, where=f" ({at}.dimensionFilter)")
        out.append((c.name, c.dimension_filter))
    return out


def restricted(own: Any | None, comparison: Any) -> Any:
    """The request's dimension filter (or None) and a comparison's, together."""
    if own is None:
        return comparison
    return beta.FilterExpression(and_group=beta.FilterExpressionList(expressions=[own, comparison]))


__all__ = ["COMPARISON", "COMPARISON_DIMENSION", "comparisons_of", "restricted"]
