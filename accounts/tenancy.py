"""Tenancy: every tenant-owned row has `account`; every query goes through `for_account`.

Views never look an object up by id alone. `get_for_account_or_404` gives the same 404 for a
missing object and for another account's object.
"""

from django.db import models
from django.http import Http404


class AccountScopedQuerySet(models.QuerySet):
    def for_account(self, account):
        if account is None:
            return self.none()
        return self.filter(account=account)


AccountScopedManager = models.Manager.from_queryset(AccountScopedQuerySet)


def get_for_account_or_404(queryset, account, **lookup):
    """Fetch one object inside the tenant. Malformed ids are a 404 too, never a 500."""
    from django.core.exceptions import ValidationError

    try:
        return queryset.for_account(account).get(**lookup)
    except (queryset.model.DoesNotExist, ValidationError, ValueError):
        raise Http404("Not found.") from None
