"""The grpc-free parts: the state store and fault definitions."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest

from ga_goals.sandbox import SANDBOX_PROPERTY_ID, default_state_dir
from ga_goals.sandbox.admin import AdminBackend, SandboxError
from ga_goals.sandbox.faults import Fault, FaultSet, faults_from_json
from ga_goals.sandbox.store import SandboxStore, measurement_id


def test_importing_the_sandbox_is_cheap():
    code = (
        "import sys, ga_goals.sandbox, ga_goals.sandbox.store, ga_goals.sandbox.faults, ga_goals.sandbox.admin\n"
        "bad = sorted(m for m in sys.modules if m == 'grpc' or m.startswith(('grpc.', 'google')))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_default_state_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("GA_GOALS_SANDBOX_DIR", str(tmp_path / "x"))
    assert default_state_dir() == tmp_path / "x"
    monkeypatch.delenv("GA_GOALS_SANDBOX_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_state_dir() == tmp_path / "ga-goals" / "sandbox"


# -- store ------------------------------------------------------------------------------------------


def test_ensure_property_seeds_once(tmp_path):
    store = SandboxStore(tmp_path)
    assert store.properties() == []
    store.ensure_property(SANDBOX_PROPERTY_ID, service_level="360", currency_code="EUR")
    state = store.load(SANDBOX_PROPERTY_ID)
    assert state["property"]["service_level"] == "GOOGLE_ANALYTICS_360"
    assert state["property"]["currency_code"] == "EUR"
    assert [s["display_name"] for s in state["data_streams"]] == ["Web"]
    assert state["data_streams"][0]["web_stream_data"]["default_uri"] == "https://shop.example.com"
    (purchase,) = state["key_events"]
    assert (purchase["event_name"], purchase["custom"], purchase["deletable"]) == ("purchase", False, False)
    store.ensure_property(SANDBOX_PROPERTY_ID, display_name="Other")  # existing: untouched
    assert store.load(SANDBOX_PROPERTY_ID) == state
    assert store.properties() == [SANDBOX_PROPERTY_ID]
    files = sorted(p.name for p in (tmp_path / "properties").iterdir())
    assert files == [f"{SANDBOX_PROPERTY_ID}.json", f"{SANDBOX_PROPERTY_ID}.lock"]  # no temp files left


def test_two_store_objects_see_each_other(tmp_path):
    one, two = SandboxStore(tmp_path), SandboxStore(tmp_path)
    one.ensure_property("5")
    assert two.properties() == ["5"]
    name = two.add_data_stream("5", type="ios", display_name="iPhone")
    assert [s["name"] for s in one.load("5")["data_streams"]][-1] == name
    assert one.load("5")["data_streams"][-1]["ios_app_stream_data"]["bundle_id"] == "com.example.shop"


def test_threads_on_two_stores_do_not_lose_writes(tmp_path):
    SandboxStore(tmp_path).ensure_property("5")
    backends = [AdminBackend(SandboxStore(tmp_path)) for _ in range(2)]

    def work(n):
        for i in range(12):
            backends[n % 2].create(
                "custom_metrics",
                "properties/5",
                {"parameter_name": f"m{n}_{i}", "display_name": "M", "measurement_unit": "STANDARD", "scope": "EVENT"},
            )

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    names = [m["name"] for m in SandboxStore(tmp_path).load("5")["custom_metrics"]]
    assert len(names) == len(set(names)) == 48


def test_reset_reseeds_and_keeps_settings(tmp_path):
    store = SandboxStore(tmp_path)
    store.ensure_property("5", service_level="360", display_name="Big")
    store.ensure_property("6")
    backend = AdminBackend(store)
    backend.create("key_events", "properties/5", {"event_name": "lead", "counting_method": "ONCE_PER_EVENT"})
    store.add_data_stream("6", type="android")
    assert store.reset() == ["5", "6"]
    five = store.load("5")
    assert five["property"]["display_name"] == "Big"
    assert five["property"]["service_level"] == "GOOGLE_ANALYTICS_360"
    assert [k["event_name"] for k in five["key_events"]] == ["purchase"]
    assert len(store.load("6")["data_streams"]) == 1
    assert store.reset("9") == ["9"]  # a new one is created
    assert store.properties() == ["5", "6", "9"]
    assert store.delete_property("9") and not store.delete_property("9")


def test_update_property_changes_tier(tmp_path):
    store = SandboxStore(tmp_path)
    store.ensure_property("5")
    store.update_property("5", service_level="360", time_zone="Europe/Berlin")
    assert store.load("5")["property"]["service_level"] == "GOOGLE_ANALYTICS_360"
    with pytest.raises(ValueError, match="unknown property setting"):
        store.update_property("5", colour="red")
    with pytest.raises(KeyError):
        store.update_property("6", display_name="x")


@pytest.mark.parametrize("bad", ["0", "abc", "-1", "12/3"])
def test_bad_property_ids(tmp_path, bad):
    with pytest.raises(ValueError, match="property id"):
        SandboxStore(tmp_path).ensure_property(bad)


def test_bad_store_arguments(tmp_path):
    store = SandboxStore(tmp_path)
    with pytest.raises(ValueError, match="service level"):
        store.ensure_property("5", service_level="gold")
    store.ensure_property("5")
    with pytest.raises(ValueError, match="data stream type"):
        store.add_data_stream("5", type="tv")


def test_failed_request_leaves_state_untouched(tmp_path):
    store = SandboxStore(tmp_path)
    store.ensure_property("5")
    before = (tmp_path / "properties" / "5.json").read_text()
    with pytest.raises(SandboxError) as caught:
        AdminBackend(store).create("key_events", "properties/5", {"event_name": "bad name"})
    assert caught.value.code == "INVALID_ARGUMENT"
    assert (tmp_path / "properties" / "5.json").read_text() == before
    json.loads(before)


def test_measurement_ids_are_stable():
    assert measurement_id("1", "2") == measurement_id("1", "2") != measurement_id("1", "3")
    assert len(measurement_id("1", "2")) == 12


# -- faults -----------------------------------------------------------------------------------------


def test_faults_from_json():
    faults = faults_from_json(
        '[{"method": "CreateKeyEvent", "code": "unavailable", "times": 2},'
        ' {"method": "*", "code": "OK", "latency": 0.5, "times": 0, "after": 1, "apply_first": false}]'
    )
    assert faults == [
        Fault("CreateKeyEvent", code="UNAVAILABLE", times=2),
        Fault("*", code="OK", latency=0.5, times=0, after=1),
    ]
    assert faults_from_json('{"method": "GetProperty"}') == [Fault("GetProperty")]
    assert faults_from_json("[]") == []


@pytest.mark.parametrize(
    "text,message",
    [
        ("[", "invalid JSON"),
        ('"x"', "expected a JSON list"),
        ("[1]", "faults[0]: expected an object"),
        ('[{"code": "UNAVAILABLE"}]', "faults[0]: 'method' is required"),
        ('[{"method": "x"}, {"method": "y", "tims": 1}]', "faults[1]: unknown key(s) tims"),
        ('[{"method": "x", "code": "BROKEN"}]', "not a gRPC status code"),
        ('[{"method": "x", "times": -1}]', "times must be an integer >= 0"),
        ('[{"method": "x", "after": 1.5}]', "after must be an integer >= 0"),
        ('[{"method": "x", "latency": "slow"}]', "latency must be a number"),
        ('[{"method": "x", "apply_first": "yes"}]', "apply_first must be true or false"),
        ('[{"method": ""}]', "method must be a non-empty string"),
    ],
)
def test_faults_from_json_errors(text, message):
    with pytest.raises(ValueError) as caught:
        faults_from_json(text)
    assert message in str(caught.value)


def test_fault_set_counts():
    faults = FaultSet([Fault("Get*", times=2, after=1, latency=0.1), Fault("*", code="OK", latency=0.2, times=0)])
    results = [faults.trigger("GetKeyEvent", "v1beta.GetKeyEvent") for _ in range(4)]
    assert [f.code if f else None for _, f in results] == [None, "UNAVAILABLE", "UNAVAILABLE", None]
    assert [round(latency, 3) for latency, _ in results] == [0.2, 0.3, 0.3, 0.2]
    assert faults.trigger("ListKeyEvents", "v1beta.ListKeyEvents") == (0.2, None)
    assert len(faults.active) == 1
