"""pull's writer on generated channel groups and calculated metrics: file -> the same resources.

Names and values with YAML's special characters (``: # - | ' "``, leading spaces, numbers) must
come back exactly: a pulled file that changed a value on the way would plan a change forever.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ga_goals.model import CalculatedMetric, Channel, ChannelCondition, ChannelGroup, PropertyState
from ga_goals.model.channel_groups import CHANNEL_FIELDS, CHANNEL_MATCHES, REGEX_MATCHES
from ga_goals.plan_file import load_plan, validate_file
from ga_goals.plan_file.writer import render_plan_file

PROPERTY = "properties/1000"
TEXT = st.text(alphabet="abcXYZ019 -_.:#|'\"/&()[]{}*!%@,?é", min_size=1, max_size=16).filter(lambda s: s.strip())
REGEX = st.sampled_from(["a.*", "(x|y)_[0-9]+", r"\(direct\)", "^mail$", ".*"])


@st.composite
def conditions(draw) -> ChannelCondition:
    field = draw(st.sampled_from(sorted(CHANNEL_FIELDS.values())))
    match = draw(st.sampled_from(sorted(CHANNEL_MATCHES.values())))
    negated = draw(st.booleans())
    if match == "in_list":
        values = tuple(draw(st.lists(TEXT, min_size=1, max_size=3, unique=True)))
        return ChannelCondition(field, match, values=values, negated=negated)
    value = draw(REGEX if match in REGEX_MATCHES else TEXT)
    return ChannelCondition(field, match, value=value, negated=negated)


CHANNELS = st.builds(
    Channel,
    name=TEXT,
    # Unique at both levels, as the reader gives them (ga_goals.ga4.convert drops repeats).
    conditions=st.lists(
        st.lists(conditions(), min_size=1, max_size=3, unique=True).map(tuple), min_size=1, max_size=3, unique=True
    ).map(tuple),
)


@st.composite
def states(draw) -> PropertyState:
    state = PropertyState(property=PROPERTY)
    names = draw(st.lists(TEXT, min_size=0, max_size=2, unique=True))
    primary = draw(st.sampled_from([None, *names]))
    for name in names:
        state.add(
            ChannelGroup(
                display_name=name,
                channels=tuple(draw(st.lists(CHANNELS, min_size=1, max_size=4, unique=True))),
                description=draw(st.one_of(st.just(""), TEXT)),
                primary=name == primary,
                resource_name=f"{PROPERTY}/channelGroups/{len(state.channel_groups) + 1}",
            )
        )
    for i in range(draw(st.integers(0, 2))):
        state.add(
            CalculatedMetric(
                calculated_metric_id=f"metric_{i}",
                display_name=draw(TEXT) + f" {i}",
                formula=draw(st.sampled_from(["addToCarts / sessions", "-(sessions * 2.5) + 1", "keyEvents:purchase/totalUsers"])),
                metric_unit=draw(st.sampled_from(["standard", "seconds", "currency"])),
                description=draw(st.one_of(st.just(""), TEXT)),
                resource_name=f"{PROPERTY}/calculatedMetrics/metric_{i}",
            )
        )
    return state


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(states())
def test_pulled_channel_groups_and_calculated_metrics_load_back_the_same(state: PropertyState) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pulled.yaml"
        path.write_text(render_plan_file(state, property_ref="1000"))
        assert [str(p) for p in validate_file(path, env={}) if p.severity == "error"] == []
        desired = load_plan(path).desired_state(PROPERTY)
    assert {k: g.fields() for k, g in desired.channel_groups.items()} == {
        k: g.fields() for k, g in state.channel_groups.items()
    }
    assert {k: m.fields() for k, m in desired.calculated_metrics.items()} == {
        k: m.fields() for k, m in state.calculated_metrics.items()
    }
