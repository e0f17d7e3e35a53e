"""Websocket authentication for non-browser clients: `Authorization: Token <key>`, and what a
socket was authenticated with, re-checked while it is open.

Browsers authenticate with the session cookie and must send an allowed Origin (Channels'
AllowedHostsOriginValidator). A client that presents a token is not riding on ambient browser
credentials, so the Origin check does not apply to it (cross-site websocket hijacking needs a
cookie); a bad token leaves the user anonymous and the consumer closes with 4401.

A socket's `Authority` records the user's role and account at connect and the credential it came
with: the API token's digest (`scope["auth_token"]`, set here) or the browser session's key.
`recheck` reads them again from the database (the consumer does on every ping) and says whether
and how the socket must close; the control messages of `events.end_sessions` close it at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import AllowedHostsOriginValidator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from rest_framework import exceptions

from accounts.auth import TokenAuthentication
from accounts.models import ApiToken
from escalations import events


def _authorization(scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            return value.decode("latin-1")
    return None


@database_sync_to_async
def _user_for_token(header: str):
    """(user, the token's digest), or (anonymous, None)."""
    parts = header.split()
    if len(parts) != 2 or parts[0].lower() != "token":
        return AnonymousUser(), None
    try:
        user, token = TokenAuthentication().authenticate_credentials(parts[1].encode())
    except exceptions.AuthenticationFailed:
        return AnonymousUser(), None
    # Touch the fields the consumer reads so no lazy query happens in async code.
    _ = user.account_id, user.role
    return user, token.digest


class TokenAuthMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        user, digest = await _user_for_token(_authorization(scope))
        scope = dict(scope, user=user, auth_token=digest)
        return await self.app(scope, receive, send)


def websocket_stack(app):
    """Token clients skip the Origin check; everyone else is a browser with a session cookie."""
    browser = AllowedHostsOriginValidator(AuthMiddlewareStack(app))
    token = TokenAuthMiddleware(app)

    async def route(scope, receive, send):
        if _authorization(scope):
            return await token(scope, receive, send)
        return await browser(scope, receive, send)

    return route


# --- While the socket is open -----------------------------------------------------------------

@dataclass(frozen=True)
class Authority:
    """What an open socket was authenticated and authorised with."""

    user_id: str
    role: str
    account_id: str | None
    token_digest: str | None = None  # a token client: knox's digest of its token
    session_key: str | None = None  # a browser: its session

    @classmethod
    def of(cls, scope, user) -> Authority:
        token_digest = scope.get("auth_token")
        session = scope.get("session") if token_digest is None else None
        return cls(user_id=str(user.pk), role=user.role,
                   account_id=str(user.account_id) if user.account_id else None,
                   token_digest=token_digest, session_key=getattr(session, "session_key", None))

    @property
    def session_fingerprint(self) -> str | None:
        return events.session_fingerprint(self.session_key) if self.session_key else None


def _session_still_valid(session_key: str, user) -> bool:
    """Django's own check of a browser session (django.contrib.auth.get_user), read-only: the
    session exists and has not expired, names this user and a configured backend, and carries the
    hash of the user's current password (or one made with a fallback secret)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    if str(store.get(SESSION_KEY)) != str(user.pk):
        return False
    if store.get(BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS:
        return False
    session_hash = store.get(HASH_SESSION_KEY)
    if not session_hash:
        return False
    return constant_time_compare(session_hash, user.get_session_auth_hash()) or any(
        constant_time_compare(session_hash, fallback) for fallback in user.get_session_auth_fallback_hash())


def check(authority: Authority) -> tuple[int, str] | None:
    """None while the socket may stay open, else (close code, reason)."""
    from accounts.models import User

    user = (User.objects.filter(pk=authority.user_id).only("is_active", "role", "account_id", "password")
            .first())
    if user is None or not user.is_active:
        return events.CLOSE_SIGNED_OUT, "deactivated"
    if authority.token_digest is not None:
        token = ApiToken.objects.filter(digest=authority.token_digest, user_id=user.pk).only("expiry").first()
        if token is None or (token.expiry is not None and token.expiry <= timezone.now()):
            return events.CLOSE_SIGNED_OUT, "token_revoked"
    if user.role != authority.role or (str(user.account_id) if user.account_id else None) != authority.account_id:
        return events.CLOSE_REAUTHORISE, "role_changed"
    if authority.session_key is not None and not _session_still_valid(authority.session_key, user):
        return events.CLOSE_REAUTHORISE, "session_changed"
    return None


recheck = database_sync_to_async(check)
