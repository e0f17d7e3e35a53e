"""Every outbound path of the outbox (Slack, Teams, webhooks, each PSA vendor, HaloPSA's auth_url)
goes through the one client: the SSRF guard at send time, no redirects, the byte cap, and what
the tenant sees in `Delivery.last_error` / `DeliveryAttempt.error` (a summary, never the body)."""

import pytest
from django.core.exceptions import ValidationError

from notifications.models import Delivery, DeliveryAttempt, PSAConnection
from notifications.psa import get_client, halopsa
from notifications.transports.base import TransportError
from resolutionflow import outbound
from tests.escalations.loopback import LoopbackServer
from tests.notifications.builders import escalate_and_commit, psa, run_due, slack, teams, webhook

PSA_CREDENTIALS = {
    "connectwise": {"company_id": "acme", "public_key": "pub", "private_key": "priv", "client_id": "cid"},
    "autotask": {"username": "u", "secret": "s", "integration_code": "c"},
    "halopsa": {"client_id": "halo", "client_secret": "secret"},
}


def localhost(url: str) -> str:
    """The receiver's URL by a name that resolves to loopback."""
    return url.replace("127.0.0.1", "localhost")


def _every_kind(account, url):
    slack(account, url)
    teams(account, url)
    webhook(account, url)
    psa(account, url.rsplit("/", 1)[0], kind="connectwise")


def test_every_delivery_kind_refuses_a_host_resolving_to_loopback_at_send_time(
        api, acme_tech, settings, receiver, django_capture_on_commit_callbacks):
    """Saved while private networks were allowed (or while the name resolved elsewhere), sent
    after: refused, not retried, and the receiver never contacted."""
    _every_kind(acme_tech.account, localhost(receiver.url()))
    escalate_and_commit(django_capture_on_commit_callbacks, api(acme_tech), psa_ticket_id="4242")
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = False
    run_due()
    rows = {d.kind: d for d in Delivery.objects.exclude(kind="email")}
    assert set(rows) == {"slack", "teams", "webhook", "psa"}
    for kind, delivery in rows.items():
        assert delivery.status == "failed", kind
        assert "'localhost' resolves to a private, loopback" in delivery.last_error, kind
    assert receiver.requests == []


@pytest.mark.parametrize("kind", sorted(PSA_CREDENTIALS))
def test_each_psa_client_refuses_a_private_base_url(kind, settings, receiver):
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = False
    halopsa.clear_token_cache()
    config = {"base_url": localhost(receiver.base), **PSA_CREDENTIALS[kind]}
    with pytest.raises(TransportError) as caught:
        get_client(kind).post_note(config=config, ticket_id="1", text="note", timeout=5)
    assert caught.value.retryable is False and "not allowed" in str(caught.value)
    assert receiver.requests == []


@pytest.mark.parametrize("auth_url", ["http://127.0.0.1:{port}/auth", "http://localhost:{port}/auth",
                                      "http://169.254.169.254/latest", "http://[::1]:{port}/auth"])
def test_halopsa_auth_url_on_a_private_address_is_refused(settings, auth_url, monkeypatch):
    """The token request goes to `auth_url`, not the base URL: it is guarded too. The base URL
    is a public name that is never reached (the refused token request comes first)."""
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = False
    halopsa.clear_token_cache()
    auth = LoopbackServer()
    try:
        port = auth.url.rsplit(":", 1)[1]
        config = {"base_url": "https://93.184.215.14", "auth_url": auth_url.format(port=port),
                  **PSA_CREDENTIALS["halopsa"]}
        with pytest.raises(TransportError) as caught:
            halopsa.post_note(config=config, ticket_id="1", text="note", timeout=2)
        assert caught.value.retryable is False and "not allowed" in str(caught.value)
        assert str(caught.value).startswith("HaloPSA: ")
        assert auth.requests == []
    finally:
        auth.stop()


def test_halopsa_auth_url_is_validated_when_the_connection_is_saved(acme, settings):
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = False
    connection = PSAConnection(account=acme, kind="halopsa", base_url="https://93.184.215.14",
                               credentials=PSA_CREDENTIALS["halopsa"],
                               options={"auth_url": "http://169.254.169.254/auth", "tenant": "acme"})
    with pytest.raises(ValidationError) as caught:
        connection.full_clean()
    assert "options" in caught.value.message_dict
    assert "auth_url" in caught.value.message_dict["options"][0]
    connection.options = {"auth_url": "https://93.184.215.15/auth", "tenant": "acme"}
    connection.full_clean()


def test_a_redirect_is_recorded_as_a_failure_and_the_location_is_never_fetched(
        api, acme_tech, receivers, django_capture_on_commit_callbacks):
    hook, elsewhere = receivers(2)
    hook.reply(302, b"moved", headers={"Location": elsewhere.url("/stolen")})
    webhook(acme_tech.account, hook.url())
    escalate_and_commit(django_capture_on_commit_callbacks, api(acme_tech))
    run_due(kind="webhook")
    delivery = Delivery.objects.get(kind="webhook")
    assert (delivery.status, delivery.last_status_code) == ("failed", 302)
    assert delivery.last_error == f"HTTP 302 from 127.0.0.1:{hook.port} (a redirect: not followed): moved"
    assert len(hook.requests) == 1 and elsewhere.requests == []


def test_an_answer_over_the_cap_is_a_failure_with_a_short_summary(
        api, acme_tech, settings, receiver, django_capture_on_commit_callbacks):
    settings.OUTBOUND_MAX_RESPONSE_BYTES = 4096
    receiver.reply(200, b"ok" * 100_000)
    slack(acme_tech.account, receiver.url())
    escalate_and_commit(django_capture_on_commit_callbacks, api(acme_tech))
    run_due(kind="slack")
    delivery = Delivery.objects.get(kind="slack")
    assert delivery.status == "failed"
    assert delivery.last_error == (f"The answer from 127.0.0.1:{receiver.port} is larger than 4096 bytes; "
                                   "stopped reading")


@pytest.mark.parametrize("kind", ["slack", "teams", "webhook", "psa"])
def test_last_error_quotes_at_most_a_short_printable_excerpt_of_the_body(
        kind, api, acme_tech, receiver, django_capture_on_commit_callbacks):
    body = ("<html><body>\r\n\x1b\x00" + "INTERNAL-STACK-TRACE " * 2000 + "</body></html>").encode()
    receiver.default.status, receiver.default.body = 500, body
    {"slack": slack, "teams": teams, "webhook": webhook}.get(kind, lambda a, u: psa(a, u.rsplit("/", 1)[0]))(
        acme_tech.account, receiver.url())
    escalate_and_commit(django_capture_on_commit_callbacks, api(acme_tech), psa_ticket_id="4242")
    run_due(kind=kind)
    delivery = Delivery.objects.get(kind=kind)
    [attempt] = DeliveryAttempt.objects.filter(delivery=delivery)
    prefix = "ConnectWise: " if kind == "psa" else ""
    for error in (delivery.last_error, attempt.error):
        assert error.startswith(f"{prefix}HTTP 500 from 127.0.0.1:{receiver.port}: <html><body> INTERNAL-STACK-TRACE")
        quoted = error.split(": ", 2 if prefix else 1)[-1]
        assert len(quoted) <= outbound.EXCERPT_CHARS
        assert error.isprintable() and error.count("INTERNAL-STACK-TRACE") < 10
    assert delivery.status == "pending" and delivery.last_status_code == 500  # a 5xx is retried


def test_an_esp_error_is_stored_as_a_summary_not_the_esps_whole_answer():
    from types import SimpleNamespace

    from anymail.exceptions import AnymailAPIError

    from notifications.transports.email import _classify

    answer = SimpleNamespace(text="{\n  \"ErrorCode\": 500,\n  \"Message\": \"" + "internal " * 3000 + "\"}",
                             reason="Internal Server Error", json=lambda: {"Message": "internal " * 3000})
    error = _classify(AnymailAPIError("Sending a message failed", status_code=500, response=answer,
                                      esp_name="Postmark"))
    assert error.retryable is True and error.status_code == 500
    assert str(error).startswith("Sending a message failed: Postmark API response 500: { \"ErrorCode\": 500")
    assert len(str(error)) <= 500 and str(error).isprintable() and str(error).count("internal") < 20
