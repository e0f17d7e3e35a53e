"""The Django admin: account admins see their own deliveries (read-only) and retry them."""

import pytest
from django.urls import reverse

from notifications import outbox
from notifications.models import Delivery, NotificationChannel, PSAConnection, WebhookEndpoint


def _delivery(account, status="failed", kind="webhook"):
    d = outbox.new(account_id=account.pk, kind=kind, event_type="handoff.created", payload={"x": 1},
                   target=f"{account.slug} target")
    d.status = status
    d.save()
    return d


@pytest.fixture
def admin_client(client, acme_admin):
    client.force_login(acme_admin)  # axes needs a request for a password sign-in
    return client


def test_an_account_admin_sees_only_their_deliveries_and_cannot_edit_them(admin_client, acme, globex):
    mine, theirs = _delivery(acme), _delivery(globex)
    changelist = admin_client.get(reverse("admin:notifications_delivery_changelist"))
    assert changelist.status_code == 200
    html = changelist.content.decode()
    assert "acme target" in html and "globex target" not in html
    assert admin_client.get(reverse("admin:notifications_delivery_change", args=[mine.pk])).status_code == 200
    assert admin_client.get(reverse("admin:notifications_delivery_change", args=[theirs.pk])).status_code == 302
    assert admin_client.get(reverse("admin:notifications_delivery_add")).status_code == 403
    filtered = admin_client.get(reverse("admin:notifications_delivery_changelist") + "?status__exact=delivered")
    assert "acme target" not in filtered.content.decode()


def test_retry_now_requeues_failed_and_dead_deliveries_of_the_account(
        admin_client, acme, globex, django_capture_on_commit_callbacks):
    failed, dead, delivered, foreign = (_delivery(acme), _delivery(acme, "dead"), _delivery(acme, "delivered"),
                                        _delivery(globex))
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:notifications_delivery_changelist"), {
            "action": "retry_now", "_selected_action": [str(d.pk) for d in (failed, dead, delivered, foreign)]})
    assert response.status_code == 302
    statuses = dict(Delivery.objects.values_list("pk", "status"))
    assert statuses[failed.pk] == statuses[dead.pk] == "pending"
    assert statuses[delivered.pk] == "delivered"
    assert statuses[foreign.pk] == "failed"  # another account's row is out of reach
    assert Delivery.objects.get(pk=failed.pk).dispatched_at is not None


def test_an_account_admin_configures_channels_psa_and_webhooks_for_their_account(admin_client, acme, settings):
    response = admin_client.post(reverse("admin:notifications_notificationchannel_add"), {
        "kind": "slack", "name": "#esc", "url": "https://hooks.example.com/services/x", "enabled": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert NotificationChannel.objects.get().account == acme

    response = admin_client.post(reverse("admin:notifications_psaconnection_add"), {
        "kind": "autotask", "base_url": "https://webservices5.autotask.net", "options": '{"note_type": 1}',
        "new_credentials": '{"username": "u", "secret": "s", "integration_code": "c"}', "enabled": "on"})
    assert response.status_code == 302, response.content.decode()[:3000]
    connection = PSAConnection.objects.get()
    assert connection.account == acme and connection.credentials["secret"] == "s"
    page = admin_client.get(reverse("admin:notifications_psaconnection_change", args=[connection.pk]))
    assert '"secret": "s"' not in page.content.decode()  # credentials are write-only

    response = admin_client.post(reverse("admin:notifications_webhookendpoint_add"), {
        "url": "https://hooks.example.com/rf", "events": ["handoff.created"], "enabled": "on"}, follow=True)
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.account == acme
    assert endpoint.secret in response.content.decode()  # shown once, in the message


def test_an_internal_url_is_refused_in_the_admin(admin_client, settings):
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = False
    response = admin_client.post(reverse("admin:notifications_notificationchannel_add"), {
        "kind": "teams", "name": "x", "url": "http://169.254.169.254/", "enabled": "on"})
    assert response.status_code == 200 and "not allowed" in response.content.decode()
    assert not NotificationChannel.objects.exists()


def test_engineers_have_no_access(client, acme_senior, acme):
    _delivery(acme)
    client.force_login(acme_senior)  # axes needs a request for a password sign-in
    response = client.get(reverse("admin:notifications_delivery_changelist"))
    assert response.status_code in (302, 403)


@pytest.mark.parametrize("model", ["notificationchannel", "psaconnection", "webhookendpoint", "chatidentity"])
def test_the_config_pages_render_for_an_account_admin(model, admin_client):
    assert admin_client.get(reverse(f"admin:notifications_{model}_add")).status_code == 200
    assert admin_client.get(reverse(f"admin:notifications_{model}_changelist")).status_code == 200
