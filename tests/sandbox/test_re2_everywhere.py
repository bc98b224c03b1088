"""One regular-expression check, RE2's, everywhere a pattern enters (``ga_goals.regex``).

GA4 evaluates patterns with RE2. Python's ``re`` accepts constructs RE2 refuses (lookaround,
back-references, atomic groups, possessive quantifiers, ``\\Z``); a check made with ``re`` let
them through to DuckDB (RE2 too), which failed with UNKNOWN "Exception calling application"
where GA4 answers INVALID_ARGUMENT. Each pattern here must be refused the same way by the plan
file, the funnel definition and the sandbox's Admin and Data APIs, through the real clients.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import grpc
import pytest
from google.analytics import admin_v1alpha
from google.analytics import data_v1alpha as alpha
from google.analytics import data_v1beta as beta
from google.analytics.admin_v1alpha.services.analytics_admin_service.transports import (
    AnalyticsAdminServiceGrpcTransport,
)
from google.api_core import exceptions as gexc

from ga_goals.funnels.semantics import FunnelDefinitionError, validate
from ga_goals.model.tracking_plan import Funnel, FunnelStep, StepFilter
from ga_goals.regex import re2_problem
from ga_goals.sandbox.server import SandboxServer
from tests.sandbox.data_api_helpers import Clients, clients

P = "515151"
PROP = f"properties/{P}"
DAYS = ("2026-10-01", "2026-10-03")

#: Patterns Python's ``re`` compiles and RE2 (so GA4) refuses.
RE2_REFUSES = {
    "lookahead": "/shop/(?=cart)",
    "negative lookahead": "^(?!/admin).*",
    "lookbehind": "(?<=/shop)/cart",
    "negative lookbehind": "(?<!x)cart",
    "back-reference": r"(a)\1",
    "named back-reference": "(?P<x>a)(?P=x)",
    "atomic group": "(?>ab)c",
    "possessive quantifier": "a*+b",
    "end of text \\Z": r"cart\Z",
    "conditional": "(a)?(?(1)b|c)",
}
#: Patterns neither accepts.
BOTH_REFUSE = {"unclosed group": "/shop/(unclosed", "unclosed class": "[a-z", "nothing to repeat": "*a"}
#: RE2 syntax GA4 users write, accepted everywhere.
ACCEPTED = ["^/shop/.*", "(?i)cart", "a{2,3}", r"\d+\.\d*", "(?P<n>x)y", "[[:alpha:]]+", "a|b|(c)"]
REFUSED = {**RE2_REFUSES, **BOTH_REFUSE}


def test_python_re_accepts_what_re2_refuses():
    """Why ``re`` cannot be the check: it compiles every one of these."""
    for pattern in RE2_REFUSES.values():
        re.compile(pattern)


@pytest.mark.parametrize("pattern", REFUSED.values(), ids=REFUSED.keys())
def test_re2_problem_refuses_and_says_how_to_fix(pattern: str):
    problem = re2_problem(pattern)
    assert problem is not None
    assert "rewrite the pattern without them" in problem or "fix the pattern" in problem


@pytest.mark.parametrize("pattern", ACCEPTED)
def test_re2_problem_accepts_re2_syntax(pattern: str):
    assert re2_problem(pattern) is None


@pytest.mark.parametrize("pattern", REFUSED.values(), ids=REFUSED.keys())
def test_a_funnel_definition_is_refused(pattern: str):
    funnel = Funnel(name="f", title="F", steps=(FunnelStep("a", "page_view", (StepFilter("page_location", "matches", pattern),)),))
    with pytest.raises(FunnelDefinitionError, match="bad regular expression"):
        validate(funnel)


@pytest.mark.parametrize("pattern", ACCEPTED)
def test_a_funnel_definition_with_re2_syntax_is_accepted(pattern: str):
    validate(Funnel(name="f", title="F", steps=(FunnelStep("a", "page_view", (StepFilter("p", "matches", pattern),)),)))


# -- the sandbox, through the real clients ---------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    srv = SandboxServer(tmp_path_factory.mktemp("re2") / "sandbox")
    srv.store.ensure_property(P, time_zone="UTC")
    assert srv.data is not None
    srv.data.events.generate(P, date.fromisoformat(DAYS[0]), date.fromisoformat(DAYS[1]), users=30, seed=3)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def api(server: SandboxServer) -> Iterator[Clients]:
    with clients(server.address or "") as c:
        yield c


@pytest.fixture(scope="module")
def admin(server: SandboxServer) -> Iterator[admin_v1alpha.AnalyticsAdminServiceClient]:
    channel = grpc.insecure_channel(server.address or "")
    yield admin_v1alpha.AnalyticsAdminServiceClient(transport=AnalyticsAdminServiceGrpcTransport(channel=channel))
    channel.close()


def run_report(api: Clients, pattern: str, match_type: str) -> beta.RunReportResponse:
    return api.beta.run_report(
        beta.RunReportRequest(
            property=PROP,
            date_ranges=[beta.DateRange(start_date=DAYS[0], end_date=DAYS[1])],
            dimensions=[beta.Dimension(name="eventName")],
            metrics=[beta.Metric(name="eventCount")],
            dimension_filter=beta.FilterExpression(
                filter=beta.Filter(
                    field_name="eventName", string_filter=beta.Filter.StringFilter(match_type=match_type, value=pattern)
                )
            ),
        )
    )


def run_funnel(api: Clients, pattern: str, match_type: str) -> alpha.RunFunnelReportResponse:
    step = alpha.FunnelStep(
        name="page",
        filter_expression=alpha.FunnelFilterExpression(
            funnel_event_filter=alpha.FunnelEventFilter(
                event_name="page_view",
                funnel_parameter_filter_expression=alpha.FunnelParameterFilterExpression(
                    funnel_parameter_filter=alpha.FunnelParameterFilter(
                        event_parameter_name="page_location",
                        string_filter=alpha.StringFilter(match_type=match_type, value=pattern),
                    )
                ),
            )
        ),
    )
    return api.alpha.run_funnel_report(
        alpha.RunFunnelReportRequest(
            property=PROP,
            date_ranges=[alpha.DateRange(start_date=DAYS[0], end_date=DAYS[1])],
            funnel=alpha.Funnel(steps=[step]),
        )
    )


@pytest.mark.parametrize("match_type", ["FULL_REGEXP", "PARTIAL_REGEXP"])
@pytest.mark.parametrize("pattern", REFUSED.values(), ids=REFUSED.keys())
def test_run_report_answers_invalid_argument(api: Clients, pattern: str, match_type: str):
    with pytest.raises(gexc.InvalidArgument, match="invalid regular expression"):
        run_report(api, pattern, match_type)


@pytest.mark.parametrize("match_type", ["FULL_REGEXP", "PARTIAL_REGEXP"])
@pytest.mark.parametrize("pattern", REFUSED.values(), ids=REFUSED.keys())
def test_run_funnel_report_answers_invalid_argument(api: Clients, pattern: str, match_type: str):
    with pytest.raises(gexc.InvalidArgument, match="bad regular expression"):
        run_funnel(api, pattern, match_type)


@pytest.mark.parametrize("pattern", REFUSED.values(), ids=REFUSED.keys())
def test_create_event_create_rule_answers_invalid_argument(server: SandboxServer, admin, pattern: str):
    stream = server.store.load(P)["data_streams"][0]["name"]
    rule = admin_v1alpha.EventCreateRule(
        destination_event="cart_page",
        event_conditions=[
            admin_v1alpha.MatchingCondition(field="page_location", comparison_type="REGULAR_EXPRESSION", value=pattern)
        ],
    )
    with pytest.raises(gexc.InvalidArgument, match="not a valid regular expression"):
        admin.create_event_create_rule(parent=stream, event_create_rule=rule)


@pytest.mark.parametrize("pattern", ACCEPTED)
def test_re2_syntax_is_answered(api: Clients, pattern: str):
    assert run_report(api, pattern, "PARTIAL_REGEXP").row_count >= 0
    run_funnel(api, pattern, "FULL_REGEXP")
