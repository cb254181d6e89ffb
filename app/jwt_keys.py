"""Start-up checks of the JWT verification settings: an algorithm PyJWT knows, and the key it
needs (a secret for HS*, a PEM public key of the matching type for RS*/PS*/ES*/EdDSA), so that
a misconfigured server refuses to start instead of failing every request."""

from __future__ import annotations

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from jwt.algorithms import HMACAlgorithm, get_default_algorithms
from jwt.exceptions import InvalidKeyError


class KeyConfigurationError(ValueError):
    """JWT_ALGORITHM, JWT_PUBLIC_KEY and JWT_SECRET do not fit together."""


def supported_algorithms() -> list[str]:
    """The algorithm names PyJWT (with `cryptography`) verifies; never "none"."""
    return sorted(name for name in get_default_algorithms() if name != "none")


def is_symmetric(algorithm: str) -> bool:
    return isinstance(get_default_algorithms().get(algorithm), HMACAlgorithm)


def check_jwt_keys(algorithm: str, public_key: str | None, has_secret: bool) -> None:
    """Raise KeyConfigurationError, with what to change, unless `algorithm` can verify tokens
    with the configured key. `has_secret`: there is a secret to verify HS* tokens with (a
    non-empty JWT_SECRET, or development's own when JWT_SECRET is unset)."""
    algorithms = get_default_algorithms()
    if algorithm == "none" or algorithm not in algorithms:
        raise KeyConfigurationError(
            f"JWT_ALGORITHM={algorithm!r} is not supported; use one of "
            f"{', '.join(supported_algorithms())}"
        )
    verifier = algorithms[algorithm]
    if isinstance(verifier, HMACAlgorithm):
        if public_key is not None:
            raise KeyConfigurationError(
                f"JWT_PUBLIC_KEY needs an asymmetric JWT_ALGORITHM (RS*, PS*, ES* or EdDSA); "
                f"{algorithm} verifies with JWT_SECRET: set JWT_ALGORITHM or unset JWT_PUBLIC_KEY"
            )
        if not has_secret:
            raise KeyConfigurationError(
                f"JWT_ALGORITHM={algorithm} needs JWT_SECRET (or JWT_PUBLIC_KEY with an "
                "asymmetric JWT_ALGORITHM)"
            )
        return
    if not public_key or not public_key.strip():
        raise KeyConfigurationError(
            f"JWT_ALGORITHM={algorithm} needs JWT_PUBLIC_KEY (a PEM public key)"
        )
    try:
        key = load_pem_public_key(public_key.strip().encode())
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyConfigurationError(
            "JWT_PUBLIC_KEY is not a PEM public key (-----BEGIN PUBLIC KEY----- ...); "
            "a private key or a certificate does not belong here"
        ) from exc
    try:
        prepared = verifier.prepare_key(key)
    except (InvalidKeyError, TypeError) as exc:
        raise KeyConfigurationError(
            f"JWT_PUBLIC_KEY is {_kind(key)} public key; JWT_ALGORITHM={algorithm} needs "
            f"{_needed(algorithm)} public key"
        ) from exc
    too_short = verifier.check_key_length(prepared)
    if too_short:
        raise KeyConfigurationError(f"JWT_PUBLIC_KEY is too short: {too_short}")


_CURVES = {"ES256": "P-256", "ES256K": "secp256k1", "ES384": "P-384", "ES512": "P-521"}


def _needed(algorithm: str) -> str:
    if algorithm.startswith(("RS", "PS")):
        return "an RSA"
    if algorithm.startswith("ES"):
        return f"an EC {_CURVES.get(algorithm, 'P-521')}"
    return "an Ed25519 or Ed448"


def _kind(key: PublicKeyTypes) -> str:
    if isinstance(key, rsa.RSAPublicKey):
        return f"an RSA ({key.key_size} bits)"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"an EC ({key.curve.name})"
    if isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        return "an EdDSA"
    return f"a {type(key).__name__.lstrip('_')}"
