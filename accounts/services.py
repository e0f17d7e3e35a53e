"""Writes for accounts: API tokens."""

from knox.models import AuthToken

from accounts.models import User


def api_token_create(*, user: User) -> str:
    """Create a personal API token and return its key. Only a hash is stored: show it once."""
    _instance, key = AuthToken.objects.create(user=user, expiry=None)
    return key


def api_tokens_revoke(*, user: User) -> int:
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted
