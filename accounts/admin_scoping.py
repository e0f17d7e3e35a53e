"""Admin classes account admins can use safely.

Superusers see every account. An account admin sees and edits only rows of their own account:
the changelist, the detail page (another account's id is a 404 because it is not in the
queryset), the choices of every foreign key, and saves (the account is forced to theirs).
"""

from django.contrib import admin

from accounts.models import Account


def _is_operator(request):
    return request.user.is_superuser


def is_account_admin_request(request) -> bool:
    """An active, signed-in admin of an account. Safe for anonymous visitors: the admin asks every
    ModelAdmin for its module permission even on the login page (`AdminSite.each_context`), and
    `AnonymousUser` has no `is_account_admin`."""
    user = request.user
    return bool(user.is_authenticated and user.is_active and getattr(user, "is_account_admin", False))


class AccountScopedAdmin(admin.ModelAdmin):
    # ORM path from the model to its account.
    account_path = "account"
    # Account admins may only read these models (no add/change/delete).
    account_admin_read_only = False

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if _is_operator(request):
            return qs
        return qs.filter(**{self.account_path: request.user.account_id})

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if not _is_operator(request) and self.account_path == "account":
            exclude.append("account")
        return exclude

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if not _is_operator(request):
            filters = [f for f in filters if f != "account"]
        return filters

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not _is_operator(request):
            related = db_field.related_model
            account = request.user.account
            if related is Account:
                kwargs["queryset"] = Account.objects.filter(pk=account.pk)
            elif any(f.name == "account" for f in related._meta.get_fields()):
                kwargs["queryset"] = related._default_manager.filter(account=account)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if not _is_operator(request):
            related = db_field.related_model
            if any(f.name == "account" for f in related._meta.get_fields()):
                kwargs["queryset"] = related._default_manager.filter(account=request.user.account)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not _is_operator(request) and self.account_path == "account":
            obj.account = request.user.account
        super().save_model(request, obj, form, change)

    # Account admins administer their own account: model permissions are implied by the role.
    def _account_admin(self, request):
        return is_account_admin_request(request)

    def has_module_permission(self, request):
        return _is_operator(request) or self._account_admin(request)

    def has_view_permission(self, request, obj=None):
        if _is_operator(request):
            return super().has_view_permission(request, obj)
        return self._account_admin(request)

    def has_add_permission(self, request):
        if _is_operator(request):
            return super().has_add_permission(request)
        return self._account_admin(request) and not self.account_admin_read_only

    def has_change_permission(self, request, obj=None):
        if _is_operator(request):
            return super().has_change_permission(request, obj)
        return self._account_admin(request) and not self.account_admin_read_only

    def has_delete_permission(self, request, obj=None):
        if _is_operator(request):
            return super().has_delete_permission(request, obj)
        return self._account_admin(request) and not self.account_admin_read_only
