"""Websocket authentication for non-browser clients: `Authorization: Token <key>`.

Browsers authenticate with the session cookie and must send an allowed Origin (Channels'
AllowedHostsOriginValidator). A client that presents a token is not riding on ambient browser
credentials, so the Origin check does not apply to it (cross-site websocket hijacking needs a
cookie); a bad token leaves the user anonymous and the consumer closes with 4401.
"""

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import AllowedHostsOriginValidator
from django.contrib.auth.models import AnonymousUser
from knox.auth import TokenAuthentication
from rest_framework import exceptions


def _authorization(scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            return value.decode("latin-1")
    return None


@database_sync_to_async
def _user_for_token(header: str):
    parts = header.split()
    if len(parts) != 2 or parts[0].lower() != "token":
        return AnonymousUser()
    try:
        user, _token = TokenAuthentication().authenticate_credentials(parts[1].encode())
    except exceptions.AuthenticationFailed:
        return AnonymousUser()
    # Touch the fields the consumer reads so no lazy query happens in async code.
    _ = user.account_id, user.role
    return user


class TokenAuthMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        header = _authorization(scope)
        scope = dict(scope, user=await _user_for_token(header))
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
