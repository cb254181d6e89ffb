"""The command line: tokens, schema export, and the loopback-only development server."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.cli import main
from app.graphql.schema import sdl
from app.settings import DEVELOPMENT_JWT_SECRET


def test_token_prints_a_jwt_with_tenant_and_facilities(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "--tenant", "acme", "--facility", "f1", "--facility", "f2"]) == 0
    token = capsys.readouterr().out.strip()
    claims = jwt.decode(token, DEVELOPMENT_JWT_SECRET, algorithms=["HS256"])
    assert claims["tenant"] == "acme"
    assert claims["facilities"] == ["f1", "f2"]
    assert claims["exp"] > claims["iat"]


def test_export_schema_writes_the_sdl(tmp_path: Path) -> None:
    target = tmp_path / "schema.graphql"
    assert main(["export-schema", "--output", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == sdl()


def test_development_serve_refuses_to_bind_beyond_loopback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_ENV", "development")
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    assert "only binds to loopback" in capsys.readouterr().err


def test_production_refuses_a_weak_secret(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("JWT_SECRET", "short")
    assert main(["token", "--tenant", "acme"]) == 2
    assert "invalid settings" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["serve"], ["migrate"], ["token", "--tenant", "acme"]])
def test_misconfigured_keys_stop_every_command_with_what_to_fix(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setenv("JWT_PUBLIC_KEY", "not a key")  # with the default HS256
    assert main(command) == 2
    error = capsys.readouterr().err
    assert error.startswith("invalid settings:") and "JWT_ALGORITHM" in error
    assert "Traceback" not in error


def test_token_is_refused_where_the_gateway_only_verifies(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    monkeypatch.setenv("JWT_ALGORITHM", "RS256")
    monkeypatch.setenv("JWT_PUBLIC_KEY", pem.decode())
    assert main(["token", "--tenant", "acme"]) == 2
    assert "only verifies tokens" in capsys.readouterr().err
