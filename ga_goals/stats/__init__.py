"""Statistics for reports and comparisons, in pure Python (``math`` and ``statistics`` only).

One job per module: :mod:`.normal` and :mod:`.binomial` are the distributions;
:mod:`.intervals` the Wilson interval of a proportion; :mod:`.proportions` two proportions
compared (z-test, Newcombe's interval); :mod:`.counts` two counts compared (exact Poisson
test); :mod:`.multiple` Holm's adjustment; :mod:`.power` minimum detectable effects and sample
sizes; :mod:`.rules` when there is too little data for a test. ``docs/statistics.md`` says which
test is used where, why, and the formulas; tests/stats checks every function against scipy and
statsmodels to 1e-9.
"""

from ga_goals.stats.counts import CountTest, compare_counts
from ga_goals.stats.intervals import Interval, proportion_interval
from ga_goals.stats.multiple import holm_adjust
from ga_goals.stats.power import control_users_needed, minimum_detectable_effect, users_needed
from ga_goals.stats.proportions import ProportionTest, compare_proportions
from ga_goals.stats.rules import MIN_EXPECTED, enough_for_a_test

__all__ = [
    "CountTest",
    "Interval",
    "MIN_EXPECTED",
    "ProportionTest",
    "compare_counts",
    "compare_proportions",
    "control_users_needed",
    "enough_for_a_test",
    "holm_adjust",
    "minimum_detectable_effect",
    "proportion_interval",
    "users_needed",
]
