"""docs/bigquery.md says what the code does: defaults, prices, roles, messages, the example."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from ga_goals.bigquery import BigQueryRunner, cost, errors, runner, settings
from ga_goals.bigquery.errors import BytesLimitExceeded
from tests.conftest import ROOT

DOC = (ROOT / "docs" / "bigquery.md").read_text()


def test_defaults_and_prices_are_the_codes():
    assert runner.DEFAULT_MAX_BYTES_BILLED == 10 * cost.GIB and "The default cap is **10 GiB per query**" in DOC
    assert f"**${cost.USD_PER_TIB:.2f} per TiB**" in DOC
    assert cost.MIN_BILLED_BYTES == 10 * cost.MIB and "**at least 10 MiB**" in DOC
    assert f"timeout of {runner.DEFAULT_JOB_TIMEOUT:.0f} seconds" in DOC
    assert f"for up to {runner.DEFAULT_RETRY_DEADLINE:.0f} seconds" in DOC
    assert f"`{runner.SCOPES[0]}`" in DOC
    assert f"`{'='.join(settings.TOOL_LABEL)}`" in DOC and f"at most {settings.MAX_LABELS}" in DOC


def test_the_documented_refusal_is_the_codes():
    block = re.search(r"```\n(the BigQuery query would process .*?)```", DOC, re.S)
    assert block is not None
    documented = " ".join(block.group(1).split())
    processed = int(re.search(r"\(([\d,]+) bytes;", documented).group(1).replace(",", ""))
    with pytest.raises(BytesLimitExceeded) as info:
        BigQueryRunner("my-project.analytics_1", endpoint="http://127.0.0.1:1").check_cap(processed)
    assert str(info.value) == documented


def test_roles_and_every_mapped_reason_are_documented():
    for role in ("roles/bigquery.jobUser", "roles/bigquery.dataViewer"):
        assert role in DOC and role in errors.ROLES_HINT
    source = (ROOT / "ga_goals" / "bigquery" / "errors.py").read_text()
    for reason in (
        "accessDenied",
        "billingNotEnabled",
        "notFound",
        "quotaExceeded",
        "rateLimitExceeded",
        "bytesBilledLimitExceeded",
        "resourcesExceeded",
        "invalidQuery",
    ):
        assert f"`{reason}`" in DOC and f'"{reason}"' in source, reason


def test_the_example_runs(tmp_path):
    example = re.search(r"```python\n(.*?)```", DOC, re.S).group(1)
    done = subprocess.run(
        [sys.executable, "-c", example], capture_output=True, text=True, cwd=ROOT, check=True, timeout=120
    )
    assert done.stdout.strip() == "((700,),)"
