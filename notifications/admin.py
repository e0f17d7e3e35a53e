"""Admin pages: account admins configure their channels, PSA connection and webhooks, and watch
the outbox (read-only, with a "Retry now" action). Everything is scoped to the admin's account
(AccountScopedAdmin); platform operators see every account.

Secrets are write-only here: webhook/Slack/Teams URLs are shown (admins need to recognise them)
but PSA credentials and webhook secrets are never rendered back; a webhook secret is shown once,
in the message after the endpoint is created.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.utils.html import format_html

from accounts.admin_scoping import AccountScopedAdmin
from notifications import outbox, tasks
from notifications.models import (
    PSA_CREDENTIAL_KEYS,
    ChatIdentity,
    Delivery,
    DeliveryAttempt,
    NotificationChannel,
    PSAConnection,
    WebhookEndpoint,
    WebhookEvent,
)
from notifications.transports.psa import forget_discovered


class ConfigAdmin(AccountScopedAdmin):
    """Only operators pick the account; an account admin's rows are theirs (AccountScopedAdmin)."""

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        return fields if request.user.is_superuser else [f for f in fields if f != "account"]


@admin.register(NotificationChannel)
class NotificationChannelAdmin(ConfigAdmin):
    list_display = ("name", "kind", "enabled", "disabled_reason", "created_at")
    list_filter = ("kind", "enabled", "account")
    fields = ("account", "kind", "name", "url", "enabled", "disabled_reason")
    readonly_fields = ("disabled_reason",)

    def save_model(self, request, obj, form, change):
        if obj.enabled:
            obj.disabled_reason = ""
        super().save_model(request, obj, form, change)


class PSAConnectionForm(forms.ModelForm):
    base_url = forms.URLField(assume_scheme="https", max_length=200,
                              help_text="The vendor API's base URL, e.g. https://api-na.myconnectwise.net.")
    new_credentials = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off"}),
        label="Credentials (JSON)",
        help_text="Write-only. Leave empty to keep the stored credentials. ConnectWise: company_id, public_key, "
                  "private_key, client_id · Autotask: username, secret, integration_code · HaloPSA: client_id, "
                  "client_secret.",
    )

    class Meta:
        model = PSAConnection
        fields = ("account", "kind", "base_url", "options", "test_ticket_id", "enabled")
        help_texts = {"options": 'Non-secret options, e.g. Autotask {"note_type": 1, "publish": 2}, '
                                 'HaloPSA {"tenant": "acme"}, ConnectWise {"codebase": "v2024_1/"}.'}

    def clean(self):
        data = super().clean()
        raw = (data.get("new_credentials") or "").strip()
        kind = data.get("kind")
        if raw:
            try:
                creds = json.loads(raw)
            except ValueError:
                raise forms.ValidationError({"new_credentials": "Not valid JSON."}) from None
            if not isinstance(creds, dict):
                raise forms.ValidationError({"new_credentials": "A JSON object is expected."})
            missing = [k for k in PSA_CREDENTIAL_KEYS.get(kind, ()) if not creds.get(k)]
            if missing:
                raise forms.ValidationError({"new_credentials": f"Missing: {', '.join(missing)}."})
            data["parsed_credentials"] = creds
        elif not (self.instance.pk and self.instance.credentials):
            raise forms.ValidationError({"new_credentials": "Credentials are required."})
        return data

    def save(self, commit=True):
        obj = super().save(commit=False)
        if "parsed_credentials" in self.cleaned_data:
            obj.credentials = self.cleaned_data["parsed_credentials"]
        if commit:
            obj.save()
        return obj


@admin.register(PSAConnection)
class PSAConnectionAdmin(ConfigAdmin):
    form = PSAConnectionForm
    list_display = ("__str__", "kind", "enabled", "created_at")
    list_filter = ("kind", "enabled")

    fields = ("account", "kind", "base_url", "new_credentials", "options", "test_ticket_id", "enabled")

    def save_model(self, request, obj, form, change):
        """A new URL or new credentials invalidate what was discovered (Autotask's zone follows the
        API user); a worker discovers again after the commit (no network I/O in this request)."""
        if change and {"kind", "base_url", "new_credentials"} & set(form.changed_data) \
                and "options" not in form.changed_data:
            obj.options = forget_discovered(obj.options)
        super().save_model(request, obj, form, change)
        transaction.on_commit(lambda: tasks.discover_psa_endpoints.delay(str(obj.pk)))


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ConfigAdmin):
    list_display = ("id", "events_list", "enabled", "disabled_at", "created_at")
    list_filter = ("enabled", "account")
    readonly_fields = ("disabled_at", "disabled_reason", "created_at")

    class Form(forms.ModelForm):
        events = forms.MultipleChoiceField(choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple)

        class Meta:
            model = WebhookEndpoint
            fields = ("account", "url", "events", "enabled")

    form = Form

    @admin.display(description="events")
    def events_list(self, obj):
        return ", ".join(obj.events)

    def save_model(self, request, obj, form, change):
        if change and "enabled" in form.changed_data:
            obj.disabled_at = None if obj.enabled else obj.disabled_at
            obj.disabled_reason = "" if obj.enabled else "Disabled by an admin."
        super().save_model(request, obj, form, change)
        if not change:
            messages.warning(request, format_html(
                "Signing secret of this endpoint (shown once, copy it now): <code>{}</code>", obj.secret))


@admin.register(ChatIdentity)
class ChatIdentityAdmin(ConfigAdmin):
    list_display = ("user", "slack_member_id")

    def save_model(self, request, obj, form, change):
        obj.account_id = obj.user.account_id
        super().save_model(request, obj, form, change)


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ("number", "started_at", "duration_ms", "succeeded", "status_code", "error")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(AccountScopedAdmin):
    """The outbox, read-only: what was sent where, its status, attempts and last error."""

    account_admin_read_only = True
    list_display = ("created_at", "kind", "event_type", "target", "status", "attempts", "last_status_code",
                    "next_attempt_at", "short_error")
    list_filter = ("status", "kind", "event_type", "account")
    search_fields = ("id", "target", "event_type")
    date_hierarchy = "created_at"
    inlines = [DeliveryAttemptInline]
    actions = ["retry_now"]
    list_select_related = ()
    fields = ("id", "account", "kind", "event_type", "target", "handoff", "status", "attempts", "next_attempt_at",
              "last_status_code", "last_error", "external_id", "created_at", "updated_at", "delivered_at", "body")
    readonly_fields = fields

    @admin.display(description="last error")
    def short_error(self, obj):
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error

    def get_exclude(self, request, obj=None):
        return []

    def get_fields(self, request, obj=None):
        return self.fields if request.user.is_superuser else tuple(f for f in self.fields if f != "account")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.action(description="Retry now")
    def retry_now(self, request, queryset):
        count = outbox.retry_now(queryset)
        skipped = queryset.count() - count
        self.message_user(request, f"{count} deliveries queued for another attempt."
                          + (f" {skipped} skipped (already delivered or sending)." if skipped else ""),
                          messages.SUCCESS if count else messages.WARNING)

