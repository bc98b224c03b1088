"""Benchmarks of ga-goals. Run everything: `python bench/run.py`; only the funnel benchmark on GA4
export files: `python bench/run.py funnels --sizes 1M,10M,50M` (see bench/funnel_bench.py).

Measures, side by side in one run (machines here are shared and noisy: compare ratios, not
absolute times):

1. API calls: how many Admin API RPCs a no-op `plan` and a first `sync` of configs/shop.yaml
   make (counted by the sandbox server).
2. Read latency hiding: `plan` with 50 ms injected per call, the gateway's parallel reads
   against the same reads done one after another.
3. CLI start-up: wall time of `--help`, `validate` and `schema` (no Google imports) against
   `plan` (which imports the clients and starts a sandbox), as subprocesses.
4. The weekly report of configs/shop.yaml on the sandbox, as a subprocess: on a fresh sandbox
   (which generates its eight weeks of traffic first) and on one that already has its events.
5. Funnel engine: generating shop traffic, and the shop plan's funnels in DuckDB against a plain
   scan of the columns a funnel reads (the floor any engine must pay), on the same data.
6. The funnel benchmark on GA4 export files (bench/funnel_bench.py): 1M, 10M and 50M events as daily
   Parquet files, ga-goals against hand-written SQL and a floor scan, each query in a fresh process.

Writes the figures to bench/RESULTS.md (and prints them); exits 1 when the funnel benchmark finds
ga-goals and the hand-written SQL disagreeing.
"""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "bench"))

from ga_goals.changes import compute_plan  # noqa: E402
from ga_goals.ga4 import AdminGateway, Target  # noqa: E402
from ga_goals.manager import Connection, Manager  # noqa: E402
from ga_goals.plan_file import load_plan  # noqa: E402
from ga_goals.sandbox import SANDBOX_PROPERTY_ID  # noqa: E402
from ga_goals.sandbox.server import SandboxServer  # noqa: E402

SHOP = ROOT / "configs" / "shop.yaml"
PROPERTY = f"properties/{SANDBOX_PROPERTY_ID}"


def api_calls() -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp, SandboxServer(Path(tmp)) as server:
        server.store.ensure_property(SANDBOX_PROPERTY_ID)
        tracking_plan = load_plan(SHOP)
        with Manager(Connection(sandbox_address=server.address)) as manager:
            server.reset_calls()
            plan, report = manager.sync(tracking_plan, apply=True)
            first_sync = dict(server.calls)
            server.reset_calls()
            noop = manager.plan(tracking_plan)
            noop_calls = dict(server.calls)
    return {
        "changes": len(plan.changes),
        "first_sync": first_sync,
        "first_sync_total": sum(first_sync.values()),
        "noop_plan": noop_calls,
        "noop_plan_total": sum(noop_calls.values()),
        "noop_has_changes": noop.has_changes,
        "applied": len(report.results) if report else 0,
    }


def latency_hiding(latency: float = 0.05, rounds: int = 5) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, SandboxServer(Path(tmp), latency=latency) as server:
        server.store.ensure_property(SANDBOX_PROPERTY_ID)
        target = Target(property=PROPERTY, sandbox_address=server.address)
        parallel, serial = [], []
        with AdminGateway(target) as gateway:
            gateway.read_state()  # warm the channel
            for _ in range(rounds):
                start = time.perf_counter()
                gateway.read_state()
                parallel.append(time.perf_counter() - start)
                # The same seven RPCs, one after another.
                start = time.perf_counter()
                beta, alpha = gateway._clients.beta, gateway._clients.alpha
                beta.get_property(name=PROPERTY, timeout=10)
                list(beta.list_key_events(parent=PROPERTY, timeout=10))
                list(beta.list_custom_dimensions(parent=PROPERTY, timeout=10))
                list(beta.list_custom_metrics(parent=PROPERTY, timeout=10))
                streams = list(beta.list_data_streams(parent=PROPERTY, timeout=10))
                for stream in streams:
                    list(alpha.list_event_create_rules(parent=stream.name, timeout=10))
                    alpha.get_enhanced_measurement_settings(name=f"{stream.name}/enhancedMeasurementSettings", timeout=10)
                serial.append(time.perf_counter() - start)
    return {
        "latency_ms": latency * 1000,
        "parallel_median_ms": statistics.median(parallel) * 1000,
        "serial_median_ms": statistics.median(serial) * 1000,
    }


def startup(rounds: int = 5) -> dict[str, float]:
    exe = [sys.executable, "-m", "ga_goals"]
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, GA_GOALS_SANDBOX_DIR=tmp, NO_COLOR="1")
        commands = {
            "--help": exe + ["--help"],
            "validate shop.yaml": exe + ["validate", str(SHOP)],
            "schema": exe + ["schema"],
            "plan shop.yaml (sandbox)": exe + ["plan", str(SHOP)],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(rounds):
            for name, argv in commands.items():  # interleaved, so load hits all alike
                start = time.perf_counter()
                subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, check=True)
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


def funnels(users: int = 20000, weeks: int = 8, rounds: int = 5) -> dict[str, object]:
    from datetime import date, timedelta

    from ga_goals.events import EventStore, generate
    from ga_goals.funnels import run_funnel

    end = date(2026, 11, 22)
    start = end - timedelta(weeks=weeks) + timedelta(days=1)
    tracking_plan = load_plan(SHOP)
    with tempfile.TemporaryDirectory() as tmp:
        store = EventStore(Path(tmp) / "events.duckdb")
        began = time.perf_counter()
        generate(store, start, end, users=users, seed=1)
        generated = time.perf_counter() - began
        events = store.count()
        cursor = store.cursor()
        scan = "SELECT count(DISTINCT user_pseudo_id), max(event_timestamp), count(event_name) FROM events"
        timings: dict[str, list[float]] = {"scan of user, time and name columns": []}
        for name in tracking_plan.funnels:
            timings[f"funnel {name}"] = []
            timings[f"funnel {name} by deviceCategory"] = []
        for _ in range(rounds):  # interleaved, so load hits all alike
            began = time.perf_counter()
            cursor.execute(scan).fetchall()
            timings["scan of user, time and name columns"].append(time.perf_counter() - began)
            for name, funnel in tracking_plan.funnels.items():
                began = time.perf_counter()
                run_funnel(store, funnel, start, end)
                timings[f"funnel {name}"].append(time.perf_counter() - began)
                began = time.perf_counter()
                run_funnel(store, funnel, start, end, breakdown="deviceCategory")
                timings[f"funnel {name} by deviceCategory"].append(time.perf_counter() - began)
        store.close()
    return {
        "users": users,
        "weeks": weeks,
        "events": events,
        "generate_s": generated,
        "ms": {name: statistics.median(values) * 1000 for name, values in timings.items()},
    }


#: What the report said it cost ("20 Data API calls (BatchRunReports x1, ...)"), from its last run.
REPORT_CALLS: list[str] = []


def weekly_report(rounds: int = 3) -> dict[str, float]:
    exe = [sys.executable, "-m", "ga_goals"]
    cold, warm = [], []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, GA_GOALS_SANDBOX_DIR=tmp, GA_GOALS_EVENTS_CACHE="off", NO_COLOR="1")
            subprocess.run(exe + ["sync", str(SHOP), "--apply"], env=env, cwd=ROOT, capture_output=True, check=True)
            report = exe + ["report", str(SHOP), "weekly", "-o", str(Path(tmp) / "out")]
            for times in (cold, warm):  # the first run generates the events, the second reuses them
                began = time.perf_counter()
                done = subprocess.run(report, env=env, cwd=ROOT, capture_output=True, check=True, text=True)
                times.append(time.perf_counter() - began)
                REPORT_CALLS[:] = re.findall(r"\d+ Data API calls \([^)]*\)", done.stdout + done.stderr)[-1:]
    return {"fresh sandbox": statistics.median(cold) * 1000, "events present": statistics.median(warm) * 1000}


USAGE = (
    "Re-run everything with `python bench/run.py` (the sandbox benchmarks below, then the funnel benchmark "
    "on GA4 export files at 1M, 10M and 50M events, which take the longest); only the funnel benchmark with "
    "`python bench/run.py funnels --sizes 1M,10M,50M` (`--rounds N`, default 3; it exits 1 when ga-goals and "
    "the hand-written SQL disagree on any count)."
)


def main(argv: list[str] | None = None) -> int:
    import funnel_bench as export_funnels  # bench/funnel_bench.py

    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "funnels":
        return export_funnels.main(argv[1:])
    if argv:
        raise SystemExit("usage: python bench/run.py [funnels [--sizes 1M,10M,50M] [--rounds N]]")
    calls = api_calls()
    report_ms = weekly_report()
    hiding = latency_hiding()
    start_ms = startup()
    engine = funnels()
    lines = [
        "# Benchmark results",
        "",
        USAGE,
        "",
        f"Run `python bench/run.py` ({datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC) on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.release()}.",
        "",
        "## Admin API calls (counted by the sandbox server), configs/shop.yaml",
        "",
        "| job | RPCs | by method |",
        "|---|---:|---|",
        f"| first `sync --apply` ({calls['changes']} changes) | {calls['first_sync_total']} | "
        + ", ".join(f"{k} {v}" for k, v in sorted(calls["first_sync"].items())) + " |",
        f"| no-op `plan` | {calls['noop_plan_total']} | "
        + ", ".join(f"{k} {v}" for k, v in sorted(calls["noop_plan"].items())) + " |",
        "",
        f"## Reading a property with {hiding['latency_ms']:.0f} ms injected per call (median of 5)",
        "",
        "| reads | ms |",
        "|---|---:|",
        f"| parallel (the gateway) | {hiding['parallel_median_ms']:.0f} |",
        f"| one after another | {hiding['serial_median_ms']:.0f} |",
        f"| ratio serial / parallel | {hiding['serial_median_ms'] / hiding['parallel_median_ms']:.2f} |",
        "",
        "## CLI wall time, subprocess, median of 5 interleaved runs",
        "",
        "| command | ms | vs --help |",
        "|---|---:|---:|",
    ]
    base = start_ms["--help"]
    for name, value in start_ms.items():
        lines.append(f"| `ga-goals {name}` | {value:.0f} | {value / base:.2f} |")
    lines += [
        "",
        "## `ga-goals report configs/shop.yaml weekly` on the sandbox, wall time, median of 3",
        "",
        f"The report's own count: {REPORT_CALLS[0] if REPORT_CALLS else 'not printed'}.",
        "",
        "| sandbox | ms |",
        "|---|---:|",
    ]
    for name, value in report_ms.items():
        lines.append(f"| {name} | {value:.0f} |")
    floor = engine["ms"]["scan of user, time and name columns"]
    lines += [
        "",
        f"## Funnel engine (DuckDB), {engine['users']} generated users over {engine['weeks']} weeks",
        "",
        f"Generated {engine['events']:,} events in {engine['generate_s']:.1f} s "
        f"({engine['events'] / engine['generate_s']:,.0f} events/s). Median of 5 interleaved runs:",
        "",
        "| query | ms | vs scan |",
        "|---|---:|---:|",
    ]
    for name, value in engine["ms"].items():
        lines.append(f"| {name} | {value:.0f} | {value / floor:.1f} |")
    text = "\n".join(lines) + "\n"
    results = ROOT / "bench" / "RESULTS.md"
    old = results.read_text() if results.exists() else ""
    if export_funnels.BEGIN in old and export_funnels.END in old:  # keep the last funnel figures until replaced
        text += "\n" + export_funnels.BEGIN + old.split(export_funnels.BEGIN, 1)[1].split(export_funnels.END, 1)[0]
        text += export_funnels.END + "\n"
    results.write_text(text)
    print(text)
    return export_funnels.main([])


if __name__ == "__main__":
    sys.exit(main())
