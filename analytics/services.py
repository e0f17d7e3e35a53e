"""Writes for analytics: the manual baseline samples an account admin records."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.models import User
from analytics.models import BaselineSample


def _assert_account_admin(actor) -> None:
    if not (actor.is_active and actor.is_account_admin):
        raise PermissionDenied("Only account admins may record baseline samples.")


@transaction.atomic
def baseline_sample_create(*, actor: User, seconds: int, measured_on: date, measured_by: User | None = None,
                           measured_by_name: str = "", note: str = "") -> BaselineSample:
    """Record one stopwatch timing of an escalation done the old way, in the actor's account.
    `measured_by` must be a member of that account; without one, `measured_by_name` is required.
    Raises ValidationError (bad values) or PermissionDenied (not an account admin)."""
    _assert_account_admin(actor)
    sample = BaselineSample(
        account_id=actor.account_id, seconds=seconds, measured_on=measured_on, measured_by=measured_by,
        measured_by_name=(measured_by_name or "").strip(), note=(note or "").strip(), recorded_by=actor,
    )
    sample.full_clean()
    sample.save()
    return sample


@transaction.atomic
def baseline_sample_delete(*, actor: User, sample_id: int) -> None:
    """Delete a mistyped sample of the actor's account. Another account's id is a DoesNotExist."""
    _assert_account_admin(actor)
    BaselineSample.objects.for_account(actor.account).get(pk=sample_id).delete()
