"""GET/PATCH /api/v1/webhooks/{id}, and who may call the webhook management API (issue #11):
admins of the account only; another account's ids are 404; bad input is 400 and writes nothing."""

import pytest

from notifications.models import Delivery, DeliveryStatus, WebhookEndpoint
from tests.notifications.builders import escalate_and_commit, run_due, webhook

URL = "https://hooks.example.com/rf"


@pytest.fixture
def endpoint(acme_admin):
    return WebhookEndpoint.objects.create(account=acme_admin.account, url=URL, events=["handoff.created"])


@pytest.fixture
def failed_delivery(endpoint):
    return Delivery.objects.create(account=endpoint.account, kind="webhook", event_type="handoff.created",
                                   endpoint=endpoint, body="{}", status=DeliveryStatus.FAILED, attempts=1)


def _state(endpoint):
    """Everything a webhook call could change, to show that nothing was written."""
    row = WebhookEndpoint.objects.get(pk=endpoint.pk)
    return (row.url, row.events, row.enabled, row.disabled_at, row.disabled_reason, row.secret, row.previous_secret,
            row.previous_secret_expires_at, sorted(Delivery.objects.values_list("pk", "status", "attempts")))


def _calls(endpoint_id, delivery_id):
    """(method, path, body) of every operation on one endpoint."""
    base = f"/api/v1/webhooks/{endpoint_id}"
    return [
        ("get", base, None),
        ("patch", base, {"enabled": False}),
        ("post", f"{base}/rotate-secret", None),
        ("post", f"{base}/test", None),
        ("get", f"{base}/deliveries", None),
        ("post", f"{base}/deliveries/{delivery_id}/retry", None),
        ("delete", base, None),
    ]


def test_an_admin_reads_one_endpoint_without_its_secret(api, acme_admin, endpoint):
    response = api(acme_admin).get(f"/api/v1/webhooks/{endpoint.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body == {"id": str(endpoint.pk), "url": URL, "events": ["handoff.created"], "enabled": True,
                    "disabled_at": None, "disabled_reason": "", "previous_secret_expires_at": None,
                    "created_at": body["created_at"]}
    assert endpoint.secret not in response.content.decode()


def test_patch_changes_only_the_fields_sent(api, acme_admin, endpoint):
    client = api(acme_admin)
    response = client.patch(f"/api/v1/webhooks/{endpoint.pk}", {"url": "https://hooks.example.com/v2"},
                            format="json")
    assert response.status_code == 200, response.content
    assert response.json()["url"] == "https://hooks.example.com/v2"
    assert response.json()["events"] == ["handoff.created"]
    assert "secret" not in response.json()

    response = client.patch(f"/api/v1/webhooks/{endpoint.pk}",
                            {"events": ["session.resolved", "handoff.created", "session.resolved"]}, format="json")
    assert response.status_code == 200, response.content
    endpoint.refresh_from_db()
    assert endpoint.url == "https://hooks.example.com/v2"
    assert endpoint.events == ["handoff.created", "session.resolved"]  # deduplicated, in the events' order
    assert endpoint.enabled is True

    assert client.patch(f"/api/v1/webhooks/{endpoint.pk}", {}, format="json").status_code == 200
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.events) == ("https://hooks.example.com/v2", ["handoff.created", "session.resolved"])


def test_pausing_and_resuming_an_endpoint(api, acme_admin, endpoint):
    client = api(acme_admin)
    paused = client.patch(f"/api/v1/webhooks/{endpoint.pk}", {"enabled": False}, format="json").json()
    assert paused["enabled"] is False
    assert paused["disabled_at"] is not None and paused["disabled_reason"] == "Paused by an admin."
    # Pausing a paused endpoint keeps the time it was paused.
    again = client.patch(f"/api/v1/webhooks/{endpoint.pk}", {"enabled": False}, format="json").json()
    assert again["disabled_at"] == paused["disabled_at"]

    resumed = client.patch(f"/api/v1/webhooks/{endpoint.pk}", {"enabled": True}, format="json").json()
    assert (resumed["enabled"], resumed["disabled_at"], resumed["disabled_reason"]) == (True, None, "")


def test_resuming_undoes_a_410_gone(api, acme_admin, endpoint):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(enabled=False, disabled_reason="Answered 410 Gone on …")
    response = api(acme_admin).patch(f"/api/v1/webhooks/{endpoint.pk}", {"enabled": True}, format="json")
    assert response.json()["enabled"] is True and response.json()["disabled_reason"] == ""


def test_a_paused_endpoint_gets_no_new_deliveries_and_one_resumed_gets_them_again(
        api, acme_tech, acme_admin, receiver, django_capture_on_commit_callbacks):
    endpoint = webhook(acme_admin.account, receiver.url())
    admin, tech = api(acme_admin), api(acme_tech)
    assert admin.patch(f"/api/v1/webhooks/{endpoint.pk}", {"enabled": False}, format="json").status_code == 200

    escalate_and_commit(django_capture_on_commit_callbacks, tech)
    run_due()
    assert not Delivery.objects.filter(kind="webhook").exists()
    assert receiver.requests == []

    assert admin.patch(f"/api/v1/webhooks/{endpoint.pk}", {"enabled": True}, format="json").status_code == 200
    escalate_and_commit(django_capture_on_commit_callbacks, tech, title="Second ticket")
    run_due()
    assert list(Delivery.objects.filter(kind="webhook").values_list("status", flat=True)) == ["delivered"]
    assert len(receiver.requests) == 1


def test_a_delivery_queued_before_the_pause_is_not_sent(
        api, acme_tech, acme_admin, receiver, django_capture_on_commit_callbacks):
    endpoint = webhook(acme_admin.account, receiver.url())
    escalate_and_commit(django_capture_on_commit_callbacks, api(acme_tech))
    assert api(acme_admin).patch(f"/api/v1/webhooks/{endpoint.pk}", {"enabled": False},
                                 format="json").status_code == 200
    run_due()
    delivery = Delivery.objects.get(kind="webhook")
    assert (delivery.status, delivery.last_error) == ("failed", "The target is disabled.")
    assert receiver.requests == []


@pytest.mark.parametrize("body, field", [
    ({"url": "not a url"}, "url"),
    ({"url": "ftp://hooks.example.com/x"}, "url"),
    ({"url": ""}, "url"),
    ({"url": None}, "url"),
    ({"url": "https://hooks.example.com/" + "x" * 2000}, "url"),
    ({"events": []}, "events"),
    ({"events": ["handoff.exploded"]}, "events"),
    ({"events": "handoff.created"}, "events"),
    ({"events": None}, "events"),
    ({"enabled": "false"}, "enabled"),
    ({"enabled": 0}, "enabled"),
    ({"enabled": None}, "enabled"),
    # One bad field and good ones: nothing is written, not even the good ones.
    ({"url": "https://hooks.example.com/new", "enabled": False, "events": ["nope"]}, "events"),
])
def test_bad_patch_input_is_400_with_the_field_and_writes_nothing(body, field, api, acme_admin, endpoint):
    before = _state(endpoint)
    response = api(acme_admin).patch(f"/api/v1/webhooks/{endpoint.pk}", body, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    assert _state(endpoint) == before


@pytest.mark.parametrize("body", ["{not json", "[]", '"url"'])
def test_a_patch_body_that_is_not_a_json_object_is_400(body, api, acme_admin, endpoint):
    before = _state(endpoint)
    response = api(acme_admin).patch(f"/api/v1/webhooks/{endpoint.pk}", body, content_type="application/json")
    assert response.status_code == 400
    assert _state(endpoint) == before


@pytest.mark.parametrize("url", ["http://127.0.0.1:9000/x", "http://169.254.169.254/latest", "http://[::1]/x",
                                 "http://10.1.2.3/x", "http://localhost/x"])
def test_internal_urls_are_refused_on_patch_as_on_create(url, api, acme_admin, endpoint, settings):
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = False
    response = api(acme_admin).patch(f"/api/v1/webhooks/{endpoint.pk}", {"url": url}, format="json")
    assert response.status_code == 400
    assert "url" in response.json()
    endpoint.refresh_from_db()
    assert endpoint.url == URL


@pytest.mark.parametrize("who", ["acme_tech", "acme_senior"])
def test_technicians_and_engineers_get_403_on_every_operation_and_change_nothing(
        who, request, api, endpoint, failed_delivery):
    client = api(request.getfixturevalue(who))
    before = _state(endpoint)
    for method, path, body in _calls(endpoint.pk, failed_delivery.pk):
        response = getattr(client, method)(path, body, format="json")
        assert response.status_code == 403, (method, path, response.content)
    assert _state(endpoint) == before


def test_another_accounts_endpoint_and_deliveries_are_404_and_unchanged(
        api, endpoint, failed_delivery, globex_admin):
    client = api(globex_admin)
    before = _state(endpoint)
    for method, path, body in _calls(endpoint.pk, failed_delivery.pk):
        response = getattr(client, method)(path, body, format="json")
        assert (response.status_code, response.json()) == (404, {"detail": "Not found."}), (method, path)
    assert _state(endpoint) == before


def test_a_delivery_of_another_endpoint_is_404_on_retry(api, acme_admin, endpoint, failed_delivery):
    other = WebhookEndpoint.objects.create(account=acme_admin.account, url=URL, events=["handoff.created"])
    client = api(acme_admin)
    assert client.post(f"/api/v1/webhooks/{other.pk}/deliveries/{failed_delivery.pk}/retry").status_code == 404
    assert client.post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/not-a-uuid/retry").status_code == 404
    failed_delivery.refresh_from_db()
    assert failed_delivery.status == "failed"


def test_malformed_ids_are_404(api, acme_admin, endpoint):
    client = api(acme_admin)
    for method, path, body in _calls("not-a-uuid", "nor-this"):
        assert getattr(client, method)(path, body, format="json").status_code == 404, (method, path)


def test_anonymous_callers_get_401(endpoint, failed_delivery):
    from rest_framework.test import APIClient

    for method, path, body in _calls(endpoint.pk, failed_delivery.pk):
        assert getattr(APIClient(), method)(path, body, format="json").status_code == 401, (method, path)
