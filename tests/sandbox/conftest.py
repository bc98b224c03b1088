"""Fixtures: a sandbox server on a free port with a fresh state folder, and real Admin API clients."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
import pytest
from google.analytics import admin_v1alpha, admin_v1beta
from google.analytics.admin_v1alpha.services.analytics_admin_service.transports import (
    AnalyticsAdminServiceGrpcTransport as AlphaTransport,
)
from google.analytics.admin_v1beta.services.analytics_admin_service.transports import (
    AnalyticsAdminServiceGrpcTransport as BetaTransport,
)

from ga_goals.sandbox.server import SandboxServer

#: A standard property and a GA4 360 property.
P = "1001"
P360 = "2002"
PARENT = f"properties/{P}"
PARENT360 = f"properties/{P360}"


@dataclass
class Streams:
    web: str  # the seeded web stream of P
    app: str  # an Android stream of P
    web2: str  # a second web stream of P
    web360: str  # the seeded web stream of P360


def beta_client(address_or_channel) -> admin_v1beta.AnalyticsAdminServiceClient:
    channel = grpc.insecure_channel(address_or_channel) if isinstance(address_or_channel, str) else address_or_channel
    return admin_v1beta.AnalyticsAdminServiceClient(transport=BetaTransport(channel=channel))


def alpha_client(address_or_channel) -> admin_v1alpha.AnalyticsAdminServiceClient:
    channel = grpc.insecure_channel(address_or_channel) if isinstance(address_or_channel, str) else address_or_channel
    return admin_v1alpha.AnalyticsAdminServiceClient(transport=AlphaTransport(channel=channel))


@pytest.fixture
def state_dir(tmp_path):
    return tmp_path / "sandbox"


@pytest.fixture
def server_options():
    """Override in a test module (or with indirect parametrisation) to pass SandboxServer options."""
    return {}


@pytest.fixture
def sandbox(state_dir, server_options):
    server = SandboxServer(state_dir, **server_options)
    server.store.ensure_property(P)
    server.store.ensure_property(P360, service_level="360", display_name="Big shop")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def streams(sandbox) -> Streams:
    store = sandbox.store
    web = store.load(P)["data_streams"][0]["name"]
    app = store.add_data_stream(P, type="android")
    web2 = store.add_data_stream(P, type="web", display_name="Web 2", default_uri="https://blog.example.com")
    web360 = store.load(P360)["data_streams"][0]["name"]
    return Streams(web=web, app=app, web2=web2, web360=web360)


@pytest.fixture
def channel(sandbox):
    ch = grpc.insecure_channel(sandbox.address)
    yield ch
    ch.close()


@pytest.fixture
def beta(channel):
    return beta_client(channel)


@pytest.fixture
def alpha(channel):
    return alpha_client(channel)


@pytest.fixture(params=["v1beta", "v1alpha"])
def api(request, channel):
    """(types module, client) for each Admin API version."""
    if request.param == "v1beta":
        return admin_v1beta, beta_client(channel)
    return admin_v1alpha, alpha_client(channel)
