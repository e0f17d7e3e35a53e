"""/settings/integrations/: the account admin's Slack/Teams channels, PSA connection and webhooks,
each with its last 20 deliveries and a "Send a test" that goes through the outbox."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from notifications.models import Delivery, PSAConnection
from tests.escalations.loopback import LoopbackServer
from tests.notifications.builders import psa, run_due, slack, teams, webhook

PAGE = "/settings/integrations/"
JSON = {"HTTP_ACCEPT": "application/json"}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _test_url(kind, target_id):
    return f"/settings/integrations/{kind}/{target_id}/test"


def _send_test(client, capture, kind, target_id):
    """Press "Send a test" as the page's script does; the on-commit work (publishing the task) runs."""
    with capture(execute=True) as callbacks:
        response = client.post(_test_url(kind, target_id), **JSON)
    return response, callbacks


def _follow(client, answer) -> dict:
    response = client.get(answer["url"], **JSON)
    assert response.status_code == 200
    return response.json()


def test_an_admin_sees_every_integration_of_the_account_with_its_last_20_deliveries(
        acme_admin, globex_admin):
    account = acme_admin.account
    channel = slack(account, "https://hooks.slack.com/services/T000/B000/SECRETPATH", name="#escalations")
    teams(account, "https://acme.webhook.office.com/x", name="Escalations (Teams)")
    psa(account, "https://api-na.myconnectwise.net")
    webhook(account, "https://hooks.example.com/rf/secret-token")
    slack(globex_admin.account, "https://hooks.slack.com/services/T1/B1/globex", name="#globex-only")
    start = timezone.now() - timedelta(hours=1)
    rows = [Delivery.objects.create(account=account, kind="slack", event_type="handoff.created", channel=channel,
                                    body="{}", status="failed", attempts=2, last_status_code=404,
                                    last_error=f"HTTP 404 from hooks.slack.com: no_service {i}",
                                    created_at=start + timedelta(minutes=i)) for i in range(25)]

    response = _client(acme_admin).get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("#escalations", "Escalations (Teams)", "ConnectWise Manage", "https://hooks.example.com/…",
                 "Send a test"):
        assert text in html, text
    assert "#globex-only" not in html
    # Secrets in URLs are not shown.
    assert "SECRETPATH" not in html and "secret-token" not in html
    # The last 20, newest first.
    shown = [str(d.pk) for d in rows if f'data-delivery-id="{d.pk}"' in html]
    assert shown == [str(d.pk) for d in rows[5:]]
    assert html.index(f'data-delivery-id="{rows[24].pk}"') < html.index(f'data-delivery-id="{rows[5].pk}"')
    assert "no_service 24" in html and "no_service 4" not in html
    # Scripts come from static files only (CSP): no inline script.
    assert 'src="/static/js/integrations.js"' in html
    assert "<script>" not in html and "<script type=\"module\">" not in html


def test_the_page_is_in_the_navigation_of_admins_only(acme_admin, acme_senior, acme_tech):
    assert 'href="/settings/integrations/"' in _client(acme_admin).get("/sessions/").content.decode()
    for user in (acme_senior, acme_tech):
        assert 'href="/settings/integrations/"' not in _client(user).get("/sessions/").content.decode()


@pytest.mark.parametrize("who", ["acme_tech", "acme_senior"])
def test_technicians_and_engineers_get_403_and_queue_nothing(who, request, acme_admin):
    channel = slack(acme_admin.account, "https://hooks.slack.com/services/T/B/X")
    delivery = Delivery.objects.create(account=acme_admin.account, kind="slack", event_type="test", channel=channel,
                                       body="{}")
    client = _client(request.getfixturevalue(who))
    assert client.get(PAGE).status_code == 403
    assert client.post(_test_url("channel", channel.pk), **JSON).status_code == 403
    assert client.get(f"/settings/integrations/deliveries/{delivery.pk}", **JSON).status_code == 403
    assert Delivery.objects.count() == 1


def test_anonymous_visitors_are_sent_to_sign_in(acme_admin):
    channel = slack(acme_admin.account, "https://hooks.slack.com/services/T/B/X")
    for response in (Client().get(PAGE), Client().post(_test_url("channel", channel.pk))):
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert not Delivery.objects.exists()


def test_another_accounts_targets_and_deliveries_are_404(acme_admin, globex_admin):
    account = acme_admin.account
    channel = slack(account, "https://hooks.slack.com/services/T/B/X")
    connection = psa(account, "https://api-na.myconnectwise.net")
    endpoint = webhook(account, "https://hooks.example.com/rf")
    delivery = Delivery.objects.create(account=account, kind="slack", event_type="test", channel=channel, body="{}")
    client = _client(globex_admin)
    for kind, target in (("channel", channel), ("psa", connection), ("webhook", endpoint)):
        assert client.post(_test_url(kind, target.pk), **JSON).status_code == 404, kind
    assert client.post(_test_url("channel", "not-a-uuid"), **JSON).status_code == 404
    assert client.post(_test_url("printer", channel.pk), **JSON).status_code == 404
    assert client.get(f"/settings/integrations/deliveries/{delivery.pk}", **JSON).status_code == 404
    assert Delivery.objects.count() == 1


def test_a_post_without_the_csrf_token_is_refused(acme_admin):
    channel = slack(acme_admin.account, "https://hooks.slack.com/services/T/B/X")
    client = Client(enforce_csrf_checks=True)
    client.force_login(acme_admin)
    assert client.post(_test_url("channel", channel.pk), **JSON).status_code == 403
    assert not Delivery.objects.exists()


@pytest.mark.parametrize("kind, make", [("slack", slack), ("teams", teams)])
def test_a_chat_test_is_queued_then_sent_by_the_worker_and_its_answer_shown(
        kind, make, acme_admin, receiver, django_capture_on_commit_callbacks):
    channel = make(acme_admin.account, receiver.url(f"/{kind}"), name="#escalations")
    client = _client(acme_admin)
    response, callbacks = _send_test(client, django_capture_on_commit_callbacks, "channel", channel.pk)

    assert response.status_code == 202
    queued = response.json()
    assert (queued["event"], queued["status"], queued["finished"]) == ("test", "pending", False)
    assert queued["summary"] == "Queued: waiting for a worker to send it."
    assert callbacks and receiver.requests == []  # the request sends nothing itself

    assert run_due() == ["delivered"]
    [request] = receiver.requests
    assert request.path == f"/{kind}"
    assert "ResolutionFlow test message" in request.body.decode()
    assert "Ada Admin" in request.body.decode()
    answer = _follow(client, queued)
    assert answer["finished"] is True and answer["status"] == "delivered"
    assert (answer["status_code"], answer["answer"]) == (200, "ok")
    assert answer["summary"] == "Delivered: HTTP 200 · ok"
    # The page lists it too.
    assert f'data-delivery-id="{queued["id"]}"' in client.get(PAGE).content.decode()


def test_a_failing_test_shows_the_vendors_error(acme_admin, receiver, django_capture_on_commit_callbacks):
    receiver.reply(404, b"no_service")
    channel = slack(acme_admin.account, receiver.url("/services/T/B/SECRET"))
    client = _client(acme_admin)
    response, _ = _send_test(client, django_capture_on_commit_callbacks, "channel", channel.pk)
    run_due()
    answer = _follow(client, response.json())
    assert answer["finished"] is True and answer["status"] == "failed"
    assert answer["summary"].startswith("Failed: HTTP 404 from 127.0.0.1")  # the host (and port), no path
    assert answer["summary"].endswith(": no_service") and "SECRET" not in answer["summary"]


def test_a_test_that_will_be_retried_is_finished_with_its_error(
        acme_admin, receiver, django_capture_on_commit_callbacks):
    receiver.reply(503, b"busy")
    channel = slack(acme_admin.account, receiver.url())
    client = _client(acme_admin)
    response, _ = _send_test(client, django_capture_on_commit_callbacks, "channel", channel.pk)
    run_due()
    answer = _follow(client, response.json())
    assert (answer["status"], answer["finished"]) == ("pending", True)
    assert answer["summary"].startswith("Failed, retrying at ") and answer["summary"].endswith(": busy")
    assert "HTTP 503 from 127.0.0.1" in answer["summary"]


def test_a_webhook_test_is_a_signed_ping(acme_admin, receiver, django_capture_on_commit_callbacks):
    endpoint = webhook(acme_admin.account, receiver.url())
    client = _client(acme_admin)
    response, _ = _send_test(client, django_capture_on_commit_callbacks, "webhook", endpoint.pk)
    assert response.status_code == 202 and response.json()["event"] == "ping"
    run_due()
    [request] = receiver.requests
    assert request.headers["x-resolutionflow-event"] == "ping"
    assert _follow(client, response.json())["summary"] == "Delivered: HTTP 200 · ok"


# The vendors' documented "read one ticket" routes; the loopback PSA answers 404 to anything else.
PSA_VENDORS = {
    "connectwise": ({("GET", "/v4_6_release/apis/3.0/service/tickets/4321")},
                    {"company_id": "acme", "public_key": "pub", "private_key": "priv", "client_id": "cid"},
                    {"id": 4321, "summary": "Printer offline"}),
    "autotask": ({("GET", "/atservicesrest/v1.0/Tickets/4321")},
                 {"username": "api@acme.test", "secret": "s3cret", "integration_code": "INT"},
                 {"item": {"id": 4321, "title": "Printer offline"}}),
    "halopsa": ({("POST", "/auth/token"), ("GET", "/api/Tickets/4321")},
                {"client_id": "halo", "client_secret": "halo-secret"},
                {"id": 4321, "summary": "Printer offline"}),
}


@pytest.fixture
def psa_server():
    from notifications.psa import halopsa

    servers = []

    def start(routes):
        servers.append(LoopbackServer(routes=routes))
        return servers[-1]

    halopsa.clear_token_cache()
    yield start
    for server in servers:
        server.stop()
    halopsa.clear_token_cache()


@pytest.mark.parametrize("vendor", sorted(PSA_VENDORS))
def test_a_psa_test_reads_the_test_ticket_and_writes_nothing(
        vendor, psa_server, acme_admin, django_capture_on_commit_callbacks):
    routes, credentials, ticket = PSA_VENDORS[vendor]
    server = psa_server(routes)
    if vendor == "halopsa":
        server.answer(200, {"access_token": "tok", "expires_in": 3600})
    server.answer(200, ticket)
    options = {"auth_url": f"{server.url}/auth"} if vendor == "halopsa" else {}
    connection = PSAConnection.objects.create(account=acme_admin.account, kind=vendor, base_url=server.url,
                                              credentials=credentials, options=options, test_ticket_id="4321")
    client = _client(acme_admin)
    response, _ = _send_test(client, django_capture_on_commit_callbacks, "psa", connection.pk)
    assert response.status_code == 202 and response.json()["kind"] == "psa"
    assert server.requests == []

    assert run_due(kind="psa") == ["delivered"]
    reads = [r for r in server.requests if r.path.lower().endswith("/4321")]
    assert [(r.method, r.body) for r in reads] == [("GET", b"")]
    assert all(r.method == "GET" for r in server.requests if r.path != "/auth/token")
    answer = _follow(client, response.json())
    assert answer["summary"].startswith("Delivered: HTTP 200 · ")
    assert "Printer offline" in answer["summary"]


def test_a_psa_test_of_a_ticket_the_vendor_does_not_know_shows_the_error(
        psa_server, acme_admin, django_capture_on_commit_callbacks):
    server = psa_server({("GET", "/v4_6_release/apis/3.0/service/tickets/4321")})
    connection = psa(acme_admin.account, server.url)
    PSAConnection.objects.filter(pk=connection.pk).update(test_ticket_id="999")
    client = _client(acme_admin)
    response, _ = _send_test(client, django_capture_on_commit_callbacks, "psa", connection.pk)
    run_due(kind="psa")
    answer = _follow(client, response.json())
    assert answer["status"] == "failed"
    assert answer["summary"].startswith("Failed: ConnectWise: HTTP 404 from 127.0.0.1")


def test_a_psa_connection_without_a_test_ticket_cannot_be_tested(acme_admin, django_capture_on_commit_callbacks):
    connection = psa(acme_admin.account, "https://api-na.myconnectwise.net")
    client = _client(acme_admin)
    response, _ = _send_test(client, django_capture_on_commit_callbacks, "psa", connection.pk)
    assert response.status_code == 409
    assert "test ticket" in response.json()["detail"]
    assert not Delivery.objects.exists()
    assert "Set a test ticket on the connection" in client.get(PAGE).content.decode()


def test_a_disabled_channel_cannot_be_tested(acme_admin, django_capture_on_commit_callbacks):
    channel = slack(acme_admin.account, "https://hooks.slack.com/services/T/B/X")
    channel.enabled = False
    channel.save()
    response, _ = _send_test(_client(acme_admin), django_capture_on_commit_callbacks, "channel", channel.pk)
    assert response.status_code == 409 and "disabled" in response.json()["detail"]
    assert not Delivery.objects.exists()


def test_without_javascript_the_form_queues_the_test_and_the_card_shows_its_answer(
        acme_admin, receiver, django_capture_on_commit_callbacks):
    """The form works before (or without) the page's script: back on the page, the tested card
    says where its test is, and once the worker has sent it, the vendor's answer."""
    receiver.default.body = b"ok"
    channel = slack(acme_admin.account, receiver.url("/services/T/B/X"), name="#escalations")
    slack(acme_admin.account, receiver.url("/services/T/B/Y"), name="#other")
    client = _client(acme_admin)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(_test_url("channel", channel.pk))
    delivery = Delivery.objects.get()
    assert delivery.event_type == "test"
    assert response.status_code == 302 and response["Location"] == f"{PAGE}?test={delivery.pk}"

    page = client.get(response["Location"]).content.decode()
    assert page.count('data-tone="info" data-follow="/settings/integrations/deliveries/') == 1
    assert ">Queued: waiting for a worker to send it.</p>" in page
    assert page.count("data-test-result role=\"status\" aria-live=\"polite\" hidden") == 1  # #other's

    run_due()
    page = client.get(response["Location"]).content.decode()
    assert 'data-tone="ok">Delivered: HTTP 200 · ok</p>' in page
    assert "data-follow" not in page


@pytest.mark.parametrize("tested", ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "globex"])
def test_a_malformed_unknown_or_foreign_tested_delivery_shows_nothing(tested, acme_admin, globex_admin):
    slack(acme_admin.account, "https://hooks.slack.com/services/T/B/X", name="#escalations")
    if tested == "globex":
        foreign = slack(globex_admin.account, "https://hooks.slack.com/services/T/B/G", name="#globex")
        with_answer = _client(globex_admin).post(_test_url("channel", foreign.pk), **JSON).json()
        tested = with_answer["id"]
    response = _client(acme_admin).get(f"{PAGE}?test={tested}")
    assert response.status_code == 200
    page = response.content.decode()
    assert "data-follow" not in page and "data-tone" not in page
