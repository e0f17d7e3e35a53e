"""The one HTTP POST every webhook-style transport uses (Slack, Teams, outbound webhooks).

- SSRF: the URL is checked again at send time and the connection goes to the checked address
  (`ssrf.pin`), with the original Host header and TLS server name (httpx's `sni_hostname`
  extension), so DNS rebinding between check and connect is closed.
- Bounded: httpx timeouts on connect, read, write and pool; no redirects followed (a redirect
  could point anywhere, and no vendor we post to redirects a webhook).
- Errors become `TransportError`, which says whether a retry can help: network errors, timeouts,
  408, 425, 429 and 5xx are retryable; other 4xx are not. 429's `Retry-After` is passed on.
"""

from __future__ import annotations

import email.utils
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from django.conf import settings

from notifications import ssrf
from notifications.transports.base import TransportError

# httpx logs every request URL at INFO. Slack/Teams webhook URLs carry their secret in the path
# or query string, so those lines would leak secrets into the logs: keep httpx at WARNING.
logging.getLogger("httpx").setLevel(logging.WARNING)

USER_AGENT = "ResolutionFlow-Notifications/1.0"
RETRYABLE_STATUS = {408, 425, 429}


@dataclass
class HttpResult:
    status_code: int
    text: str


def timeout() -> httpx.Timeout:
    total = settings.OUTBOUND_HTTP_TIMEOUT_SECONDS
    return httpx.Timeout(total, connect=min(5.0, total), pool=min(5.0, total))


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After is seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def post(url: str, *, body: bytes, headers: dict[str, str] | None = None) -> HttpResult:
    """POST `body` to `url`. Returns on 2xx, raises TransportError otherwise."""
    try:
        pinned = ssrf.pin(url)
    except ssrf.UnsafeURL as exc:
        # A transient DNS failure may heal; a host that now resolves inward will not.
        raise TransportError(str(exc), retryable="could not be resolved" in str(exc)) from None
    all_headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **(headers or {}),
        "Host": pinned.host_header,
    }
    extensions = {"sni_hostname": pinned.host} if pinned.scheme == "https" else {}
    try:
        with httpx.Client(timeout=timeout(), follow_redirects=False, trust_env=False) as client:
            response = client.post(pinned.connect_url, content=body, headers=all_headers, extensions=extensions)
    except httpx.TimeoutException as exc:
        raise TransportError(f"Timed out: {exc.__class__.__name__}", retryable=True) from None
    except httpx.HTTPError as exc:
        raise TransportError(f"{exc.__class__.__name__}: {exc}"[:500], retryable=True) from None
    text = response.text[:1000]
    if 200 <= response.status_code < 300:
        return HttpResult(response.status_code, text)
    retryable = response.status_code >= 500 or response.status_code in RETRYABLE_STATUS
    retry_after = parse_retry_after(response.headers.get("Retry-After")) if retryable else None
    raise TransportError(f"HTTP {response.status_code}: {text[:300]}", retryable=retryable,
                         status_code=response.status_code, retry_after=retry_after)
