"""AES-256-CBC with PKCS#7 padding (the `cryptography` package) and the digests of seed 000."""

from __future__ import annotations

import base64
import hashlib
import secrets

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

KEY_BYTES = 32
IV_BYTES = 16


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
