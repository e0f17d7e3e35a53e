"""Sign-in lockout (django-axes, issue #10 item 7; docs/security.md "Sign-in lockout").

Every sign-in through Django's `authenticate()` — allauth's login at `/login/` and `/admin/login/`,
its reauthentication prompt —
passes `axes.backends.AxesStandaloneBackend` first, which refuses while the attempt is locked out.
Failures are counted in the database (`axes.AccessAttempt`), per typed email *and* address, and
per address:

- `LOGIN_LOCKOUT_FAILURES` (10) failures for one (email, address) pair lock that pair: someone
  guessing a password from one place. The same person elsewhere, and everyone else, sign in as usual,
  so nobody can lock a colleague out from another address.
- `LOGIN_LOCKOUT_ADDRESS_FAILURES` (50) failures from one address, whatever the emails, lock the
  address: someone trying many emails. Higher, because an office behind one NAT address shares it.

A lock lasts `LOGIN_LOCKOUT_MINUTES` (15) after the last counted failure; failures while locked are
not counted (they neither extend the lock nor count against the address). The answer to a locked
attempt is the same for an email that exists and one that does not (axes counts what was typed),
so the lockout tells nobody which emails have accounts. API tokens (knox) never go through
`authenticate()` and are unaffected.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum
from django.shortcuts import render

from accounts.sign_in import LoginForm

LOCKED_OUT_STATUS = 429


def lockout_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME / timedelta(minutes=1))


def lockout_message() -> str:
    return f"Too many failed sign-in attempts. Try again in {lockout_minutes()} minutes."


def lockout_username(request, credentials=None) -> str | None:
    """AXES_USERNAME_CALLABLE: the email as typed, trimmed and lower-cased (emails are stored
    lower-case), so `Tech@Acme.test` and `tech@acme.test ` count as one."""
    value = None
    if credentials:
        value = credentials.get("username") or credentials.get("email")
    if value is None and request is not None:
        value = request.POST.get("username")
    return value.strip().lower()[:255] if isinstance(value, str) else None


def client_ip(request) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the address a lockout is counted against.

    `REMOTE_ADDR` unless `TRUSTED_PROXY_COUNT` says how many proxies of ours stand in front of the
    app: then the address the outermost of them saw, i.e. the N-th entry from the right of
    `X-Forwarded-For` (each proxy appends the address it received the request from; whatever a
    client wrote into the header itself stays on the left and is ignored). A header with fewer
    entries, or an entry that is not an address, falls back to `REMOTE_ADDR`: the request did not
    come through our proxies."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < proxies:
        return remote
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler with one limit per lockout parameter.

    AXES_LOCKOUT_PARAMETERS is `[["username", "ip_address"], "ip_address"]`; axes compares the
    larger of the two failure counts with one AXES_FAILURE_LIMIT. Here the (email, address) count
    meets AXES_FAILURE_LIMIT and the address count meets LOGIN_LOCKOUT_ADDRESS_FAILURES."""

    def get_failures(self, request, credentials=None) -> int:
        pair, address = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        if address >= settings.LOGIN_LOCKOUT_ADDRESS_FAILURES:
            return max(pair, settings.AXES_FAILURE_LIMIT)
        return pair


def lockout_response(request, *args, **kwargs):
    """AXES_LOCKOUT_CALLABLE: the sign-in page again, with the lockout message, 429. The same
    page for `/login/` and `/admin/login/` (both allauth's login, accounts.sign_in), for an
    existing email and an unknown one."""
    response = render(request, "account/login.html", {
        "form": LoginForm(request=request),
        "redirect_field_value": request.POST.get("next", "") if request.method == "POST" else "",
        "login_action": request.get_full_path(),
        "locked_out_message": lockout_message(),
    }, status=LOCKED_OUT_STATUS)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response
