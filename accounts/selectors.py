"""Reads for accounts that need care: whose API tokens a user may see and revoke."""

from __future__ import annotations

from accounts.models import ApiToken, User
from accounts.tenancy import get_for_account_or_404


def api_tokens_visible_to(user: User, *, everyone: bool = False):
    """`user`'s own tokens; with `everyone`, an account admin's view of every member's tokens.
    (The caller checks that only admins ask for everyone: a role gate is a 403.)"""
    qs = ApiToken.objects.for_account(user.account).select_related("user")
    if not (everyone and user.is_account_admin):
        qs = qs.filter(user=user)
    return qs.order_by("-created", "id")


def api_token_get(*, user: User, token_id) -> ApiToken:
    """One token the user may revoke: their own, or any member's for an account admin. Another
    member's token (for a non-admin), another account's, an unknown or a malformed id: 404."""
    qs = ApiToken.objects.select_related("user")
    if not user.is_account_admin:
        qs = qs.filter(user=user)
    return get_for_account_or_404(qs, user.account, pk=token_id)
