"""Get/UpdateEnhancedMeasurementSettings through the real v1alpha client: names, masks, defaults, errors."""

from __future__ import annotations

import pytest
from google.analytics import admin_v1alpha
from google.api_core import exceptions as ex
from google.protobuf import field_mask_pb2

from ga_goals.model.enhanced_measurement import GA4_DEFAULTS, PROTO_FIELDS

from .conftest import P

Settings = admin_v1alpha.EnhancedMeasurementSettings


def em_name(stream: str) -> str:
    return f"{stream}/enhancedMeasurementSettings"


def update(alpha, name: str, paths: list[str], **values):
    return alpha.update_enhanced_measurement_settings(
        request={
            "enhanced_measurement_settings": Settings(name=name, **values),
            "update_mask": field_mask_pb2.FieldMask(paths=paths),
        }
    )


def test_a_new_web_stream_has_ga4s_defaults(alpha, streams):
    got = alpha.get_enhanced_measurement_settings(name=em_name(streams.web))
    assert got.name == em_name(streams.web)
    assert {f: getattr(got, f) for f in PROTO_FIELDS.values()} == {
        PROTO_FIELDS[k]: v for k, v in GA4_DEFAULTS.fields().items()
    }
    assert got.search_query_parameter == "q,s,search,query,keyword" and got.uri_query_parameter == ""


def test_an_update_changes_only_the_masked_fields_and_persists(alpha, beta, streams):
    got = update(alpha, em_name(streams.web), ["scrolls_enabled", "search_query_parameter"],
                 scrolls_enabled=False, search_query_parameter="q", file_downloads_enabled=False)
    assert got.scrolls_enabled is False and got.search_query_parameter == "q"
    assert got.file_downloads_enabled is True  # not in the mask: unchanged
    again = alpha.get_enhanced_measurement_settings(name=em_name(streams.web))
    assert (again.scrolls_enabled, again.search_query_parameter, again.file_downloads_enabled) == (False, "q", True)
    # Another stream keeps its own settings; the stream itself does not show them.
    assert alpha.get_enhanced_measurement_settings(name=em_name(streams.web2)).scrolls_enabled is True
    stream = beta.get_data_stream(name=streams.web)
    assert "enhanced" not in type(stream).to_json(stream).lower()


def test_a_star_mask_replaces_every_field(alpha, streams):
    got = update(alpha, em_name(streams.web), ["*"], stream_enabled=True, search_query_parameter="term")
    assert got.stream_enabled is True and got.search_query_parameter == "term"
    assert not any(getattr(got, f) for f in PROTO_FIELDS.values() if f.endswith("_enabled") and f != "stream_enabled")


@pytest.mark.parametrize(
    ("paths", "values", "message"),
    [
        ([], {}, "update_mask is required"),
        (["name"], {}, "output only"),
        (["scrollsEnabled"], {}, "snake_case: 'scrolls_enabled'"),
        (["scroll_enabled"], {}, "did you mean 'scrolls_enabled'"),
        (["*", "scrolls_enabled"], {}, "'*' must be the only path"),
        (["search_query_parameter"], {"search_query_parameter": ""}, "search_query_parameter is required"),
        (["uri_query_parameter"], {"uri_query_parameter": "x" * 1025}, "the maximum is 1024"),
        (["search_query_parameter"], {"search_query_parameter": "q" * 1025}, "the maximum is 1024"),
    ],
)
def test_bad_updates_are_invalid_argument(alpha, streams, paths, values, message):
    with pytest.raises(ex.InvalidArgument, match=message):
        update(alpha, em_name(streams.web), paths, **values)
    assert alpha.get_enhanced_measurement_settings(name=em_name(streams.web)).scrolls_enabled is True  # untouched


def test_the_limits_are_inclusive(alpha, streams):
    got = update(alpha, em_name(streams.web), ["uri_query_parameter"], uri_query_parameter="x" * 1024)
    assert len(got.uri_query_parameter) == 1024


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [
        ("", ex.InvalidArgument, "is required"),
        ("properties/1001/dataStreams/1", ex.InvalidArgument, "malformed"),
        ("properties/1001/dataStreams/1/enhancedMeasurement", ex.InvalidArgument, "malformed"),
        (f"properties/{P}/dataStreams/999/enhancedMeasurementSettings", ex.NotFound, "not found"),
        ("properties/424242/dataStreams/1/enhancedMeasurementSettings", ex.NotFound, "not found"),
    ],
)
def test_bad_names(alpha, streams, name, error, message):
    with pytest.raises(error, match=message):
        alpha.get_enhanced_measurement_settings(name=name)
    with pytest.raises(error, match=message):
        update(alpha, name, ["scrolls_enabled"])


def test_an_app_stream_has_no_settings(alpha, streams):
    with pytest.raises(ex.InvalidArgument, match="only for web data streams.*ANDROID_APP_DATA_STREAM"):
        alpha.get_enhanced_measurement_settings(name=em_name(streams.app))
    with pytest.raises(ex.InvalidArgument, match="only for web data streams"):
        update(alpha, em_name(streams.app), ["scrolls_enabled"])


def test_only_v1alpha_has_the_methods(sandbox, streams):
    from .conftest import beta_client

    assert not hasattr(beta_client(sandbox.address), "get_enhanced_measurement_settings")
    assert sandbox.calls.snapshot() == {}  # nothing was sent


def test_an_update_is_a_write_under_the_quota(sandbox, alpha, streams):
    sandbox.quota.reset()
    for _ in range(3):
        update(alpha, em_name(streams.web), ["scrolls_enabled"], scrolls_enabled=False)
    assert sandbox.calls.snapshot()["v1alpha.UpdateEnhancedMeasurementSettings"] == 3
    assert len(sandbox.quota._writes[P]) == 3


def test_generated_traffic_follows_the_streams_settings(sandbox, alpha, streams):
    """`ga-goals sandbox generate` (SandboxEvents.generate) reads the property's first web stream's
    settings: site search off, no view_search_results; the search URL uses the configured parameter."""
    from datetime import date

    from ga_goals.events import param
    from ga_goals.sandbox.events import SandboxEvents

    update(alpha, em_name(streams.web), ["site_search_enabled", "search_query_parameter"],
           site_search_enabled=False, search_query_parameter="term")
    events = SandboxEvents(sandbox.store.state_dir)
    result = events.generate(P, date(2024, 3, 4), date(2024, 3, 10), users=200, seed=7, replace=True)
    assert result.events > 0
    with events.reading(P) as con:
        names = {n for (n,) in con.execute("SELECT DISTINCT event_name FROM events").fetchall()}
        urls = con.execute(
            f"SELECT DISTINCT {param('page_location', 'string')} FROM events WHERE {param('page_location', 'string')} "
            "LIKE '%/search%'"
        ).fetchall()
    events.close()
    assert "view_search_results" not in names and {"scroll", "form_submit", "page_view"} <= names
    assert urls and all("/search?term=" in url for (url,) in urls)


def test_default_traffic_under_other_settings_is_cached_apart(sandbox, alpha, streams, tmp_path, monkeypatch):
    """Scrolls off makes other default traffic: cached under its own name, and writing it does not
    prune the default settings' traffic of the same seed (both stay, each reused)."""
    from datetime import date

    from ga_goals.sandbox.events import SandboxEvents

    monkeypatch.setenv("GA_GOALS_EVENTS_CACHE", str(tmp_path / "cache"))
    events = SandboxEvents(sandbox.store.state_dir, default_users=20)
    start, end = date(2026, 3, 1), date(2026, 3, 7)
    assert events._write_default(events.path(P), P, start, end) is False
    update(alpha, em_name(streams.web), ["scrolls_enabled"], scrolls_enabled=False)
    assert events._write_default(events.path(P), P, start, end) is False
    names = sorted(p.name for p in (tmp_path / "cache").glob("*.duckdb"))
    assert len(names) == 2 and sum("-em" in n for n in names) == 1, names
    assert events._write_default(events.path(P), P, start, end) is True  # scrolls off: from the cache
    update(alpha, em_name(streams.web), ["scrolls_enabled"], scrolls_enabled=True)
    assert events._write_default(events.path(P), P, start, end) is True  # the defaults' file is still there
