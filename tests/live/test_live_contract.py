"""The sandbox against Google: the same read-only requests, answers of the same shape (opt-in).

Run with ``pytest -m live`` and a test property (docs/live-tests.md); skipped, with what to set,
otherwise. Compares structure (fields present, value types, nesting, header names), not values.
"""

from __future__ import annotations

import pytest

from ga_goals.ga4.target import Target
from tests.live import contract

pytestmark = pytest.mark.live

REQUESTS = contract.requests()


@pytest.mark.parametrize("request_", REQUESTS, ids=[r.name for r in REQUESTS])
def test_the_sandbox_answers_like_ga4(request_: contract.Request, google_target: Target, sandbox_target: Target):
    google = request_.call(google_target)
    sandbox = request_.call(sandbox_target)
    problems = list(contract.differences(contract.shape(google), contract.shape(sandbox)))
    assert not problems, f"{request_.name}: the sandbox's answer differs from GA4's:\n  " + "\n  ".join(problems)
    assert contract.headers(sandbox) == contract.headers(google)


def test_the_sandbox_reports_only_dimensions_and_metrics_ga4_has(google_target: Target, sandbox_target: Target):
    [metadata] = [r for r in REQUESTS if r.name == "GetMetadata"]
    google, sandbox = metadata.call(google_target), metadata.call(sandbox_target)

    def names(response, kind: str) -> set[str]:
        return {item.api_name for item in getattr(response, kind) if not item.custom_definition}

    for kind in ("dimensions", "metrics"):
        invented = names(sandbox, kind) - names(google, kind)
        assert not invented, f"the sandbox offers {kind} GA4 does not: {sorted(invented)}"
