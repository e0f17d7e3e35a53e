"""Celery tasks of accounts: the invite email, and ending a deactivated member's browser sessions.

Both run on the default queue (`notifications`, CELERY_TASK_DEFAULT_QUEUE), queued after the
write commits (accounts/invites.py, accounts/members.py). In embedded mode (no broker) they run
inline at commit.
"""

from __future__ import annotations

import logging
from importlib import import_module

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.invite_tokens import new_token
from accounts.models import Invite

log = logging.getLogger(__name__)

SEND_RETRIES = 3


def publish_invite(invite_id) -> None:
    """Queue the invite email (called on commit). A broker outage is logged, not raised: the
    invite stands, the members page shows it as not sent, and inviting again re-sends."""
    try:
        send_invite.delay(str(invite_id))
    except Exception:
        log.exception("Could not queue the invite email of invite %s", invite_id)


def publish_end_sessions(user_id) -> None:
    try:
        end_browser_sessions.delay(str(user_id))
    except Exception:
        log.exception("Could not queue ending the browser sessions of user %s", user_id)


def invite_message(invite: Invite, token: str) -> EmailMultiAlternatives:
    link = settings.SITE_URL + reverse("invite-accept", args=[token])
    context = {"invite": invite, "link": link, "account": invite.account,
               "inviter": invite.invited_by.display_name if invite.invited_by else "An admin",
               "role": invite.get_role_display(), "expires_at": invite.expires_at}
    subject = " ".join(render_to_string("accounts/email/invite_subject.txt", context).split())[:200]
    message = EmailMultiAlternatives(subject=subject, body=render_to_string("accounts/email/invite.txt", context),
                                     from_email=settings.DEFAULT_FROM_EMAIL, to=[invite.email])
    message.attach_alternative(render_to_string("accounts/email/invite.html", context), "text/html")
    return message


@shared_task(bind=True, max_retries=SEND_RETRIES, acks_late=True)
def send_invite(self, invite_id: str) -> None:
    """Make the link's token, store its hash and send the email. The invite is claimed with a
    conditional update (open and not sent yet), so a duplicate run sends nothing; a failed send
    gives the claim back before retrying, and a later run makes a new token (the failed one's
    never reached anyone)."""
    token, digest = new_token()
    claimed = Invite.objects.filter(pk=invite_id, sent_at__isnull=True, accepted_at__isnull=True,
                                    revoked_at__isnull=True, expires_at__gt=timezone.now()
                                    ).update(sent_at=timezone.now(), token_hash=digest)
    if not claimed:
        return
    invite = Invite.objects.select_related("account", "invited_by").get(pk=invite_id)
    try:
        connection = get_connection(fail_silently=False, timeout=settings.OUTBOUND_HTTP_TIMEOUT_SECONDS)
        connection.send_messages([invite_message(invite, token)])
    except Exception as exc:  # every backend raises its own types
        Invite.objects.filter(pk=invite_id, token_hash=digest).update(sent_at=None, token_hash=None)
        log.warning("Invite email %s failed (%s); retrying", invite_id, exc.__class__.__name__)
        raise self.retry(exc=exc, countdown=30 * (self.request.retries + 1)) from None


@shared_task(acks_late=True)
def end_browser_sessions(user_id: str) -> int:
    """Delete the user's browser sessions (database sessions are not indexed by user: one pass
    over the unexpired ones, in a worker). Requests of an inactive user are anonymous anyway
    (ModelBackend); deleting the sessions means reactivating the member does not revive them."""
    engine = import_module(settings.SESSION_ENGINE)
    store = engine.SessionStore
    model = store.get_model_class() if hasattr(store, "get_model_class") else None
    if model is None:  # a cache or cookie engine: nothing stored server-side to scan
        return 0
    ended = 0
    for key, data in model.objects.filter(expire_date__gt=timezone.now()).values_list(
            "session_key", "session_data").iterator(chunk_size=500):
        if str(store().decode(data).get("_auth_user_id")) == str(user_id):
            ended += model.objects.filter(session_key=key).delete()[0]
    return ended
