"""Outbound HTTP for every app: the SSRF guard and the one client (docs/security.md,
"Outbound requests (SSRF)").

Project-level so that both `escalations` (the LLM providers of the AI assessment) and
`notifications` (Slack, Teams, webhooks, PSA notes) use it without importing each other.

    from resolutionflow import outbound
    response = outbound.request("POST", url, json=body, label="HaloPSA")   # TransportError on failure
    outbound.validate_public_url(url)                                       # Django validator
"""

from resolutionflow.outbound.client import (
    EXCERPT_CHARS,
    Response,
    TransportError,
    excerpt,
    parse_retry_after,
    printable,
    request,
    summary,
)
from resolutionflow.outbound.guard import (
    PinnedURL,
    UnresolvableHost,
    UnsafeURL,
    check_url,
    is_forbidden_address,
    pin,
    validate_public_url,
)

__all__ = [
    "EXCERPT_CHARS", "PinnedURL", "Response", "TransportError", "UnresolvableHost", "UnsafeURL", "check_url",
    "excerpt", "is_forbidden_address", "parse_retry_after", "pin", "printable", "request", "summary",
    "validate_public_url",
]
