"""Secrets at rest: model fields encrypted with Fernet (AES-128-CBC + HMAC-SHA256).

The key is `settings.FIELD_ENCRYPTION_KEY`: one Fernet key, or several separated by commas to
rotate (the first encrypts, every one decrypts; re-save rows to move them to the first key).
settings.py derives a development key from SECRET_KEY when DEBUG is on and refuses to start with
DEBUG=0 and no key.

Why not django-fernet-encrypted-fields (the usual library)? It derives its keys from SECRET_KEY
(+ SALT_KEY), so rotating SECRET_KEY would make every stored secret unreadable, and on a key
mismatch it silently returns the ciphertext as if it were the value (a Slack URL would become a
Fernet token, and nobody would know why). This field is ~50 lines over `cryptography`, fails
loudly, and reads the one key the operating contract names.
"""

from __future__ import annotations

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "fernet:"


@lru_cache(maxsize=4)
def _fernet_for(keys: str) -> MultiFernet:
    try:
        return MultiFernet([Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be one or more url-safe base64 32-byte Fernet keys, comma-separated "
            "(generate one: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')."
        ) from exc


def fernet() -> MultiFernet:
    return _fernet_for(settings.FIELD_ENCRYPTION_KEY)


def encrypt(value: str) -> str:
    return PREFIX + fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    if not token.startswith(PREFIX):
        raise ImproperlyConfigured("An encrypted column holds a value that was not written by EncryptedTextField.")
    try:
        return fernet().decrypt(token[len(PREFIX):].encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEY (was the key changed? "
            "keep the old key after the new one, comma-separated, to rotate)."
        ) from None


class EncryptedTextField(models.TextField):
    """A text value stored encrypted. Not searchable (each write has a fresh IV). An empty string
    is stored as-is, so `blank=True` fields need no key to read."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)


class EncryptedJSONField(EncryptedTextField):
    """A JSON object stored encrypted (e.g. PSA credentials)."""

    def get_prep_value(self, value):
        if value is None:
            return None
        if isinstance(value, str):  # already JSON text (a form's raw value)
            value = json.loads(value)
        return encrypt(json.dumps(value, sort_keys=True))

    def from_db_value(self, value, expression, connection):
        text = super().from_db_value(value, expression, connection)
        if text is None or text == "":
            return {}
        return json.loads(text)

    def to_python(self, value):
        if isinstance(value, str):
            try:
                return json.loads(value) if value else {}
            except ValueError:
                return value
        return value

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj))
