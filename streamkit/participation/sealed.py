"""Families' personal data sealed at rest: Fernet (AES-128-CBC + HMAC-SHA256) under keys from the secrets.

A row keeps one sealed JSON object of its personal fields; the key never reaches the database. ``MultiFernet``
seals with the first key and opens with any, so a key is rotated by putting a new one first and running
``streamkit participation reseal``. Nothing here logs or puts a value in an error.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr

from streamkit.errors import StreamkitError

log = logging.getLogger(__name__)


class SealError(StreamkitError):
    """Personal data cannot be sealed or opened: no key set, or none of the keys opens it."""


class Sealer:
    """Seal and open a dict of personal fields (strings) with the configured keys."""

    def __init__(self, keys: Sequence[SecretStr]) -> None:
        if not keys:
            raise SealError("no key for personal data: set participation.data_keys in the secrets")
        self._fernet = MultiFernet([Fernet(k.get_secret_value().encode("ascii")) for k in keys])

    def __repr__(self) -> str:
        return "Sealer(<keys hidden>)"

    def seal(self, fields: dict[str, str]) -> str:
        return self._fernet.encrypt(json.dumps(fields, ensure_ascii=False).encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> dict[str, str]:
        """The fields of a sealed value; ``{}`` for an erased one (empty)."""
        if not sealed:
            return {}
        try:
            found: dict[str, str] = json.loads(self._fernet.decrypt(sealed.encode("ascii")))
        except InvalidToken:
            raise SealError("none of the configured keys opens this record (a key was removed too early?)") from None
        return found

    def reseal(self, sealed: str) -> str:
        """The same fields sealed under the first key (key rotation); an erased value stays empty."""
        if not sealed:
            return sealed
        try:
            return self._fernet.rotate(sealed.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise SealError("none of the configured keys opens this record (a key was removed too early?)") from None


def sealer_or_none(keys: Sequence[SecretStr]) -> Sealer | None:
    """A sealer for the keys, or None (logged once, without any value) when no key is configured."""
    if not keys:
        log.warning(
            "participation.data_keys is not set: proxy sweeping requests and relatives' claims are closed "
            "(generate a key with `streamkit participation new-key`)"
        )
        return None
    return Sealer(keys)


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")
