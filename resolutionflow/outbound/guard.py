"""The SSRF guard: which URLs the outbound client may call.

A URL is accepted when its scheme is http or https, it carries no credentials, and every address
its host resolves to is a public one: loopback, private (RFC 1918, fc00::/7), link-local
(169.254/16: the cloud metadata service, fe80::/10), shared (100.64/10), multicast, reserved and
unspecified addresses are refused, also when wrapped as IPv4-mapped or 6to4 IPv6.
`settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS` turns the address check off (tests, on-premises
installs); a caller may also allow private addresses for a URL an operator configured
(`allow_private=True`, e.g. the LLM's AI_BASE_URL), never for one a tenant typed.

The check runs at save time (`validate_public_url`, the Django validator of the models, the API
serializer and the admin forms) and again at send time (`pin`), because a host can resolve to a
public address when saved and to 127.0.0.1 later (DNS rebinding). `pin` resolves the host once and
returns the checked addresses; the client (`resolutionflow.outbound.client`) connects to those and
to nothing else, so no second resolution happens between the check and the connection.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

ALLOWED_SCHEMES = ("http", "https")


class UnsafeURL(ValueError):
    """The URL may not be called: not an http(s) URL of a public host. Not worth retrying."""

    retryable = False


class UnresolvableHost(UnsafeURL):
    """The host did not resolve (DNS down, NXDOMAIN): the next try may succeed."""

    retryable = True


@dataclass(frozen=True)
class PinnedURL:
    url: str  # the original URL
    scheme: str
    host: str  # the hostname as written (Host header, TLS server name and certificate check)
    port: int
    addresses: tuple[str, ...]  # every address the host resolved to, all checked, in preference order

    @property
    def address(self) -> str:
        return self.addresses[0]


def is_forbidden_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            ip = mapped
    return (not ip.is_global) or ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local


def split(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an acceptable URL; raises UnsafeURL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"Not a valid URL: {exc}.") from None
    scheme = (parts.scheme or "").lower()
    if scheme not in ALLOWED_SCHEMES:
        raise UnsafeURL("Only http:// and https:// URLs are allowed.")
    if not parts.hostname:
        raise UnsafeURL("The URL has no host.")
    if parts.username or parts.password:
        raise UnsafeURL("Credentials in the URL are not allowed.")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80)


def resolve(host: str, port: int) -> list[str]:
    """Every address of `host`, in getaddrinfo's order (RFC 6724 preferences), without duplicates.
    The one DNS lookup of an outbound request (tests replace it to control what a name resolves to)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnresolvableHost(f"The host {host!r} could not be resolved ({exc}).") from None
    return list(dict.fromkeys(info[4][0] for info in infos))


def private_allowed(allow_private: bool | None) -> bool:
    return settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS if allow_private is None else allow_private


def pin(url: str, *, allow_private: bool | None = None) -> PinnedURL:
    """Resolve `url`'s host once and check every address. Raises UnsafeURL."""
    scheme, host, port = split(url)
    addresses = resolve(host, port)
    if not addresses:
        raise UnresolvableHost(f"The host {host!r} could not be resolved (no address).")
    if not private_allowed(allow_private):
        bad = [a for a in addresses if is_forbidden_address(a)]
        if bad:
            raise UnsafeURL(
                f"The host {host!r} resolves to a private, loopback, link-local or reserved address ({bad[0]}); "
                "outbound requests to internal networks are not allowed."
            )
    return PinnedURL(url=url, scheme=scheme, host=host, port=port, addresses=tuple(addresses))


def check_url(url: str) -> None:
    """Save-time check. With private networks allowed, only the scheme and host are checked (the
    host may not resolve from here yet; the send-time check resolves it)."""
    if settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS:
        split(url)
        return
    pin(url)


def validate_public_url(value: str) -> None:
    """Django validator (models, forms, DRF serializers)."""
    try:
        check_url(value)
    except UnsafeURL as exc:
        raise ValidationError(str(exc), code="unsafe_url") from None
