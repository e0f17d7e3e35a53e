"""User-supplied URLs may not point inside the network, at save time and again at send time
(resolutionflow.outbound.guard; every delivery kind: tests/notifications/test_outbound_paths.py)."""

import pytest
from django.core.exceptions import ValidationError

from notifications.models import Delivery
from resolutionflow.outbound import guard as ssrf
from tests.notifications.builders import escalate_and_commit, run_due, slack

INTERNAL = [
    "http://127.0.0.1/hook",
    "http://127.1.2.3:8080/hook",
    "http://10.0.0.5/hook",
    "http://172.16.3.4/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://[::1]/hook",
    "http://[fe80::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",  # IPv4-mapped loopback
    "http://100.64.0.1/hook",  # carrier-grade NAT
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",  # multicast
    "http://localhost:8000/hook",  # a hostname that resolves to loopback
]


@pytest.mark.parametrize("url", INTERNAL)
def test_internal_addresses_are_refused_when_private_networks_are_off(settings, url):
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = False
    with pytest.raises(ValidationError, match="not allowed"):
        ssrf.validate_public_url(url)


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "gopher://x", "http://", "javascript:x",
                                 "http://user:pw@example.com/"])
def test_only_http_and_https_urls_with_a_host_are_accepted(settings, url):
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = True
    with pytest.raises(ValidationError):
        ssrf.validate_public_url(url)


@pytest.mark.parametrize("url", INTERNAL)
def test_internal_addresses_are_accepted_when_private_networks_are_allowed(settings, url):
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = True
    ssrf.validate_public_url(url)


def test_public_addresses_pass_and_are_pinned(settings):
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = False
    pinned = ssrf.pin("https://93.184.215.14:8443/path?q=1")
    assert pinned.addresses == ("93.184.215.14",) and pinned.address == "93.184.215.14"
    assert (pinned.scheme, pinned.host, pinned.port) == ("https", "93.184.215.14", 8443)


def test_the_migrations_validator_is_the_guard_itself():
    """Migration 0002 names notifications.ssrf.validate_public_url: the same function, so the
    models (which use resolutionflow.outbound's) need no migration."""
    import notifications.ssrf

    assert notifications.ssrf.validate_public_url is ssrf.validate_public_url


def test_the_check_runs_again_at_send_time(api, acme_tech, settings, receiver, django_capture_on_commit_callbacks):
    """Saved while allowed (or while the name resolved elsewhere: DNS rebinding), refused when sent."""
    slack(acme_tech.account, receiver.url())
    escalate_and_commit(django_capture_on_commit_callbacks, api(acme_tech))
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = False
    run_due(kind="slack")
    delivery = Delivery.objects.get(kind="slack")
    assert delivery.status == "failed" and "not allowed" in delivery.last_error
    assert receiver.requests == []


def test_a_channel_cannot_be_saved_with_an_internal_url(acme, settings):
    from notifications.models import NotificationChannel

    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = False
    channel = NotificationChannel(account=acme, kind="slack", name="x", url="http://169.254.169.254/")
    with pytest.raises(ValidationError) as excinfo:
        channel.full_clean()
    assert "url" in excinfo.value.message_dict
