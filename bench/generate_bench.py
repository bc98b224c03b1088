"""Benchmark of `ga-goals generate`: `python bench/generate_bench.py` (writes bench/GENERATE.md).

Measures, on configs/shop.yaml and on a synthetic plan of 500 events with 25 parameters each
(every tenth event with an `items` parameter of 10 item parameters; allowed values, patterns and
descriptions on some; written as a plan file), the median of 5 runs (3 for the slow ones) of:

1. loading the plan (the loader, with its offline checks);
2. generating the files in memory (``generated_files``);
3. writing them into an empty folder, and again into the same folder (nothing changes);
4. ``--check`` on the up-to-date folder (``compare``);
5. compiling the generated TypeScript module with the pinned tsc, strict settings (when
   tests/typescript/node_modules is installed: ``npm ci --prefix tests/typescript``);
6. the whole command as a subprocess, ``ga-goals generate PLAN`` (wall time, start-up included).

Machines here are shared and noisy: the figures are medians, compare ratios more than absolute times.
"""

from __future__ import annotations

import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ga_goals.instrumentation import compare, generated_files, write  # noqa: E402
from ga_goals.model.event_schemas import EventSchema, ParameterSpec  # noqa: E402
from ga_goals.model.tracking_plan import TrackingPlan  # noqa: E402
from ga_goals.plan_file import load_plan  # noqa: E402

SHOP = ROOT / "configs" / "shop.yaml"
RESULTS = ROOT / "bench" / "GENERATE.md"
TSC = ROOT / "tests" / "typescript" / "node_modules" / ".bin" / "tsc"
ROUNDS = 5
TYPES = ("string", "integer", "number", "boolean")


def synthetic_plan(events: int = 500, parameters: int = 25, item_parameters: int = 10) -> TrackingPlan:
    """A plan of ``events`` events of ``parameters`` parameters each (deterministic)."""
    schemas = {}
    for e in range(events):
        specs = []
        for p in range(parameters - 1):
            kind = TYPES[(e + p) % len(TYPES)]
            spec = ParameterSpec(f"param_{p:02d}", kind, required=p % 3 == 0, description=f"Parameter {p} of event {e}")
            if kind == "string" and p % 4 == 0:
                spec = ParameterSpec(spec.name, kind, spec.required, values=("alpha", "beta", "gamma"), description=spec.description)
            elif kind == "string" and p % 4 == 2:
                spec = ParameterSpec(spec.name, kind, spec.required, pattern="[A-Z]{3}-[0-9]+", description=spec.description)
            specs.append(spec)
        if e % 10 == 0:
            items = tuple(ParameterSpec(f"item_param_{i}", TYPES[i % len(TYPES)], required=i == 0) for i in range(item_parameters))
            specs.append(ParameterSpec("items", "items", required=True, items=items))
        else:
            specs.append(ParameterSpec("label", description="The last one"))
        schemas[f"event_{e:03d}"] = EventSchema(f"event_{e:03d}", tuple(specs), description=f"Synthetic event {e}")
    return TrackingPlan(source="synthetic.yaml", property="sandbox", event_schemas=schemas)


def synthetic_yaml(path: Path, plan: TrackingPlan) -> Path:
    """``plan`` written as a plan file (the format of docs/plan-file.md), for timing the loader."""
    import yaml

    events = {}
    for name, schema in plan.event_schemas.items():
        parameters: dict[str, dict[str, object]] = {}
        for p in schema.parameters:
            spec: dict[str, object] = {"type": p.type, "required": p.required}
            if p.description:
                spec["description"] = p.description
            if p.values:
                spec["values"] = list(p.values)
            if p.pattern:
                spec["pattern"] = p.pattern
            if p.items:
                spec["item_parameters"] = {i.name: {"type": i.type, "required": i.required} for i in p.items}
            parameters[p.name] = spec
        events[name] = {"stage": "home", "description": schema.description, "parameters": parameters}
    path.write_text(yaml.safe_dump({"property": "sandbox", "events": events}, sort_keys=False))
    return path


def median_ms(job: Callable[[], object], rounds: int = ROUNDS) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        job()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def tsc_ms(module: Path) -> float | None:
    if not TSC.exists():
        return None
    folder = module.parent
    options = {"strict": True, "target": "es2020", "module": "es2020", "lib": ["es2020", "dom"], "noEmit": True,
               "exactOptionalPropertyTypes": True, "noUncheckedIndexedAccess": True, "noUnusedLocals": True}
    (folder / "tsconfig.json").write_text(json.dumps({"compilerOptions": options, "files": [module.name]}))

    def compile_once() -> None:
        done = subprocess.run([str(TSC), "-p", str(folder / "tsconfig.json")], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout

    return median_ms(compile_once, 3)


def measure(name: str, plan_of: Callable[[], TrackingPlan]) -> dict[str, object]:
    plan = plan_of()
    files = generated_files(plan)
    row: dict[str, object] = {
        "plan": name,
        "events": len(plan.event_schemas),
        "parameters": sum(len(s.parameters) + sum(len(p.items) for p in s.parameters) for s in plan.event_schemas.values()),
        "files": len(files),
        "bytes": sum(len(f.data) for f in files),
        "ts_bytes": len(next(f.data for f in files if f.path.suffix == ".ts")),
    }
    row["load_ms"] = median_ms(plan_of, 3)
    row["generate_ms"] = median_ms(lambda: generated_files(plan))
    with tempfile.TemporaryDirectory() as tmp:
        folders = iter(range(ROUNDS))
        row["write_ms"] = median_ms(lambda: write(files, Path(tmp) / f"fresh-{next(folders)}"))
        target = Path(tmp) / "fresh-0"
        row["rewrite_ms"] = median_ms(lambda: write(files, target))
        row["check_ms"] = median_ms(lambda: compare(files, target))
        assert compare(files, target).up_to_date
        row["tsc_ms"] = tsc_ms(target / "ga4-events.ts")
    return row


def cli_ms(plan_file: Path, rounds: int = ROUNDS) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "ga_goals", "generate", str(plan_file), "--out", tmp]

        def run() -> None:
            subprocess.run(command, check=True, capture_output=True)

        return median_ms(run, rounds)


def fmt(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        synthetic = synthetic_yaml(Path(tmp) / "synthetic.yaml", synthetic_plan())
        rows = [measure("shop.yaml", lambda: load_plan(SHOP)), measure("synthetic (500 x 25)", lambda: load_plan(synthetic))]
        commands = [("configs/shop.yaml", cli_ms(SHOP)), ("synthetic.yaml (500 x 25)", cli_ms(synthetic, 3))]
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cores = len(__import__("os").sched_getaffinity(0))
    columns = [
        ("events", "events"), ("parameters", "parameters (items' included)"), ("files", "files"), ("bytes", "bytes"),
        ("ts_bytes", "ga4-events.ts bytes"), ("load_ms", "load plan, ms"), ("generate_ms", "generate, ms"),
        ("write_ms", "write (empty folder), ms"), ("rewrite_ms", "write again (no change), ms"),
        ("check_ms", "--check, ms"), ("tsc_ms", "tsc strict, ms"),
    ]
    lines = [
        "# `ga-goals generate` benchmark",
        "",
        "Re-run with `python bench/generate_bench.py` (about a minute; it writes this file). Medians of "
        f"{ROUNDS} runs (loading a plan and tsc: 3), in-process except the last table; the synthetic plan is 500 events "
        "x 25 parameters, every tenth with an `items` parameter of 10 item parameters, written as a plan file and "
        "loaded like any other. The machine is shared: compare ratios more than absolute times.",
        "",
        f"Run {when} on {platform.machine()}, {cores} cores, Python {platform.python_version()}, {platform.system()} {platform.release()}.",
        "",
        "| | " + " | ".join(r["plan"] for r in rows) + " |",  # type: ignore[misc]
        "|---|" + "---:|" * len(rows),
    ]
    for key, label in columns:
        lines.append(f"| {label} | " + " | ".join(fmt(r.get(key)) for r in rows) + " |")
    lines += ["", "| `ga-goals generate PLAN --out DIR` (subprocess, start-up included) | ms |", "|---|---:|"]
    lines += [f"| {name} | {fmt(ms)} |" for name, ms in commands] + [""]
    text = "\n".join(lines)
    RESULTS.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
