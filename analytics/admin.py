from django.contrib import admin

from accounts.admin_scoping import AccountScopedAdmin
from analytics.models import BaselineSample


@admin.register(BaselineSample)
class BaselineSampleAdmin(AccountScopedAdmin):
    """Account admins record and correct their own account's stopwatch timings; operators see all."""

    list_display = ("measured_on", "seconds", "measurer", "note", "account", "recorded_by", "created_at")
    list_filter = ("account", "measured_on")
    search_fields = ("note", "measured_by_name", "measured_by__email", "measured_by__name")
    date_hierarchy = "measured_on"
    fields = ("account", "seconds", "measured_on", "measured_by", "measured_by_name", "note")
    list_select_related = ("measured_by", "recorded_by", "account")

    @admin.display(description="measured by")
    def measurer(self, obj):
        return obj.measurer

    def get_list_display(self, request):
        columns = super().get_list_display(request)
        return columns if request.user.is_superuser else tuple(c for c in columns if c != "account")

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if request.user.is_superuser else tuple(f for f in fields if f != "account")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)
