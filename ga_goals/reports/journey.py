"""The journey-stage map of a report: the plan's ``stages`` as one open funnel, then the macro conversion.

Step k of the journey funnel is "an event that reaches stage k": the stage's ``reached_by`` step
when the plan gives one (``stages: [{name: home, reached_by: {event: page_view, when: [...]}}]``),
else any event the plan declares for the stage (conversions and events with that ``stage``; the
macro conversion that closes the journey is left out of its own stage). The funnel is **open**
(rule 6 of ``ga_goals.funnels.semantics``): "reached" is the users with an event of the stage
in the period, "moved on" the users who reached the next stage after it (GA4's completion rate),
whatever they did before. Because it is an ordinary plan funnel, the Data API, DuckDB and
BigQuery compute it alike.
"""

from __future__ import annotations

from collections.abc import Mapping

from ga_goals.model import AnyOf, EventMatch, Funnel, FunnelStep, TrackingPlan
from ga_goals.model.ga4_facts import FUNNEL_STEPS_MAX
from ga_goals.reports import derive
from ga_goals.reports.model import EventTotal, FunnelData, JourneyMap, StageData, StageMicro

#: The journey funnel's name (not a name a plan funnel can have: plan names are identifiers).
JOURNEY_FUNNEL = "(journey)"


def stage_events(plan: TrackingPlan, stage: str, macro: str | None) -> list[str]:
    """The events the plan declares for ``stage`` (conversions, then tracked events), without ``macro``."""
    names = [c.event_name for c in plan.conversions.values() if c.stage == stage]
    names += [e.event_name for e in plan.events.values() if e.stage == stage]
    return [n for n in dict.fromkeys(names) if n != macro]


def stage_step(plan: TrackingPlan, stage: str, macro: str | None) -> FunnelStep | None:
    """How a user reaches ``stage``: its ``reached_by`` step, else any of its events (None: nothing says)."""
    if stage in plan.stage_reached_by:
        return plan.stage_reached_by[stage]
    events = stage_events(plan, stage, macro)
    if not events:
        return None
    if len(events) == 1:
        return FunnelStep(name=stage, event=events[0])
    return FunnelStep(name=stage, condition=AnyOf(tuple(EventMatch(e) for e in events)))


def journey_funnel(plan: TrackingPlan, macro: str | None) -> tuple[Funnel | None, tuple[str, ...], str | None]:
    """(the journey funnel, the stages it leaves out, why there is no funnel)."""
    if not plan.stages:
        return None, (), "The plan declares no journey stages: list them under `stages` to see the journey map."
    steps: list[FunnelStep] = []
    unmeasured: list[str] = []
    for stage in plan.stages:
        step = stage_step(plan, stage, macro)
        if step is None:
            unmeasured.append(stage)
        else:
            steps.append(step)
    if not steps:
        return None, tuple(unmeasured), (
            "No journey stage has an event to count: give conversions and events a `stage`, or stages a "
            "`reached_by` step, to see the journey map."
        )
    limit = FUNNEL_STEPS_MAX - (1 if macro else 0)
    if len(steps) > limit:
        return None, tuple(unmeasured), (
            f"The journey map shows at most {limit} measured stages (a GA4 funnel has at most {FUNNEL_STEPS_MAX} "
            f"steps{', the macro conversion included' if macro else ''}); this plan has {len(steps)}."
        )
    if macro:
        steps.append(FunnelStep(name=macro, event=macro))
    return Funnel(name=JOURNEY_FUNNEL, title="Journey", steps=tuple(steps), open=True), tuple(unmeasured), None


def journey_map(
    plan: TrackingPlan,
    funnel: Funnel,
    data: FunnelData,
    macro: str | None,
    events: Mapping[str, EventTotal],
    unmeasured: tuple[str, ...] = (),
) -> JourneyMap:
    """The map from the journey funnel's figures and the stages' micro conversions' totals."""
    n_stages = len(funnel.steps) - (1 if macro else 0)
    stages = []
    for k in range(n_stages):
        step, figures = funnel.steps[k], data.steps[k]
        last = k == n_stages - 1 and not macro
        moved = None if last else figures.users - figures.abandonments
        micros = tuple(
            StageMicro(e, events[e].count, events[e].users, (events[e].users / figures.users) if figures.users else None)
            for e in stage_micros(plan, step.name)
            if e in events
        )
        stages.append(
            StageData(
                name=step.name,
                reached_by=step.label,
                users=figures.users,
                moved_on=moved,
                moved_on_rate=None if moved is None else figures.completion_rate,
                drop_off=None if moved is None else figures.abandonments,
                drop_off_rate=None if moved is None else figures.abandonment_rate,
                micros=micros,
                previous_users=figures.previous_users,
                users_change=figures.users_change,
            )
        )
    droppers = [s for s in stages if s.drop_off]
    worst = max(droppers, key=lambda s: (s.drop_off_rate or 0.0, s.drop_off or 0), default=None)
    stages = [s if s is not worst else _marked(s) for s in stages]
    macro_users = data.steps[-1].users if macro else None
    first = stages[0].users if stages else 0
    return JourneyMap(
        stages=tuple(stages),
        macro=macro,
        macro_users=macro_users,
        conversion_rate=derive.ratio(macro_users, first) if macro_users is not None else None,
        unmeasured=unmeasured,
    )


def stage_micros(plan: TrackingPlan, stage: str) -> list[str]:
    """The micro conversions declared for ``stage``."""
    return [c.event_name for c in plan.micro if c.stage == stage]


def _marked(stage: StageData) -> StageData:
    from dataclasses import replace

    return replace(stage, biggest_drop=True)
