"""ConnectWise Manage (ConnectWise PSA): an internal note on a service ticket.

POST `{base_url}/{codebase}apis/3.0/service/tickets/{ticket_id}/notes`
https://developer.connectwise.com/Products/ConnectWise_PSA/REST (Service → Tickets → Notes)

The Integrations page's test reads a ticket instead (nothing is written):
GET `{base_url}/{codebase}apis/3.0/service/tickets/{ticket_id}` (same page, Service → Tickets →
GET /service/tickets/{id}); the answer is the ticket, with its `id` and `summary`.

Config keys:
- `base_url`: the API host of the region, e.g. https://api-na.myconnectwise.net (also -eu, -au...).
- `company_id`, `public_key`, `private_key`: the API member's keys. Auth is HTTP Basic with the
  user name `{company_id}+{public_key}` and the private key as password (the developer guide's
  "Authentication" section on the page above).
- `client_id`: the integration's clientId from developer.connectwise.com, sent as the `clientId`
  header (required on every request since 2019).
- API version pinned with `Accept: application/vnd.connectwise.com+json; version=2022.1`
  (API_VERSION below).
- `codebase` (optional): the release path, default `v4_6_release/` (cloud; the `/login/companyinfo/`
  endpoint tells on-premises installs theirs).

The note is internal and silent: `internalAnalysisFlag` true (the Internal tab), no detail
description or resolution flag, and `processNotifications: false` so ConnectWise sends no
email to the contact or resources.
"""

from __future__ import annotations

from urllib.parse import quote

from notifications.psa import _http
from resolutionflow.outbound import TransportError

VENDOR = "ConnectWise"
DEFAULT_CODEBASE = "v4_6_release/"
# Pin the API version: without it ConnectWise answers in the server's current version, whose
# models may change under us. Versioning is by media type in the Accept header.
# https://developer.connectwise.com/Products/ConnectWise_PSA/Versioning
API_VERSION = "2022.1"
ACCEPT = f"application/vnd.connectwise.com+json; version={API_VERSION}"


def ticket_url(config: dict, ticket_id: int) -> str:
    codebase = (config.get("codebase") or DEFAULT_CODEBASE).strip("/") + "/"
    return f"{_http.base(config['base_url'])}/{quote(codebase)}apis/3.0/service/tickets/{ticket_id}"


def note_url(config: dict, ticket_id: int) -> str:
    return f"{ticket_url(config, ticket_id)}/notes"


def _credentials(config: dict) -> dict:
    """The request arguments every call carries: Basic auth, the clientId header, the pinned version."""
    company_id, public_key, private_key, client_id = _http.require(
        config, "company_id", "public_key", "private_key", "client_id", vendor=VENDOR)
    _http.require(config, "base_url", vendor=VENDOR)
    return {"auth": (f"{company_id}+{public_key}", private_key), "headers": {"clientId": client_id, "Accept": ACCEPT}}


def post_note(*, config: dict, ticket_id: str, text: str, timeout: float) -> str:
    credentials = _credentials(config)
    ticket = _http.numeric_ticket_id(ticket_id, vendor=VENDOR)
    body = {
        "text": text,
        "detailDescriptionFlag": False,
        "internalAnalysisFlag": True,
        "resolutionFlag": False,
        "customerUpdatedFlag": False,
        "processNotifications": False,
    }
    response = _http.request("POST", note_url(config, ticket), vendor=VENDOR, timeout=timeout, json=body,
                             **credentials)
    data = _http.json_of(response, vendor=VENDOR)
    if not isinstance(data, dict) or data.get("id") in (None, ""):
        raise TransportError(f"{VENDOR}: the answer has no note id.", retryable=False)
    return str(data["id"])


def read_ticket(*, config: dict, ticket_id: str, timeout: float):
    """GET the ticket (the connection test; writes nothing). Returns the 2xx answer."""
    credentials = _credentials(config)
    ticket = _http.numeric_ticket_id(ticket_id, vendor=VENDOR)
    response = _http.request("GET", ticket_url(config, ticket), vendor=VENDOR, timeout=timeout, **credentials)
    data = _http.json_of(response, vendor=VENDOR)
    if not isinstance(data, dict) or data.get("id") in (None, ""):
        raise TransportError(f"{VENDOR}: the answer is not a ticket (no id).", retryable=False)
    return response
