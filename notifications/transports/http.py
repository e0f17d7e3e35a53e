"""The POST every webhook-style transport sends (Slack, Teams, outbound webhooks), through the
one outbound client (`resolutionflow.outbound`): SSRF-checked and pinned to the checked address,
bounded in time and bytes, no redirects, failures as short `TransportError` summaries.
"""

from __future__ import annotations

from resolutionflow import outbound

USER_AGENT = "ResolutionFlow-Notifications/1.0"

HttpResult = outbound.Response


def post(url: str, *, body: bytes, headers: dict[str, str] | None = None) -> HttpResult:
    """POST `body` (JSON) to the tenant's `url`. Returns on 2xx, raises TransportError otherwise."""
    all_headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **(headers or {})}
    return outbound.request("POST", url, content=body, headers=all_headers)
