"""sync's guard rails: interruption and re-run, lost responses, reviewed plans, destruction, environments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CONFIGS

SHOP = CONFIGS / "shop.yaml"


def _faults(*faults: dict) -> dict[str, str]:
    return {"GA_GOALS_SANDBOX_FAULTS": json.dumps(list(faults))}


def _counts(sandbox_dir: Path) -> dict:
    from ga_goals.sandbox.store import SandboxStore

    return SandboxStore(sandbox_dir).summary("100000001")


def _twice(sandbox_dir: Path) -> list[str]:
    """Resources the property holds more than once, read from the sandbox itself (not through plan)."""
    from ga_goals.sandbox.store import SandboxStore

    state = SandboxStore(sandbox_dir).load("100000001")
    volatile = {"name", "create_time", "update_time", "deletable", "custom", "_seq"}
    seen: dict[str, int] = {}
    kinds = (
        "key_events",
        "custom_dimensions",
        "custom_metrics",
        "event_create_rules",
        "calculated_metrics",
        "channel_groups",
        "audiences",
    )
    for kind in kinds:
        for resource in state.get(kind, []):
            parent = resource["name"].rsplit("/", 2)[0]
            body = {k: v for k, v in resource.items() if k not in volatile}
            key = f"{kind} {parent} {json.dumps(body, sort_keys=True)}"
            seen[key] = seen.get(key, 0) + 1
    return [key for key, count in seen.items() if count > 1]


def _duplicate_first_rule(sandbox_dir: Path) -> str:
    """Put a second, identical copy of the property's first event create rule (as a double click in the GA4 UI would)."""
    from ga_goals.sandbox.admin import AdminBackend
    from ga_goals.sandbox.store import SandboxStore

    rule = SandboxStore(sandbox_dir).load("100000001")["event_create_rules"][0]
    body = {k: v for k, v in rule.items() if k not in ("name",)}
    copy = AdminBackend(SandboxStore(sandbox_dir)).create("event_create_rules", rule["name"].rsplit("/", 2)[0], body)
    return str(copy["name"])


def test_interrupted_sync_reports_exactly_and_rerun_converges(run, sandbox_dir: Path):
    # The third custom metric create is refused for good: the run must stop there.
    cut = _faults({"method": "CreateCustomMetric", "code": "PERMISSION_DENIED", "after": 1, "times": 0})
    first = run("sync", SHOP, "--apply", env=cut)
    assert first.exit_code == 3, first.output
    assert "Stopped:" in first.stderr
    assert "failed:" in first.stderr and "not attempted:" in first.stderr
    assert "✓" in first.stdout  # the changes before the failure were applied and listed
    second = run("sync", SHOP, "--apply")
    assert second.exit_code == 0, second.output
    assert run("plan", SHOP, "--exit-code").exit_code == 0
    # nothing was created twice: in the property itself (plan pairs one copy and leaves the other alone)
    assert _twice(sandbox_dir) == []
    pulled = run("plan", SHOP, "--json")
    assert json.loads(pulled.stdout)["plans"][0]["changes"] == []


@pytest.mark.parametrize(
    "method",
    [
        "CreateKeyEvent",
        "CreateCustomDimension",
        "CreateCustomMetric",
        "CreateEventCreateRule",
        "CreateCalculatedMetric",
        "CreateChannelGroup",
        "CreateAudience",
    ],
)
def test_a_lost_create_response_creates_nothing_twice(run, sandbox_dir: Path, method: str):
    lost = _faults({"method": method, "code": "UNAVAILABLE", "times": 1, "apply_first": True})
    result = run("sync", SHOP, "--apply", env=lost)
    assert result.exit_code == 0, result.output
    assert _twice(sandbox_dir) == []
    assert run("plan", SHOP, "--exit-code").exit_code == 0


def test_an_identical_event_create_rule_is_a_warning_and_drift(run, sandbox_dir: Path):
    assert run("sync", SHOP, "--apply").exit_code == 0
    copy = _duplicate_first_rule(sandbox_dir)
    assert _twice(sandbox_dir)
    plan = run("plan", SHOP, "--exit-code")
    assert plan.exit_code == 2, plan.output
    assert "Warning: the property has 2 identical event create rules" in plan.stdout
    assert copy in plan.stdout and "counts 2 times" in plan.stdout
    notes = json.loads(run("plan", SHOP, "--json").stdout)["plans"][0]["notes"]
    assert [n for n in notes if n.get("drift")] and all(n["level"] == "warning" for n in notes if n.get("drift"))


def test_lost_create_response_is_not_duplicated(run, sandbox_dir: Path):
    lost = _faults({"method": "CreateKeyEvent", "code": "UNAVAILABLE", "times": 1, "apply_first": True})
    result = run("sync", SHOP, "--apply", env=lost)
    assert result.exit_code == 0, result.output
    assert run("plan", SHOP, "--exit-code").exit_code == 0


def test_transient_errors_are_retried(run):
    flaky = _faults({"method": "List*", "code": "UNAVAILABLE", "times": 2})
    result = run("plan", SHOP, env=flaky)
    assert result.exit_code == 0, result.output


def test_reviewed_plan_applies_only_if_unchanged(run, tmp_path: Path):
    reviewed = tmp_path / "reviewed.json"
    assert run("plan", SHOP, "-o", reviewed).exit_code == 0
    assert run("sync", SHOP, "--apply", "--plan-file", reviewed).exit_code == 0
    # the property changed since (everything applied): the old review no longer matches
    stale = run("sync", SHOP, "--apply", "--plan-file", reviewed)
    assert stale.exit_code == 1
    assert "changed since the plan was reviewed" in stale.stderr


def test_reviewed_plan_for_another_property_is_refused(run, tmp_path: Path):
    reviewed = tmp_path / "reviewed.json"
    assert run("plan", SHOP, "--sandbox", "--env", "production", "-o", reviewed).exit_code == 0
    refused = run("sync", SHOP, "--apply", "--plan-file", reviewed)
    assert refused.exit_code == 1
    assert "refusing to apply it to another property" in refused.stderr


def test_checksum_mismatch_is_refused(run):
    result = run("sync", SHOP, "--apply", "--checksum", "0" * 64)
    assert result.exit_code == 1
    assert "changed since the plan was reviewed" in result.stderr


def test_destruction_needs_a_flag_and_stays_under_the_threshold(run, tmp_path: Path):
    assert run("sync", SHOP, "--apply").exit_code == 0
    text = SHOP.read_text()
    smaller = tmp_path / "smaller.yaml"
    # Declare nothing but the property, and ask for unmanaged resources to be removed.
    smaller.write_text("property: sandbox\nsafety:\n  unmanaged: remove\n  max_destroy: 100\n")
    refused = run("sync", smaller, "--apply")
    assert refused.exit_code == 1
    assert "--allow-destroy" in refused.stderr
    # Calculated metrics and channel groups are deleted only under the same guard.
    assert "- delete calculated_metric add_to_cart_rate" in refused.stderr
    assert "- delete channel_group Shop marketing channels" in refused.stderr
    capped = run("sync", smaller, "--apply", "--allow-destroy", "--max-destroy", "1")
    assert capped.exit_code == 1
    assert "--max-destroy" in capped.stderr
    assert run("plan", SHOP, "--exit-code").exit_code == 0  # nothing was touched
    assert text == SHOP.read_text()


def test_all_environments_in_one_run(run):
    result = run("sync", SHOP, "--sandbox", "--all-envs", "--apply")
    assert result.exit_code == 0, result.output
    assert "[1/2]" in result.stderr and "[2/2]" in result.stderr
    assert run("plan", SHOP, "--sandbox", "--all-envs", "--exit-code").exit_code == 0


def test_unknown_environment_is_a_clear_error(run):
    result = run("plan", SHOP, "--env", "prod")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "production" in result.stderr


def test_sigterm_mid_sync_reports_what_was_applied(sandbox_dir: Path):
    """cron or CI killing a slow sync: the run says what was applied; the next run finishes."""
    import os
    import signal
    import subprocess
    import sys

    env = dict(os.environ, GA_GOALS_SANDBOX_DIR=str(sandbox_dir), GA_GOALS_SANDBOX_LATENCY="0.2", NO_COLOR="1")
    command = [sys.executable, "-m", "ga_goals", "sync", str(SHOP), "--apply"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    applied_lines = 0
    for line in process.stdout:
        if line.startswith("✓"):
            applied_lines += 1
            if applied_lines == 3:
                process.send_signal(signal.SIGTERM)
                break
    rest, stderr = process.communicate(timeout=60)
    applied_lines += sum(1 for line in rest.splitlines() if line.startswith("✓"))
    assert process.returncode == 3, stderr
    assert f"Interrupted: {applied_lines} changes applied" in stderr
    assert "Run the same sync again" in stderr
    finish = subprocess.run(command, env=dict(env, GA_GOALS_SANDBOX_LATENCY="0"), capture_output=True, text=True)
    assert finish.returncode == 0, finish.stderr
    again = subprocess.run(command[:3] + ["plan", str(SHOP), "--exit-code"], env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stdout


def test_sync_json_for_scripts(run):
    result = run("sync", SHOP, "--apply", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    [sync] = document["syncs"]
    assert sync["plan"]["property"] == "properties/100000001"
    assert sync["applied"]["complete"] is True
    assert sync["applied"]["counts"]["applied"] == len(sync["plan"]["changes"])
    again = json.loads(run("sync", SHOP, "--apply", "--json").stdout)
    assert again["syncs"][0]["plan"]["changes"] == [] and again["syncs"][0]["applied"] is None


def test_sync_json_reports_a_partial_apply(run):
    cut = _faults({"method": "CreateCustomMetric", "code": "PERMISSION_DENIED", "after": 1, "times": 0})
    result = run("sync", SHOP, "--apply", "--json", env=cut)
    assert result.exit_code == 3
    applied = json.loads(result.stdout)["syncs"][0]["applied"]
    assert applied["complete"] is False
    assert applied["counts"]["failed"] == 1 and applied["counts"]["not_attempted"] > 0


def test_bad_sandbox_test_hooks_are_clear_errors(run):
    latency = run("plan", SHOP, env={"GA_GOALS_SANDBOX_LATENCY": "abc"})
    assert latency.exit_code == 1 and "GA_GOALS_SANDBOX_LATENCY='abc'" in latency.stderr
    faults = run("plan", SHOP, env={"GA_GOALS_SANDBOX_FAULTS": '[{"method": "X", "tims": 2}]'})
    assert faults.exit_code == 1 and "GA_GOALS_SANDBOX_FAULTS" in faults.stderr and "tims" in faults.stderr
    assert "Traceback" not in latency.output + faults.output


def _is_create(method: str) -> bool:
    return method.rsplit("/", 1)[-1].startswith("Create")


def _is_write(method: str) -> bool:
    return method.rsplit("/", 1)[-1].startswith(("Create", "Update", "Archive", "Delete"))


def test_sigterm_while_the_first_write_is_in_flight_exits_partial(server, sandbox_dir: Path):
    """The first write landed but its answer had not come back when SIGTERM arrived: the
    property may have changed, so the exit is PARTIAL (3), never INTERRUPTED (130)."""
    import os
    import signal
    import subprocess
    import sys
    import threading

    from ga_goals.errors import ExitCode
    from tests.cli.grpc_proxy import GrpcProxy

    server.store.ensure_property("100000001")  # the shop plan's `property: sandbox`
    held, release = threading.Event(), threading.Event()

    def hold_first_create(method: str, request: bytes, forward):
        response = forward(request)  # the first write lands in the sandbox...
        if _is_write(method) and not held.is_set():
            held.set()
            release.wait(60)  # ...and its answer is held until the test lets go
        return response

    with GrpcProxy(server.address, hold_first_create) as proxy:
        env = dict(os.environ, GA_GOALS_SANDBOX_DIR=str(sandbox_dir), NO_COLOR="1")
        command = [sys.executable, "-m", "ga_goals", "sync", str(SHOP), "--apply", "--sandbox-address", proxy.address]
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            while not held.wait(0.1):
                assert process.poll() is None, process.communicate()
            process.send_signal(signal.SIGTERM)
            stdout, stderr = process.communicate(timeout=120)
        finally:
            release.set()
            if process.poll() is None:
                process.kill()
    assert process.returncode == ExitCode.PARTIAL, stderr
    assert "Interrupted: 0 changes applied" in stderr
    assert "in flight: " in stderr and "may have been applied" in stderr
    # the write had landed; the next run finds it and does only what is left, without duplicates
    finish = subprocess.run(command[:-2] + ["--sandbox-address", server.address], env=env, capture_output=True, text=True)
    assert finish.returncode == 0, finish.stderr
    plan = subprocess.run(
        [sys.executable, "-m", "ga_goals", "plan", str(SHOP), "--exit-code", "--sandbox-address", server.address],
        env=env, capture_output=True, text=True,
    )
    assert plan.returncode == ExitCode.OK, plan.stdout


def test_a_create_raced_by_another_writer_is_worded_as_such(server, run):
    """Another writer creates the same resource, with the same values, just before this run's
    create: the text says so (it said 'an earlier, interrupted attempt', which never happened)."""
    from tests.cli.grpc_proxy import GrpcProxy

    server.store.ensure_property("100000001")  # the shop plan's `property: sandbox`
    raced: list[str] = []

    def other_writer_first(method: str, request: bytes, forward):
        if _is_create(method) and "KeyEvent" in method and not raced:
            raced.append(method)
            forward(request)  # the other writer's create lands first
        return forward(request)  # then this run's: ALREADY_EXISTS

    with GrpcProxy(server.address, other_writer_first) as proxy:
        result = run("sync", SHOP, "--apply", "--sandbox-address", proxy.address)
    assert raced
    assert result.exit_code == 0, result.output
    line = next(line for line in result.stdout.splitlines() if "key_event" in line and "already" in line)
    assert "created outside this run, with the same values" in line
    assert "interrupted" not in result.stdout
