"""An account may require a second factor of every member (`Account.mfa_required`, issue #11).

`RequireMFAMiddleware` sends a signed-in member of such an account who has no authenticator app
(allauth.mfa TOTP) to set one up before anything else: pages redirect to the enrolment page,
session calls to the API answer 403. What stays reachable is what enrolment needs: allauth's
pages under `/accounts/` (enrolment, reauthentication, password change, logout), `/logout/`,
static files and the probes. docs/security.md "Two-factor authentication".

API tokens are a credential of their own (made by a user who was signed in) and are not refused;
an account that requires MFA should review its members' tokens (the API tokens page).
"""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

# Paths a member who must enrol can still reach.
EXEMPT_PREFIXES = ("/accounts/", "/logout/", "/static/", "/healthz", "/readyz", "/metrics")
ENROL_FIRST = "Your account requires two-factor authentication: set up an authenticator app first."


def must_enrol(user) -> bool:
    """True for a signed-in member of an account requiring MFA who has no TOTP authenticator."""
    if not user.is_authenticated or user.account_id is None:
        return False
    if not user.account.mfa_required:
        return False
    return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class RequireMFAMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(EXEMPT_PREFIXES) and must_enrol(request.user):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": ENROL_FIRST}, status=403)
            target = reverse("mfa_activate_totp")
            if request.method == "GET":
                target += "?" + urlencode({"next": request.get_full_path()})
            return redirect(target)
        return self.get_response(request)
