"""Saving a PSA connection discovers its vendor endpoints (issue #14): Autotask's zone and
HaloPSA's authorisation server are found by a worker right after the save (never in the admin's
request) and kept on the connection, so the first escalation's note asks nothing more, in any
process."""

import pytest
from django.urls import reverse

from notifications import tasks
from notifications.models import PSAConnection
from notifications.psa import get_client, halopsa
from tests.escalations.loopback import LoopbackServer
from tests.notifications.test_psa_clients import NOTE, autotask_server, zone_directory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, acme_admin):
    client.force_login(acme_admin)
    return client


@pytest.fixture
def servers():
    started = []
    yield lambda server: started.append(server) or server
    for server in started:
        server.stop()
    halopsa.clear_token_cache()


def _save(admin_client, django_capture_on_commit_callbacks, data, connection=None):
    url = (reverse("admin:notifications_psaconnection_change", args=[connection.pk]) if connection
           else reverse("admin:notifications_psaconnection_add"))
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(url, {"enabled": "on", "options": "{}", **data})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert len(callbacks) == 1  # the discovery is queued after the commit, not done in the request
    return PSAConnection.objects.get()


def test_autotask_zone_is_discovered_after_the_save_and_kept(admin_client, servers, settings,
                                                              django_capture_on_commit_callbacks):
    zone = servers(autotask_server(7001))
    zone.default.body = {"itemId": 9}
    directory = servers(zone_directory(lambda s: s, zone.url))
    settings.AUTOTASK_ZONE_DISCOVERY_URL = directory.url
    connection = _save(admin_client, django_capture_on_commit_callbacks, {
        "kind": "autotask", "base_url": directory.url,
        "new_credentials": '{"username": "api@acme.test", "secret": "s", "integration_code": "c"}'})
    assert "zone_url" not in connection.options
    assert directory.requests == []  # nothing was asked during the request

    tasks.discover_psa_endpoints(str(connection.pk))
    connection.refresh_from_db()
    assert connection.options["zone_url"] == zone.url
    assert [(r.path, r.query) for r in directory.requests] == [
        ("/atservicesrest/v1.0/zoneInformation", {"user": "api@acme.test"})]

    # The first note goes straight to the zone.
    get_client("autotask").post_note(config=connection.client_config(), ticket_id="7001", text=NOTE, timeout=5)
    assert len(directory.requests) == 1
    assert [r.path for r in zone.requests] == ["/atservicesrest/v1.0/Tickets/7001/Notes"]

    # New credentials (another API user may live in another zone): discovered again.
    directory.stop()
    connection = _save(admin_client, django_capture_on_commit_callbacks, {
        "kind": "autotask", "base_url": directory.url,
        "new_credentials": '{"username": "other@acme.test", "secret": "s", "integration_code": "c"}'},
        connection=connection)
    assert "zone_url" not in connection.options


def test_halopsa_authorisation_server_is_discovered_after_the_save_and_kept(
        admin_client, servers, django_capture_on_commit_callbacks):
    auth = servers(LoopbackServer(routes={("POST", "/auth/token")}))
    auth.default.body = {"access_token": "tok", "expires_in": 3600}
    resource = servers(LoopbackServer(routes={("GET", "/api/authinfo"), ("POST", "/api/Actions")}))
    resource.answer(200, {"auth_url": f"{auth.url}/auth"})
    resource.default.body = [{"id": 5}]
    connection = _save(admin_client, django_capture_on_commit_callbacks, {
        "kind": "halopsa", "base_url": resource.url,
        "new_credentials": '{"client_id": "c", "client_secret": "s"}'})
    tasks.discover_psa_endpoints(str(connection.pk))
    connection.refresh_from_db()
    assert connection.options["auth_url_discovered"] == f"{auth.url}/auth"

    halopsa.clear_token_cache()  # another process: nothing in memory, the connection knows
    assert get_client("halopsa").post_note(config=connection.client_config(), ticket_id="42", text=NOTE,
                                           timeout=5) == "5"
    assert [(r.method, r.path) for r in resource.requests] == [("GET", "/api/authinfo"), ("POST", "/api/Actions")]


def test_a_failed_discovery_leaves_the_connection_as_saved(admin_client, servers, settings,
                                                          django_capture_on_commit_callbacks):
    directory = servers(LoopbackServer(routes={("GET", "/atservicesrest/v1.0/zoneInformation")}))
    directory.default.status = 500
    settings.AUTOTASK_ZONE_DISCOVERY_URL = directory.url
    connection = _save(admin_client, django_capture_on_commit_callbacks, {
        "kind": "autotask", "base_url": directory.url,
        "new_credentials": '{"username": "u", "secret": "s", "integration_code": "c"}'})
    assert tasks.discover_psa_endpoints(str(connection.pk)) is None
    connection.refresh_from_db()
    assert "zone_url" not in connection.options and connection.enabled
