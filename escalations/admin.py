from django.contrib import admin

from accounts.admin_scoping import AccountScopedAdmin
from escalations.models import Handoff, Message, PilotSession, Step


class StepInline(admin.TabularInline):
    model = Step
    fields = ("action", "result", "outcome", "author", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class MessageInline(admin.TabularInline):
    model = Message
    fields = ("role", "author", "body", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PilotSession)
class PilotSessionAdmin(AccountScopedAdmin):
    list_display = ("title", "client_name", "owner", "status", "created_at", "resolved_at")
    list_filter = ("status", "account")
    search_fields = ("title", "problem", "client_name", "psa_ticket_id")
    readonly_fields = ("owner", "status", "documentation", "created_at", "updated_at", "resolved_at")
    fields = ("title", "problem", "client_name", "psa_ticket_id", "owner", "status", "resolution",
              "documentation", "created_at", "updated_at", "resolved_at")
    inlines = (StepInline, MessageInline)
    list_select_related = ("owner",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False  # sessions are opened by technicians, in the product


@admin.register(Handoff)
class HandoffAdmin(AccountScopedAdmin):
    """Read-mostly: the handoff is a record of what happened."""

    account_admin_read_only = True
    list_display = ("session", "intent", "requested_by", "target_user", "assessment_status", "claimed_by",
                    "created_at", "claimed_at", "first_action_at")
    list_filter = ("intent", "assessment_status", ("claimed_at", admin.EmptyFieldListFilter), "account")
    search_fields = ("reason", "problem", "session__title")
    list_select_related = ("session", "requested_by", "target_user", "claimed_by")
    date_hierarchy = "created_at"
    readonly_fields = ("session", "intent", "reason", "requested_by", "target_user", "problem", "steps_tried",
                       "conversation_tail", "assessment", "assessment_status", "claimed_by", "claimed_at",
                       "first_action_at", "cancelled_at", "admins_renotified_at", "created_at")
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
