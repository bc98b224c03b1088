"""Target values, and the promise that importing ga_goals.ga4 loads no Google code."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ga_goals.ga4 import Target


def test_property_is_normalised() -> None:
    assert Target("123").property == "properties/123"
    assert Target(" properties/123 ").property_id == "123"
    assert not Target("1").is_sandbox and Target("1", sandbox_address="127.0.0.1:1").is_sandbox


@pytest.mark.parametrize(
    "kwargs",
    [{"property": "sandbox"}, {"property": "properties/abc"}, {"property": "1", "timeout": 0},
     {"property": "1", "writes_per_minute": 0}, {"property": "1", "write_window": 0}],
)
def test_nonsense_is_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        Target(**kwargs)


def test_defaults_follow_the_admin_quotas() -> None:
    t = Target("1")
    assert (t.timeout, t.retry_deadline, t.retry_initial, t.writes_per_minute, t.write_window) == (
        30.0, 120.0, 1.0, 180, 60.0
    )


def test_importing_the_package_loads_no_google_code() -> None:
    code = (
        "import sys, ga_goals.ga4 as g; t = g.Target('1');"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('grpc', 'google'));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_lazy_names_resolve() -> None:
    import ga_goals.ga4 as ga4

    assert ga4.AdminGateway.__name__ == "AdminGateway"
    assert ga4.WriteLimiter.__module__ == "ga_goals.ga4.pacing"
    with pytest.raises(AttributeError):
        ga4.Nope  # noqa: B018
