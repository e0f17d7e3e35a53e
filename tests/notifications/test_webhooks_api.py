"""GET/POST /api/v1/webhooks and DELETE /api/v1/webhooks/{id}: admins of the account only."""

import pytest

from notifications.models import WebhookEndpoint

BODY = {"url": "https://hooks.example.com/rf", "events": ["handoff.created", "session.resolved"]}


def test_an_admin_creates_an_endpoint_and_sees_the_secret_once(api, acme_admin):
    client = api(acme_admin)
    response = client.post("/api/v1/webhooks", BODY, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["url"] == BODY["url"] and created["events"] == BODY["events"]
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 30
    assert created["enabled"] is True
    endpoint = WebhookEndpoint.objects.get(pk=created["id"])
    assert endpoint.secret == created["secret"] and endpoint.account == acme_admin.account

    listed = client.get("/api/v1/webhooks").json()
    assert listed["count"] == 1
    assert listed["results"][0]["id"] == created["id"]
    assert "secret" not in listed["results"][0]
    assert created["secret"] not in client.get("/api/v1/webhooks").content.decode()


def test_an_admin_deletes_an_endpoint(api, acme_admin):
    client = api(acme_admin)
    endpoint_id = client.post("/api/v1/webhooks", BODY, format="json").json()["id"]
    assert client.delete(f"/api/v1/webhooks/{endpoint_id}").status_code == 204
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("who", ["acme_tech", "acme_senior"])
def test_technicians_and_engineers_get_403(who, api, request, acme_admin):
    endpoint = WebhookEndpoint.objects.create(account=acme_admin.account, url=BODY["url"], events=BODY["events"])
    client = api(request.getfixturevalue(who))
    assert client.get("/api/v1/webhooks").status_code == 403
    assert client.post("/api/v1/webhooks", BODY, format="json").status_code == 403
    assert client.delete(f"/api/v1/webhooks/{endpoint.pk}").status_code == 403
    assert WebhookEndpoint.objects.count() == 1


def test_anonymous_gets_401(client):
    assert client.get("/api/v1/webhooks").status_code in (401, 403)
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/webhooks").status_code == 401


def test_another_accounts_endpoint_is_404_and_invisible(api, acme_admin, globex_admin):
    endpoint = WebhookEndpoint.objects.create(account=acme_admin.account, url=BODY["url"], events=BODY["events"])
    globex = api(globex_admin)
    assert globex.delete(f"/api/v1/webhooks/{endpoint.pk}").status_code == 404
    assert globex.delete("/api/v1/webhooks/not-a-uuid").status_code == 404
    assert globex.get("/api/v1/webhooks").json()["count"] == 0
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


@pytest.mark.parametrize("body, field", [
    ({"url": "not a url", "events": ["handoff.created"]}, "url"),
    ({"url": "ftp://hooks.example.com/x", "events": ["handoff.created"]}, "url"),
    ({"url": "https://hooks.example.com/x", "events": ["handoff.exploded"]}, "events"),
    ({"url": "https://hooks.example.com/x", "events": []}, "events"),
    ({"url": "https://hooks.example.com/x", "events": "handoff.created"}, "events"),
    ({"url": "https://hooks.example.com/x"}, "events"),
    ({"events": ["handoff.created"]}, "url"),
])
def test_bad_input_is_400_and_writes_nothing(body, field, api, acme_admin):
    response = api(acme_admin).post("/api/v1/webhooks", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("url", ["http://127.0.0.1:9000/x", "http://169.254.169.254/latest", "http://[::1]/x",
                                 "http://10.1.2.3/x", "http://localhost/x"])
def test_internal_urls_are_refused_on_create(url, api, acme_admin, settings):
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = False
    response = api(acme_admin).post("/api/v1/webhooks", {"url": url, "events": ["handoff.created"]}, format="json")
    assert response.status_code == 400
    assert "url" in response.json()
    assert not WebhookEndpoint.objects.exists()


def test_malformed_json_is_400(api, acme_admin):
    response = api(acme_admin).post("/api/v1/webhooks", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert not WebhookEndpoint.objects.exists()


def test_the_openapi_document_describes_the_webhooks_endpoints(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/webhooks"])
    assert "delete" in schema["paths"]["/api/v1/webhooks/{webhook_id}"]
