"""Writes for accounts: personal API tokens."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from knox.crypto import create_token_string, hash_token
from knox.settings import CONSTANTS, knox_settings

from accounts.models import ApiToken, User

TOKEN_NAME_MAX_LENGTH = 100


@transaction.atomic
def api_token_issue(*, user: User, name: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """Create a personal API token for `user`; return it and its key. Only the key's digest is
    stored: the key is shown once. `name` is required (at most 100 characters); `expires_at`, if
    given, must be in the future. Bad input raises ValidationError ({field: [message]})."""
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = ["Give the token a name."]
    elif len(name) > TOKEN_NAME_MAX_LENGTH:
        errors["name"] = [f"Ensure this field has no more than {TOKEN_NAME_MAX_LENGTH} characters."]
    if expires_at is not None:
        if timezone.is_naive(expires_at):
            errors["expires_at"] = ["Give a time zone (e.g. 2030-01-31T17:00:00Z)."]
        elif expires_at <= timezone.now():
            errors["expires_at"] = ["The expiry must be in the future."]
    if errors:
        raise ValidationError(errors)
    # knox's key format (its manager's create takes a TTL, not a time): 64 hex characters.
    key = knox_settings.TOKEN_PREFIX + create_token_string()
    token = ApiToken.objects.model(user=user, name=name, expiry=expires_at, digest=hash_token(key),
                                   token_key=key[:CONSTANTS.TOKEN_KEY_LENGTH])
    token.save(force_insert=True)
    return token, key


def api_token_create(*, user: User, name: str = "CLI") -> str:
    """A new token that does not expire; its key (`manage.py create_api_token`, tests)."""
    _token, key = api_token_issue(user=user, name=name)
    return key


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> None:
    """Delete the token: requests with its key are 401 from now on, and websockets opened with it
    close (escalations/ws_revoke.py listens for the delete)."""
    token.delete()


@transaction.atomic
def api_tokens_revoke(*, user: User) -> int:
    """Revoke every token of `user`."""
    deleted = 0
    for token in ApiToken.objects.filter(user=user):
        token.delete()
        deleted += 1
    return deleted
