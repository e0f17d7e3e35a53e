"""HaloPSA: a private note (an action) on a ticket.

0. The authorisation server: `auth_url` when configured, else discovered with
   GET `{base_url}/api/authinfo` (the resource server names its authorisation server; the field
   is read defensively under the names in AUTHINFO_FIELDS; a 404 — an install without that
   endpoint — means the default `{base_url}/auth`). The discovered URL is called through the
   outbound client like any other, so the SSRF guard checks it; it is cached per process.
   (https://halopsa.com/apidoc/ , "Authorisation": the Authorisation Server and Resource Server are
   separate URLs, shown under Configuration → Integrations → Halo API, "API Details")
1. OAuth2 client credentials: POST `{auth server}/token` (form `grant_type=client_credentials`,
   `client_id`, `client_secret`, `scope=all`; `?tenant=...` for hosted tenants) → `access_token`.
   (the API documentation at https://halopsa.com/apidoc/ , "Authorisation": client credentials)
2. POST `{base_url}/api/Actions` with `Authorization: Bearer <token>` and a JSON list of actions;
   the answer is the created action(s), each with its `id`.
   (same documentation, resource "Actions")

The Integrations page's test reads a ticket instead (nothing is written): GET
`{base_url}/api/Tickets/{id}` with the same bearer token (same documentation, resource "Tickets":
GET /Tickets/{id}); the answer is the ticket, with its `id` and `summary`.

Config keys:
- `base_url`: the instance, e.g. https://acme.halopsa.com (the resource server; `/api` is added).
- `client_id`, `client_secret`: an API application (Configuration → Integrations → HaloPSA API)
  using Client ID and Secret (Services) authentication, with the `edit:tickets` permission.
- `tenant` (optional): the tenant name of a hosted instance, sent as `?tenant=` on the token call.
- `auth_url` (optional): the authorisation server; when set, no discovery; `/token` is added.
  Checked like the base URL: by the connection's validation when saved, and by the outbound
  client's SSRF guard on every token request.
- `scope` (optional, default `all`).

The action is a private note (`outcome: "Private Note"`, `hiddenfromuser: true`) and sends no
email. Tokens are cached per client until shortly before they expire; a 401 with a cached token
fetches a new one once.
"""

from __future__ import annotations

import hashlib
import threading
import time

from notifications.psa import _http
from resolutionflow.outbound import TransportError

VENDOR = "HaloPSA"
EXPIRY_MARGIN = 60.0  # seconds before `expires_in` at which a cached token is renewed
DEFAULT_LIFETIME = 3600.0

# Field names under which `/api/authinfo` may name the authorisation server (read defensively,
# first match wins).
AUTHINFO_FIELDS = ("auth_url", "authurl", "authorisation_server", "authorization_server", "auth_server",
                   "auth_server_url", "authorisation_url", "authorization_url")

_tokens: dict[tuple, tuple[str, float]] = {}
_auth_servers: dict[str, str] = {}
_lock = threading.Lock()


def auth_server(config: dict, *, timeout: float) -> str:
    """The authorisation server's URL (without `/token`): configured, or discovered (see step 0)."""
    if config.get("auth_url"):
        return _http.base(config["auth_url"])
    if config.get("auth_url_discovered"):  # found at the connection's save, kept on it
        return _http.base(config["auth_url_discovered"])
    resource = _http.base(config["base_url"])
    with _lock:
        known = _auth_servers.get(resource)
    if known:
        config["auth_url_discovered"] = known
        return known
    try:
        response = _http.request("GET", f"{resource}/api/authinfo", vendor=VENDOR, timeout=timeout)
    except TransportError as exc:
        if exc.status_code != 404:
            raise
        discovered = f"{resource}/auth"  # no authinfo on this install: the default location
    else:
        data = _http.json_of(response, vendor=VENDOR)
        found = next((data[k] for k in AUTHINFO_FIELDS if isinstance(data, dict) and data.get(k)), None)
        if not isinstance(found, str) or not found.lower().startswith(("https://", "http://")):
            raise TransportError(f"{VENDOR}: /api/authinfo names no authorisation server.", retryable=False)
        discovered = _http.base(found)
    with _lock:
        _auth_servers[resource] = discovered
    config["auth_url_discovered"] = discovered  # for the caller to keep on the connection
    return discovered


def token_url(auth: str) -> str:
    return f"{_http.base(auth)}/token"


def _cache_key(config: dict, auth: str) -> tuple:
    secret = hashlib.sha256(str(config.get("client_secret", "")).encode()).hexdigest()
    return (token_url(auth), config.get("tenant") or "", config.get("client_id"), secret,
            config.get("scope") or "all")


def clear_token_cache() -> None:
    with _lock:
        _tokens.clear()
        _auth_servers.clear()


def cached_token(config: dict, auth: str) -> str | None:
    with _lock:
        cached = _tokens.get(_cache_key(config, auth))
    return cached[0] if cached and cached[1] > time.monotonic() else None


def access_token(config: dict, auth: str, *, timeout: float) -> str:
    """A new token from the authorisation server `auth` (cached for the next calls)."""
    key = _cache_key(config, auth)
    client_id, client_secret = _http.require(config, "client_id", "client_secret", vendor=VENDOR)
    params = {"tenant": config["tenant"]} if config.get("tenant") else None
    response = _http.request(
        "POST", token_url(auth), vendor=VENDOR, timeout=timeout, params=params,
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret,
              "scope": config.get("scope") or "all"},
    )
    data = _http.json_of(response, vendor=VENDOR)
    token = data.get("access_token") if isinstance(data, dict) else None
    if not token:
        raise TransportError(f"{VENDOR}: the token answer has no access_token.", retryable=False)
    try:
        lifetime = float(data.get("expires_in") or DEFAULT_LIFETIME)
    except (TypeError, ValueError):
        lifetime = DEFAULT_LIFETIME
    # Renew a minute early (or at half the lifetime for very short-lived tokens).
    expires_at = time.monotonic() + max(0.0, lifetime - min(EXPIRY_MARGIN, lifetime / 2))
    with _lock:
        _tokens[key] = (token, expires_at)
    return token


def _authorised(method: str, url: str, *, config: dict, timeout: float, **kwargs):
    """One API call with a bearer token: the cached one, else a new one; a 401 on a cached token
    (revoked, or expired early) fetches a new token and tries once more."""
    auth = auth_server(config, timeout=timeout)
    token = cached_token(config, auth)
    from_cache = token is not None
    token = token or access_token(config, auth, timeout=timeout)
    try:
        return _http.request(method, url, vendor=VENDOR, timeout=timeout,
                             headers={"Authorization": f"Bearer {token}"}, **kwargs)
    except TransportError as exc:
        if exc.status_code != 401 or not from_cache:
            raise
    token = access_token(config, auth, timeout=timeout)
    return _http.request(method, url, vendor=VENDOR, timeout=timeout, headers={"Authorization": f"Bearer {token}"},
                         **kwargs)


def post_note(*, config: dict, ticket_id: str, text: str, timeout: float) -> str:
    _http.require(config, "base_url", "client_id", "client_secret", vendor=VENDOR)
    ticket = _http.numeric_ticket_id(ticket_id, vendor=VENDOR)
    body = [{"ticket_id": ticket, "note": text, "outcome": "Private Note", "hiddenfromuser": True,
             "sendemail": False}]
    response = _authorised("POST", f"{_http.base(config['base_url'])}/api/Actions", config=config, timeout=timeout,
                           json=body)
    data = _http.json_of(response, vendor=VENDOR)
    action = data[0] if isinstance(data, list) and data else data
    if not isinstance(action, dict) or action.get("id") in (None, ""):
        raise TransportError(f"{VENDOR}: the answer has no action id.", retryable=False)
    return str(action["id"])


def read_ticket(*, config: dict, ticket_id: str, timeout: float):
    """GET the ticket (the connection test; writes nothing). Returns the 2xx answer."""
    _http.require(config, "base_url", "client_id", "client_secret", vendor=VENDOR)
    ticket = _http.numeric_ticket_id(ticket_id, vendor=VENDOR)
    response = _authorised("GET", f"{_http.base(config['base_url'])}/api/Tickets/{ticket}", config=config,
                           timeout=timeout)
    data = _http.json_of(response, vendor=VENDOR)
    if not isinstance(data, dict) or data.get("id") in (None, ""):
        raise TransportError(f"{VENDOR}: the answer is not a ticket (no id).", retryable=False)
    return response
