"""Writes on an account's members (the members page): change a role, deactivate, reactivate.

Each is a plain `save(update_fields=[...])`, so escalations/ws_revoke.py's signals see it and end
the member's open websockets after commit (deactivated: 4401; role changed: 4403, reconnect with
the new rights). Deactivation also deletes the member's browser sessions (accounts/tasks.py);
until that runs, their requests are anonymous anyway (ModelBackend refuses inactive users).

The last active admin rule: an account always keeps one active admin. Every change that could
remove one locks the account's active admin rows first (ordered by id, so two admins demoting
each other at once queue up instead of both succeeding), then the member's own row.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts import tasks
from accounts.models import Role, User

LAST_ADMIN = ("{name} is the account's last active admin. Make someone else an admin first: an account "
              "needs one to manage its members.")


def _lock(member: User) -> tuple[User, list]:
    """Lock the account's active admins, then the member; the member as it is now."""
    admins = list(User.objects.select_for_update().filter(account_id=member.account_id, role=Role.ADMIN,
                                                          is_active=True).order_by("pk").values_list("pk", flat=True))
    return User.objects.select_for_update().get(pk=member.pk), admins


def _check_not_last_admin(member: User, admins: list) -> None:
    if member.pk in admins and len(admins) == 1:
        raise ValidationError(LAST_ADMIN.format(name=member.display_name))


@transaction.atomic
def member_set_role(*, member: User, role: str) -> User:
    """Give `member` another role. Raises ValidationError for an unknown role or for demoting the
    last active admin; neither writes anything."""
    if role not in Role.values:
        raise ValidationError({"role": ["Choose technician, engineer or admin."]})
    member, admins = _lock(member)
    if member.role == role:
        return member
    if role != Role.ADMIN:
        _check_not_last_admin(member, admins)
    member.role = role
    member.save(update_fields=["role"])
    return member


@transaction.atomic
def member_deactivate(*, member: User) -> User:
    """Deactivate `member`: they cannot log in, their sockets close and their sessions end.
    Not the last active admin (ValidationError)."""
    member, admins = _lock(member)
    if not member.is_active:
        return member
    _check_not_last_admin(member, admins)
    member.is_active = False
    member.save(update_fields=["is_active"])
    transaction.on_commit(lambda: tasks.publish_end_sessions(member.pk), robust=True)
    return member


@transaction.atomic
def member_reactivate(*, member: User) -> User:
    """Let `member` log in again (with their password; old sessions stay ended)."""
    member = User.objects.select_for_update().get(pk=member.pk)
    if not member.is_active:
        member.is_active = True
        member.save(update_fields=["is_active"])
    return member
