"""The sandbox's Data API against GA4's published schema (``ga_goals/model/ga4_schema.json``).

GetMetadata lists no field GA4 does not have (with GA4's metric types); every GA4 field the
sandbox does not compute answers UNIMPLEMENTED naming it, every former name a did-you-mean with
its new name; the README and docs/sandbox.md sections listing the gaps are current.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from google.analytics import data_v1beta as beta
from google.api_core import exceptions as gexc

from ga_goals.sandbox.ga4_schema import ga4_schema, suggestion
from ga_goals.sandbox.schema_docs import BEGIN, END, coverage, replace_section, targets
from ga_goals.sandbox.server import SandboxServer
from tests.sandbox.data_api_helpers import PROP, Clients, clients, start_shop_server

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clients]:
    server: SandboxServer = start_shop_server(tmp_path_factory.mktemp("schema") / "sandbox")
    try:
        with clients(server.address or "") as c:
            yield c
    finally:
        server.stop()


def test_the_schema_file_names_its_source_and_has_no_duplicates():
    schema = ga4_schema()
    assert schema.source.startswith("https://developers.google.com/analytics/")
    assert schema.retrieved
    assert not set(schema.dimensions) & set(schema.metrics)
    assert {"keyEvents", "totalRevenue", "itemRevenue"} <= set(schema.metrics)
    assert {"countryId", "dateHour", "nthDay", "itemName"} <= set(schema.dimensions)
    assert all(new in schema.metrics or new in schema.dimensions for new in schema.renamed.values())


def test_get_metadata_lists_only_ga4_fields_with_ga4_types(api: Clients):
    metadata = api.beta.get_metadata(beta.GetMetadataRequest(name="properties/0/metadata"))
    schema = ga4_schema()
    invented = [d.api_name for d in metadata.dimensions if d.api_name not in schema.dimensions]
    invented += [m.api_name for m in metadata.metrics if m.api_name not in schema.metrics]
    assert invented == []
    wrong_types = [
        (m.api_name, m.type_.name, schema.metrics[m.api_name].type_)
        for m in metadata.metrics
        if m.type_.name != schema.metrics[m.api_name].type_
    ]
    assert wrong_types == []
    dims, mets, _gaps_d, _gaps_m = coverage()
    assert {d.api_name for d in metadata.dimensions} == set(dims)
    assert {m.api_name for m in metadata.metrics} == set(mets)


def test_every_ga4_field_the_sandbox_does_not_compute_is_unimplemented_by_name(api: Clients):
    _dims, _mets, gaps_d, gaps_m = coverage()
    assert gaps_d and gaps_m
    request = {"property": PROP, "date_ranges": [beta.DateRange(start_date="2026-10-01", end_date="2026-10-07")]}
    for name in gaps_d:
        with pytest.raises(gexc.MethodNotImplemented, match=f"dimension {name} "):
            api.beta.run_report(beta.RunReportRequest(dimensions=[beta.Dimension(name=name)], metrics=[beta.Metric(name="eventCount")], **request))
    for name in gaps_m:
        with pytest.raises(gexc.MethodNotImplemented, match=f"metric {name} "):
            api.beta.run_report(beta.RunReportRequest(metrics=[beta.Metric(name=name)], **request))


@pytest.mark.parametrize("old", sorted(ga4_schema().renamed))
def test_a_former_name_is_invalid_with_its_new_name(api: Clients, old: str):
    new = ga4_schema().renamed[old]
    kind = "dimension" if new in ga4_schema().dimensions else "metric"
    field = {"dimensions": [beta.Dimension(name=old)], "metrics": [beta.Metric(name="eventCount")]} if kind == "dimension" else {"metrics": [beta.Metric(name=old)]}
    with pytest.raises(gexc.InvalidArgument, match=f"Field {old} is not a valid {kind}. Did you mean {new}\\?"):
        api.beta.run_report(
            beta.RunReportRequest(property=PROP, date_ranges=[beta.DateRange(start_date="2026-10-01", end_date="2026-10-07")], **field)
        )


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [("sesions", "metric", "sessions"), ("Sessions", "metric", "sessions"), ("countryid", "dimension", "countryId"), ("zzzz", "metric", None)],
)
def test_did_you_mean_is_a_real_field(name: str, kind: str, expected: str | None):
    assert suggestion(name, kind) == expected


def test_the_readme_and_docs_sections_are_current():
    for path, body in targets(ROOT).items():
        text = path.read_text(encoding="utf-8")
        assert BEGIN in text and END in text, f"{path} lacks the generated section markers"
        assert replace_section(text, body) == text, f"{path} is stale: run python -m ga_goals.sandbox.schema_docs"


_NAMES = st.from_regex(r"[a-zA-Z][a-zA-Z0-9]{0,24}", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(name=_NAMES, kind=st.sampled_from(["dimension", "metric"]))
def test_any_name_gets_a_status_ga4_would_give(name: str, kind: str):
    """A name is computed, UNIMPLEMENTED (GA4 has it) or INVALID_ARGUMENT; a did-you-mean names a real field."""
    from ga_goals.sandbox.admin import SandboxError
    from ga_goals.sandbox.reporting import Catalogue

    catalogue = Catalogue.for_property(None)
    schema = ga4_schema()
    try:
        (catalogue.dimension if kind == "dimension" else catalogue.metric)(name)
    except SandboxError as exc:
        mine = schema.dimensions if kind == "dimension" else schema.metrics
        if exc.code == "UNIMPLEMENTED":
            assert name in mine and name in exc.message
        else:
            assert exc.code == "INVALID_ARGUMENT" and name not in mine
            hint = re.search(r"Did you mean (\S+)\?", exc.message)
            assert hint is None or hint.group(1) in schema.dimensions or hint.group(1) in schema.metrics
    else:
        assert name in (schema.dimensions if kind == "dimension" else schema.metrics)
