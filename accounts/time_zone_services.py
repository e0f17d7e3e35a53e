"""Writes of the time zones (issue #11, accounts.time_zones): a member's own zone, the account's."""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.models import Account, User
from accounts.time_zones import validate_time_zone


def user_time_zone_update(*, user, time_zone: str) -> None:
    """The user's own zone for their pages; "" to follow the account's. ValidationError for a name
    `zoneinfo` does not know."""
    time_zone = (time_zone or "").strip()
    if time_zone:
        validate_time_zone(time_zone)
    User.objects.filter(pk=user.pk).update(time_zone=time_zone)
    user.time_zone = time_zone


@transaction.atomic
def account_time_zone_update(*, actor, time_zone: str) -> None:
    """The actor's account's zone (account admins only: PermissionDenied otherwise). It moves the
    account's analytics days: a database trigger (analytics migration 0003) marks every day of the
    account stale in this transaction, and the rollups are rebuilt in the new zone by beat."""
    if not (actor.is_active and actor.is_account_admin):
        raise PermissionDenied("Only account admins may change the account's time zone.")
    time_zone = (time_zone or "").strip()
    validate_time_zone(time_zone)
    account = actor.account
    Account.objects.filter(pk=account.pk).update(time_zone=time_zone)
    account.time_zone = time_zone
