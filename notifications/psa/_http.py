"""What the PSA clients share: one request through the outbound client, config checks.

Every request goes through `resolutionflow.outbound.request`: each URL a client calls (the base
URL, HaloPSA's `auth_url`, any other URL-like option) is SSRF-checked and the connection pinned
to the checked address; answers are capped; redirects are not followed; failures are
`TransportError` summaries prefixed with the vendor. Retryable: timeouts, connection errors,
408/425/429 and 5xx (with the server's `Retry-After`, seconds or an HTTP date, RFC 9110 §10.2.3).
Not retryable: every other 4xx (bad credentials, unknown ticket, validation), an address on a
private network, an oversized answer.
"""

from __future__ import annotations

from resolutionflow import outbound
from resolutionflow.outbound import TransportError

USER_AGENT = "ResolutionFlow-PSA/1.0"


def request(method: str, url: str, *, vendor: str, timeout: float, **kwargs) -> outbound.Response:
    """Send one request; return the 2xx response, raise TransportError otherwise. `timeout` is the
    request's total budget in seconds."""
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **kwargs.pop("headers", {})}
    return outbound.request(method, url, headers=headers, timeout=timeout, label=vendor, **kwargs)


def json_of(response: outbound.Response, *, vendor: str):
    try:
        return response.json()
    except ValueError:
        quoted = outbound.excerpt(response.content)
        raise TransportError(f"{vendor}: the answer from {response.host} is not JSON: {quoted}",
                             retryable=False) from None


def require(config: dict, *keys: str, vendor: str) -> list[str]:
    missing = [k for k in keys if not str(config.get(k) or "").strip()]
    if missing:
        raise TransportError(f"{vendor}: the connection lacks {', '.join(missing)}.", retryable=False)
    return [str(config[k]).strip() for k in keys]


def numeric_ticket_id(ticket_id, *, vendor: str) -> int:
    """PSA ticket ids are integers; a leading `#` (as tickets are often written) is accepted."""
    value = str(ticket_id or "").strip().lstrip("#")
    if not value.isdigit():
        raise TransportError(f"{vendor}: ticket id {outbound.excerpt(str(ticket_id), 40)!r} is not a number.",
                             retryable=False)
    return int(value)


def base(url: str) -> str:
    return (url or "").strip().rstrip("/")
