"""Verified tokens are remembered for their lifetime, never past it."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import jwt.api_jwt
import pytest
from pydantic import SecretStr

from app import auth
from app.auth import AuthenticationFailed, issue_token, viewer_from_authorization
from app.settings import Settings

SECRET = "a-unit-test-secret-that-is-long-enough-for-hs256"


def settings(secret: str = SECRET) -> Settings:
    return Settings(
        app_env="production", jwt_secret=SecretStr(secret), database_url="sqlite+aiosqlite://"
    )


def test_a_token_is_checked_once_and_refused_once_expired(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = settings()
    header = "Bearer " + issue_token(config, tenant="t1", facilities=["f1"], ttl_seconds=60)
    first = viewer_from_authorization(config, header)
    checks = 0
    verify = auth._verify

    def counted(*args: object) -> object:
        nonlocal checks
        checks += 1
        return verify(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(auth, "_verify", counted)
    assert viewer_from_authorization(config, header) is first
    assert first.tenant == "t1" and first.facilities == frozenset({"f1"})
    assert checks == 0

    # Two minutes later, for this module's clock and PyJWT's.
    later = time.time() + 120

    class Later(datetime):
        @classmethod
        def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
            return datetime.now(tz) + timedelta(seconds=120)  # type: ignore[arg-type]

    monkeypatch.setattr(time, "time", lambda: later)
    monkeypatch.setattr(jwt.api_jwt, "datetime", Later)
    with pytest.raises(AuthenticationFailed, match=r"The token has expired\."):
        viewer_from_authorization(config, header)
    assert checks == 1


def test_a_remembered_token_is_checked_against_each_key() -> None:
    config = settings()
    header = "Bearer " + issue_token(config, tenant="t1", ttl_seconds=60)
    viewer_from_authorization(config, header)
    with pytest.raises(AuthenticationFailed, match=r"The token is not valid\."):
        viewer_from_authorization(settings(SECRET + "-rotated"), header)


def test_refused_tokens_are_not_remembered() -> None:
    config = settings()
    before = len(auth._verified)
    with pytest.raises(AuthenticationFailed):
        viewer_from_authorization(config, "Bearer not-a-token")
    assert len(auth._verified) == before
