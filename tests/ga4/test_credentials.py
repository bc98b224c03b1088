"""Credentials: missing or broken ADC / key files give a CredentialsError that says what to do."""

from __future__ import annotations

import json
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


def assert_helpful(message: str) -> None:
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
    assert_helpful(str(info.value))


def test_env_var_names_a_missing_file(no_adc: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = no_adc / "nope.json"
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(missing))
    with pytest.raises(CredentialsError) as info:
        load_credentials(Target("properties/1"))
    assert f"GOOGLE_APPLICATION_CREDENTIALS={missing}" in str(info.value)
    assert_helpful(str(info.value))


@pytest.mark.parametrize("content", ["not json at all", json.dumps({"type": "unknown_kind"}), "{}"])
def test_env_var_names_an_invalid_file(no_adc: Path, monkeypatch: pytest.MonkeyPatch, content: str) -> None:
    bad = no_adc / "bad.json"
    bad.write_text(content)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(bad))
    with pytest.raises(CredentialsError) as info:
        load_credentials(Target("properties/1"))
    assert str(bad) in str(info.value)
    assert_helpful(str(info.value))


def test_credentials_file_missing(no_adc: Path) -> None:
    with pytest.raises(CredentialsError, match="does not exist") as info:
        load_credentials(Target("properties/1", credentials_file=str(no_adc / "key.json")))
    assert_helpful(str(info.value))


@pytest.mark.parametrize(
    "content",
    ["{broken", json.dumps({"type": "authorized_user", "client_id": "x"}), json.dumps({"type": "service_account"})],
)
def test_credentials_file_not_a_service_account_key(no_adc: Path, content: str) -> None:
    key = no_adc / "key.json"
    key.write_text(content)
    with pytest.raises(CredentialsError, match="is not a service-account key file") as info:
        load_credentials(Target("properties/1", credentials_file=str(key)))
    assert_helpful(str(info.value))


def _service_account_file(path: Path) -> Path:
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
                "token_uri": "https://oauth2.googleapis.com/token",
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
