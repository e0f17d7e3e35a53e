"""Autotask PSA (REST API): a note on a ticket.

POST `{zone}/atservicesrest/v1.0/Tickets/{ticketId}/Notes` — TicketNotes is a child entity of
Tickets, created under its parent (the REST API has no top-level `POST /TicketNotes`).
https://ww1.autotask.net/help/DeveloperHelp/Content/APIs/REST/Entities/TicketNotesEntity.htm
https://ww1.autotask.net/help/DeveloperHelp/Content/APIs/REST/API_Calls/REST_Creating_Child_Entities.htm

Config keys:
- `base_url`: the zone URL of the tenant, e.g. https://webservices5.autotask.net (a URL that
  already ends in `/atservicesrest` is accepted too). Left empty, or set to the zone-discovery
  host itself (https://webservices.autotask.net), the zone is discovered:
  `GET {discovery}/atservicesrest/v1.0/zoneInformation?user=<username>` answers
  `{"url": "https://webservicesN.autotask.net/atservicesrest/", ...}`
  (https://ww1.autotask.net/help/DeveloperHelp/Content/APIs/REST/General_Topics/REST_Zones.htm).
  The discovered URL is put in `config["zone_url"]` (the PSA transport stores it in the
  connection's options, so discovery happens once); it is SSRF-checked like every URL, by the
  outbound client, when called.
- `zone_discovery_url` (optional): the discovery host, default `AUTOTASK_ZONE_DISCOVERY_URL`
  (https://webservices.autotask.net).
- `username`, `secret`: the API-only user's user name (email) and password, sent in the
  `UserName` and `Secret` headers.
- `integration_code`: the API tracking identifier of the integration, sent as `ApiIntegrationCode`.
  https://ww1.autotask.net/help/Content/4_Admin/1CompanySettings_Users/ResourcesUsersHR/Resources/API_Tracking_Identifier.htm
- `note_type` (optional, default 1): the TicketNotes `noteType` picklist value.
- `publish` (optional, default 2): the `publish` picklist value (2 = internal, not shown to the
  customer in the client portal).

The answer is `{"itemId": <new note id>}`.

The Integrations page's test reads a ticket instead (nothing is written):
GET `{zone}/atservicesrest/v1.0/Tickets/{ticketId}` (the Tickets entity's URLs: `Tickets/{id} (GET)`,
https://ww1.autotask.net/help/DeveloperHelp/Content/APIs/REST/Entities/TicketsEntity.htm); the answer
is `{"item": {...the ticket...}}`, with `"item": null` for an id that names no ticket.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

from notifications.psa import _http
from resolutionflow.outbound import TransportError

VENDOR = "Autotask"
TITLE = "ResolutionFlow escalation"
MAX_DESCRIPTION = 32_000  # TicketNotes.description length limit
DEFAULT_ZONE_DISCOVERY_URL = "https://webservices.autotask.net"


def _api_root(url: str) -> str:
    """`https://webservices5.autotask.net[/atservicesrest[/]]` → `https://webservices5.autotask.net`."""
    root = _http.base(url)
    if root.lower().endswith("/atservicesrest"):
        root = root[: -len("/atservicesrest")]
    return root


def discovery_url(config: dict) -> str:
    return _api_root(config.get("zone_discovery_url") or getattr(settings, "AUTOTASK_ZONE_DISCOVERY_URL", "")
                     or DEFAULT_ZONE_DISCOVERY_URL)


def _needs_discovery(config: dict) -> bool:
    base = _api_root(config.get("base_url") or "")
    if not base:
        return True
    # The discovery host is not a zone: a connection saved with it asks for discovery.
    return urlsplit(base).hostname == urlsplit(discovery_url(config)).hostname and \
        urlsplit(base).port == urlsplit(discovery_url(config)).port


def discover_zone(config: dict, *, timeout: float) -> str:
    """The tenant's zone URL, from zoneInformation (REST_Zones.htm, see the module docstring)."""
    username = _http.require(config, "username", vendor=VENDOR)[0]
    response = _http.request("GET", f"{discovery_url(config)}/atservicesrest/v1.0/zoneInformation",
                             vendor=VENDOR, timeout=timeout, params={"user": username})
    data = _http.json_of(response, vendor=VENDOR)
    url = data.get("url") if isinstance(data, dict) else None
    if not isinstance(url, str) or not url.lower().startswith(("https://", "http://")):
        raise TransportError(f"{VENDOR}: zoneInformation answered no zone url.", retryable=False)
    return _api_root(url)


def zone_root(config: dict, *, timeout: float) -> str:
    """The configured base URL when explicit; else the cached `zone_url`; else discovery (and
    `config["zone_url"]` is set for the caller to keep)."""
    if not _needs_discovery(config):
        return _api_root(config["base_url"])
    if config.get("zone_url"):
        return _api_root(config["zone_url"])
    config["zone_url"] = discover_zone(config, timeout=timeout)
    return config["zone_url"]


def ticket_url(root: str, ticket_id: int) -> str:
    return f"{_api_root(root)}/atservicesrest/v1.0/Tickets/{ticket_id}"


def note_url(root: str, ticket_id: int) -> str:
    return f"{ticket_url(root, ticket_id)}/Notes"


def _auth_headers(config: dict) -> dict:
    username, secret, integration_code = _http.require(
        config, "username", "secret", "integration_code", vendor=VENDOR)
    return {"ApiIntegrationCode": integration_code, "UserName": username, "Secret": secret}


def _int_option(config: dict, key: str, default: int) -> int:
    value = config.get(key, default)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise TransportError(f"{VENDOR}: option {key} must be a number, not {value!r}.",
                                   retryable=False) from None


def post_note(*, config: dict, ticket_id: str, text: str, timeout: float) -> str:
    headers = _auth_headers(config)
    ticket = _http.numeric_ticket_id(ticket_id, vendor=VENDOR)
    body = {
        "ticketID": ticket,
        "title": TITLE,
        "description": text[:MAX_DESCRIPTION],
        "noteType": _int_option(config, "note_type", 1),
        "publish": _int_option(config, "publish", 2),
    }
    root = zone_root(config, timeout=timeout)
    response = _http.request("POST", note_url(root, ticket), vendor=VENDOR, timeout=timeout, json=body,
                             headers=headers)
    data = _http.json_of(response, vendor=VENDOR)
    if not isinstance(data, dict) or data.get("itemId") in (None, ""):
        raise TransportError(f"{VENDOR}: the answer has no itemId.", retryable=False)
    return str(data["itemId"])


def read_ticket(*, config: dict, ticket_id: str, timeout: float):
    """GET the ticket (the connection test; writes nothing). Returns the 2xx answer."""
    headers = _auth_headers(config)
    ticket = _http.numeric_ticket_id(ticket_id, vendor=VENDOR)
    root = zone_root(config, timeout=timeout)
    response = _http.request("GET", ticket_url(root, ticket), vendor=VENDOR, timeout=timeout, headers=headers)
    data = _http.json_of(response, vendor=VENDOR)
    item = data.get("item") if isinstance(data, dict) else None
    if not isinstance(item, dict):
        # Autotask answers 200 with {"item": null} for an id that names no ticket.
        raise TransportError(f"{VENDOR}: no ticket {ticket} (the answer's item is empty).", retryable=False)
    return response
