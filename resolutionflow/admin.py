"""The admin site: superusers see every account; account admins see only their own.

Django's stock site lets in `is_staff` users only. Here an active user whose role is `admin`
may use it too, and every ModelAdmin they reach is an `AccountScopedAdmin` (accounts.admin),
which filters lists, detail pages, foreign-key choices and saves by their account.
"""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError


def may_use_admin(user) -> bool:
    """Platform operators and account admins; False for anonymous visitors and everyone else."""
    if not (user.is_active and user.is_authenticated):
        return False
    return user.is_superuser or getattr(user, "is_account_admin", False)


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's login form lets in whoever `has_permission` lets in (account admins never get
    `is_staff`), with the stock form's one message for a wrong password and a refused account."""

    def confirm_login_allowed(self, user):
        if not may_use_admin(user):
            raise ValidationError(self.error_messages["invalid_login"], code="invalid_login",
                                  params={"username": self.username_field.verbose_name})


class ResolutionFlowAdminSite(admin.AdminSite):
    site_header = "ResolutionFlow administration"
    site_title = "ResolutionFlow admin"
    index_title = "Account administration"
    login_form = AdminLoginForm

    def has_permission(self, request):
        return may_use_admin(request.user)
