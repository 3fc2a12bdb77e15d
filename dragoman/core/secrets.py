"""Secrets kept in the database (a mailbox's password) sealed with a key
derived from the install's secret key, so a copy of the database alone
does not give away the company's mail accounts.

Fernet (AES-128-CBC with HMAC-SHA256) from the `cryptography` package; the
key comes from DRAGOMAN_SECRET_KEY through HKDF. Changing the secret key
makes sealed values unreadable: they must be entered again.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "sealed:v1:"


class SecretUnreadable(Exception):
    """A sealed value this install's key cannot open (the key changed)."""


@lru_cache(maxsize=8)
def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"dragoman sealed settings v1").derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def seal(value: str, secret_key: str) -> str:
    if is_sealed(value):
        return value
    return PREFIX + _fernet(secret_key).encrypt(value.encode()).decode()


def unseal(value: str, secret_key: str) -> str:
    """The clear text of a sealed value; a value never sealed is returned as it is."""
    if not is_sealed(value):
        return value
    try:
        return _fernet(secret_key).decrypt(value[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("a stored secret cannot be read with this install's secret key; enter it again") from None
