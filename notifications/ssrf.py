"""SSRF guard for user-supplied outbound URLs (webhooks, Slack/Teams, PSA base URLs).

A URL is accepted when its scheme is http or https and every address its host resolves to is a
public one: loopback, private (RFC 1918, fc00::/7), link-local (169.254/16: the cloud metadata
service, fe80::/10), shared (100.64/10), multicast, reserved and unspecified addresses are refused,
also when wrapped as IPv4-mapped IPv6. `settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS` turns the
address check off (tests, on-premises installs).

The check runs twice: at save time (`validate_public_url`, a Django validator the models and the
API serializer use) and at send time (`pin`), because a host can resolve to a public address when
saved and to 127.0.0.1 later (DNS rebinding). `pin` returns the checked address, and the HTTP
transports connect to that address (sending the original Host header and TLS server name), so
no second resolution happens between the check and the connection.
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
    """The URL is not an http(s) URL of a public host."""


@dataclass(frozen=True)
class PinnedURL:
    url: str  # the original URL
    scheme: str
    host: str  # the hostname as written (Host header, TLS server name)
    port: int
    address: str  # the checked IP address to connect to

    @property
    def connect_url(self) -> str:
        """The URL with the host replaced by the checked address."""
        parts = urlsplit(self.url)
        ip = f"[{self.address}]" if ":" in self.address else self.address
        netloc = f"{ip}:{self.port}"
        path = parts.path or "/"
        return f"{self.scheme}://{netloc}{path}" + (f"?{parts.query}" if parts.query else "")

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def is_forbidden_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            ip = mapped
    return (not ip.is_global) or ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local


def _split(url: str) -> tuple[str, str, int]:
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


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeURL(f"The host {host!r} could not be resolved ({exc}).") from None
    # Keep getaddrinfo's order (it applies RFC 6724 preferences), without duplicates.
    return list(dict.fromkeys(info[4][0] for info in infos))


def pin(url: str) -> PinnedURL:
    """Resolve `url`'s host once and check every address. Raises UnsafeURL."""
    scheme, host, port = _split(url)
    addresses = _resolve(host, port)
    if not settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS:
        bad = [a for a in addresses if is_forbidden_address(a)]
        if bad:
            raise UnsafeURL(
                f"The host {host!r} resolves to a private, loopback, link-local or reserved address ({bad[0]}); "
                "outbound requests to internal networks are not allowed."
            )
    return PinnedURL(url=url, scheme=scheme, host=host, port=port, address=addresses[0])


def check_url(url: str) -> None:
    """Save-time check. With private networks allowed, only the scheme and host are checked (the
    host may not resolve from here yet; the send-time check resolves it)."""
    if settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS:
        _split(url)
        return
    pin(url)


def validate_public_url(value: str) -> None:
    """Django validator (models, forms, DRF serializers)."""
    try:
        check_url(value)
    except UnsafeURL as exc:
        raise ValidationError(str(exc), code="unsafe_url") from None
