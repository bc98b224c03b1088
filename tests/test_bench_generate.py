"""The generate benchmark measures what it says: its synthetic plan has the announced shape, and
the files it times are the real output (built small here; no timing)."""

from __future__ import annotations

import sys
from pathlib import Path

import jsonschema

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import generate_bench  # noqa: E402


def test_the_synthetic_plan_has_the_announced_shape():
    plan = generate_bench.synthetic_plan()
    assert len(plan.event_schemas) == 500
    assert {len(s.parameters) for s in plan.event_schemas.values()} == {25}
    with_items = [s for s in plan.event_schemas.values() if s.parameter("items")]
    assert len(with_items) == 50 and all(len(s.parameter("items").items) == 10 for s in with_items)


def test_a_small_synthetic_plan_file_loads_and_generates_valid_files(tmp_path: Path):
    small = generate_bench.synthetic_plan(events=12, parameters=5)
    path = generate_bench.synthetic_yaml(tmp_path / "small.yaml", small)
    loaded = generate_bench.load_plan(path)
    assert loaded.event_schemas.keys() == small.event_schemas.keys()
    assert {len(s.parameters) for s in loaded.event_schemas.values()} == {5}
    row = generate_bench.measure("small", lambda: loaded)
    assert row["events"] == 12 and row["files"] == 14
    for file in generate_bench.generated_files(loaded):
        if file.path.suffix == ".json":
            jsonschema.Draft202012Validator.check_schema(__import__("json").loads(file.text))
