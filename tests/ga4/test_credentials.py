"""Credentials: missing or broken ADC / key files give a CredentialsError that says what to do."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ga_goals.errors import CredentialsError
from ga_goals.ga4 import Target
from ga_goals.ga4.clients import build_admin_clients, load_credentials


@pytest.fixture
def no_adc(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An environment with no Application Default Credentials anywhere (and no metadata server probe)."""
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NO_GCE_CHECK", "True")
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    return tmp_path


def assert_helpful(error: CredentialsError) -> None:
    """One line saying what is wrong; how to get credentials in the hint (printed below it)."""
    assert "\n" not in str(error), str(error)
    message = error.hint or ""
    for hint in (
        "GOOGLE_APPLICATION_CREDENTIALS",
        "--credentials FILE",
        "gcloud auth application-default login",
        "--scopes=https://www.googleapis.com/auth/analytics.edit",
        "--client-id-file",
        "Editor",
        "Viewer",
    ):
        assert hint in message, hint


def test_no_adc_at_all(no_adc: Path) -> None:
    with pytest.raises(CredentialsError) as info:
        build_admin_clients(Target("properties/1"))
    assert "no Application Default Credentials were found" in str(info.value)
    assert_helpful(info.value)


def test_env_var_names_a_missing_file(no_adc: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = no_adc / "nope.json"
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(missing))
    with pytest.raises(CredentialsError) as info:
        load_credentials(Target("properties/1"))
    assert f"GOOGLE_APPLICATION_CREDENTIALS={missing}" in str(info.value)
    assert_helpful(info.value)


@pytest.mark.parametrize("content", ["not json at all", json.dumps({"type": "unknown_kind"}), "{}"])
def test_env_var_names_an_invalid_file(no_adc: Path, monkeypatch: pytest.MonkeyPatch, content: str) -> None:
    bad = no_adc / "bad.json"
    bad.write_text(content)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(bad))
    with pytest.raises(CredentialsError) as info:
        load_credentials(Target("properties/1"))
    assert str(bad) in str(info.value)
    assert_helpful(info.value)


def test_credentials_file_missing(no_adc: Path) -> None:
    with pytest.raises(CredentialsError, match="does not exist") as info:
        load_credentials(Target("properties/1", credentials_file=str(no_adc / "key.json")))
    assert_helpful(info.value)


@pytest.mark.parametrize(
    "content",
    ["{broken", json.dumps({"type": "authorized_user", "client_id": "x"}), json.dumps({"type": "service_account"})],
)
def test_credentials_file_not_a_service_account_key(no_adc: Path, content: str) -> None:
    key = no_adc / "key.json"
    key.write_text(content)
    with pytest.raises(CredentialsError, match="is not a service-account key file") as info:
        load_credentials(Target("properties/1", credentials_file=str(key)))
    assert_helpful(info.value)


def _service_account_file(path: Path, token_uri: str = "https://oauth2.googleapis.com/token") -> Path:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "test-project",
                "private_key_id": "abc",
                "private_key": pem,
                "client_email": "ga-goals@test-project.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": token_uri,
            }
        )
    )
    return path


def test_a_service_account_key_builds_clients_without_network(no_adc: Path) -> None:
    key = _service_account_file(no_adc / "key.json")
    creds = load_credentials(Target("properties/1", credentials_file=str(key)))
    assert creds.service_account_email == "ga-goals@test-project.iam.gserviceaccount.com"
    assert "https://www.googleapis.com/auth/analytics.edit" in creds.scopes
    clients = build_admin_clients(Target("properties/1", credentials_file=str(key)))
    try:
        assert sum(clients.calls.values()) == 0  # nothing sent yet: channels connect lazily
    finally:
        clients.close()
        clients.close()  # idempotent


def test_the_sandbox_needs_no_credentials(no_adc: Path) -> None:
    clients = build_admin_clients(Target("properties/1", sandbox_address="127.0.0.1:9"))
    clients.close()


# -- the token endpoint: a real HTTP server on 127.0.0.1 that the key's token_uri points at


class _TokenEndpoint(http.server.BaseHTTPRequestHandler):
    """Answers every token request like Google does for a deleted or disabled key."""

    requests = 0

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        type(self).requests += 1
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"error": "invalid_grant", "error_description": "Invalid JWT Signature."}).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def refusing_token_endpoint() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _TokenEndpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/token"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def dead_token_endpoint() -> str:
    with socket.socket() as sock:  # a port nothing listens on (bound, then released)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/token"


def test_a_refused_key_says_which_key_and_that_google_refused_it(no_adc: Path, refusing_token_endpoint: str) -> None:
    from ga_goals.ga4.admin import AdminGateway

    key = _service_account_file(no_adc / "key.json", refusing_token_endpoint)
    with AdminGateway(Target("properties/1", credentials_file=str(key))) as gateway:
        with pytest.raises(CredentialsError) as info:
            gateway.read_state()
        assert gateway.call_count >= 1  # the call was made, and stopped before anything reached GA4
    message = str(info.value)
    assert f"Google refused the service-account key {key}" in message
    assert "ga-goals@test-project.iam.gserviceaccount.com" in message and "key id abc" in message
    assert "invalid_grant" in message
    assert "\n" not in message
    for wrong in ("did not answer", "retrying", "outage"):
        assert wrong not in message + (info.value.hint or "")
    assert "Create a new JSON key" in (info.value.hint or "")


def test_an_unreachable_token_endpoint_is_said_so(no_adc: Path, dead_token_endpoint: str) -> None:
    from ga_goals.ga4.data import DataGateway

    key = _service_account_file(no_adc / "key.json", dead_token_endpoint)
    with DataGateway(Target("properties/1", credentials_file=str(key))) as gateway:
        with pytest.raises(CredentialsError) as info:
            gateway.property_settings()
    message = str(info.value)
    assert f"could not get an access token for the service-account key {key}" in message
    assert f"the token endpoint {dead_token_endpoint} did not answer" in message
    assert "outage" not in message and "120 s" not in message
    assert "network" in (info.value.hint or "")


def test_the_cli_prints_a_refused_key_as_one_line_and_a_hint(
    no_adc: Path, refusing_token_endpoint: str, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from ga_goals.cli import cli

    plan = tmp_path / "plan.yaml"
    plan.write_text("property: 123456789\n")
    key = _service_account_file(no_adc / "key.json", refusing_token_endpoint)
    result = CliRunner().invoke(cli, ["plan", str(plan), "--credentials", str(key), "--no-color"])
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith(f"Error: Google refused the service-account key {key}")
    assert "Create a new JSON key" in lines[1]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("content", ["{broken", json.dumps({"type": "service_account"})])
def test_the_cli_prints_a_bad_key_file_as_one_line_and_a_hint(no_adc: Path, tmp_path: Path, content: str) -> None:
    from click.testing import CliRunner

    from ga_goals.cli import cli

    plan = tmp_path / "plan.yaml"
    plan.write_text("property: 123456789\n")
    key = tmp_path / "key.json"
    key.write_text(content)
    result = CliRunner().invoke(cli, ["plan", str(plan), "--credentials", str(key), "--no-color"])
    assert result.exit_code == 1, result.output
    error, *hint = result.stderr.strip().splitlines()
    assert error.startswith("Error: no usable Google credentials: ") and f"{key} is not a service-account key file" in error
    assert hint and "--credentials FILE" in "\n".join(hint)  # how to fix it, below the error
