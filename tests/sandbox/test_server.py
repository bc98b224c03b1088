"""Faults, latency, the write quota, the call counter, concurrency and serving in the foreground."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from google.api_core import exceptions as ex
from google.api_core import retry as retries

from ga_goals.sandbox.faults import Fault
from ga_goals.sandbox.serve import serve
from ga_goals.sandbox.server import SandboxServer

from .conftest import P, PARENT, PARENT360, beta_client

SIGN_UP = {"event_name": "sign_up", "counting_method": "ONCE_PER_EVENT"}
FAST_RETRY = retries.Retry(
    initial=0.01, maximum=0.05, multiplier=2, timeout=5, predicate=retries.if_exception_type(ex.ServiceUnavailable)
)


def dim(i):
    return {"parameter_name": f"p{i}", "display_name": f"P {i}", "scope": "EVENT"}


# -- faults ---------------------------------------------------------------------------------------


def test_unavailable_twice_then_success_with_retry(sandbox, beta):
    sandbox.inject(Fault("CreateKeyEvent", code="UNAVAILABLE", times=2))
    created = beta.create_key_event(parent=PARENT, key_event=SIGN_UP, retry=FAST_RETRY)
    assert created.event_name == "sign_up"
    assert sandbox.calls["v1beta.CreateKeyEvent"] == 3
    assert sandbox.faults == []  # spent


def test_fault_without_retry_fails_once(sandbox, beta):
    sandbox.inject(Fault("ListKeyEvents", code="DEADLINE_EXCEEDED", message="slow backend"))
    with pytest.raises(ex.DeadlineExceeded, match="slow backend"):
        list(beta.list_key_events(parent=PARENT))
    assert len(list(beta.list_key_events(parent=PARENT))) == 1


def test_apply_first_loses_the_response(sandbox, beta):
    sandbox.inject(Fault("CreateKeyEvent", apply_first=True))
    with pytest.raises(ex.ServiceUnavailable, match="the request was applied"):
        beta.create_key_event(parent=PARENT, key_event=SIGN_UP)
    assert [k.event_name for k in beta.list_key_events(parent=PARENT)] == ["purchase", "sign_up"]
    with pytest.raises(ex.AlreadyExists):  # a naive retry finds its own write
        beta.create_key_event(parent=PARENT, key_event=SIGN_UP)


def test_apply_first_with_a_failing_request_returns_the_request_error(sandbox, beta):
    sandbox.inject(Fault("CreateKeyEvent", apply_first=True))
    with pytest.raises(ex.InvalidArgument):
        beta.create_key_event(parent=PARENT, key_event={"event_name": "x y", "counting_method": 1})


def test_quota_fault_looks_like_the_quota(sandbox, beta):
    sandbox.inject(Fault("CreateKeyEvent", code="RESOURCE_EXHAUSTED"))
    with pytest.raises(ex.ResourceExhausted, match="rateLimitExceeded") as caught:
        beta.create_key_event(parent=PARENT, key_event=SIGN_UP)
    assert caught.value.reason == "rateLimitExceeded"


def test_after_lets_calls_through_first(sandbox, beta):
    sandbox.inject(Fault("GetProperty", after=2, code="INTERNAL"))
    beta.get_property(name=PARENT)
    beta.get_property(name=PARENT)
    with pytest.raises(ex.InternalServerError):
        beta.get_property(name=PARENT)
    beta.get_property(name=PARENT)


def test_forever_glob_and_clear(sandbox, beta, alpha):
    sandbox.inject(Fault("Create*", code="PERMISSION_DENIED", times=0))
    for _ in range(3):
        with pytest.raises(ex.PermissionDenied):
            beta.create_custom_dimension(parent=PARENT, custom_dimension=dim(1))
    beta.list_custom_dimensions(parent=PARENT)  # reads are untouched
    sandbox.clear_faults()
    beta.create_custom_dimension(parent=PARENT, custom_dimension=dim(1))


def test_versioned_glob(sandbox, beta, alpha):
    sandbox.inject(Fault("v1alpha.*", code="UNAVAILABLE", times=0))
    beta.get_property(name=PARENT)
    with pytest.raises(ex.ServiceUnavailable):
        alpha.get_property(name=PARENT)


def test_fault_latency_and_deadline(sandbox, beta):
    """No stopwatch: a latency longer than the call's deadline must exceed it (a loaded machine
    only makes that surer), and the fault's own count says when it stops applying."""
    sandbox.inject(Fault("GetProperty", code="OK", latency=0.3, times=2))
    with pytest.raises(ex.DeadlineExceeded):
        beta.get_property(name=PARENT, timeout=0.1)
    assert sandbox.faults  # one call left with the latency
    beta.get_property(name=PARENT)  # slow, and answered
    assert sandbox.faults == []  # spent: later calls have no added latency
    beta.get_property(name=PARENT)


@pytest.mark.parametrize("server_options", [{"latency": 0.2, "faults": [Fault("GetProperty", code="ABORTED")]}])
def test_global_latency_and_initial_faults(sandbox, beta):
    with pytest.raises(ex.Aborted):
        beta.get_property(name=PARENT)
    assert sandbox.latency == 0.2
    with pytest.raises(ex.DeadlineExceeded):  # every call is slower than this deadline
        beta.list_key_events(parent=PARENT, timeout=0.05)
    beta.list_key_events(parent=PARENT)


# -- write quota ----------------------------------------------------------------------------------


@pytest.mark.parametrize("server_options", [{"write_quota": (3, 0.5)}])
def test_write_quota(sandbox, beta):
    from ga_goals.sandbox.server import WriteQuota
    from tests.fake_clock import FakeClock

    clock = FakeClock()
    sandbox.quota = WriteQuota(3, 0.5, clock=clock)  # the window slides when the test says so
    for i in range(3):
        beta.create_custom_dimension(parent=PARENT, custom_dimension=dim(i))
    with pytest.raises(ex.ResourceExhausted) as caught:
        beta.create_custom_dimension(parent=PARENT, custom_dimension=dim(3))
    assert "rateLimitExceeded" in caught.value.message
    assert caught.value.reason == "rateLimitExceeded"
    (retry_info,) = [d for d in caught.value.details if type(d).__name__ == "RetryInfo"]
    assert 0 < retry_info.retry_delay.ToTimedelta().total_seconds() <= 0.5
    with pytest.raises(ex.ResourceExhausted):  # every kind of write counts
        beta.archive_custom_dimension(name=f"{PARENT}/customDimensions/3")
    assert len(list(beta.list_custom_dimensions(parent=PARENT))) == 3  # reads do not
    beta.create_custom_dimension(parent=PARENT360, custom_dimension=dim(0))  # per property
    clock.advance(0.55)  # the window slides
    beta.create_custom_dimension(parent=PARENT, custom_dimension=dim(3))


@pytest.mark.parametrize("server_options", [{"write_quota": None}])
def test_write_quota_can_be_disabled(sandbox, beta):
    assert sandbox.quota is None
    beta.create_key_event(parent=PARENT, key_event=SIGN_UP)


# -- calls ----------------------------------------------------------------------------------------


def test_calls_counter(sandbox, beta, alpha):
    beta.get_property(name=PARENT)
    list(beta.list_key_events(parent=PARENT))
    list(beta.list_key_events(parent=PARENT))
    alpha.get_property(name=PARENT)
    with pytest.raises(ex.NotFound):
        beta.get_key_event(name=f"{PARENT}/keyEvents/99")
    assert sandbox.calls == {
        "v1beta.GetProperty": 1,
        "v1beta.ListKeyEvents": 2,
        "v1alpha.GetProperty": 1,
        "v1beta.GetKeyEvent": 1,
    }
    assert sandbox.calls.total() == 5
    sandbox.reset_calls()
    assert sandbox.calls.total() == 0
    beta.get_property(name=PARENT)
    assert sandbox.calls.snapshot() == {"v1beta.GetProperty": 1}


# -- concurrency and persistence --------------------------------------------------------------------


def test_concurrent_creates_get_unique_ids(sandbox):
    clients = [beta_client(sandbox.address) for _ in range(4)]

    def create(i):
        return clients[i % 4].create_custom_dimension(parent=PARENT, custom_dimension=dim(i)).name

    with ThreadPoolExecutor(8) as pool:
        names = list(pool.map(create, range(40)))
    assert len(set(names)) == 40
    listed = list(clients[0].list_custom_dimensions(request={"parent": PARENT, "page_size": 200}))
    assert sorted(d.name for d in listed) == sorted(names)


def test_concurrent_duplicate_creates_yield_one_winner(sandbox):
    clients = [beta_client(sandbox.address) for _ in range(8)]

    def create(client):
        try:
            return client.create_key_event(parent=PARENT, key_event=SIGN_UP).name
        except ex.AlreadyExists:
            return None

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(create, clients))
    assert sum(r is not None for r in results) == 1


def test_state_persists_across_servers(state_dir):
    with SandboxServer(state_dir) as first:
        first.store.ensure_property(P)
        made = beta_client(first.address).create_key_event(parent=PARENT, key_event=SIGN_UP)
    with SandboxServer(state_dir) as second:
        client = beta_client(second.address)
        assert client.get_key_event(name=made.name) == made
        again = client.create_custom_dimension(parent=PARENT, custom_dimension=dim(0))
        assert int(again.name.rsplit("/", 1)[1]) > int(made.name.rsplit("/", 1)[1])  # the counter persisted


def test_two_servers_on_one_state_dir(state_dir):
    with SandboxServer(state_dir) as one, SandboxServer(state_dir) as two:
        one.store.ensure_property(P)
        a, b = beta_client(one.address), beta_client(two.address)

        def create(i):
            client = a if i % 2 else b
            return client.create_custom_dimension(parent=PARENT, custom_dimension=dim(i)).name

        with ThreadPoolExecutor(8) as pool:
            names = list(pool.map(create, range(30)))
        assert len(set(names)) == 30
        assert len(list(a.list_custom_dimensions(parent=PARENT))) == 30


def test_another_process_writing_the_same_state(sandbox, beta):
    script = (
        "import sys; from ga_goals.sandbox.store import SandboxStore; from ga_goals.sandbox.admin import AdminBackend\n"
        "b = AdminBackend(SandboxStore(sys.argv[1]))\n"
        "for i in range(20):\n"
        "    b.create('custom_dimensions', 'properties/1001',"
        " {'parameter_name': f'proc_{i}', 'display_name': 'X', 'scope': 'EVENT'})\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(sandbox.store.state_dir)])
    for i in range(20):
        beta.create_custom_dimension(parent=PARENT, custom_dimension=dim(i))
    assert proc.wait(timeout=30) == 0
    names = [d.name for d in beta.list_custom_dimensions(request={"parent": PARENT, "page_size": 100})]
    assert len(names) == len(set(names)) == 40


# -- serving in the foreground ------------------------------------------------------------------------


def test_serve_until_stopped(state_dir):
    stop = threading.Event()
    ready: list[str] = []

    def on_ready(address):
        ready.append(address)
        try:
            assert beta_client(address).get_property(name="properties/7").name == "properties/7"
        finally:
            stop.set()

    thread = threading.Thread(
        target=serve, args=(state_dir, "127.0.0.1", 0, ["7", "8"], None, 0.0, on_ready), kwargs={"stop_event": stop}
    )
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive() and ready
    assert {"7.json", "8.json"} <= set(os.listdir(state_dir / "properties"))


def test_serve_stops_on_sigterm(state_dir):
    code = (
        "import sys; from ga_goals.sandbox.serve import serve\n"
        "serve(sys.argv[1], '127.0.0.1', 0, ['5'], None, 0.0, lambda a: print(a, flush=True))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(state_dir)], stdout=subprocess.PIPE, text=True)
    try:
        address = proc.stdout.readline().strip()
        assert beta_client(address).get_property(name="properties/5").name == "properties/5"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
