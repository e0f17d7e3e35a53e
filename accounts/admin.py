from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from knox.models import AuthToken

from accounts.admin_scoping import AccountScopedAdmin, is_account_admin_request
from accounts.models import Account, User

admin.site.unregister(AuthToken) if admin.site.is_registered(AuthToken) else None


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    """Operators manage every account; an account admin sees (and may rename) only their own."""

    list_display = ("name", "slug", "escalation_renotify_minutes", "created_at")
    search_fields = ("name", "slug")

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(pk=request.user.account_id)

    def get_readonly_fields(self, request, obj=None):
        return () if request.user.is_superuser else ("slug", "created_at")

    def has_module_permission(self, request):
        return request.user.is_superuser or is_account_admin_request(request)

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser or is_account_admin_request(request)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser or is_account_admin_request(request)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class UserCreateForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name", "role")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(AccountScopedAdmin, DjangoUserAdmin):
    """Account admins manage their team and its roles; they can never grant platform rights."""

    form = UserEditForm
    add_form = UserCreateForm
    ordering = ("email",)
    list_display = ("email", "name", "role", "account", "is_active", "last_login")
    list_filter = ("role", "is_active", "account")
    search_fields = ("email", "name")

    operator_fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name", "account", "role", "email_notifications", "chat_mentions")}),
        ("Platform", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    member_fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name", "role", "is_active", "email_notifications", "chat_mentions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "name", "role", "password1", "password2")}),
    )

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            fieldsets = self.add_fieldsets
            if request.user.is_superuser:
                fieldsets = ((None, {"classes": ("wide",),
                                     "fields": ("email", "name", "account", "role", "password1", "password2")}),)
            return fieldsets
        return self.operator_fieldsets if request.user.is_superuser else self.member_fieldsets

    def get_form(self, request, obj=None, **kwargs):
        kwargs["fields"] = admin.utils.flatten_fieldsets(self.get_fieldsets(request, obj))
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return ("last_login", "date_joined")

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        # Account admins never see platform operators.
        return qs if request.user.is_superuser else qs.filter(is_superuser=False)

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.account = request.user.account
            obj.is_superuser = False
            obj.is_staff = False
        super().save_model(request, obj, form, change)
