"""Generated files are deterministic, and the writer owns only its own files in the folder."""

from __future__ import annotations

import json
import os
import random
from dataclasses import replace
from pathlib import Path, PurePosixPath

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ga_goals.instrumentation import GenerateError, compare, generated_files, write
from ga_goals.instrumentation.files import MARK
from ga_goals.model.event_schemas import PARAMETER_TYPES, EventSchema, ParameterSpec
from ga_goals.model.tracking_plan import TrackingPlan
from tests.instrumentation.plans import shop_plan, shop_schemas

NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)


@st.composite
def parameter(draw, *, in_items: bool = False) -> ParameterSpec:
    kind = draw(st.sampled_from([t for t in PARAMETER_TYPES if not (in_items and t == "items")]))
    spec = ParameterSpec(draw(NAMES), kind, required=draw(st.booleans()), description=draw(st.text(max_size=20)))
    if kind == "string" and draw(st.booleans()):
        spec = replace(spec, values=tuple(draw(st.lists(st.text(max_size=6), min_size=1, max_size=4, unique=True))))
    elif kind == "integer" and draw(st.booleans()):
        spec = replace(spec, values=tuple(draw(st.lists(st.integers(-5, 50), min_size=1, max_size=4, unique=True))))
    elif kind == "string" and draw(st.booleans()):
        spec = replace(spec, pattern=draw(st.sampled_from(["[A-Z]{3}", "a|b", "x*/y", "[0-9]+"])))
    if kind == "items":
        items = draw(st.lists(parameter(in_items=True), max_size=4, unique_by=lambda p: p.name))
        spec = replace(spec, items=tuple(items))
    return spec


@st.composite
def plans(draw) -> TrackingPlan:
    schemas = []
    for name in draw(st.lists(st.from_regex(r"[A-Za-zé][A-Za-z0-9_é]{0,15}", fullmatch=True), max_size=6, unique_by=str.casefold)):
        parameters = draw(st.lists(parameter(), max_size=6, unique_by=lambda p: p.name))
        schemas.append(EventSchema(name, tuple(parameters), description=draw(st.text(max_size=30)), closed=draw(st.booleans())))
    return TrackingPlan(source="configs/x.yaml", property="sandbox", event_schemas={s.event_name: s for s in schemas})


def as_bytes(plan: TrackingPlan, send: str = "gtag") -> dict[str, bytes]:
    return {str(f.path): f.data for f in generated_files(plan, send=send)}  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans(), st.randoms(), st.sampled_from(["gtag", "datalayer", "ecommerce"]))
def test_the_same_plan_gives_the_same_bytes_whatever_the_order_and_path(plan: TrackingPlan, rng, send: str):
    first = as_bytes(plan, send)
    assert as_bytes(plan, send) == first  # twice
    shuffled = list(plan.event_schemas.items())
    rng.shuffle(shuffled)
    assert as_bytes(replace(plan, event_schemas=dict(shuffled), source="/elsewhere/x.yaml"), send) == first
    assert sorted(first) == list(first)  # files sorted by path
    for path, data in first.items():
        text = data.decode("utf-8")
        assert MARK in text[:300] and text.endswith("\n") and "\r" not in text
        if path.endswith(".json"):
            jsonschema.Draft202012Validator.check_schema(json.loads(text))
    assert len(first) == 2 + len(plan.event_schemas)


def test_generating_twice_into_a_folder_writes_the_same_bytes(tmp_path: Path):
    write(generated_files(shop_plan()), tmp_path / "a")
    write(generated_files(shop_plan()), tmp_path / "b")
    a = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in (tmp_path / "a").rglob("*") if p.is_file()}
    b = {p.relative_to(tmp_path / "b"): p.read_bytes() for p in (tmp_path / "b").rglob("*") if p.is_file()}
    assert a == b and len(a) == 8


def test_the_layout():
    paths = [str(f.path) for f in generated_files(shop_plan())]
    assert paths == [
        "ga4-events.ts",
        "measurement-protocol.schema.json",
        *[f"schemas/{name}.schema.json" for name in sorted(shop_schemas())],
    ]


def test_automatic_events_get_a_schema_but_no_function():
    page_view = EventSchema("page_view", (ParameterSpec("page_type"),), automatic=True)
    plan = TrackingPlan(source="x.yaml", property="sandbox", event_schemas={"page_view": page_view})
    files = {str(f.path): f.text for f in generated_files(plan)}
    assert "schemas/page_view.schema.json" in files
    assert "page_view" not in files["ga4-events.ts"] and "page_view" not in files["measurement-protocol.schema.json"]


def test_what_the_output_cannot_hold_is_a_located_error():
    clash = {n: EventSchema(n, ()) for n in ("Sign_Up", "sign_up")}
    with pytest.raises(GenerateError, match=r"events 'Sign_Up' and 'sign_up' differ only in case"):
        generated_files(TrackingPlan(source="x.yaml", property="sandbox", event_schemas=clash))
    event = {"x": EventSchema("x", (ParameterSpec("event"),))}
    plan = TrackingPlan(source="x.yaml", property="sandbox", event_schemas=event)
    generated_files(plan, send="gtag")
    with pytest.raises(GenerateError, match=r"^x.yaml: event 'x' has a parameter called 'event', which --send datalayer"):
        generated_files(plan, send="datalayer")


def test_compare_and_write_own_only_generated_files(tmp_path: Path):
    out = tmp_path / "out"
    files = generated_files(shop_plan())
    before = compare(files, out)
    assert before.missing == [f.path for f in files] and not before.up_to_date
    assert not out.exists()  # compare writes nothing

    write(files, out)
    (out / "schemas" / "mine.schema.json").write_text('{"title": "the user\'s own"}')  # not generated
    (out / "notes.ts").write_text("// mine\n")
    deep = out / "vendor" / "copy"  # a generated file elsewhere in the tree is not the writer's
    write(files, deep)
    assert compare(files, out).up_to_date

    # the plan changes: one event fewer, one changed
    schemas = shop_schemas()
    del schemas["search"]
    schemas["view_cart"] = replace(schemas["view_cart"], description="Cart opened")
    changed = generated_files(replace(shop_plan(), event_schemas=schemas))
    (out / "measurement-protocol.schema.json").unlink()
    untouched = out / "schemas" / "purchase.schema.json"
    os.utime(untouched, (1_000_000_000, 1_000_000_000))
    differences = compare(changed, out)
    assert differences.lines() == [
        "changed: ga4-events.ts",
        "missing: measurement-protocol.schema.json",
        "extra: schemas/search.schema.json",
        "changed: schemas/view_cart.schema.json",
    ]
    done = write(changed, out)
    assert done.extra == [PurePosixPath("schemas/search.schema.json")]
    assert not (out / "schemas" / "search.schema.json").exists()
    assert (out / "schemas" / "mine.schema.json").exists() and (out / "notes.ts").read_text() == "// mine\n"
    assert untouched.stat().st_mtime == 1_000_000_000  # unchanged files are not rewritten
    assert compare(changed, out).up_to_date
    assert not [p for p in out.rglob("*.tmp")]
    assert compare(files, deep).up_to_date


def test_a_hand_edited_file_is_changed_back(tmp_path: Path):
    files = generated_files(shop_plan())
    write(files, tmp_path)
    module = tmp_path / "ga4-events.ts"
    module.write_text(module.read_text().replace("trackPurchase", "trackOrder"))
    assert compare(files, tmp_path).lines() == ["changed: ga4-events.ts"]
    write(files, tmp_path)
    assert compare(files, tmp_path).up_to_date


def test_shuffled_parameters_give_the_same_files():
    schemas = shop_schemas()
    rng = random.Random(7)
    shuffled = {}
    for name, schema in schemas.items():
        parameters = list(schema.parameters)
        rng.shuffle(parameters)
        shuffled[name] = replace(schema, parameters=tuple(parameters))
    assert as_bytes(replace(shop_plan(), event_schemas=shuffled)) == as_bytes(shop_plan())


def test_configs_shop_yaml(tmp_path: Path):
    from ga_goals.plan_file import load_plan
    from tests.conftest import CONFIGS

    plan = load_plan(CONFIGS / "shop.yaml")
    files = {str(f.path): f.text for f in generated_files(plan)}
    assert files == {str(f.path): f.text for f in generated_files(load_plan(CONFIGS / "shop.yaml"))}
    assert len(files) == 2 + len(plan.event_schemas)
    module = files["ga4-events.ts"]
    for name, schema in plan.event_schemas.items():
        document = json.loads(files[f"schemas/{name}.schema.json"])
        jsonschema.Draft202012Validator.check_schema(document)
        assert set(document["required"]) == {p.name for p in schema.required}
        assert (f'send("{name}"' in module or f'sendEcommerce("{name}"' in module) is (not schema.automatic)
    purchase = json.loads(files["schemas/purchase.schema.json"])
    assert {"currency", "value", "transaction_id", "items"} <= set(purchase["required"])
    assert purchase["properties"]["items"]["items"]["required"] == ["item_id"]
    rating = json.loads(files["schemas/write_review.schema.json"])["properties"]["rating"]
    assert rating == {**rating, "type": "integer", "enum": [1, 2, 3, 4, 5]}
    # the e-commerce events share one item type
    assert module.count("Item {") == 1 and "export type PurchaseItem = AddPaymentInfoItem;" in module
