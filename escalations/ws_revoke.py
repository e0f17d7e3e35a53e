"""When a user's websocket sessions end: the signals that send `events.end_sessions`.

Authorisation happens at connect; these close what is already open when the authority behind it
ends (docs/security.md, "Websocket sessions end with their authority"):

| what happened | which sockets | close code |
|---|---|---|
| the user is deactivated or deleted | all of theirs | 4401 |
| their role or account changed | all of theirs | 4403 (reconnect with the new rights) |
| their password changed | those of browser sessions | 4403 (a still valid session reconnects) |
| one of their API tokens is deleted | those authenticated by that token | 4401 |
| a browser session logs out | those of that session | 4401 |

User saves are compared with the row as it was (one query, skipped for saves that name only
other fields, like the login's `last_login`). Writes that bypass signals (`QuerySet.update`) are
caught by the consumer's re-check on its next ping (every 25 s).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_delete, post_save, pre_save

from accounts.models import ApiToken
from escalations import events

WATCHED = {"is_active", "role", "account", "account_id", "password"}
_BEFORE = "_ws_authority_before"


def _remember(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and not WATCHED & set(update_fields):
        return
    before = sender._default_manager.filter(pk=instance.pk).values_list(
        "is_active", "role", "account_id", "password").first()
    setattr(instance, _BEFORE, before)


def _compare(sender, instance, created=False, raw=False, **kwargs):
    before = instance.__dict__.pop(_BEFORE, None)
    if created or raw or before is None:
        return
    was_active, role, account_id, password = before
    if was_active and not instance.is_active:
        events.end_sessions(instance.pk, "deactivated", code=events.CLOSE_SIGNED_OUT)
    elif role != instance.role or account_id != instance.account_id:
        events.end_sessions(instance.pk, "role_changed", code=events.CLOSE_REAUTHORISE)
    elif password != instance.password:
        events.end_sessions(instance.pk, "password_changed", code=events.CLOSE_REAUTHORISE, auth="session")


def _deleted(sender, instance, **kwargs):
    events.end_sessions(instance.pk, "deleted", code=events.CLOSE_SIGNED_OUT)


def _token_deleted(sender, instance, **kwargs):
    events.end_sessions(instance.user_id, "token_revoked", code=events.CLOSE_SIGNED_OUT,
                        token_digest=instance.digest)


def _logged_out(sender, request=None, user=None, **kwargs):
    session = getattr(request, "session", None)
    if user is None or session is None or not session.session_key:
        return
    events.end_sessions(user.pk, "logged_out", code=events.CLOSE_SIGNED_OUT, session_key=session.session_key)


def connect() -> None:
    """Called by EscalationsConfig.ready (idempotent: dispatch_uid)."""
    user_model = get_user_model()
    pre_save.connect(_remember, sender=user_model, dispatch_uid="ws_revoke.remember")
    post_save.connect(_compare, sender=user_model, dispatch_uid="ws_revoke.compare")
    post_delete.connect(_deleted, sender=user_model, dispatch_uid="ws_revoke.deleted")
    post_delete.connect(_token_deleted, sender=ApiToken, dispatch_uid="ws_revoke.token_deleted")
    user_logged_out.connect(_logged_out, dispatch_uid="ws_revoke.logged_out")
