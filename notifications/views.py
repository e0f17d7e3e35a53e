"""The user's notification settings page (`/settings/notifications`) and the account admins'
Integrations page (`/settings/integrations/`)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.tenancy import get_for_account_or_404
from escalations.errors import Conflict
from notifications import selectors, services
from notifications.models import ChatIdentity, Delivery, NotificationChannel, PSAConnection, WebhookEndpoint
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


# --- Integrations (account admins) ---------------------------------------------------------------

def _admin_account(request):
    """The account the signed-in admin manages; anyone else (technicians, engineers, platform
    operators without an account) gets 403."""
    user = request.user
    if not (user.account_id and user.is_account_admin):
        raise PermissionDenied
    return user.account


@login_required
@require_GET
def integrations(request):
    account = _admin_account(request)
    overview = selectors.integrations_overview(account)
    tested = selectors.tested_delivery(account, request.GET.get("test", ""))
    if tested is not None:
        # "Send a test" without the page's script (or pressed before it loaded): the card shows
        # the answer so far, and the script follows it from there.
        target_id = tested.channel_id or tested.psa_connection_id or tested.endpoint_id
        items = [*overview["channels"], *([overview["psa"]] if overview["psa"] else []), *overview["webhooks"]]
        for item in items:
            if item["target"].pk == target_id:
                item["test_result"] = selectors.delivery_answer(tested)
    return render(request, "notifications/integrations.html", {"nav": "integrations", **overview})


def _queue_test(*, kind: str, target_id: str, account, actor) -> Delivery:
    """Fetch the target inside the account (404 otherwise) and queue its test delivery."""
    if kind == "channel":
        channel = get_for_account_or_404(NotificationChannel.objects.all(), account, pk=target_id)
        return services.channel_test(channel=channel, actor=actor)
    if kind == "psa":
        connection = get_for_account_or_404(PSAConnection.objects.all(), account, pk=target_id)
        return services.psa_test(connection=connection)
    if kind == "webhook":
        endpoint = get_for_account_or_404(WebhookEndpoint.objects.all(), account, pk=target_id)
        return services.webhook_ping(endpoint=endpoint)
    raise Http404("Not found.")


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
@require_POST
def integration_test(request, kind, target_id):
    """"Send a test": a delivery through the outbox, sent by a worker after commit. The page's
    script asks for JSON (202 and the delivery to follow); without it, back to the page, whose
    card shows the test's answer (`?test=<delivery id>`)."""
    account = _admin_account(request)
    try:
        delivery = _queue_test(kind=kind, target_id=target_id, account=account, actor=request.user)
    except Conflict as exc:
        if _wants_json(request):
            return JsonResponse({"detail": str(exc.detail)}, status=409)
        messages.error(request, str(exc.detail))
        return redirect("integrations")
    if _wants_json(request):
        return JsonResponse(selectors.delivery_answer(delivery), status=202)
    return redirect(f"{reverse('integrations')}?test={delivery.pk}")


@login_required
@require_GET
def integration_delivery(request, delivery_id):
    """One delivery of the account, as the page follows a test (JSON)."""
    account = _admin_account(request)
    delivery = get_for_account_or_404(Delivery.objects.all(), account, pk=delivery_id)
    return JsonResponse(selectors.delivery_answer(delivery))
