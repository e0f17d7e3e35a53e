"""API token authentication: `Authorization: Token <key>`, knox's tokens, constant work per request.

knox 5.0.2's `TokenAuthentication` loads every token of the user on each request and deletes the
expired ones (`_cleanup_token`), then reads the user in another query: the work grows with the
number of tokens a user has, and a request may write. Here a request costs one indexed read (the
token by its digest, with its user and the user's account, which every view reads) and, at most
once a minute per token, one conditional UPDATE of `last_used_at`:

    UPDATE accounts_apitoken SET last_used_at = now
     WHERE id = %s AND (last_used_at IS NULL OR last_used_at <= now - 60 s)

The read already says whether the stored time is older than a minute, so most requests write
nothing; the condition in the UPDATE keeps concurrent requests from writing it twice. An expired
token is refused (401) and kept, so its owner still sees it, marked expired, until they revoke it.
"""

from __future__ import annotations

import binascii
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.crypto import hash_token
from rest_framework import exceptions

from accounts.models import ApiToken

LAST_USED_RESOLUTION = timedelta(seconds=60)


def touch_last_used(token: ApiToken, *, now=None) -> bool:
    """Record that `token` was used now, unless that was recorded less than a minute ago.
    At most one UPDATE; True when it wrote."""
    now = now or timezone.now()
    cutoff = now - LAST_USED_RESOLUTION
    if token.last_used_at is not None and token.last_used_at > cutoff:
        return False
    written = (ApiToken.objects.filter(pk=token.pk)
               .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=cutoff))
               .update(last_used_at=now))
    if written:
        token.last_used_at = now
    return bool(written)


def token_for_key(key: str) -> ApiToken | None:
    """The live token whose key this is, with its user; None for an unknown or expired key."""
    try:
        digest = hash_token(key)
    except (TypeError, ValueError, binascii.Error):
        return None
    token = ApiToken.objects.select_related("user", "user__account").filter(digest=digest).first()
    if token is None or token.is_expired:
        return None
    return token


class TokenAuthentication(KnoxTokenAuthentication):
    """knox's header parsing and 401s; our lookup (one query) and last-used bookkeeping."""

    def authenticate_credentials(self, token: bytes):
        try:
            key = token.decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        api_token = token_for_key(key)
        if api_token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        user, api_token = self.validate_user(api_token)
        touch_last_used(api_token)
        return user, api_token


class ApiTokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme of our subclass: knox's own (`Authorization: Token <key>`),
    which drf-spectacular matches by exact class only."""

    target_class = "accounts.auth.TokenAuthentication"
