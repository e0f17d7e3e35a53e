"""Invites: how account admins add people (the members page, /settings/members/).

An admin invites an email address with a role. The invite row is written in the request; the
email goes out after commit, from a Celery task (`accounts.tasks.send_invite`), which is also where
the link's token is made: 32 random bytes, of which only the SHA-256 is stored (`Invite.token_hash`),
the way API tokens store only knox's digest. The token never touches the database, the broker or a
log; it exists in the worker's memory and in the email.

The link is single use and expires (`INVITE_EXPIRY_DAYS`). Opening it shows a form for a name and a
password (Django's validators); accepting creates the user in the invite's account with the invite's
role, marks the invite accepted and signs them in. The invite row is locked while that happens, so
two submits of one link make one user.

Users belong to one account: an email that is already a user (in any account) cannot be invited,
and an invite whose email became a user meanwhile cannot be accepted. Re-inviting an email closes
its open invite (its link stops working) and sends a new one.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import tasks
from accounts.invite_tokens import TOKEN_MAX_LENGTH, hash_token
from accounts.models import Account, Invite, Role, User

NAME_MAX_LENGTH = User._meta.get_field("name").max_length
EMAIL_MAX_LENGTH = Invite._meta.get_field("email").max_length


class InviteUnusable(Exception):
    """The link cannot be used: `reason` is "unknown", "used", "revoked" or "expired"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def _email_taken(email: str) -> bool:
    return User.objects.filter(email__iexact=email).exists()


def _queue_send(invite_id) -> None:
    transaction.on_commit(lambda: tasks.publish_invite(invite_id), robust=True)


@transaction.atomic
def invite_create(*, account: Account, actor: User, email: str, role: str) -> Invite:
    """Invite `email` to `account` as `role`; the email is sent after commit. Replaces the open
    invite of that email in the account. Bad input raises ValidationError ({field: [message]})
    and writes nothing."""
    email = normalize_email(email)
    errors: dict[str, list[str]] = {}
    try:
        if len(email) > EMAIL_MAX_LENGTH:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        errors["email"] = ["Enter a valid email address."]
    if role not in Role.values:
        errors["role"] = ["Choose technician, engineer or admin."]
    if not errors and _email_taken(email):
        errors["email"] = [f"{email} already has a ResolutionFlow login. A person belongs to one account: "
                           "ask them (or their account's admin) to use another address."]
    if errors:
        raise ValidationError(errors)
    # One invite write per account at a time: two admins re-inviting one address queue up here
    # instead of tripping the one-open-invite constraint.
    Account.objects.select_for_update().filter(pk=account.pk).first()
    now = timezone.now()
    Invite.objects.filter(account=account, email=email, accepted_at__isnull=True,
                          revoked_at__isnull=True).update(revoked_at=now)
    invite = Invite.objects.create(account=account, email=email, role=role, invited_by=actor, created_at=now,
                                   expires_at=now + timedelta(days=settings.INVITE_EXPIRY_DAYS))
    _queue_send(invite.pk)
    return invite


@transaction.atomic
def invite_revoke(*, invite: Invite) -> bool:
    """Revoke a pending invite: its link stops working. False if it was no longer open."""
    return bool(Invite.objects.filter(pk=invite.pk, accepted_at__isnull=True, revoked_at__isnull=True)
                .update(revoked_at=timezone.now()))


def _usable(invite: Invite | None) -> Invite:
    if invite is None:
        raise InviteUnusable("unknown")
    if invite.accepted_at is not None:
        raise InviteUnusable("used")
    if invite.revoked_at is not None:
        raise InviteUnusable("revoked")
    if invite.expires_at <= timezone.now():
        raise InviteUnusable("expired")
    return invite


def _by_token(queryset, token: str) -> Invite | None:
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return queryset.select_related("account").filter(token_hash=hash_token(token)).first()


def invite_for_token(token: str) -> Invite:
    """The invite a link's token opens, or InviteUnusable."""
    return _usable(_by_token(Invite.objects.all(), token))


def invite_accept(*, token: str, name: str, password: str, password_confirm: str) -> User:
    """Create the invited user (the invite's account and role) with `name` and `password`, and use
    up the invite. Raises InviteUnusable for a bad link, ValidationError ({field: [message]}) for
    bad input; neither writes anything."""
    name = (name or "").strip()
    with transaction.atomic():
        invite = _usable(_by_token(Invite.objects.select_for_update(of=("self",)), token))
        errors: dict[str, list[str]] = {}
        if not name:
            errors["name"] = ["Enter your name."]
        elif len(name) > NAME_MAX_LENGTH:
            errors["name"] = [f"Ensure your name has at most {NAME_MAX_LENGTH} characters."]
        user = User(email=invite.email, name=name, account=invite.account, role=invite.role)
        if not password:
            errors["password"] = ["Choose a password."]
        elif password != password_confirm:
            errors["password_confirm"] = ["The two passwords differ."]
        else:
            try:
                validate_password(password, user=user)
            except ValidationError as exc:
                errors["password"] = list(exc.messages)
        if not errors and _email_taken(invite.email):
            errors["__all__"] = [f"{invite.email} already has a ResolutionFlow login: log in instead."]
        if errors:
            raise ValidationError(errors)
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save(force_insert=True)
        except IntegrityError:  # the same email signed up through another invite at this moment
            raise ValidationError({"__all__": [f"{invite.email} already has a ResolutionFlow login: "
                                               "log in instead."]}) from None
        invite.accepted_at = timezone.now()
        invite.accepted_user = user
        invite.save(update_fields=["accepted_at", "accepted_user"])
    return user
