"""`read_ticket` of each PSA client (the Integrations page's connection test) against loopback
vendors that answer only their documented "read one ticket" route (404 elsewhere): the exact
method, path and auth, nothing written, and what counts as no ticket."""

import base64

import pytest

from notifications.psa import get_client, halopsa
from notifications.transports.base import TransportError
from tests.escalations.loopback import LoopbackServer


@pytest.fixture
def vendor():
    servers = []

    def start(*routes):
        servers.append(LoopbackServer(routes=set(routes)))
        return servers[-1]

    halopsa.clear_token_cache()
    yield start
    for server in servers:
        server.stop()
    halopsa.clear_token_cache()


def test_connectwise_gets_the_service_ticket_with_its_keys_and_pinned_version(vendor):
    server = vendor(("GET", "/v4_6_release/apis/3.0/service/tickets/4321"))
    server.answer(200, {"id": 4321, "summary": "Printer offline"})
    config = {"base_url": server.url, "company_id": "acme", "public_key": "pub", "private_key": "priv",
              "client_id": "cid-1"}
    response = get_client("connectwise").read_ticket(config=config, ticket_id="#4321", timeout=5)
    assert response.status_code == 200 and b"Printer offline" in response.content
    [request] = server.requests
    assert (request.method, request.path, request.body) == ("GET", "/v4_6_release/apis/3.0/service/tickets/4321", b"")
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"acme+pub:priv").decode()
    assert request.headers["clientid"] == "cid-1"
    assert request.headers["accept"] == "application/vnd.connectwise.com+json; version=2022.1"


def test_autotask_gets_the_ticket_entity_with_its_headers(vendor):
    server = vendor(("GET", "/atservicesrest/v1.0/Tickets/4321"))
    server.answer(200, {"item": {"id": 4321, "title": "Printer offline"}})
    config = {"base_url": server.url, "username": "api@acme.test", "secret": "s3cret", "integration_code": "INT"}
    get_client("autotask").read_ticket(config=config, ticket_id="4321", timeout=5)
    [request] = server.requests
    assert (request.method, request.path) == ("GET", "/atservicesrest/v1.0/Tickets/4321")
    assert (request.headers["apiintegrationcode"], request.headers["username"], request.headers["secret"]) == (
        "INT", "api@acme.test", "s3cret")


def test_autotask_an_empty_item_is_no_ticket(vendor):
    server = vendor(("GET", "/atservicesrest/v1.0/Tickets/4321"))
    server.answer(200, {"item": None})
    config = {"base_url": server.url, "username": "api@acme.test", "secret": "s3cret", "integration_code": "INT"}
    with pytest.raises(TransportError) as caught:
        get_client("autotask").read_ticket(config=config, ticket_id="4321", timeout=5)
    assert caught.value.retryable is False and "no ticket 4321" in str(caught.value)


def test_halopsa_gets_the_ticket_with_a_bearer_token_and_renews_a_refused_cached_one(vendor):
    server = vendor(("POST", "/auth/token"), ("GET", "/api/Tickets/4321"))
    config = {"base_url": server.url, "auth_url": f"{server.url}/auth", "client_id": "halo", "client_secret": "s"}
    server.answer(200, {"access_token": "first", "expires_in": 3600}).answer(200, {"id": 4321, "summary": "x"})
    get_client("halopsa").read_ticket(config=config, ticket_id="4321", timeout=5)
    token_call, read = server.requests
    assert (token_call.method, token_call.path) == ("POST", "/auth/token")
    assert (read.method, read.path, read.headers["authorization"]) == ("GET", "/api/Tickets/4321", "Bearer first")

    # The cached token is refused once: a new one, and the read again.
    server.answer(401, {}).answer(200, {"access_token": "second", "expires_in": 3600}).answer(200, {"id": 4321})
    get_client("halopsa").read_ticket(config=config, ticket_id="4321", timeout=5)
    assert [(r.method, r.path, r.headers.get("authorization")) for r in server.requests[2:]] == [
        ("GET", "/api/Tickets/4321", "Bearer first"), ("POST", "/auth/token", None),
        ("GET", "/api/Tickets/4321", "Bearer second")]


@pytest.mark.parametrize("kind, route, config", [
    ("connectwise", ("GET", "/v4_6_release/apis/3.0/service/tickets/4321"),
     {"company_id": "a", "public_key": "b", "private_key": "c", "client_id": "d"}),
    ("autotask", ("GET", "/atservicesrest/v1.0/Tickets/4321"),
     {"username": "u", "secret": "s", "integration_code": "i"}),
])
def test_a_ticket_the_vendor_does_not_know_is_a_404_that_is_not_retried(vendor, kind, route, config):
    server = vendor(route)
    with pytest.raises(TransportError) as caught:
        get_client(kind).read_ticket(config={"base_url": server.url, **config}, ticket_id="999", timeout=5)
    assert (caught.value.status_code, caught.value.retryable) == (404, False)
    assert all(r.method == "GET" for r in server.requests)
