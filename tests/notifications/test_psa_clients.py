"""PSA clients (notifications.psa) against real HTTP servers on loopback: the exact path, auth headers and body per
vendor; which failures are retryable."""

import base64
import time

import pytest

from notifications.psa import get_client, halopsa
from notifications.transports.base import TransportError
from tests.escalations.loopback import LoopbackServer

NOTE = "Escalated by Tina Tech: spooler keeps crashing.\nTried: restart spooler (did not work)."


@pytest.fixture
def psa():
    server = LoopbackServer()
    halopsa.clear_token_cache()
    yield server
    server.stop()
    halopsa.clear_token_cache()


def connectwise_config(server):
    return {"base_url": server.url, "company_id": "acme", "public_key": "pubkey", "private_key": "privkey",
            "client_id": "cid-123"}


def autotask_config(server):
    return {"base_url": server.url, "username": "api@acme.test", "secret": "s3cret", "integration_code": "INTCODE"}


def halo_config(server, **extra):
    """`auth_url` configured (no discovery); the discovery tests below leave it out."""
    return {"base_url": server.url, "auth_url": f"{server.url}/auth", "client_id": "halo-client",
            "client_secret": "halo-secret", **extra}


CONFIGS = {"connectwise": connectwise_config, "autotask": autotask_config, "halopsa": halo_config}


def test_connectwise_posts_an_internal_silent_note(servers):
    psa = servers(LoopbackServer(routes={("POST", "/v4_6_release/apis/3.0/service/tickets/4321/notes")}))
    psa.answer(201, {"id": 9876, "ticketId": 4321, "text": NOTE})
    note_id = get_client("connectwise").post_note(config=connectwise_config(psa), ticket_id="4321", text=NOTE,
                                                  timeout=5)
    assert note_id == "9876"
    [request] = psa.requests
    assert (request.method, request.path) == ("POST", "/v4_6_release/apis/3.0/service/tickets/4321/notes")
    expected_auth = "Basic " + base64.b64encode(b"acme+pubkey:privkey").decode()
    assert request.headers["authorization"] == expected_auth
    assert request.headers["clientid"] == "cid-123"
    assert request.headers["accept"] == "application/vnd.connectwise.com+json; version=2022.1"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {"text": NOTE, "detailDescriptionFlag": False, "internalAnalysisFlag": True,
                              "resolutionFlag": False, "customerUpdatedFlag": False, "processNotifications": False}


def autotask_server(*ticket_ids):
    """An Autotask zone that knows only the documented child-entity create:
    POST /atservicesrest/v1.0/Tickets/{id}/Notes (anything else is a 404)."""
    return LoopbackServer(routes={("POST", f"/atservicesrest/v1.0/Tickets/{t}/Notes") for t in ticket_ids})


@pytest.fixture
def servers():
    started = []

    def start(server):
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def test_autotask_creates_the_note_as_a_child_of_the_ticket(servers):
    zone = servers(autotask_server(7001))
    zone.answer(200, {"itemId": 31337})
    note_id = get_client("autotask").post_note(config=autotask_config(zone), ticket_id="7001", text=NOTE, timeout=5)
    assert note_id == "31337"
    [request] = zone.requests
    assert (request.method, request.path) == ("POST", "/atservicesrest/v1.0/Tickets/7001/Notes")
    assert request.headers["apiintegrationcode"] == "INTCODE"
    assert request.headers["username"] == "api@acme.test"
    assert request.headers["secret"] == "s3cret"
    assert "authorization" not in request.headers
    assert request.json() == {"ticketID": 7001, "title": "ResolutionFlow escalation", "description": NOTE,
                              "noteType": 1, "publish": 2}


def test_autotask_a_zone_that_only_knows_the_documented_path_refuses_the_old_one(servers):
    zone = servers(autotask_server(7001))
    with pytest.raises(TransportError) as caught:
        get_client("autotask").post_note(config=autotask_config(zone), ticket_id="7002", text=NOTE, timeout=5)
    assert (caught.value.status_code, caught.value.retryable) == (404, False)


def test_autotask_options_and_a_zone_url_that_already_names_the_api(servers):
    zone = servers(autotask_server(12))
    zone.answer(200, {"itemId": 5})
    config = {**autotask_config(zone), "base_url": f"{zone.url}/atservicesrest/", "note_type": "3", "publish": 1}
    get_client("autotask").post_note(config=config, ticket_id="#12", text=NOTE, timeout=5)
    assert zone.last.path == "/atservicesrest/v1.0/Tickets/12/Notes"
    assert zone.last.json()["noteType"] == 3 and zone.last.json()["publish"] == 1 and zone.last.json()["ticketID"] == 12


def zone_directory(servers, zone_url):
    directory = servers(LoopbackServer(routes={("GET", "/atservicesrest/v1.0/zoneInformation")}))
    directory.default.body = {"zoneName": "Test zone", "url": f"{zone_url}/atservicesrest/",
                              "webUrl": "https://ww5.autotask.net/", "ci": 5}
    return directory


@pytest.mark.parametrize("base_url", ["", "directory"])
def test_autotask_without_a_zone_discovers_it_once_and_keeps_it_in_the_config(servers, settings, base_url):
    zone = servers(autotask_server(7001, 7002))
    zone.default.body = {"itemId": 1}
    directory = zone_directory(servers, zone.url)
    settings.AUTOTASK_ZONE_DISCOVERY_URL = directory.url
    # Empty, or the discovery host itself (not a zone): both ask for discovery.
    config = {**autotask_config(zone), "base_url": directory.url if base_url else ""}
    client = get_client("autotask")
    client.post_note(config=config, ticket_id="7001", text=NOTE, timeout=5)
    [lookup] = directory.requests
    assert (lookup.method, lookup.path, lookup.query) == ("GET", "/atservicesrest/v1.0/zoneInformation",
                                                          {"user": "api@acme.test"})
    assert config["zone_url"] == zone.url
    client.post_note(config=config, ticket_id="7002", text=NOTE, timeout=5)
    assert len(directory.requests) == 1  # cached: no second lookup
    assert [r.path for r in zone.requests] == ["/atservicesrest/v1.0/Tickets/7001/Notes",
                                               "/atservicesrest/v1.0/Tickets/7002/Notes"]


def test_autotask_an_explicit_base_url_is_used_without_discovery(servers, settings):
    zone = servers(autotask_server(7001))
    zone.answer(200, {"itemId": 9})
    directory = zone_directory(servers, "http://127.0.0.1:9")
    settings.AUTOTASK_ZONE_DISCOVERY_URL = directory.url
    assert get_client("autotask").post_note(config=autotask_config(zone), ticket_id="7001", text=NOTE,
                                            timeout=5) == "9"
    assert directory.requests == []


def test_autotask_the_discovery_host_can_be_an_option_and_a_bad_answer_is_an_error(servers, settings):
    directory = servers(LoopbackServer(routes={("GET", "/atservicesrest/v1.0/zoneInformation")}))
    directory.answer(200, {"unexpected": True})
    settings.AUTOTASK_ZONE_DISCOVERY_URL = "https://webservices.autotask.invalid"
    config = {**autotask_config(directory), "base_url": "", "zone_discovery_url": directory.url}
    with pytest.raises(TransportError) as caught:
        get_client("autotask").post_note(config=config, ticket_id="1", text=NOTE, timeout=5)
    assert caught.value.retryable is False and "zone" in str(caught.value)
    assert [r.path for r in directory.requests] == ["/atservicesrest/v1.0/zoneInformation"]


def test_autotask_a_discovered_zone_on_a_private_address_is_refused(servers, settings, monkeypatch):
    """The discovered URL goes through the SSRF guard like any other."""
    from notifications.psa import autotask

    monkeypatch.setattr(autotask, "discover_zone", lambda config, timeout: "http://10.1.2.3")
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = False
    config = {**autotask_config(servers(LoopbackServer())), "base_url": ""}
    with pytest.raises(TransportError) as caught:
        get_client("autotask").post_note(config=config, ticket_id="1", text=NOTE, timeout=5)
    assert caught.value.retryable is False and "private" in str(caught.value)


def test_halopsa_gets_a_token_then_posts_a_private_action_and_caches_the_token(psa):
    psa.answer(200, {"access_token": "tok-1", "token_type": "Bearer", "expires_in": 3600})
    psa.answer(201, [{"id": 555, "ticket_id": 42, "outcome": "Private Note"}])
    psa.answer(201, [{"id": 556, "ticket_id": 43}])
    config = halo_config(psa, tenant="acme")
    client = get_client("halopsa")
    assert client.post_note(config=config, ticket_id="42", text=NOTE, timeout=5) == "555"
    assert client.post_note(config=config, ticket_id="43", text="second", timeout=5) == "556"

    token, first, second = psa.requests
    assert (token.method, token.path, token.query) == ("POST", "/auth/token", {"tenant": "acme"})
    assert token.headers["content-type"] == "application/x-www-form-urlencoded"
    assert token.form() == {"grant_type": "client_credentials", "client_id": "halo-client",
                            "client_secret": "halo-secret", "scope": "all"}
    assert (first.method, first.path) == ("POST", "/api/Actions")
    assert first.headers["authorization"] == "Bearer tok-1"
    assert first.json() == [{"ticket_id": 42, "note": NOTE, "outcome": "Private Note", "hiddenfromuser": True,
                             "sendemail": False}]
    assert second.headers["authorization"] == "Bearer tok-1"  # cached: no second token request
    assert second.json()[0]["ticket_id"] == 43


def test_halopsa_renews_a_token_shortly_before_it_expires(psa):
    psa.answer(200, {"access_token": "short", "expires_in": 1})
    psa.answer(201, [{"id": 1}])
    psa.answer(200, {"access_token": "renewed", "expires_in": 3600})
    psa.answer(201, [{"id": 2}])
    client = get_client("halopsa")
    client.post_note(config=halo_config(psa), ticket_id="1", text=NOTE, timeout=5)
    time.sleep(0.6)  # past half of a 1 s lifetime
    client.post_note(config=halo_config(psa), ticket_id="1", text=NOTE, timeout=5)
    assert [r.path for r in psa.requests] == ["/auth/token", "/api/Actions", "/auth/token", "/api/Actions"]
    assert "tenant" not in psa.requests[0].query
    assert psa.requests[3].headers["authorization"] == "Bearer renewed"


def test_halopsa_retries_once_with_a_new_token_when_the_cached_one_is_refused(psa):
    psa.answer(200, {"access_token": "old", "expires_in": 3600}).answer(201, [{"id": 1}])
    psa.answer(401, {"error": "invalid_token"})
    psa.answer(200, {"access_token": "new", "expires_in": 3600}).answer(201, [{"id": 2}])
    client = get_client("halopsa")
    client.post_note(config=halo_config(psa), ticket_id="1", text=NOTE, timeout=5)
    assert client.post_note(config=halo_config(psa), ticket_id="1", text=NOTE, timeout=5) == "2"
    assert [r.headers.get("authorization") for r in psa.requests if r.path == "/api/Actions"] == [
        "Bearer old", "Bearer old", "Bearer new"]


def test_halopsa_bad_client_credentials_are_not_retryable(psa):
    psa.answer(401, {"error": "invalid_client"})
    with pytest.raises(TransportError) as caught:
        get_client("halopsa").post_note(config=halo_config(psa), ticket_id="1", text=NOTE, timeout=5)
    assert (caught.value.retryable, caught.value.status_code) == (False, 401)
    assert [r.path for r in psa.requests] == ["/auth/token"]


HALO_ROUTES = {("GET", "/api/authinfo"), ("POST", "/api/Actions")}


@pytest.mark.parametrize("field", ["auth_url", "authorisation_server"])
def test_halopsa_without_auth_url_discovers_the_authorisation_server(servers, field):
    auth = servers(LoopbackServer(routes={("POST", "/auth/token")}))
    auth.default.body = {"access_token": "tok-d", "expires_in": 3600}
    resource = servers(LoopbackServer(routes=HALO_ROUTES))
    resource.answer(200, {field: f"{auth.url}/auth/"})
    resource.default.body = [{"id": 77}]
    config = {**halo_config(resource, tenant="acme"), "auth_url": ""}
    client = get_client("halopsa")
    assert client.post_note(config=config, ticket_id="42", text=NOTE, timeout=5) == "77"
    assert client.post_note(config=config, ticket_id="43", text=NOTE, timeout=5) == "77"
    assert [(r.method, r.path) for r in resource.requests] == [
        ("GET", "/api/authinfo"), ("POST", "/api/Actions"), ("POST", "/api/Actions")]  # discovered once
    [token] = auth.requests
    assert (token.path, token.query) == ("/auth/token", {"tenant": "acme"})
    assert resource.requests[1].headers["authorization"] == "Bearer tok-d"


def test_halopsa_a_configured_auth_url_is_used_without_discovery(servers):
    auth = servers(LoopbackServer(routes={("POST", "/token")}))
    auth.default.body = {"access_token": "tok-c", "expires_in": 3600}
    resource = servers(LoopbackServer(routes=HALO_ROUTES))
    resource.default.body = [{"id": 5}]
    get_client("halopsa").post_note(config=halo_config(resource, auth_url=auth.url), ticket_id="1", text=NOTE,
                                    timeout=5)
    assert [r.path for r in resource.requests] == ["/api/Actions"]
    assert [r.path for r in auth.requests] == ["/token"]


def test_halopsa_an_install_without_authinfo_uses_base_url_auth(servers):
    halo = servers(LoopbackServer(routes={("POST", "/auth/token"), ("POST", "/api/Actions")}))
    halo.answer(200, {"access_token": "t", "expires_in": 3600}).answer(201, [{"id": 3}])
    config = {**halo_config(halo), "auth_url": None}
    assert get_client("halopsa").post_note(config=config, ticket_id="1", text=NOTE, timeout=5) == "3"
    assert [(r.method, r.path) for r in halo.requests] == [
        ("GET", "/api/authinfo"), ("POST", "/auth/token"), ("POST", "/api/Actions")]


def test_halopsa_authinfo_without_a_server_url_is_an_error(servers):
    halo = servers(LoopbackServer(routes=HALO_ROUTES))
    halo.answer(200, {"something": "else"})
    with pytest.raises(TransportError) as caught:
        get_client("halopsa").post_note(config={**halo_config(halo), "auth_url": ""}, ticket_id="1", text=NOTE,
                                        timeout=5)
    assert caught.value.retryable is False and "authorisation server" in str(caught.value)


def test_halopsa_a_discovered_auth_server_on_a_private_address_is_refused(settings):
    """What authinfo names is called through the SSRF guard like a configured auth_url."""
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = False
    halopsa.clear_token_cache()
    halopsa._auth_servers["https://93.184.215.14"] = "http://169.254.169.254/auth"  # as discovered
    config = {"base_url": "https://93.184.215.14", "client_id": "c", "client_secret": "s"}
    try:
        with pytest.raises(TransportError) as caught:
            halopsa.post_note(config=config, ticket_id="1", text=NOTE, timeout=2)
        assert caught.value.retryable is False and "not allowed" in str(caught.value)
    finally:
        halopsa.clear_token_cache()


def _call(kind, psa, *, timeout=5):
    if kind == "halopsa":  # get past the token so the note call itself fails
        psa.script.insert(0, _token_answer())
    return get_client(kind).post_note(config=CONFIGS[kind](psa), ticket_id="100", text=NOTE, timeout=timeout)


def _token_answer():
    from tests.escalations.loopback import Answer

    return Answer(200, {"access_token": "t", "expires_in": 3600})


@pytest.mark.parametrize("kind", list(CONFIGS))
def test_a_server_error_is_retryable(kind, psa):
    psa.answer(503, "maintenance", headers={"Retry-After": "120"})
    with pytest.raises(TransportError) as caught:
        _call(kind, psa)
    assert (caught.value.retryable, caught.value.status_code, caught.value.retry_after) == (True, 503, 120.0)


@pytest.mark.parametrize("kind", list(CONFIGS))
def test_500_without_retry_after_is_retryable(kind, psa):
    psa.answer(500, {"errors": ["Internal error"]})
    with pytest.raises(TransportError) as caught:
        _call(kind, psa)
    assert (caught.value.retryable, caught.value.status_code, caught.value.retry_after) == (True, 500, None)


@pytest.mark.parametrize("kind", list(CONFIGS))
def test_429_is_retryable_with_its_retry_after(kind, psa):
    psa.answer(429, {"message": "slow down"}, headers={"Retry-After": "30"})
    with pytest.raises(TransportError) as caught:
        _call(kind, psa)
    assert (caught.value.retryable, caught.value.status_code, caught.value.retry_after) == (True, 429, 30.0)


def test_retry_after_as_an_http_date_is_understood(psa):
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    when = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    psa.answer(429, "slow down", headers={"Retry-After": when})
    with pytest.raises(TransportError) as caught:
        _call("connectwise", psa)
    assert 80 <= caught.value.retry_after <= 90


@pytest.mark.parametrize("kind", list(CONFIGS))
@pytest.mark.parametrize("status", [401, 404])
def test_client_errors_are_not_retryable(kind, status, psa):
    psa.answer(status, {"code": "NotFound" if status == 404 else "Unauthorized"})
    with pytest.raises(TransportError) as caught:
        _call(kind, psa)
    assert (caught.value.retryable, caught.value.status_code, caught.value.retry_after) == (False, status, None)


@pytest.mark.parametrize("kind", list(CONFIGS))
def test_a_timeout_is_retryable(kind, psa):
    psa.answer(201, {"id": 1, "itemId": 1}, hang=3)
    started = time.monotonic()
    with pytest.raises(TransportError) as caught:
        _call(kind, psa, timeout=0.3)
    assert caught.value.retryable is True and "timed out" in str(caught.value)
    assert time.monotonic() - started < 2


def test_a_refused_connection_is_retryable(psa):
    config = connectwise_config(psa)
    psa.stop()
    with pytest.raises(TransportError) as caught:
        get_client("connectwise").post_note(config=config, ticket_id="1", text=NOTE, timeout=2)
    assert caught.value.retryable is True


@pytest.mark.parametrize("kind", list(CONFIGS))
def test_a_ticket_id_that_is_not_a_number_is_refused_before_any_request(kind, psa):
    with pytest.raises(TransportError) as caught:
        get_client(kind).post_note(config=CONFIGS[kind](psa), ticket_id="T-1001", text=NOTE, timeout=5)
    assert caught.value.retryable is False and "not a number" in str(caught.value)
    assert psa.requests == []


@pytest.mark.parametrize("kind", list(CONFIGS))
def test_missing_credentials_are_not_retryable(kind, psa):
    config = {"base_url": psa.url}
    with pytest.raises(TransportError) as caught:
        get_client(kind).post_note(config=config, ticket_id="1", text=NOTE, timeout=5)
    assert caught.value.retryable is False and "lacks" in str(caught.value)


def test_an_answer_without_a_note_id_is_an_error(psa):
    psa.answer(200, {"unexpected": True})
    with pytest.raises(TransportError) as caught:
        get_client("autotask").post_note(config=autotask_config(psa), ticket_id="1", text=NOTE, timeout=5)
    assert caught.value.retryable is False


def test_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        get_client("servicenow")
