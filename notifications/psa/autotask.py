"""Autotask PSA (REST API): a note on a ticket.

POST `{base_url}/atservicesrest/v1.0/TicketNotes`
https://ww1.autotask.net/help/DeveloperHelp/Content/APIs/REST/Entities/TicketNotesEntity.htm

Config keys:
- `base_url`: the zone URL of the tenant, e.g. https://webservices5.autotask.net (the REST API's
  `GET https://webservices.autotask.net/atservicesrest/v1.0/zoneInformation?user=<api user>` tells
  which; a URL that already ends in `/atservicesrest` is accepted too).
- `username`, `secret`: the API-only user's user name (email) and password, sent in the
  `UserName` and `Secret` headers.
- `integration_code`: the API tracking identifier of the integration, sent as `ApiIntegrationCode`.
  https://ww1.autotask.net/help/Content/4_Admin/1CompanySettings_Users/ResourcesUsersHR/Resources/API_Tracking_Identifier.htm
- `note_type` (optional, default 1): the TicketNotes `noteType` picklist value.
- `publish` (optional, default 2): the `publish` picklist value (2 = internal, not shown to the
  customer in the client portal).

The answer is `{"itemId": <new note id>}`.
"""

from __future__ import annotations

from notifications.psa import _http
from resolutionflow.outbound import TransportError

VENDOR = "Autotask"
TITLE = "ResolutionFlow escalation"
MAX_DESCRIPTION = 32_000  # TicketNotes.description length limit


def note_url(config: dict) -> str:
    base = _http.base(config["base_url"])
    if base.lower().endswith("/atservicesrest"):
        base = base[: -len("/atservicesrest")]
    return f"{base}/atservicesrest/v1.0/TicketNotes"


def _int_option(config: dict, key: str, default: int) -> int:
    value = config.get(key, default)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise TransportError(f"{VENDOR}: option {key} must be a number, not {value!r}.",
                                   retryable=False) from None


def post_note(*, config: dict, ticket_id: str, text: str, timeout: float) -> str:
    username, secret, integration_code = _http.require(
        config, "username", "secret", "integration_code", vendor=VENDOR)
    _http.require(config, "base_url", vendor=VENDOR)
    body = {
        "ticketID": _http.numeric_ticket_id(ticket_id, vendor=VENDOR),
        "title": TITLE,
        "description": text[:MAX_DESCRIPTION],
        "noteType": _int_option(config, "note_type", 1),
        "publish": _int_option(config, "publish", 2),
    }
    response = _http.request(
        "POST", note_url(config), vendor=VENDOR, timeout=timeout, json=body,
        headers={"ApiIntegrationCode": integration_code, "UserName": username, "Secret": secret},
    )
    data = _http.json_of(response, vendor=VENDOR)
    if not isinstance(data, dict) or data.get("itemId") in (None, ""):
        raise TransportError(f"{VENDOR}: the answer has no itemId.", retryable=False)
    return str(data["itemId"])
