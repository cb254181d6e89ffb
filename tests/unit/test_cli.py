"""The command line: tokens, schema export, reset, and the loopback-only development server
(its port check, reload and reset)."""

from __future__ import annotations

import io
import socket
import sqlite3
from pathlib import Path
from typing import Any

import jwt
import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.cli import ROOT, main
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


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "reset.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.setenv("APP_ENV", "development")
    return path


def _job_count(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        (count,) = connection.execute("SELECT count(*) FROM service_job").fetchone()
    return int(count)


def test_reset_says_what_it_deletes_and_loads_the_sample_data_again(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["reset", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "(no tables yet)" in out and "reset: done; loaded 4 customServices" in out
    bench = ROOT / "bench" / "trees.json"
    document = orjson.loads(bench.read_bytes())
    document["trees"] = document["trees"][1:2]
    small = database.parent / "one-tree.json"
    small.write_bytes(orjson.dumps(document))
    assert main(["seed", str(small)]) == 0
    assert _job_count(database) == 3 + 50
    capsys.readouterr()
    assert main(["reset", "--yes"]) == 0
    out = capsys.readouterr().out
    assert f"in sqlite+aiosqlite:///{database} (" in out
    assert "53 service_job" in out and "every tenant" in out
    assert _job_count(database) == 3


def test_reset_asks_first_and_does_nothing_unconfirmed(
    database: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["reset", "--yes"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal: no one to ask
    assert main(["reset"]) == 2
    assert "not confirmed (add --yes)" in capsys.readouterr().err
    assert _job_count(database) == 3


def test_reset_refuses_in_production_unless_forced(
    database: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("JWT_SECRET", "s" * 40)
    assert main(["reset", "--yes"]) == 2
    assert "refusing to reset with APP_ENV=production" in capsys.readouterr().err
    assert not database.exists()
    assert main(["reset", "--yes", "--force"]) == 0
    assert _job_count(database) == 3


def test_a_busy_port_is_one_line_that_suggests_another(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"port {port} on 127.0.0.1 is already in use (another server?): pick another one "
        f"with --port, e.g. scripts/serve --port {port + 1}\n"
    )
    assert not database.exists()  # said at once, before migrating


def test_serve_reload_restarts_on_changes_in_development_only(
    database: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **options: calls.append(options))
    assert main(["serve", "--reload", "--port", "0"]) == 0
    (options,) = calls
    assert options["reload"] is True and options["reload_dirs"] == [str(ROOT / "app")]
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("JWT_SECRET", "s" * 40)
    assert main(["serve", "--reload"]) == 2
    assert "refusing --reload" in capsys.readouterr().err
    assert len(calls) == 1


def test_serve_reset_empties_the_database_before_serving(
    database: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("uvicorn.run", lambda app, **options: None)
    assert main(["reset", "--yes"]) == 0
    with sqlite3.connect(database) as connection:
        connection.execute('UPDATE service_job SET name_localized = \'{"en_US": "Changed"}\'')
    assert main(["serve", "--reset", "--port", "0"]) == 0
    out = capsys.readouterr().out
    assert "reset: every table dropped" in out and "loaded 4 customServices" in out
    with sqlite3.connect(database) as connection:
        names = [n for (n,) in connection.execute("SELECT name_localized FROM service_job")]
    assert all("Changed" not in n for n in names)
