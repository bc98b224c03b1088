"""`ga-goals check` on the sandbox's generated shop traffic, through all three engines.

tests/checks/plan.yaml is synced to a sandbox (so its custom dimensions are registered), then
checked from the Data API (the real GA4 clients against the sandbox), DuckDB on the sandbox's
export files, and BigQuery SQL through the real client against the local endpoint. The plan
holds one of each thing to find:

* ``request_quote``: a macro key event nobody sends (error); ``apply_coupon``: a conversion that
  is not a key event and never fires (warning);
* ``add_to_basket``: what an old tag still sends (the generator's incidental events); the plan
  does not declare it, nor ``select_content`` (undeclared, by count); GA4's automatic events
  (``page_view``...) are never listed;
* ``gift_wrap`` (event scope) and ``loyalty_level`` (user scope): parameters nobody sends;
* ``share``: a micro conversion clicked at random on first visits, so its users convert no more
  often than all users; ``add_to_cart`` does lead to purchases;
* ``promotions``: a funnel whose first event never fires; ``free_orders``: one whose first step's
  condition never matches.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from ga_goals.checks import CheckResult, run_check
from ga_goals.checks.findings import KINDS, Finding
from ga_goals.checks.run import SPAN, CheckError, check_query, check_span
from ga_goals.events import EventStore
from ga_goals.manager import Connection, Manager
from ga_goals.plan_file import load_plan
from ga_goals.sandbox.bigquery import serve_bigquery
from ga_goals.sources.base import EngineOptions
from ga_goals.sources.bigquery_engine import BigQueryEngine
from ga_goals.sources.export import ExportSource, duckdb_files_engine
from tests.checks.on_sandbox import check_export, check_on_sandbox
from ga_goals.sources.results import ParameterRef

PLAN = Path(__file__).with_name("plan.yaml")
DATASET = "ga-goals-test.analytics_100000001"
PROPERTY = "100000001"


@dataclass
class Checked:
    plan: object
    today: date
    export: Path
    store: EventStore
    data_api: CheckResult


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Checked]:
    plan = load_plan(PLAN, env={})
    done = check_on_sandbox(plan, tmp_path_factory.mktemp("check"))
    store = EventStore()
    store.load_parquet(str(done.export / "*.parquet"))
    yield Checked(plan, done.today, done.export, store, done.data_api)
    store.close()


def _duckdb(checked: Checked, **kwargs) -> CheckResult:
    return check_export(checked.plan, checked.export, checked.today, **kwargs)


def _by_kind(result: CheckResult) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for finding in result.findings:
        out.setdefault(finding.kind, []).append(finding)
    return out


def _subjects(result: CheckResult, kind: str) -> list[str]:
    return [f.subject for f in _by_kind(result).get(kind, [])]


# -- what the Data API check finds ---------------------------------------------------------------


def test_declared_events_that_never_fired(checked: Checked):
    found = {f.subject: f for f in _by_kind(checked.data_api)["event_never_fired"]}
    assert set(found) == {"request_quote", "apply_coupon"}
    assert found["request_quote"].severity == "error" and found["apply_coupon"].severity == "warning"
    assert str(found["request_quote"].where).endswith("plan.yaml:11:5")
    assert "never fired" in found["request_quote"].message


def test_undeclared_events_by_count_without_gas_automatic_ones(checked: Checked):
    found = _by_kind(checked.data_api)["undeclared_event"]
    names = [f.subject for f in found]
    assert "add_to_basket" in names and "select_content" in names
    assert not {"page_view", "session_start", "first_visit", "user_engagement", "scroll", "form_submit"} & set(names)
    assert not {"purchase", "view_item", "add_to_cart", "share", "view_promotion"} & set(names)  # declared or not firing
    counts = [f.figures["events"] for f in found]
    assert counts == sorted(counts, reverse=True) and all(c > 0 for c in counts)
    assert all(f.severity == "warning" and f.where is None for f in found)


def test_top_limits_the_undeclared_events_and_counts_the_rest(checked: Checked):
    full = _subjects(_duckdb(checked), "undeclared_event")
    two = _duckdb(checked, top=2)
    assert _subjects(two, "undeclared_event") == full[:2]
    assert two.omitted == {"undeclared_event": len(full) - 2}
    assert _subjects(_duckdb(checked, top=0), "undeclared_event") == []


def test_custom_dimensions_whose_parameter_never_arrives(checked: Checked):
    found = _by_kind(checked.data_api)["parameter_never_arrives"]
    assert {f.subject for f in found} == {"customEvent:gift_wrap", "customUser:loyalty_level"}
    assert all(f.severity == "error" for f in found)


def test_the_data_api_says_what_it_cannot_see(checked: Checked):
    [note] = [f for f in _by_kind(checked.data_api)["not_checked"] if f.subject.startswith("custom")]
    assert note.subject == "customItem:item_color" and note.severity == "info"
    assert "item-scoped" in note.message


def test_the_text_says_each_reason_for_not_checking_once_and_loses_nothing(checked: Checked):
    from ga_goals.checks.render import render_text
    from ga_goals.untrusted_text import plain

    text = render_text(checked.data_api)
    unseen = _by_kind(checked.data_api)["not_checked"]
    reasons = {f.figures["why"] for f in unseen}
    assert len(reasons) < len(unseen)  # the plan has several parameters per reason
    flat = " ".join(text.split())  # the grouped lists wrap
    for f in unseen:
        assert f.figures["what"].removeprefix("parameter ") in flat, f.subject
    for why in reasons:
        assert text.count(plain(why, ltr=True)) == 1, why
    assert f"{len(unseen)} not checked." in text


def test_micro_conversions_that_do_not_lead_to_the_macro(checked: Checked):
    found = {f.subject: f for f in _by_kind(checked.data_api)["micro_without_lift"]}
    assert "share" in found and "add_to_cart" not in found  # the random click, not the cart
    share = found["share"].figures
    assert share["macro"] == "purchase" and share["lift"] < 1
    assert share["conversion_rate"] < share["all_conversion_rate"] and share["lift_interval"][1] < 1
    for finding in found.values():  # each one: no better than all users, or not beyond noise
        figures = finding.figures
        assert finding.severity == "warning"
        assert figures["lift"] <= 1 or figures["lift_interval"][0] <= 1 <= figures["lift_interval"][1]


def test_funnels_whose_first_step_has_no_users(checked: Checked):
    found = {f.subject: f for f in _by_kind(checked.data_api)["funnel_first_step_empty"]}
    assert set(found) == {"promotions", "free_orders"}
    assert "never fired" in found["promotions"].message
    assert "check the step's conditions" in found["free_orders"].message  # purchase fires; the filter never matches


def test_findings_come_in_kind_order_most_serious_first(checked: Checked):
    order = list(KINDS)
    keys = [(order.index(f.kind), -["info", "warning", "error"].index(f.severity)) for f in checked.data_api.findings]
    assert keys == sorted(keys)
    assert checked.data_api.fails("error") and checked.data_api.fails("info") and not checked.data_api.fails(None)


def test_the_json_has_a_stable_format_key(checked: Checked):
    data = checked.data_api.to_json()
    assert data["format"] == "ga-goals-check/1"
    assert data["summary"] == {"error": 5, "warning": checked.data_api.count("warning"), "info": checked.data_api.count("info")}
    # the plan's recommended events have Google's parameters: the Data API says what of them it cannot see
    assert data["checked"]["event_names"] == len(checked.plan.event_schemas) > 0
    assert data["period"]["days"] == 28 and data["engine"] == "data-api"
    assert {f["kind"] for f in data["findings"]} <= set(KINDS)


# -- the same findings on every engine ----------------------------------------------------------


def _comparable(result: CheckResult) -> list[dict]:
    """What every engine finds alike. Parameter findings differ by design (the Data API sees only
    registered custom dimensions, as text): tests/checks/test_known_violations.py compares them."""
    return [f.to_json() for f in result.findings if f.kind != "not_checked" and not _parameter_finding(f)]


def _parameter_finding(finding: Finding) -> bool:
    return finding.kind in ("parameter_missing", "parameter_wrong_type", "parameter_value_not_allowed", "parameter_undeclared")


def test_duckdb_on_export_files_finds_the_same(checked: Checked):
    result = _duckdb(checked)
    assert _comparable(result) == _comparable(checked.data_api)
    assert result.engine == "duckdb" and (result.start, result.end) == (checked.data_api.start, checked.data_api.end)
    # the export sees every parameter: the item-scoped one arrives, nothing is left unchecked
    assert _subjects(result, "not_checked") == []


def test_bigquery_finds_the_same(checked: Checked):
    with serve_bigquery(checked.store.connection, DATASET) as bq:
        engine = BigQueryEngine.from_options(EngineOptions(engine="bigquery", dataset=DATASET, endpoint=bq.endpoint))
        with ExportSource(engine, property=f"properties/{PROPERTY}") as source:
            result = run_check(checked.plan, source, today=checked.today)
        real = [j for j in bq.jobs.recorded if not j.dry_run]
    assert _comparable(result) == _comparable(checked.data_api)
    assert result.engine == "bigquery"
    assert all("'gift_wrap'" not in j.sql and "'add_to_cart'" not in j.sql for j in real)  # plan values are parameters


def test_the_engines_count_event_names_and_parameters_alike(checked: Checked, tmp_path: Path):
    """The raw answers, not only the findings: every event name's count and users, and the events
    carrying each registered parameter, are equal on the Data API and on DuckDB."""
    span = check_span(28, checked.today)
    query = check_query(checked.plan, span, "purchase")
    with Manager(Connection(sandbox=True, sandbox_dir=tmp_path / "sandbox")) as manager:
        manager.sync(checked.plan, apply=True)
        with manager.report_source(checked.plan) as source:
            api = source.fetch(query)
    with ExportSource(duckdb_files_engine([str(checked.export)]), property=f"properties/{PROPERTY}") as source:
        duck = source.fetch(query)
    assert api.event_names is not None and duck.event_names is not None
    assert sorted(map(repr, api.event_names.rows)) == sorted(map(repr, duck.event_names.rows))
    assert api.parameters is not None and duck.parameters is not None
    for parameter in query.parameters:
        if parameter.scope != "item":
            assert api.parameters.events(parameter, SPAN) == duck.parameters.events(parameter, SPAN), parameter
    assert duck.parameters.events(ParameterRef("item", "item_color"), SPAN)
    assert api.parameters.events(ParameterRef("event", "form_id"), SPAN)


def test_an_unregistered_dimension_is_not_checked_on_the_data_api_only(checked: Checked, tmp_path: Path):
    """Without `sync`, the property has none of the plan's custom dimensions: the Data API cannot
    see them (and says so), the export still can."""
    with Manager(Connection(sandbox=True, sandbox_dir=tmp_path / "sandbox")) as manager:
        with manager.report_source(checked.plan) as source:
            result = run_check(checked.plan, source, today=checked.today)
    notes = {f.subject: f.message for f in _by_kind(result)["not_checked"] if f.subject.startswith("custom")}
    assert set(notes) == {"customEvent:form_id", "customEvent:gift_wrap", "customUser:customer_tier",
                          "customUser:loyalty_level", "customItem:item_color"}
    assert "not registered" in notes["customEvent:gift_wrap"] and "`ga-goals sync`" in notes["customEvent:gift_wrap"]
    assert "parameter_never_arrives" not in _by_kind(result)


# -- input the check refuses before reading anything -------------------------------------------------


@pytest.mark.parametrize("days", [0, -3, 401])
def test_a_period_out_of_bounds_is_refused(checked: Checked, days: int):
    with pytest.raises(CheckError, match=r"--days .*1 to 400"):
        _duckdb(checked, days=days)


def test_an_unknown_macro_is_refused_with_the_plans_macros(checked: Checked):
    with pytest.raises(CheckError, match=r"--macro 'add_to_cart' is not a macro conversion .*purchase, request_quote"):
        _duckdb(checked, macro="add_to_cart")


def test_another_macro_judges_the_micro_conversions_against_it(checked: Checked):
    """Against request_quote (nobody converts) no micro conversion can be judged: nothing is flagged."""
    assert _subjects(_duckdb(checked, macro="request_quote"), "micro_without_lift") == []


def test_a_period_without_export_files_says_which_days_there_are(checked: Checked):
    from ga_goals.errors import GaGoalsError

    with pytest.raises(GaGoalsError) as caught:
        source = ExportSource(duckdb_files_engine([str(checked.export)]), property=f"properties/{PROPERTY}")
        with source:
            run_check(checked.plan, source, today=date(2020, 1, 1))
    assert "Traceback" not in str(caught.value) and str(caught.value)


def test_what_ga4_says_about_its_data_is_a_note_beside_the_findings(
    checked: Checked, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A Data API answer thresholded, sampled or with an (other) row: each part it touches gets a
    note (info), worded as reports word it; the findings themselves stay."""
    from ga_goals.sandbox.data_caveats import CAVEATS_ENV

    monkeypatch.setenv(CAVEATS_ENV, "thresholded,other_row,sample_above=5000")
    with Manager(Connection(sandbox=True, sandbox_dir=tmp_path / "sandbox")) as manager:
        manager.sync(checked.plan, apply=True)
        with manager.report_source(checked.plan) as source:
            result = run_check(checked.plan, source, today=checked.today)
    notes = {f.subject: f for f in _by_kind(result)["data_caveat"]}
    assert {"event counts", "custom dimension counts", "funnel 'checkout'", "micro vs macro table"} <= set(notes)
    events = notes["event counts"]
    assert events.severity == "info" and events.figures == {"thresholded": True, "sampled": True, "other_row": True}
    assert "thresholded: GA4 may have withheld rows with few users" in events.message
    assert "sampled: based on " in events.message and "some rows were grouped into (other)" in events.message
    assert "previous period" not in events.message
    # the findings are the same as without caveats
    same = [f.to_json() for f in result.findings if f.kind != "data_caveat"]
    assert same == [f.to_json() for f in checked.data_api.findings]
    # and the notes of what the Data API cannot see (the item-scoped dimension, the parameters)
    assert result.count("info") == len(notes) + len(_by_kind(result)["not_checked"])
    assert "parameter counts" in notes  # the parameter reports are caveated like the others
