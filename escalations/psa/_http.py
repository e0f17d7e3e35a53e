"""HTTP plumbing the PSA clients share: one request, errors mapped to `TransportError`.

Retryable: timeouts, connection errors, 408/425/429 and 5xx (with the server's `Retry-After`,
seconds or an HTTP date, RFC 9110 §10.2.3). Not retryable: every other 4xx (bad credentials,
unknown ticket, validation). Redirects are not followed. The caller (notifications' PSA
transport) checks the base URL against private networks (notifications.ssrf) before calling.
"""

from __future__ import annotations

import httpx

from notifications.transports.base import TransportError
from notifications.transports.http import parse_retry_after

USER_AGENT = "ResolutionFlow-PSA/1.0"
RETRYABLE_STATUS = {408, 425, 429}
# Building an SSL context (loading the CA bundle) costs tens of milliseconds: do it once.
SSL_CONTEXT = httpx.create_ssl_context()


def request(method: str, url: str, *, vendor: str, timeout: float, **kwargs) -> httpx.Response:
    """Send one request; return the 2xx response, raise TransportError otherwise."""
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **kwargs.pop("headers", {})}
    try:
        with httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False, trust_env=False,
                          verify=SSL_CONTEXT) as client:
            response = client.request(method, url, headers=headers, **kwargs)
    except httpx.TimeoutException as exc:
        raise TransportError(f"{vendor}: timed out ({type(exc).__name__})", retryable=True) from None
    except httpx.HTTPError as exc:
        raise TransportError(f"{vendor}: {type(exc).__name__}: {exc}"[:500], retryable=True) from None
    if 200 <= response.status_code < 300:
        return response
    status = response.status_code
    retryable = status >= 500 or status in RETRYABLE_STATUS
    raise TransportError(
        f"{vendor}: HTTP {status} from {method} {httpx.URL(url).path}: {response.text[:300]}",
        retryable=retryable, status_code=status,
        retry_after=parse_retry_after(response.headers.get("Retry-After")) if retryable else None,
    )


def json_of(response: httpx.Response, *, vendor: str):
    try:
        return response.json()
    except ValueError:
        raise TransportError(f"{vendor}: the answer is not JSON: {response.text[:200]}", retryable=False) from None


def require(config: dict, *keys: str, vendor: str) -> list[str]:
    missing = [k for k in keys if not str(config.get(k) or "").strip()]
    if missing:
        raise TransportError(f"{vendor}: the connection lacks {', '.join(missing)}.", retryable=False)
    return [str(config[k]).strip() for k in keys]


def numeric_ticket_id(ticket_id, *, vendor: str) -> int:
    """PSA ticket ids are integers; a leading `#` (as tickets are often written) is accepted."""
    value = str(ticket_id or "").strip().lstrip("#")
    if not value.isdigit():
        raise TransportError(f"{vendor}: ticket id {ticket_id!r} is not a number.", retryable=False)
    return int(value)


def base(url: str) -> str:
    return (url or "").strip().rstrip("/")
