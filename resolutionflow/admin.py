"""The admin site: superusers see every account; account admins see only their own.

Django's stock site lets in `is_staff` users only. Here an active user whose role is `admin`
may use it too, and every ModelAdmin they reach is an `AccountScopedAdmin` (accounts.admin),
which filters lists, detail pages, foreign-key choices and saves by their account.
"""

from django.contrib import admin


class ResolutionFlowAdminSite(admin.AdminSite):
    site_header = "ResolutionFlow administration"
    site_title = "ResolutionFlow admin"
    index_title = "Account administration"

    def has_permission(self, request):
        user = request.user
        if not (user.is_active and user.is_authenticated):
            return False
        return user.is_superuser or getattr(user, "is_account_admin", False)
