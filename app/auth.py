"""JWT bearer tokens (PyJWT): who the caller is, checked on every request."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import TypeGuard

import jwt

from app.domain.access import Viewer
from app.lru import Lru
from app.settings import Settings

#: Claims are stored as they come (`tenant` on every row, `sub` as an upload's creator, facility
#: ids beside jobs), so each is at most as long as the shortest column that stores it on
#: PostgreSQL (app/db/tables.py: ID_LENGTH for tenants, REF_LENGTH for the others); a unit test
#: holds them to the tables.
MAX_TENANT_LENGTH = 64
MAX_SUBJECT_LENGTH = 255
MAX_FACILITY_LENGTH = 255
MAX_FACILITIES = 1000

#: Tokens verified lately, by token text and the key, algorithm and audience they were checked
#: against, with the caller they name: a client sends the same token with every request, and
#: checking its signature and claims again costs more than the rest of a one-job read. Only
#: tokens that passed are kept (what makes one fail later is its `exp`, checked on every use);
#: at most this many, holding at most VERIFIED_TOKEN_TEXT characters of token text in all.
VERIFIED_TOKENS = 1024
VERIFIED_TOKEN_TEXT = 4_000_000
_verified: Lru[tuple[str, str, str, str | None], Viewer] = Lru(
    VERIFIED_TOKENS, max_text=VERIFIED_TOKEN_TEXT
)


class AuthenticationFailed(Exception):
    """The request carries no usable credentials."""


def issue_token(
    settings: Settings,
    *,
    tenant: str,
    facilities: Sequence[str] | None = None,
    subject: str | None = None,
    ttl_seconds: int | None = None,
) -> str:
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": subject or f"{tenant}-cli",
        "tenant": tenant,
        "iat": now,
        "exp": now + (ttl_seconds or settings.token_default_ttl_seconds),
    }
    if facilities:
        claims["facilities"] = list(facilities)
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    return jwt.encode(claims, settings.signing_key, algorithm=settings.jwt_algorithm)


def viewer_from_authorization(settings: Settings, header: str | None) -> Viewer:
    """Decode `Authorization: Bearer <jwt>`; raise AuthenticationFailed with a reason."""
    if not header:
        raise AuthenticationFailed("Authentication required: send 'Authorization: Bearer <JWT>'.")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed("The Authorization header must be 'Bearer <JWT>'.")
    token = token.strip()
    key = (token, settings.verification_key, settings.jwt_algorithm, settings.jwt_audience)
    viewer = _verified.get(key)
    if viewer is not None and not viewer.has_expired(time.time()):
        return viewer
    # Not seen, or expired since: PyJWT decides (and says why it refuses).
    viewer = _verify(settings, token)
    if viewer.expires_at is not None:
        _verified.put(key, viewer)
    return viewer


def _verify(settings: Settings, token: str) -> Viewer:
    try:
        claims = jwt.decode(
            token,
            settings.verification_key,
            algorithms=[settings.jwt_algorithm],
            audience=settings.jwt_audience,
            options={"require": ["exp", "tenant"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise AuthenticationFailed("The token has expired.") from exc
    except jwt.InvalidTokenError as exc:
        raise AuthenticationFailed("The token is not valid.") from exc
    return replace(_viewer_from_claims(claims), expires_at=_expiry(claims.get("exp")))


def _expiry(exp: object) -> float | None:
    """The `exp` PyJWT has just validated, read as PyJWT reads it (whole seconds)."""
    try:
        return float(int(exp))  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        return None


def _storable(value: object, max_length: int) -> TypeGuard[str]:
    """A non-empty string that a text column of `max_length` can hold: PostgreSQL refuses NUL
    and text that is not UTF-8 (a lone surrogate) with an error, not a mismatch."""
    if not isinstance(value, str) or not 0 < len(value) <= max_length or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _viewer_from_claims(claims: dict[str, object]) -> Viewer:
    tenant = claims.get("tenant")
    if not _storable(tenant, MAX_TENANT_LENGTH):
        raise AuthenticationFailed(
            "The token's 'tenant' claim must be a non-empty string of at most "
            f"{MAX_TENANT_LENGTH} characters."
        )
    facilities = claims.get("facilities")
    scope: frozenset[str] | None = None
    if facilities is not None:
        if (
            not isinstance(facilities, list)
            or len(facilities) > MAX_FACILITIES
            or not all(_storable(f, MAX_FACILITY_LENGTH) for f in facilities)
        ):
            raise AuthenticationFailed(
                f"The token's 'facilities' claim must be a list of at most {MAX_FACILITIES} "
                f"ids of 1 to {MAX_FACILITY_LENGTH} characters."
            )
        scope = frozenset(facilities)
    subject = claims.get("sub")
    if subject is not None and not _storable(subject, MAX_SUBJECT_LENGTH):
        raise AuthenticationFailed(
            "The token's 'sub' claim must be a non-empty string of at most "
            f"{MAX_SUBJECT_LENGTH} characters."
        )
    return Viewer(
        subject=subject if isinstance(subject, str) else "", tenant=tenant, facilities=scope
    )
