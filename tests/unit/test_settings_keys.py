"""JWT keys are checked when the settings are made, so a misconfigured server refuses to start
(with what to change) instead of answering every request with an authentication failure."""

from __future__ import annotations

import re
import time
from functools import cache

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from pydantic import ValidationError

from app.auth import viewer_from_authorization
from app.jwt_keys import supported_algorithms
from app.settings import Settings

SECRET = "a-production-secret-that-is-long-enough"


@cache
def private_key(kind: str) -> PrivateKeyTypes:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "rsa-1024":
        return rsa.generate_private_key(public_exponent=65537, key_size=1024)
    if kind == "p256":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "p384":
        return ec.generate_private_key(ec.SECP384R1())
    assert kind == "ed25519"
    return ed25519.Ed25519PrivateKey.generate()


def public_pem(kind: str) -> str:
    return (
        private_key(kind)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def private_pem(kind: str) -> str:
    return (
        private_key(kind)
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def settings(**values: object) -> Settings:
    values.setdefault("app_env", "production")
    values.setdefault("jwt_secret", SECRET)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


@pytest.mark.parametrize(
    ("algorithm", "kind"),
    [
        ("RS256", "rsa"),
        ("RS512", "rsa"),
        ("PS256", "rsa"),
        ("ES256", "p256"),
        ("ES384", "p384"),
        ("EdDSA", "ed25519"),
    ],
)
def test_an_asymmetric_algorithm_with_its_public_key_starts_and_verifies_tokens(
    algorithm: str, kind: str
) -> None:
    configured = settings(jwt_algorithm=algorithm, jwt_public_key=public_pem(kind))
    claims = {"sub": "u1", "tenant": "acme", "exp": int(time.time()) + 60}
    token = jwt.encode(claims, private_key(kind), algorithm=algorithm)  # type: ignore[arg-type]
    viewer = viewer_from_authorization(configured, f"Bearer {token}")
    assert (viewer.tenant, viewer.subject) == ("acme", "u1")


def test_the_default_hs256_refuses_a_public_key() -> None:
    with pytest.raises(ValidationError, match="JWT_PUBLIC_KEY needs an asymmetric JWT_ALGORITHM"):
        settings(jwt_public_key=public_pem("rsa"))
    with pytest.raises(ValidationError, match="asymmetric"):
        settings(jwt_algorithm="HS512", jwt_public_key=public_pem("p256"), app_env="development")


@pytest.mark.parametrize("algorithm", ["HS257", "none", "hs256", "RSA", "", "ES999"])
def test_unknown_algorithms_are_refused_with_the_known_ones(algorithm: str) -> None:
    with pytest.raises(ValidationError) as refused:
        settings(jwt_algorithm=algorithm, jwt_public_key=public_pem("rsa"))
    message = str(refused.value)
    assert f"JWT_ALGORITHM={algorithm!r} is not supported" in message
    known = message.split("use one of ")[1].split(" [")[0].split(", ")
    assert known == supported_algorithms()
    assert {"HS256", "RS256", "PS256", "ES256", "EdDSA"} <= set(known) and "none" not in known


@pytest.mark.parametrize(
    ("algorithm", "key", "reason"),
    [
        ("RS256", None, "JWT_ALGORITHM=RS256 needs JWT_PUBLIC_KEY"),
        ("RS256", "   ", "JWT_ALGORITHM=RS256 needs JWT_PUBLIC_KEY"),
        ("RS256", "not a key", "not a PEM public key"),
        ("RS256", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "not a PEM"),
        ("ES256", "private:p256", "not a PEM public key"),
        ("RS256", "private:rsa", "not a PEM public key"),
        ("RS256", "p256", "is an EC (secp256r1) public key; JWT_ALGORITHM=RS256 needs an RSA"),
        ("PS384", "ed25519", "JWT_ALGORITHM=PS384 needs an RSA public key"),
        ("ES256", "p384", "JWT_ALGORITHM=ES256 needs an EC P-256 public key"),
        ("ES256", "rsa", "is an RSA (2048 bits) public key"),
        ("EdDSA", "p256", "needs an Ed25519 or Ed448 public key"),
        ("RS256", "rsa-1024", "JWT_PUBLIC_KEY is too short"),
    ],
)
def test_a_public_key_that_cannot_verify_the_algorithm_is_refused(
    algorithm: str, key: str | None, reason: str
) -> None:
    if key in ("rsa", "rsa-1024", "p256", "p384", "ed25519"):
        key = public_pem(key)
    elif key is not None and key.startswith("private:"):
        key = private_pem(key.removeprefix("private:"))
    with pytest.raises(ValidationError, match=re.escape(reason)):
        settings(jwt_algorithm=algorithm, jwt_public_key=key)


def test_hs_algorithms_need_a_secret() -> None:
    assert settings(jwt_algorithm="HS384").jwt_algorithm == "HS384"
    # Development signs with its own secret when none is set, but not with an empty one.
    assert settings(app_env="development", jwt_secret=None).signing_key
    with pytest.raises(ValidationError, match="JWT_ALGORITHM=HS256 needs JWT_SECRET"):
        settings(app_env="development", jwt_secret="")
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        settings(jwt_secret=None)
    with pytest.raises(ValidationError, match="at least 32 characters"):
        settings(jwt_secret="short")


def test_production_with_a_public_key_still_needs_the_secret_that_signs_upload_urls() -> None:
    with pytest.raises(ValidationError, match="it signs upload urls"):
        settings(jwt_algorithm="RS256", jwt_public_key=public_pem("rsa"), jwt_secret=None)
    development = settings(
        app_env="development", jwt_algorithm="RS256", jwt_public_key=public_pem("rsa")
    )
    assert development.verification_key == public_pem("rsa")
