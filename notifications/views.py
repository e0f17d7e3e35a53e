"""The user's notification settings page (`/settings/notifications`)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from notifications.models import ChatIdentity
from notifications.services import notification_preferences_update


class PreferencesForm(forms.Form):
    email_notifications = forms.BooleanField(
        required=False, label="Email me about escalations",
        help_text="One email per escalation or handoff that reaches you (and, for admins, escalations "
                  "waiting unclaimed).")
    chat_mentions = forms.BooleanField(
        required=False, label="Mention me in Slack and Teams",
        help_text="When off, chat messages still name you but do not @mention you.")
    slack_member_id = forms.RegexField(
        regex=r"^[UW][A-Z0-9]{2,30}$", required=False, max_length=32, label="Slack member ID",
        help_text="Needed for Slack mentions: in Slack, open your profile, ⋮ → Copy member ID (e.g. U012AB3CD).",
        error_messages={"invalid": "A Slack member ID looks like U012AB3CD."})


@login_required
def notification_settings(request):
    user = request.user
    if not user.account_id:
        raise PermissionDenied
    identity = ChatIdentity.objects.filter(user=user).first()
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            notification_preferences_update(user=user, **form.cleaned_data)
            messages.success(request, "Notification settings saved.")
            return redirect("notification-settings")
    else:
        form = PreferencesForm(initial={"email_notifications": user.email_notifications,
                                        "chat_mentions": user.chat_mentions,
                                        "slack_member_id": identity.slack_member_id if identity else ""})
    return render(request, "notifications/settings.html", {"form": form, "nav": "settings"})
