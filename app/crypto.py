"""AES-256-CBC with PKCS#7 padding (the `cryptography` package) and the digests of seed 000;
AES-256-GCM for secrets kept at rest (webhook signing secrets)."""

from __future__ import annotations

import base64
import hashlib
import secrets

from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32
IV_BYTES = 16
GCM_NONCE_BYTES = 12


def new_key_material() -> tuple[bytes, bytes]:
    """A fresh random AES-256 key and IV from the operating system's CSPRNG."""
    return secrets.token_bytes(KEY_BYTES), secrets.token_bytes(IV_BYTES)


def encrypt(key: bytes, iv: bytes, plain: bytes) -> bytes:
    padder = padding.PKCS7(algorithms.AES.block_size).padder()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(padder.update(plain) + padder.finalize()) + encryptor.finalize()


def decrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    """The plain bytes; ValueError when the data is not a whole number of blocks or its
    padding is wrong (a tampered or truncated upload)."""
    if not data or len(data) % IV_BYTES:
        raise ValueError("the data is not a whole number of AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    unpadder = padding.PKCS7(algorithms.AES.block_size).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


def sha256_base64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def derive_key(secret: str, purpose: bytes) -> bytes:
    """A 32-byte key for one purpose from a configured secret (HKDF-SHA256), so one setting can
    feed several keys without any of them revealing another."""
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose).derive(
        secret.encode()
    )


def seal(key: bytes, plain: bytes) -> bytes:
    """AES-256-GCM: a fresh 12-byte nonce, then the ciphertext with its tag. Authenticated:
    a changed byte fails to open."""
    nonce = secrets.token_bytes(GCM_NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plain, None)


def open_sealed(key: bytes, sealed: bytes) -> bytes:
    """The plain bytes of `seal`'s output; cryptography's InvalidTag when the key is not the
    one it was sealed with or the bytes were changed."""
    return AESGCM(key).decrypt(sealed[:GCM_NONCE_BYTES], sealed[GCM_NONCE_BYTES:], None)
